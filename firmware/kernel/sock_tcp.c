/*
 * Stream sockets: inet_stream_ops over lwIP's TCP. Sending is tcp_write
 * (copying into lwIP's send buffer) followed by tcp_output; received bytes
 * wait in a pbuf chain until read, and the window only reopens (tcp_recved)
 * as the application reads, so a slow reader throttles its sender.
 */
#include "socket.h"

#include "lwip/ip.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include "errno.h"
#include "net.h"

static void tcp_sock_attach(struct socket *sock, struct tcp_pcb *pcb);

static err_t
tcp_sock_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
  struct socket *sock = (struct socket *)arg;
  LWIP_UNUSED_ARG(pcb);
  LWIP_UNUSED_ARG(err);
  if (p == NULL) {
    sock->eof = 1;
    sock_changed(sock);
  } else if (sock->stream_rx == NULL) {
    sock->stream_rx = p;
  } else {
    pbuf_cat(sock->stream_rx, p);
  }
  return ERR_OK;
}

/* lwIP has already freed the pcb when it reports an error. */
static void
tcp_sock_err(void *arg, err_t err)
{
  struct socket *sock = (struct socket *)arg;
  sock->err = (sock->state == SS_CONNECTING && err == ERR_RST) ? -ECONNREFUSED : sock_error(err);
  sock->pcb.tcp = NULL;
  sock->state = SS_UNCONNECTED;
  sock_changed(sock);
}

static err_t
tcp_sock_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
  struct socket *sock = (struct socket *)arg;
  LWIP_UNUSED_ARG(pcb);
  LWIP_UNUSED_ARG(err);
  sock->state = SS_CONNECTED;
  sock_changed(sock);
  return ERR_OK;
}

/* A connection was established on a listening socket: give it a socket of
 * its own now, so that data arriving before accept() has somewhere to go. */
static err_t
tcp_sock_accepted(void *arg, struct tcp_pcb *newpcb, err_t err)
{
  struct socket *sock = (struct socket *)arg;
  struct socket *newsock;
  if (err != ERR_OK || newpcb == NULL) {
    return ERR_VAL;
  }
  if (sock->backlog_count >= sock->backlog_max) {
    return ERR_MEM;             /* lwIP aborts the connection */
  }
  newsock = sock_alloc(SOCK_STREAM);
  if (newsock == NULL) {
    return ERR_MEM;
  }
  newsock->ops = sock->ops;
  newsock->state = SS_CONNECTED;
  tcp_sock_attach(newsock, newpcb);
  sock->backlog[sock->backlog_count++] = newsock;
  return ERR_OK;
}

static void
tcp_sock_attach(struct socket *sock, struct tcp_pcb *pcb)
{
  sock->pcb.tcp = pcb;
  tcp_arg(pcb, sock);
  tcp_recv(pcb, tcp_sock_recv);
  tcp_err(pcb, tcp_sock_err);
}

static int
tcp_sock_create(struct socket *sock)
{
  struct tcp_pcb *pcb = tcp_new();
  if (pcb == NULL) {
    return -ENOBUFS;
  }
  tcp_sock_attach(sock, pcb);
  return 0;
}

/* Detach from lwIP and close; a connection that cannot close gracefully
 * (no memory for the FIN) is reset instead, so the pcb is never leaked. */
static void
tcp_sock_close_pcb(struct socket *sock)
{
  struct tcp_pcb *pcb = sock->pcb.tcp;
  sock->pcb.tcp = NULL;
  if (pcb == NULL) {
    return;
  }
  tcp_arg(pcb, NULL);
  if (sock->state == SS_LISTENING) {
    tcp_accept(pcb, NULL);
  } else {
    tcp_recv(pcb, NULL);
    tcp_err(pcb, NULL);
  }
  if (tcp_close(pcb) != ERR_OK) {
    tcp_abort(pcb);
  }
}

