/*
 * UDP_STREAM and TCP_STREAM over loopback, as two tasks each. Both sides use
 * non-blocking sockets: a step that would block returns TASK_WAITING and
 * the scheduler runs the other task and the network in the meantime.
 */
#include "netperf.h"

#include <string.h>

#include "lwip/def.h"

#include "bsp.h"
#include "errno.h"
#include "task.h"
#include "usys.h"

#ifdef BESPOKE_CUSTOM
#include "bespoke.h"
#endif

/* Sends per step before yielding: more than the loopback queue holds, so
 * the ENOBUFS/EAGAIN retry path is exercised on every run. */
#define NETPERF_BURST 24

u8_t
netperf_pattern(u32_t index)
{
  return (u8_t)((index * 2654435761u) >> 24);
}

/* UDP datagrams carry their sequence number in the pattern's index. */
static void
fill_datagram(u8_t *buf, u32_t seq, u32_t size)
{
  u32_t k;
  for (k = 0; k < size; k++) {
    buf[k] = netperf_pattern((seq << 16) + k);
  }
}

static int
datagram_intact(const u8_t *buf, u32_t seq, u32_t size)
{
  u32_t k;
  for (k = 0; k < size; k++) {
    if (buf[k] != netperf_pattern((seq << 16) + k)) {
      return 0;
    }
  }
  return 1;
}

static void
loopback_addr(struct sockaddr_in *sin, u16_t port)
{
  memset(sin, 0, sizeof(*sin));
  sin->sin_family = AF_INET;
  sin->sin_port = lwip_htons(port);
  sin->sin_addr.s_addr = lwip_htonl(INADDR_LOOPBACK);
}

static int
fail(struct task *task, struct netperf *np, long err)
{
  if (np->error == 0) {
    np->error = err < 0 ? (int)err : -EIO;
  }
  task->exit_code = 1;
  return TASK_EXITED;
}

static int
would_block(long r)
{
  return r == -EAGAIN || r == -ENOBUFS;
}

void
netperf_counter_overhead(u32_t *cycles, u32_t *instret)
{
  u32_t c0, i0, c1, i1;
  *cycles = 0;
  *instret = 0;
  if (board_counters(&c0, &i0) && board_counters(&c1, &i1)) {
    *cycles = c1 - c0;
    *instret = i1 - i0;
  }
}

/* One send, generic (sendto, or send on a connected stream) or through the
 * sender's customization token. */
static long
send_one(struct netperf *np, const u8_t *buf, u32_t len, const struct sockaddr_in *dst)
{
#ifdef BESPOKE_CUSTOM
  if (np->customized) {
    return dst != NULL ? customized_sendto(np->token, buf, len) : customized_send(np->token, buf, len);
  }
#endif
  return u_sendto(np->tx_fd, buf, len, 0, (const struct sockaddr *)dst, dst != NULL ? (int)sizeof(*dst) : 0);
}

/* Ask for a customized version of the sender's call (the token is usable at
 * once), or refuse when the subsystem is not linked. */
static long
customize(struct netperf *np, const struct sockaddr_in *dst)
{
#ifdef BESPOKE_CUSTOM
  np->token = dst != NULL ? do_customize_sendto(np->tx_fd, 0, dst, sizeof(*dst)) : do_customize_send(np->tx_fd, 0);
  return np->token > 0 ? 0 : np->token;
#else
  LWIP_UNUSED_ARG(np);
  LWIP_UNUSED_ARG(dst);
  return -ENOSYS;
#endif
}

static long
uncustomize(struct netperf *np)
{
#ifdef BESPOKE_CUSTOM
  if (np->customized) {
    return cancel_customize(np->token);
  }
#endif
  LWIP_UNUSED_ARG(np);
  return 0;
}

/* One send, counted. */
static long
measured_send(struct netperf *np, const u8_t *buf, u32_t len, const struct sockaddr_in *dst)
{
  u32_t c0 = 0, i0 = 0, c1, i1;
  int counted = board_counters(&c0, &i0);
  long r = send_one(np, buf, len, dst);
  if (counted && board_counters(&c1, &i1) && r > 0) {
    np->measured.calls++;
    np->measured.cycles += c1 - c0;
    np->measured.instret += i1 - i0;
  }
  return r;
}

