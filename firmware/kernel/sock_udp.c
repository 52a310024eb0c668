/*
 * Datagram sockets: inet_dgram_ops over lwIP's UDP (udp_sendto/udp_send on
 * the way out, a ring of received pbufs, filled by lwIP's recv callback when
 * the kernel polls the stack, on the way in).
 */
#include "socket.h"

#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "errno.h"
#include "net.h"

/* The largest payload one IPv4 datagram carries. */
#define UDP_MAX_PAYLOAD (0xffff - 20 - 8)

/* The ring index wraps with a mask, not a division (the board has no
 * divide instruction). */
#define DGRAM_RING_MASK (SOCK_DGRAM_QLEN - 1)
typedef char dgram_ring_is_power_of_two[(SOCK_DGRAM_QLEN & DGRAM_RING_MASK) == 0 ? 1 : -1];

static void
udp_sock_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
  struct socket *sock = (struct socket *)arg;
  struct sock_dgram *d;
  LWIP_UNUSED_ARG(pcb);
  if (sock->dgram_count == SOCK_DGRAM_QLEN) {
    sock->dgram_dropped++;
    pbuf_free(p);
    return;
  }
  d = &sock->dgram[(sock->dgram_head + sock->dgram_count) & DGRAM_RING_MASK];
  d->p = p;
  ip_addr_copy(d->from, *addr);
  d->from_port = port;
  sock->dgram_count++;
}

static int
udp_sock_create(struct socket *sock)
{
  struct udp_pcb *pcb = udp_new();
  if (pcb == NULL) {
    return -ENOBUFS;
  }
  sock->pcb.udp = pcb;
  udp_recv(pcb, udp_sock_recv, sock);
  return 0;
}

static int
udp_sock_release(struct socket *sock)
{
  while (sock->dgram_count > 0) {
    pbuf_free(sock->dgram[sock->dgram_head].p);
    sock->dgram_head = (u8_t)((sock->dgram_head + 1) & DGRAM_RING_MASK);
    sock->dgram_count--;
  }
  udp_remove(sock->pcb.udp);
  return 0;
}

static int
udp_sock_bind(struct socket *sock, const struct sockaddr *addr, int addr_len)
{
  ip_addr_t ip;
  u16_t port;
  int err = inet_addr_from_user(addr, addr_len, &ip, &port);
  if (err < 0) {
    return err;
  }
  return sock_error(udp_bind(sock->pcb.udp, &ip, port));
}

static int
udp_sock_connect(struct socket *sock, const struct sockaddr *addr, int addr_len, unsigned flags)
{
  ip_addr_t ip;
  u16_t port;
  int err;
  LWIP_UNUSED_ARG(flags);
  if (addr_len >= (int)sizeof(addr->sa_family) && addr->sa_family == AF_UNSPEC) {
    udp_disconnect(sock->pcb.udp);
    sock->state = SS_UNCONNECTED;
    return 0;
  }
  err = inet_addr_from_user(addr, addr_len, &ip, &port);
  if (err < 0) {
    return err;
  }
  err = sock_error(udp_connect(sock->pcb.udp, &ip, port));
  if (err == 0) {
    sock->state = SS_CONNECTED;
  }
  return err;
}

static int
udp_sock_listen(struct socket *sock, int backlog)
{
  LWIP_UNUSED_ARG(sock);
  LWIP_UNUSED_ARG(backlog);
  return -EOPNOTSUPP;
}

static int
udp_sock_accept(struct socket *sock, struct socket **newsock, unsigned flags)
{
  LWIP_UNUSED_ARG(sock);
  LWIP_UNUSED_ARG(newsock);
  LWIP_UNUSED_ARG(flags);
  return -EOPNOTSUPP;
}