static int
tcp_sock_release(struct socket *sock)
{
  u8_t i;
  for (i = 0; i < sock->backlog_count; i++) {
    struct socket *pending = sock->backlog[i];
    tcp_sock_release(pending);
    sock_free(pending);
  }
  sock->backlog_count = 0;
  if (sock->stream_rx != NULL) {
    pbuf_free(sock->stream_rx);
    sock->stream_rx = NULL;
  }
  tcp_sock_close_pcb(sock);
  return 0;
}

static int
tcp_sock_bind(struct socket *sock, const struct sockaddr *addr, int addr_len)
{
  ip_addr_t ip;
  u16_t port;
  int err = inet_addr_from_user(addr, addr_len, &ip, &port);
  if (err < 0) {
    return err;
  }
  if (sock->pcb.tcp == NULL || sock->state != SS_UNCONNECTED) {
    return -EINVAL;
  }
  return sock_error(tcp_bind(sock->pcb.tcp, &ip, port));
}

static int
tcp_sock_connect(struct socket *sock, const struct sockaddr *addr, int addr_len, unsigned flags)
{
  ip_addr_t ip;
  u16_t port;
  u32_t since;
  int err;
  switch (sock->state) {
    case SS_CONNECTED:
      return -EISCONN;
    case SS_CONNECTING:
      return -EALREADY;
    case SS_LISTENING:
      return -EINVAL;
    default:
      break;
  }
  if (sock->pcb.tcp == NULL) {
    return sock->err != 0 ? sock_take_error(sock) : -EINVAL;
  }
  err = inet_addr_from_user(addr, addr_len, &ip, &port);
  if (err < 0) {
    return err;
  }
  err = sock_error(tcp_connect(sock->pcb.tcp, &ip, port, tcp_sock_connected));
  if (err < 0) {
    return err;
  }
  sock->state = SS_CONNECTING;
  if (flags & MSG_DONTWAIT) {
    return -EINPROGRESS;
  }
  since = sys_now();
  while (sock->state == SS_CONNECTING) {
    err = sock_wait(flags, since);
    if (err < 0) {
      return err;
    }
  }
  return sock->state == SS_CONNECTED ? 0 : sock_take_error(sock);
}

static int
tcp_sock_listen(struct socket *sock, int backlog)
{
  struct tcp_pcb *lpcb;
  err_t err;
  if (sock->state != SS_UNCONNECTED || sock->pcb.tcp == NULL) {
    return -EINVAL;
  }
  if (backlog < 1) {
    backlog = 1;
  }
  if (backlog > SOCK_BACKLOG_MAX) {
    backlog = SOCK_BACKLOG_MAX;
  }
  lpcb = tcp_listen_with_backlog_and_err(sock->pcb.tcp, (u8_t)backlog, &err);
  if (lpcb == NULL) {
    return sock_error(err);
  }
  /* tcp_listen freed the original pcb and returned a smaller listening one. */
  sock->pcb.tcp = lpcb;
  sock->backlog_max = (u8_t)backlog;
  sock->state = SS_LISTENING;
  tcp_arg(lpcb, sock);
  tcp_accept(lpcb, tcp_sock_accepted);
  return 0;
}

static int
tcp_sock_accept(struct socket *sock, struct socket **newsock, unsigned flags)
{
  u32_t since = 0;
  u8_t i;
  int err;
  if (sock->state != SS_LISTENING) {
    return -EINVAL;
  }
  if (!(flags & MSG_DONTWAIT)) {
    since = sys_now();
  }
  while (sock->backlog_count == 0) {
    err = sock_wait(flags, since);
    if (err < 0) {
      return err;
    }
  }
  *newsock = sock->backlog[0];
  sock->backlog_count--;
  for (i = 0; i < sock->backlog_count; i++) {
    sock->backlog[i] = sock->backlog[i + 1];
  }
  return 0;
}

static int
tcp_sock_getname(struct socket *sock, struct sockaddr_in *addr, int peer)
{
  struct tcp_pcb *pcb = sock->pcb.tcp;
  if (pcb == NULL || (peer && sock->state != SS_CONNECTED)) {
    return -ENOTCONN;
  }
  if (peer) {
    inet_addr_to_user(&pcb->remote_ip, pcb->remote_port, addr);
  } else {
    inet_addr_to_user(&pcb->local_ip, pcb->local_port, addr);
  }
  return 0;
}

