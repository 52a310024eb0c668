/*
 * Self tests, run on every build of the firmware (the arm board under the
 * VM, the native host build, and the host build under ASan/UBSan):
 *
 *   udp_stream_64    1000 datagrams of 64 B over loopback, all intact
 *   udp_stream_1024  1000 datagrams of 1024 B
 *   tcp_stream       64 KiB over a loopback TCP connection, intact, in order
 *   socket_api       errors, options, fcntl, and the generation counters
 *                    that guard customized code
 *   udp_stream_64_customized, tcp_stream_customized
 *                    the streams again, sent through customization tokens
 *                    (builds with the customization subsystem)
 *
 * Output: one "test NAME: ok|FAIL ..." line per test, "measure ..." lines
 * with the cost of the generic send path (boards with counters only), and
 * a summary line "selftest: N passed, M failed".
 */
#include "selftest.h"

#include <string.h>

#include "lwip/def.h"
#include "lwip/netif.h"
#include "lwip/udp.h"
#include "lwip/tcp.h"

#include "errno.h"
#include "file.h"
#include "kernel.h"
#include "net.h"
#include "netperf.h"
#include "socket.h"
#include "syscall.h"
#include "task.h"
#include "usys.h"

/* Board time one test may take (virtual on every board). */
#define SELFTEST_BUDGET_MS 600000u

static struct netperf np;

static void
report_measure(const char *name)
{
  u32_t c, i;
  if (np.measured.calls == 0) {
    return;
  }
  netperf_counter_overhead(&c, &i);
  printk("measure %s: calls=%u cycles=%u instret=%u overhead_cycles=%u overhead_instret=%u\n", name,
         np.measured.calls, np.measured.cycles, np.measured.instret, c, i);
}

static int
run_stream(const char *name, int type, u32_t msg_size, u32_t total, int customized)
{
  int err;
  int ok;
  memset(&np, 0, sizeof(np));
  np.type = type;
  np.port = 5001;
  np.msg_size = msg_size;
  np.total = total;
  np.customized = customized;
  err = netperf_start(&np);
  if (err == 0) {
    err = sched_run(SELFTEST_BUDGET_MS);
  }
  sched_reset();
  if (type == SOCK_DGRAM) {
    ok = err == 0 && np.error == 0 && np.sent == total && np.received == total && np.corrupt == 0;
    printk("test %s: %s (%u/%u datagrams of %u B intact, %u corrupt, %u retries, sched %d, error %d)\n", name,
           ok ? "ok" : "FAIL", np.received, total, msg_size, np.corrupt, np.would_block, err, np.error);
  } else {
    ok = err == 0 && np.error == 0 && np.sent == total && np.received == total && np.corrupt == 0 && np.eof;
    printk("test %s: %s (%u/%u bytes intact, %u corrupt, eof %d, %u retries, sched %d, error %d)\n", name,
           ok ? "ok" : "FAIL", np.received, total, np.corrupt, np.eof, np.would_block, err, np.error);
  }
  report_measure(name);
  return ok;
}

/* socket_api: checks that print what failed and count failures. */
static int api_failures;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      printk("  check failed: %s (selftest.c:%d)\n", #cond, __LINE__); \
      api_failures++;                                                 \
    }                                                                 \
  } while (0)

static void
loopback(struct sockaddr_in *sin, u16_t port)
{
  memset(sin, 0, sizeof(*sin));
  sin->sin_family = AF_INET;
  sin->sin_port = lwip_htons(port);
  sin->sin_addr.s_addr = lwip_htonl(INADDR_LOOPBACK);
}

static int
get_int(int fd, int level, int name)
{
  int value = -1;
  int len = (int)sizeof(value);
  long r = u_getsockopt(fd, level, name, &value, &len);
  return r == 0 && len == (int)sizeof(value) ? value : -1000 + (int)r;
}

static long
set_int(int fd, int level, int name, int value)
{
  return u_setsockopt(fd, level, name, &value, (int)sizeof(value));
}

static void
api_errors(void)
{
  struct sockaddr_in dst;
  char big[64];
  long fd;
  loopback(&dst, 9);
  CHECK(u_close(99) == -EBADF);
  CHECK(u_close(-1) == -EBADF);
  CHECK(u_sendto(5, "x", 1, 0, (struct sockaddr *)&dst, (int)sizeof(dst)) == -EBADF);
  CHECK(system_call(999, 0, 0, 0, 0, 0, 0) == -ENOSYS);
  CHECK(u_socket(AF_INET + 1, SOCK_DGRAM, 0) == -EAFNOSUPPORT);
  CHECK(u_socket(AF_INET, 99, 0) == -ESOCKTNOSUPPORT);
  CHECK(u_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP) == -EPROTONOSUPPORT);

  fd = u_socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  CHECK(u_sendto((int)fd, "x", 1, 0, NULL, 0) == -EDESTADDRREQ);
  memset(big, 0, sizeof(big));
  memcpy(big, &dst, sizeof(dst));
  CHECK(u_sendto((int)fd, "x", 1, 0, (struct sockaddr *)big, (int)sizeof(big)) == -EINVAL);
  CHECK(u_sendto((int)fd, "x", 1, 0, (struct sockaddr *)&dst, 4) == -EINVAL);
  CHECK(set_int((int)fd, IPPROTO_IP, IP_TTL, 0) == -EINVAL);
  CHECK(set_int((int)fd, IPPROTO_IP, 77, 1) == -ENOPROTOOPT);
  CHECK(set_int((int)fd, IPPROTO_TCP, TCP_NODELAY, 1) == -ENOPROTOOPT);
  CHECK(u_fcntl((int)fd, 99, 0) == -EINVAL);
  CHECK(u_listen((int)fd, 1) == -EOPNOTSUPP);
  CHECK(u_close((int)fd) == 0);
  CHECK(u_close((int)fd) == -EBADF);
}