static int
udp_sock_getname(struct socket *sock, struct sockaddr_in *addr, int peer)
{
  struct udp_pcb *pcb = sock->pcb.udp;
  if (peer) {
    if (sock->state != SS_CONNECTED) {
      return -ENOTCONN;
    }
    inet_addr_to_user(&pcb->remote_ip, pcb->remote_port, addr);
  } else {
    inet_addr_to_user(&pcb->local_ip, pcb->local_port, addr);
  }
  return 0;
}

/* Gather the caller's iovecs into a fresh packet buffer. */
static int
udp_fill(struct pbuf *p, const struct msghdr *msg, size_t len)
{
  size_t i;
  u16_t off = 0;
  for (i = 0; i < msg->msg_iovlen && off < len; i++) {
    size_t n = msg->msg_iov[i].iov_len;
    if (n > len - off) {
      n = len - off;
    }
    if (pbuf_take_at(p, msg->msg_iov[i].iov_base, (u16_t)n, off) != ERR_OK) {
      return -EFAULT;
    }
    off = (u16_t)(off + n);
  }
  return 0;
}

/* Give an unbound socket its local port now, as lwIP's udp_sendto would on
 * the first send, but as a socket mutation: the file's generation moves, so
 * code customized while the socket had no port never runs once it has one. */
int
udp_sock_autobind(struct socket *sock)
{
  struct udp_pcb *pcb = sock->pcb.udp;
  int err;
  if (pcb->local_port != 0) {
    return 0;
  }
  err = sock_error(udp_bind(pcb, &pcb->local_ip, 0));
  sock_changed(sock);
  return err;
}

/* One datagram: a fresh packet buffer, the caller's bytes, lwIP's output.
 * ERR_MEM when out of packet buffers (a full loopback queue): the caller
 * waits and tries again; otherwise *result is the call's result. */
static err_t
udp_send_once(struct udp_pcb *pcb, const struct msghdr *msg, size_t len, const ip_addr_t *dst, u16_t port, long *result)
{
  struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
  err_t e;
  int err;
  if (p == NULL) {
    return ERR_MEM;
  }
  err = udp_fill(p, msg, len);
  if (err < 0) {
    pbuf_free(p);
    *result = err;
    return ERR_OK;
  }
  if (dst != NULL) {
    e = udp_sendto(pcb, p, dst, port);
  } else {
    e = udp_send(pcb, p);
  }
  pbuf_free(p);
  if (e == ERR_MEM) {
    return ERR_MEM;
  }
  *result = e == ERR_OK ? (long)len : sock_error(e);
  return ERR_OK;
}

/* Out of packet buffers: wait or let go, and try again. The send timeout
 * runs from here, when the call first has to wait (as Linux's sndtimeo
 * does), so a send that finds a buffer never reads the clock. Apart from
 * udp_sock_sendmsg so that code customized for a socket holds the common
 * path once and calls this, as it is, for the rare one. */
long
udp_sock_send_wait(struct udp_pcb *pcb, const struct msghdr *msg, size_t len, const ip_addr_t *dst, u16_t port)
{
  u32_t since = (msg->msg_flags & MSG_DONTWAIT) ? 0 : sys_now();
  long result = 0;
  do {
    int err = sock_wait(msg->msg_flags, since);
    if (err < 0) {
      return err;
    }
  } while (udp_send_once(pcb, msg, len, dst, port, &result) == ERR_MEM);
  return result;
}

long
udp_sock_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
  struct udp_pcb *pcb = sock->pcb.udp;
  ip_addr_t dst;
  const ip_addr_t *to = NULL;
  u16_t port = 0;
  long result = 0;
  int err;

  if (msg->msg_name != NULL) {
    err = inet_addr_from_user((const struct sockaddr *)msg->msg_name, msg->msg_namelen, &dst, &port);
    if (err < 0) {
      return err;
    }
    to = &dst;
  } else if (sock->state != SS_CONNECTED) {
    return -EDESTADDRREQ;
  }
  if (len > UDP_MAX_PAYLOAD) {
    return -EMSGSIZE;
  }
  err = udp_sock_autobind(sock);
  if (err < 0) {
    return err;
  }
  if (udp_send_once(pcb, msg, len, to, port, &result) == ERR_MEM) {
    return udp_sock_send_wait(pcb, msg, len, to, port);
  }
  return result;
}