/* The send timeout runs from when the call first has to wait (as Linux's
 * sndtimeo does, and as datagram sends do): a send that finds room in the
 * send buffer never reads the clock (a 64-bit division on this CPU). */
long
tcp_sock_send_stream(struct socket *sock, struct msghdr *msg, size_t len)
{
  u32_t since = 0;
  u8_t waiting = 0;
  size_t sent = 0;
  size_t i;
  int err;

  for (i = 0; i < msg->msg_iovlen && sent < len; i++) {
    const u8_t *base = (const u8_t *)msg->msg_iov[i].iov_base;
    size_t n = msg->msg_iov[i].iov_len;
    size_t done = 0;
    if (n > len - sent) {
      n = len - sent;
    }
    while (done < n) {
      struct tcp_pcb *pcb = sock->pcb.tcp;
      size_t chunk;
      err_t e = ERR_MEM;
      if (pcb == NULL || sock->state != SS_CONNECTED) {
        if (sent > 0) {
          return (long)sent;
        }
        return sock->err != 0 ? sock_take_error(sock) : -ENOTCONN;
      }
      chunk = n - done;
      if (chunk > tcp_sndbuf(pcb)) {
        chunk = tcp_sndbuf(pcb);
      }
      if (chunk > 0) {
        u8_t more = (u8_t)((sent + chunk < len) ? TCP_WRITE_FLAG_MORE : 0);
        e = tcp_write(pcb, base + done, (u16_t)chunk, (u8_t)(TCP_WRITE_FLAG_COPY | more));
        if (e != ERR_OK && e != ERR_MEM) {
          return sent > 0 ? (long)sent : sock_error(e);
        }
      }
      if (e == ERR_OK) {
        done += chunk;
        sent += chunk;
        continue;
      }
      /* The send buffer is full: push what is queued, then wait for ACKs
       * or return what went in so far. */
      tcp_output(pcb);
      if (sent > 0 && (msg->msg_flags & MSG_DONTWAIT)) {
        return (long)sent;
      }
      if (!waiting && !(msg->msg_flags & MSG_DONTWAIT)) {
        since = sys_now();
        waiting = 1;
      }
      err = sock_wait(msg->msg_flags, since);
      if (err < 0) {
        return sent > 0 ? (long)sent : err;
      }
    }
  }
  if (sock->pcb.tcp != NULL) {
    tcp_output(sock->pcb.tcp);
  }
  return (long)sent;
}

/* The common send: one buffer that fits in the send buffer goes in with
 * one tcp_write, then out as far as Nagle and the windows let it. Anything
 * else (several buffers, a full send buffer, no connection) takes the
 * general loop, apart so that code customized for a socket holds this path
 * once and calls that one, as it is, for the rare case. When the send buffer
 * lacks pbufs or segments (ERR_MEM), the loop tries the write again before
 * it waits: the same outcome, lwIP's memerr statistic counts it twice. */
long
tcp_sock_sendmsg(struct socket *sock, struct msghdr *msg, size_t len)
{
  struct tcp_pcb *pcb = sock->pcb.tcp;
  if (pcb != NULL && sock->state == SS_CONNECTED && msg->msg_iovlen == 1 && len > 0 && len <= msg->msg_iov[0].iov_len && len <= tcp_sndbuf(pcb)) {
    err_t e = tcp_write(pcb, msg->msg_iov[0].iov_base, (u16_t)len, TCP_WRITE_FLAG_COPY);
    if (e == ERR_OK) {
      tcp_output(pcb);
      return (long)len;
    }
    if (e != ERR_MEM) {
      return sock_error(e);
    }
  }
  return tcp_sock_send_stream(sock, msg, len);
}