static int
udp_sender(struct task *task)
{
  struct netperf *np = (struct netperf *)task->arg;
  struct sockaddr_in dst;
  long r;
  int i;
  if (np->tx_phase == 0) {
    r = u_socket(AF_INET, SOCK_DGRAM, 0);
    if (r < 0) {
      return fail(task, np, r);
    }
    np->tx_fd = (int)r;
    r = u_fcntl(np->tx_fd, F_SETFL, O_NONBLOCK);
    if (r == 0 && np->customized) {
      loopback_addr(&dst, np->port);
      r = customize(np, &dst);
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    np->tx_phase = 1;
  }
  loopback_addr(&dst, np->port);
  for (i = 0; i < NETPERF_BURST && np->sent < np->total; i++) {
    fill_datagram(np->tx_buf, np->sent, np->msg_size);
    r = measured_send(np, np->tx_buf, np->msg_size, &dst);
    if (would_block(r)) {
      np->would_block++;
      return TASK_WAITING;
    }
    if (r != (long)np->msg_size) {
      return fail(task, np, r);
    }
    np->sent++;
  }
  if (np->sent == np->total) {
    r = uncustomize(np);
    if (r < 0) {
      return fail(task, np, r);
    }
    task->exit_code = 0;
    return TASK_EXITED;
  }
  return TASK_PROGRESS;
}

static int
udp_receiver(struct task *task)
{
  struct netperf *np = (struct netperf *)task->arg;
  long r;
  if (np->rx_phase == 0) {
    struct sockaddr_in me;
    r = u_socket(AF_INET, SOCK_DGRAM, 0);
    if (r < 0) {
      return fail(task, np, r);
    }
    np->rx_fd = (int)r;
    loopback_addr(&me, np->port);
    r = u_bind(np->rx_fd, (const struct sockaddr *)&me, (int)sizeof(me));
    if (r == 0) {
      r = u_fcntl(np->rx_fd, F_SETFL, O_NONBLOCK);
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    np->rx_phase = 1;
  }
  while (np->received + np->corrupt < np->total) {
    struct sockaddr_in from;
    int fromlen = (int)sizeof(from);
    u32_t seq = np->received + np->corrupt;
    r = u_recvfrom(np->rx_fd, np->rx_buf, sizeof(np->rx_buf), 0, (struct sockaddr *)&from, &fromlen);
    if (r == -EAGAIN) {
      return TASK_WAITING;
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    if ((u32_t)r == np->msg_size && fromlen == (int)sizeof(from) && from.sin_family == AF_INET &&
        from.sin_addr.s_addr == lwip_htonl(INADDR_LOOPBACK) && datagram_intact(np->rx_buf, seq, np->msg_size)) {
      np->received++;
    } else {
      np->corrupt++;
    }
  }
  task->exit_code = np->corrupt != 0;
  return TASK_EXITED;
}

static int
tcp_sender(struct task *task)
{
  struct netperf *np = (struct netperf *)task->arg;
  long r;
  if (np->tx_phase == 0) {
    struct sockaddr_in dst;
    int one = 1;
    r = u_socket(AF_INET, SOCK_STREAM, 0);
    if (r < 0) {
      return fail(task, np, r);
    }
    np->tx_fd = (int)r;
    loopback_addr(&dst, np->port);
    /* A blocking connect: the kernel drives the handshake over loopback
     * while it waits; the listener was set up by the receiver's first step. */
    r = u_connect(np->tx_fd, (const struct sockaddr *)&dst, (int)sizeof(dst));
    if (r == 0) {
      r = u_setsockopt(np->tx_fd, IPPROTO_TCP, TCP_NODELAY, &one, (int)sizeof(one));
    }
    if (r == 0) {
      r = u_fcntl(np->tx_fd, F_SETFL, O_NONBLOCK);
    }
    if (r == 0 && np->customized) {
      r = customize(np, NULL);
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    np->tx_phase = 1;
  }
  while (np->sent < np->total) {
    u32_t len = np->total - np->sent;
    u32_t k;
    if (len > np->msg_size) {
      len = np->msg_size;
    }
    for (k = 0; k < len; k++) {
      np->tx_buf[k] = netperf_pattern(np->sent + k);
    }
    r = measured_send(np, np->tx_buf, len, NULL);
    if (would_block(r)) {
      np->would_block++;
      return TASK_WAITING;
    }
    if (r <= 0) {
      return fail(task, np, r);
    }
    np->sent += (u32_t)r;
  }
  /* Everything is queued: closing sends the FIN behind the data. */
  r = uncustomize(np);
  if (r == 0) {
    r = u_close(np->tx_fd);
  }
  if (r < 0) {
    return fail(task, np, r);
  }
  task->exit_code = 0;
  return TASK_EXITED;
}

static int
tcp_receiver(struct task *task)
{
  struct netperf *np = (struct netperf *)task->arg;
  long r;
  if (np->rx_phase == 0) {
    struct sockaddr_in me;
    r = u_socket(AF_INET, SOCK_STREAM, 0);
    if (r < 0) {
      return fail(task, np, r);
    }
    np->listen_fd = (int)r;
    loopback_addr(&me, np->port);
    r = u_bind(np->listen_fd, (const struct sockaddr *)&me, (int)sizeof(me));
    if (r == 0) {
      r = u_listen(np->listen_fd, 1);
    }
    if (r == 0) {
      r = u_fcntl(np->listen_fd, F_SETFL, O_NONBLOCK);
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    np->rx_phase = 1;
  }
  if (np->rx_phase == 1) {
    r = u_accept(np->listen_fd, NULL, NULL);
    if (r == -EAGAIN) {
      return TASK_WAITING;
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    np->rx_fd = (int)r;
    r = u_fcntl(np->rx_fd, F_SETFL, O_NONBLOCK);
    if (r < 0) {
      return fail(task, np, r);
    }
    np->rx_phase = 2;
  }
  for (;;) {
    u32_t k;
    r = u_recvfrom(np->rx_fd, np->rx_buf, sizeof(np->rx_buf), 0, NULL, NULL);
    if (r == -EAGAIN) {
      return TASK_WAITING;
    }
    if (r < 0) {
      return fail(task, np, r);
    }
    if (r == 0) {
      np->eof = 1;
      break;
    }
    for (k = 0; k < (u32_t)r; k++) {
      u32_t at = np->received + np->corrupt;
      if (np->rx_buf[k] == netperf_pattern(at)) {
        np->received++;
      } else {
        np->corrupt++;
      }
    }
  }
  task->exit_code = (np->corrupt != 0 || np->received != np->total) ? 1 : 0;
  return TASK_EXITED;
}

int
netperf_start(struct netperf *np)
{
  task_step_fn receiver = np->type == SOCK_DGRAM ? udp_receiver : tcp_receiver;
  task_step_fn sender = np->type == SOCK_DGRAM ? udp_sender : tcp_sender;
  if (np->msg_size == 0 || np->msg_size > NETPERF_MAX_MSG) {
    return -EINVAL;
  }
  /* The receiver goes first, so it is bound (listening) before the
   * sender's first step. */
  if (task_create("netperf-rx", receiver, np) == NULL || task_create("netperf-tx", sender, np) == NULL) {
    return -ENOMEM;
  }
  return 0;
}