static long
udp_sock_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, unsigned flags)
{
  struct sock_dgram *d;
  u32_t since = 0;
  size_t i;
  u16_t copied = 0;
  u16_t total;
  int err;

  if (!(flags & MSG_DONTWAIT)) {
    since = sys_now();
  }
  while (sock->dgram_count == 0) {
    err = sock_wait(flags, since);
    if (err < 0) {
      return err;
    }
  }
  d = &sock->dgram[sock->dgram_head];
  total = d->p->tot_len;
  for (i = 0; i < msg->msg_iovlen && copied < total && copied < len; i++) {
    size_t n = msg->msg_iov[i].iov_len;
    if (n > (size_t)(total - copied)) {
      n = (size_t)(total - copied);
    }
    if (n > len - copied) {
      n = len - copied;
    }
    copied = (u16_t)(copied + pbuf_copy_partial(d->p, msg->msg_iov[i].iov_base, (u16_t)n, copied));
  }
  if (msg->msg_name != NULL) {
    inet_addr_to_user(&d->from, d->from_port, (struct sockaddr_in *)msg->msg_name);
    msg->msg_namelen = (int)sizeof(struct sockaddr_in);
  }
  msg->msg_flags = copied < total ? MSG_TRUNC : 0;
  if (!(flags & MSG_PEEK)) {
    pbuf_free(d->p);
    d->p = NULL;
    sock->dgram_head = (u8_t)((sock->dgram_head + 1) & DGRAM_RING_MASK);
    sock->dgram_count--;
  }
  return (flags & MSG_TRUNC) ? (long)total : (long)copied;
}

static int
udp_sock_setsockopt(struct socket *sock, int level, int optname, const void *optval, int optlen)
{
  struct udp_pcb *pcb = sock->pcb.udp;
  int value;
  int err;
  if (level == IPPROTO_IP) {
    return inet_setsockopt_ip(sock, optname, optval, optlen);
  }
  if (level != SOL_SOCKET) {
    return -ENOPROTOOPT;
  }
  err = sockopt_get_int(optval, optlen, &value);
  if (err < 0) {
    return err;
  }
  switch (optname) {
    case SO_BROADCAST:
      if (value) {
        ip_set_option(pcb, SOF_BROADCAST);
      } else {
        ip_reset_option(pcb, SOF_BROADCAST);
      }
      return 0;
    case SO_NO_CHECK:
      if (value) {
        udp_setflags(pcb, udp_flags(pcb) | UDP_FLAGS_NOCHKSUM);
      } else {
        udp_setflags(pcb, udp_flags(pcb) & ~UDP_FLAGS_NOCHKSUM);
      }
      return 0;
    default:
      return -ENOPROTOOPT;
  }
}

static int
udp_sock_getsockopt(struct socket *sock, int level, int optname, void *optval, int *optlen)
{
  if (level == IPPROTO_IP) {
    return inet_getsockopt_ip(sock, optname, optval, optlen);
  }
  if (level != SOL_SOCKET) {
    return -ENOPROTOOPT;
  }
  if (optname == SO_NO_CHECK) {
    return sockopt_put_int((udp_flags(sock->pcb.udp) & UDP_FLAGS_NOCHKSUM) ? 1 : 0, optval, optlen);
  }
  return inet_getsockopt_socket(sock, optname, optval, optlen);
}

const struct proto_ops inet_dgram_ops = {
  AF_INET,
  SOCK_DGRAM,
  udp_sock_create,
  udp_sock_release,
  udp_sock_bind,
  udp_sock_connect,
  udp_sock_listen,
  udp_sock_accept,
  udp_sock_getname,
  udp_sock_sendmsg,
  udp_sock_recvmsg,
  udp_sock_setsockopt,
  udp_sock_getsockopt,
};