static long
tcp_sock_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, unsigned flags)
{
  u32_t since = 0;
  size_t i;
  u16_t copied = 0;
  int err;

  if (sock->state == SS_LISTENING) {
    return -ENOTCONN;
  }
  if (!(flags & MSG_DONTWAIT)) {
    since = sys_now();
  }
  while (sock->stream_rx == NULL) {
    if (sock->eof) {
      return 0;
    }
    if (sock->err != 0) {
      return sock_take_error(sock);
    }
    if (sock->state != SS_CONNECTED) {
      return -ENOTCONN;
    }
    err = sock_wait(flags, since);
    if (err < 0) {
      return err;
    }
  }
  if (len > 0xffff) {
    len = 0xffff;
  }
  for (i = 0; i < msg->msg_iovlen && copied < len; i++) {
    size_t n = msg->msg_iov[i].iov_len;
    if (n > len - copied) {
      n = len - copied;
    }
    copied = (u16_t)(copied + pbuf_copy_partial(sock->stream_rx, msg->msg_iov[i].iov_base, (u16_t)n, copied));
  }
  msg->msg_flags = 0;
  if (!(flags & MSG_PEEK)) {
    sock->stream_rx = pbuf_free_header(sock->stream_rx, copied);
    if (sock->pcb.tcp != NULL) {
      tcp_recved(sock->pcb.tcp, copied);
    }
  }
  return (long)copied;
}

static int
tcp_sock_setsockopt(struct socket *sock, int level, int optname, const void *optval, int optlen)
{
  int value;
  int err;
  if (sock->pcb.tcp == NULL) {
    return sock->err != 0 ? sock_take_error(sock) : -EINVAL;
  }
  if (level == IPPROTO_IP) {
    return inet_setsockopt_ip(sock, optname, optval, optlen);
  }
  err = sockopt_get_int(optval, optlen, &value);
  if (err < 0) {
    return err;
  }
  if (level == SOL_SOCKET && optname == SO_BROADCAST) {
    if (value) {
      ip_set_option(sock->pcb.tcp, SOF_BROADCAST);
    } else {
      ip_reset_option(sock->pcb.tcp, SOF_BROADCAST);
    }
    return 0;
  }
  if (level == IPPROTO_TCP && optname == TCP_NODELAY) {
    /* A listening pcb is a smaller struct without the flags field. */
    if (sock->state == SS_LISTENING) {
      return -EINVAL;
    }
    if (value) {
      tcp_nagle_disable(sock->pcb.tcp);
    } else {
      tcp_nagle_enable(sock->pcb.tcp);
    }
    return 0;
  }
  return -ENOPROTOOPT;
}

static int
tcp_sock_getsockopt(struct socket *sock, int level, int optname, void *optval, int *optlen)
{
  if (level == SOL_SOCKET && optname == SO_ERROR) {
    return inet_getsockopt_socket(sock, optname, optval, optlen);
  }
  if (sock->pcb.tcp == NULL) {
    return sock->err != 0 ? sock_take_error(sock) : -EINVAL;
  }
  if (level == IPPROTO_IP) {
    return inet_getsockopt_ip(sock, optname, optval, optlen);
  }
  if (level == IPPROTO_TCP && optname == TCP_NODELAY) {
    if (sock->state == SS_LISTENING) {
      return -EINVAL;
    }
    return sockopt_put_int(tcp_nagle_disabled(sock->pcb.tcp) ? 1 : 0, optval, optlen);
  }
  if (level == SOL_SOCKET) {
    return inet_getsockopt_socket(sock, optname, optval, optlen);
  }
  return -ENOPROTOOPT;
}

const struct proto_ops inet_stream_ops = {
  AF_INET,
  SOCK_STREAM,
  tcp_sock_create,
  tcp_sock_release,
  tcp_sock_bind,
  tcp_sock_connect,
  tcp_sock_listen,
  tcp_sock_accept,
  tcp_sock_getname,
  tcp_sock_sendmsg,
  tcp_sock_recvmsg,
  tcp_sock_setsockopt,
  tcp_sock_getsockopt,
};
