/* A connection in device memory whose MSS and TTL are fixed for its life
 * while its send buffer and queue move with every call (lwIP's tcp_pcb in
 * miniature): the scenario makes only mss and ttl static. The send buffer is
 * also reached through a pointer to the field, as lwIP's code does with
 * &pcb->unsent. */
struct conn {
    unsigned short mss;
    unsigned short snd_buf;
    unsigned int queued;
    unsigned char ttl;
};

static unsigned short *room_of(struct conn *c)
{
    return &c->snd_buf;
}

int conn_send(struct conn *c, unsigned short len)
{
    unsigned short *room = room_of(c);
    if (len > *room) {
        c->snd_buf = (unsigned short)(c->snd_buf + c->mss);
        return -1;
    }
    *room = (unsigned short)(*room - len);
    c->queued += len;
    if (len > c->mss / 2)
        return c->ttl + (int)(c->queued % 100000);
    return (int)(c->queued % 1000) + c->mss;
}
