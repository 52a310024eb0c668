/* An lwIP-style output path in miniature: a destination copied with memcpy
   from a static configuration (as move_addr_to_kernel copies a sockaddr), a
   header whose fields come from static globals, a pure byte-order helper, a
   summing loop over the dynamic payload, and `len % 2` / `len / 4` over an
   unsigned short length (as lwIP's checksum tests q->len % 2), and a byte
   offset from a struct pointer cast to bytes (as pbuf_add_header's
   `(u8_t *)p + SIZEOF_STRUCT_PBUF`). */
void *memcpy(void *dst, const void *src, unsigned long n);

struct dest { unsigned short family; unsigned short port; unsigned int addr; };
struct route { unsigned int mask; unsigned int gw; unsigned char ttl; };

struct route routes[2] = { { 0xff000000u, 0x7f000001u, 64 }, { 0u, 0x0a000001u, 255 } };
struct route *default_route = &routes[1];

static unsigned short swap16(unsigned short n) { return (unsigned short)((n << 8) | (n >> 8)); }

static unsigned int sum16(const unsigned char *p, int n)
{
    unsigned int s = 0;
    int i;
    for (i = 0; i + 1 < n; i += 2)
        s += (unsigned int)((p[i] << 8) | p[i + 1]);
    return s;
}

unsigned int header(const struct dest *cfg, const unsigned char *payload, unsigned short len, unsigned char *out)
{
    struct dest d;
    const struct route *r = default_route;
    const struct dest *seen = (const struct dest *)payload;
    unsigned int sum;
    memcpy(&d, cfg, sizeof d);
    if (d.family != 2)
        return 0;
    if ((d.addr & routes[0].mask) == (routes[0].gw & routes[0].mask))
        r = &routes[0];
    out[0] = r->ttl;
    out[1] = (unsigned char)(swap16(d.port) >> 8);
    out[2] = (unsigned char)swap16(len);
    out[3] = (unsigned char)(len / 4);
    sum = sum16(payload, len) + (unsigned int)(len % 2) + d.addr + *((const unsigned char *)seen + 5);
    return sum;
}