static void
api_udp_options_and_guards(void)
{
  struct socket *sock;
  struct sockaddr_in me, from;
  char buf[8];
  int fromlen = (int)sizeof(from);
  int err;
  u32_t gen, fgen, fdgen;
  long fd = u_socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  if (fd < 0) {
    return;
  }
  sock = sockfd_lookup((int)fd, &err);
  CHECK(sock != NULL);
  if (sock == NULL) {
    return;
  }

  gen = sock->gen;
  CHECK(set_int((int)fd, IPPROTO_IP, IP_TTL, 17) == 0);
  CHECK(get_int((int)fd, IPPROTO_IP, IP_TTL) == 17);
  CHECK(sock->pcb.udp->ttl == 17);
  CHECK(sock->gen != gen);

  gen = sock->gen;
  CHECK(set_int((int)fd, IPPROTO_IP, IP_TOS, 0x10) == 0);
  CHECK(get_int((int)fd, IPPROTO_IP, IP_TOS) == 0x10);
  CHECK(sock->gen != gen);

  gen = sock->gen;
  CHECK(get_int((int)fd, SOL_SOCKET, SO_BROADCAST) == 0);
  CHECK(set_int((int)fd, SOL_SOCKET, SO_BROADCAST, 1) == 0);
  CHECK(get_int((int)fd, SOL_SOCKET, SO_BROADCAST) == 1);
  CHECK(ip_get_option(sock->pcb.udp, SOF_BROADCAST) != 0);
  CHECK(sock->gen != gen);

  gen = sock->gen;
  CHECK(set_int((int)fd, SOL_SOCKET, SO_NO_CHECK, 1) == 0);
  CHECK(get_int((int)fd, SOL_SOCKET, SO_NO_CHECK) == 1);
  CHECK((udp_flags(sock->pcb.udp) & UDP_FLAGS_NOCHKSUM) != 0);
  CHECK(sock->gen != gen);
  CHECK(get_int((int)fd, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM);

  /* A failed setsockopt changes nothing, so it must not bump the guard. */
  gen = sock->gen;
  CHECK(set_int((int)fd, IPPROTO_IP, IP_TTL, 300) == -EINVAL);
  CHECK(sock->gen == gen);

  /* Blocking, with nothing in flight: nothing could ever arrive, so the
   * call returns instead of hanging. */
  CHECK(u_recvfrom((int)fd, buf, sizeof(buf), 0, NULL, NULL) == -EAGAIN);

  /* fcntl(O_NONBLOCK): Figure 2's test reads f_flags, so it is guarded. */
  fgen = sock->file->f_gen;
  CHECK((u_fcntl((int)fd, F_GETFL, 0) & O_NONBLOCK) == 0);
  CHECK(u_fcntl((int)fd, F_SETFL, O_NONBLOCK) == 0);
  CHECK((u_fcntl((int)fd, F_GETFL, 0) & O_NONBLOCK) != 0);
  CHECK(sock->file->f_gen != fgen);
  CHECK(u_recvfrom((int)fd, buf, sizeof(buf), 0, NULL, NULL) == -EAGAIN);

  /* bind and connect to ourselves; send() needs the connection. */
  gen = sock->gen;
  loopback(&me, 7007);
  CHECK(u_bind((int)fd, (struct sockaddr *)&me, (int)sizeof(me)) == 0);
  CHECK(sock->gen != gen);
  gen = sock->gen;
  CHECK(u_connect((int)fd, (struct sockaddr *)&me, (int)sizeof(me)) == 0);
  CHECK(sock->gen != gen);
  CHECK(u_send((int)fd, "hello", 5, 0) == 5);
  net_poll();
  memset(buf, 0, sizeof(buf));
  CHECK(u_recvfrom((int)fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen) == 5);
  CHECK(memcmp(buf, "hello", 5) == 0);
  CHECK(fromlen == (int)sizeof(from) && from.sin_port == lwip_htons(7007));

  /* A truncated datagram reports its full length with MSG_TRUNC. */
  CHECK(u_send((int)fd, "0123456789", 10, 0) == 10);
  net_poll();
  CHECK(u_recvfrom((int)fd, buf, 4, MSG_TRUNC, NULL, NULL) == 10);
  CHECK(memcmp(buf, "0123", 4) == 0);

  /* Blocking again: recvfrom drives the loopback delivery itself. */
  CHECK(u_fcntl((int)fd, F_SETFL, 0) == 0);
  CHECK(u_send((int)fd, "again", 5, 0) == 5);
  CHECK(u_recvfrom((int)fd, buf, sizeof(buf), 0, NULL, NULL) == 5);
  CHECK(memcmp(buf, "again", 5) == 0);

  /* close, then reuse of the same descriptor number: every guard moves. */
  gen = sock->gen;
  fgen = sock->file->f_gen;
  fdgen = current->fd_gen[fd];
  CHECK(u_close((int)fd) == 0);
  CHECK(sock->gen != gen);
  CHECK(current->fd_gen[fd] != fdgen);
  fdgen = current->fd_gen[fd];
  CHECK(u_socket(AF_INET, SOCK_DGRAM, 0) == fd);
  CHECK(current->fd_gen[fd] != fdgen);
  CHECK(sockfd_lookup((int)fd, &err) != NULL && sockfd_lookup((int)fd, &err)->gen != gen);
  CHECK(fget(current, (int)fd) != NULL && fget(current, (int)fd)->f_gen != fgen);
  CHECK(u_close((int)fd) == 0);
}

static void
api_tcp(void)
{
  struct sockaddr_in dst;
  long fd = u_socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  if (fd < 0) {
    return;
  }
  CHECK(get_int((int)fd, IPPROTO_TCP, TCP_NODELAY) == 0);
  CHECK(set_int((int)fd, IPPROTO_TCP, TCP_NODELAY, 1) == 0);
  CHECK(get_int((int)fd, IPPROTO_TCP, TCP_NODELAY) == 1);
  CHECK(set_int((int)fd, IPPROTO_IP, IP_TTL, 9) == 0);
  CHECK(get_int((int)fd, IPPROTO_IP, IP_TTL) == 9);
  CHECK(get_int((int)fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM);
  CHECK(u_send((int)fd, "x", 1, 0) == -ENOTCONN);
  /* Nobody listens on this port: the loopback RST refuses the connection. */
  loopback(&dst, 9);
  CHECK(u_connect((int)fd, (struct sockaddr *)&dst, (int)sizeof(dst)) == -ECONNREFUSED);
  CHECK(u_close((int)fd) == 0);
}

static void
api_netif_guard(void)
{
  struct netif *netif;
  u32_t gen = net_gen;
  NETIF_FOREACH(netif) {
    if (netif_is_up(netif)) {
      netif_set_down(netif);
      netif_set_up(netif);
      break;
    }
  }
  CHECK(net_gen - gen >= 2);
}

static int
api_step(struct task *task)
{
  api_failures = 0;
  api_errors();
  api_udp_options_and_guards();
  api_tcp();
  api_netif_guard();
  task->exit_code = api_failures;
  return TASK_EXITED;
}

static int
run_api(void)
{
  int err = task_create("socket-api", api_step, NULL) != NULL ? sched_run(SELFTEST_BUDGET_MS) : -ENOMEM;
  int ok = err == 0 && api_failures == 0;
  sched_reset();
  printk("test socket_api: %s (%d failed checks, sched %d)\n", ok ? "ok" : "FAIL", api_failures, err);
  return ok;
}

static int
selected(const char *only, const char *name)
{
  return only == NULL || strcmp(only, name) == 0;
}

int
selftest_run(const char *only)
{
  int passed = 0;
  int total = 0;
  if (selected(only, "udp_stream_64")) {
    total++, passed += run_stream("udp_stream_64", SOCK_DGRAM, 64, 1000, 0);
  }
  if (selected(only, "udp_stream_1024")) {
    total++, passed += run_stream("udp_stream_1024", SOCK_DGRAM, 1024, 1000, 0);
  }
  if (selected(only, "tcp_stream")) {
    total++, passed += run_stream("tcp_stream", SOCK_STREAM, 1024, 65536, 0);
  }
#ifdef BESPOKE_CUSTOM
  /* The same streams through customization tokens: whether or not a
   * server answers, every byte must arrive intact. */
  if (selected(only, "udp_stream_64_customized")) {
    total++, passed += run_stream("udp_stream_64_customized", SOCK_DGRAM, 64, 1000, 1);
  }
  if (selected(only, "tcp_stream_customized")) {
    total++, passed += run_stream("tcp_stream_customized", SOCK_STREAM, 1024, 65536, 1);
  }
#endif
  if (selected(only, "socket_api")) {
    total++, passed += run_api();
  }
  if (total == 0) {
    printk("selftest: no test named %s\n", only);
    return 1;
  }
  printk("selftest: %d passed, %d failed\n", passed, total - passed);
  return total - passed;
}
