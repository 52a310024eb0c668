/*
 * End-to-end commands (console: "e2e ..."): what a device host needs to
 * drive the customization interface on the real kernel and lwIP and to see
 * what goes on the wire. Every packet queued on a loopback interface is
 * captured whole before the stack delivers it, and hashed with each call's
 * return value (two 32-bit FNV-1a lanes over length + bytes, in order: cheap
 * on the board; runs that differ in any byte collide with probability about
 * 2^-64), so runs from the same state compare without printing megabytes.
 * Each send is counted with the board's instruction counter.
 *
 * From the first command on, board time does not depend on how fast the
 * code runs (board_steady_time; `e2e clock cycles` turns that off): it advances by E2E_TICK_US after each send
 * and by what the stack sleeps when it waits (a send blocked on the window,
 * say), so TCP's timers (delayed ACKs, window updates, coalescing) fire at
 * the same points of a generic and a customized run however many cycles
 * their calls take, and their segments compare whatever the code's speed.
 *
 * A PORT is a port on 127.0.0.1, or ADDR:PORT with ADDR any dotted 127.x.y.z
 * address (routed to the loopback interface, so captured; the stack accepts
 * on input only 127.0.0.1's); FLAGS are sendto's flags (default 0).
 *
 *   e2e udp PORT            sender socket, and a receiver bound to 127.0.0.1:PORT -> ret FD
 *   e2e tcp PORT            connected TCP pair over loopback -> ret FD (the sender)
 *   e2e customize FD PORT [FLAGS]   do_customize_sendto(FD, FLAGS, 127.0.0.1:PORT) (PORT - : do_customize_send) -> ret TOKEN
 *   e2e wait TOKEN [POLLS]  serve the channel until the token's version is loaded or failed, or POLLS polls -> state NAME
 *   e2e send g|c N SIZE FD|TOKEN PORT [FLAGS]   N sends of SIZE bytes, generic (sys_sendto/sys_send with FLAGS) or customized
 *   e2e opt FD tos|nocheck|nodelay|nonblock V   IP_TOS, SO_NO_CHECK, TCP_NODELAY, or fcntl O_NONBLOCK (V 0/1) -> ret R
 *   e2e ttl FD V | e2e close FD | e2e connect FD PORT | e2e cancel TOKEN   -> ret R
 *   e2e slow N              spin N loop iterations before each customized send (outside the counted call) -> ret N
 *   e2e clock steady|cycles board time steady (the default from the first command) or counting cycles -> ret 0
 */
#ifdef BESPOKE_CUSTOM

#include <stdlib.h>
#include <string.h>

#include "bsp.h"
#include "errno.h"
#include "port.h"
#include "file.h"
#include "kernel.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net.h"
#include "socket.h"
#include "syscall.h"
#include "task.h"

#define E2E_MAX_MSG 2048
#define E2E_WAIT_POLLS 200000
/* Board time between two sends of `e2e send` (an application sending a
 * message every millisecond). */
#define E2E_TICK_US 1000

/* Extra instructions run before each customized send, outside the counted
 * call (e2e slow): a test's way to make the customized path slower. */
static u32_t extra_spin;

static u8_t tx[E2E_MAX_MSG] __attribute__((aligned(4)));
static u8_t rx[E2E_MAX_MSG] __attribute__((aligned(4)));
static u8_t pkt[E2E_MAX_MSG + 64];
static int rx_fd = -1;

static int
idle_step(struct task *task)
{
  (void)task;
  return TASK_WAITING;
}

/* The commands run as one task of their own. */
static void
enter_task(void)
{
  static struct task *self;
  if (self == NULL) {
    self = task_create("e2e", idle_step, NULL);
    board_steady_time(1);
  }
  current = self;
}

/* "PORT" (on 127.0.0.1) or "A.B.C.D:PORT"; "-": no address. */
static struct sockaddr_in *
loopback(const char *port, struct sockaddr_in *sin)
{
  u32_t addr = INADDR_LOOPBACK;
  const char *colon;
  if (port == NULL || strcmp(port, "-") == 0) {
    return NULL;
  }
  colon = strchr(port, ':');
  if (colon != NULL) {
    const char *p = port;
    int i;
    addr = 0;
    for (i = 0; i < 4; i++) {
      addr = (addr << 8) | ((u32_t)atoi(p) & 0xffu);
      while (p < colon && *p != '.') {
        p++;
      }
      p++;
    }
    port = colon + 1;
  }
  memset(sin, 0, sizeof(*sin));
  sin->sin_family = AF_INET;
  sin->sin_port = lwip_htons((u16_t)atoi(port));
  sin->sin_addr.s_addr = lwip_htonl(addr);
  return sin;
}

/* A socket option or file flag by its e2e name. */
static long
set_option(int fd, const char *name, int v)
{
  if (strcmp(name, "tos") == 0) {
    return sys_setsockopt(fd, IPPROTO_IP, IP_TOS, &v, sizeof(v));
  }
  if (strcmp(name, "nocheck") == 0) {
    return sys_setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &v, sizeof(v));
  }
  if (strcmp(name, "nodelay") == 0) {
    return sys_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
  }
  if (strcmp(name, "nonblock") == 0) {
    return sys_fcntl(fd, F_SETFL, v ? O_NONBLOCK : 0);
  }
  return -EINVAL;
}

struct digest {
  u32_t a, b;
};

static void
digest_update(struct digest *h, const void *data, u32_t len)
{
  const u8_t *p = (const u8_t *)data;
  u32_t i;
  for (i = 0; i < len; i++) {
    h->a = (h->a ^ p[i]) * 16777619u;
    h->b = (h->b ^ p[i] ^ 0x5au) * 16777619u;
  }
}

/* Hash what the loopback queues hold, packet by packet. */
static u32_t
capture(struct digest *h, u32_t *bytes)
{
  struct netif *netif;
  struct pbuf *p;
  u32_t n = 0;
  NETIF_FOREACH(netif) {
    for (p = netif->loop_first; p != NULL; p = p->next) {
      u32_t len = p->tot_len;
      if (len > sizeof(pkt)) {
        len = sizeof(pkt);
      }
      pbuf_copy_partial(p, pkt, (u16_t)len, 0);
      digest_update(h, &len, 4);
      digest_update(h, pkt, len);
      *bytes += len;
      n++;
      while (p->len != p->tot_len) {
        p = p->next; /* the last pbuf of this packet */
      }
    }
  }
  return n;
}

/* Let the stack deliver, and read what reached the receiver. */
static void
drain(void)
{
  int i;
  for (i = 0; i < 100 && kernel_poll(); i++) {
    while (rx_fd >= 0 && sys_recvfrom(rx_fd, rx, sizeof(rx), MSG_DONTWAIT, NULL, NULL) >= 0) {
    }
  }
  while (rx_fd >= 0 && sys_recvfrom(rx_fd, rx, sizeof(rx), MSG_DONTWAIT, NULL, NULL) >= 0) {
  }
}

static const char *
state_name(int token)
{
  static const char *const names[] = {"free", "pending", "ready", "failed", "stale"};
  int task = bsp_port_task();
  struct bsp_slot *s;
  if (token < 1 || token > BSP_TOKENS || !(s = &bsp_slots[task][token - 1])->used) {
    return "notoken";
  }
  if (s->version == NULL || s->version->serial != s->serial) {
    return "generic";
  }
  return names[s->version->state];
}

static void
wait_version(int token, u32_t polls)
{
  u32_t n;
  const char *state = state_name(token);
  for (n = 0; n < polls && strcmp(state, "pending") == 0; n++) {
    if (!bsp_chan_poll()) {
      bsp_port_idle();
    }
    state = state_name(token);
  }
  printk("state %s\n", state);
}

static void
send_many(int custom, u32_t count, u32_t size, int target, const char *port, unsigned flags)
{
  struct sockaddr_in sin;
  struct sockaddr_in *to = loopback(port, &sin);
  struct digest h = {2166136261u, 0x811c9dc5u ^ 0x9e3779b9u};
  u32_t i, k, ok = 0, packets = 0, bytes = 0;
  u32_t c0, c1, i0, i1, spent = 0, least = 0xffffffffu;
  long r, first = 0;
  if (size > E2E_MAX_MSG) {
    printk("error size\n");
    return;
  }
  for (i = 0; i < count; i++) {
    for (k = 0; k < size; k++) {
      tx[k] = (u8_t)(i * 7 + k * 13 + size);
    }
    if (custom) {
      volatile u32_t spin;
      for (spin = 0; spin < extra_spin; spin++) {
      }
    }
    board_counters(&c0, &i0);
    if (custom) {
      r = customized_sendto(target, tx, size);
    } else if (to != NULL) {
      r = sys_sendto(target, tx, size, flags, (struct sockaddr *)to, sizeof(sin));
    } else {
      r = sys_send(target, tx, size, flags);
    }
    board_counters(&c1, &i1);
    if (i == 0) {
      first = r;
    }
    if (r == (long)size) {
      ok++;
    }
    digest_update(&h, &r, sizeof(r));
    spent += i1 - i0;
    if (i1 - i0 < least) {
      least = i1 - i0;
    }
    packets += capture(&h, &bytes);
    drain();
    board_tick_us(E2E_TICK_US);
  }
  printk("sent %u ok %u first %ld packets %u bytes %u instret %u least %u digest %08x%08x\n", count, ok, first, packets, bytes, count ? spent / count : 0, least, h.a, h.b);
}

/* A connected TCP pair: the receiver end is drained like a UDP receiver. */
static long
tcp_pair(const char *port)
{
  struct sockaddr_in sin;
  long lfd, fd, afd;
  int i;
  lfd = sys_socket(AF_INET, SOCK_STREAM, 0);
  fd = sys_socket(AF_INET, SOCK_STREAM, 0);
  if (lfd < 0 || fd < 0 || sys_bind((int)lfd, (struct sockaddr *)loopback(port, &sin), sizeof(sin)) < 0 || sys_listen((int)lfd, 1) < 0) {
    return -EINVAL;
  }
  sys_fcntl((int)fd, F_SETFL, O_NONBLOCK);
  sys_connect((int)fd, (struct sockaddr *)loopback(port, &sin), sizeof(sin));
  for (i = 0; i < 100; i++) {
    kernel_poll();
  }
  sys_fcntl((int)lfd, F_SETFL, O_NONBLOCK);
  afd = sys_accept((int)lfd, NULL, NULL);
  if (afd < 0) {
    return afd;
  }
  sys_fcntl((int)fd, F_SETFL, 0);
  rx_fd = (int)afd;
  return fd;
}

int
e2e_command(char *line)
{
  char *w[8];
  int n = 0;
  struct sockaddr_in sin;
  long r;
  if (strncmp(line, "e2e ", 4) != 0) {
    return 0;
  }
  enter_task();
  for (line += 4; n < 8 && *line != '\0'; n++) {
    w[n] = line;
    while (*line != '\0' && *line != ' ') {
      line++;
    }
    while (*line == ' ') {
      *line++ = '\0';
    }
  }
  if (n == 2 && strcmp(w[0], "udp") == 0) {
    rx_fd = (int)sys_socket(AF_INET, SOCK_DGRAM, 0);
    r = sys_bind(rx_fd, (struct sockaddr *)loopback(w[1], &sin), sizeof(sin));
    printk("ret %ld\n", r < 0 ? r : sys_socket(AF_INET, SOCK_DGRAM, 0));
  } else if (n == 2 && strcmp(w[0], "tcp") == 0) {
    printk("ret %ld\n", tcp_pair(w[1]));
  } else if ((n == 3 || n == 4) && strcmp(w[0], "customize") == 0) {
    struct sockaddr_in *to = loopback(w[2], &sin);
    unsigned flags = n == 4 ? (unsigned)atoi(w[3]) : 0;
    printk("ret %d\n", to != NULL ? do_customize_sendto(atoi(w[1]), flags, to, sizeof(sin)) : do_customize_send(atoi(w[1]), flags));
  } else if ((n == 2 || n == 3) && strcmp(w[0], "wait") == 0) {
    wait_version(atoi(w[1]), n == 3 ? (u32_t)atoi(w[2]) : E2E_WAIT_POLLS);
  } else if (n == 2 && strcmp(w[0], "state") == 0) {
    printk("state %s\n", state_name(atoi(w[1])));
  } else if ((n == 6 || n == 7) && strcmp(w[0], "send") == 0) {
    send_many(w[1][0] == 'c', (u32_t)atoi(w[2]), (u32_t)atoi(w[3]), atoi(w[4]), w[5], n == 7 ? (unsigned)atoi(w[6]) : 0);
  } else if (n == 4 && strcmp(w[0], "opt") == 0) {
    printk("ret %ld\n", set_option(atoi(w[1]), w[2], atoi(w[3])));
  } else if (n == 3 && strcmp(w[0], "ttl") == 0) {
    int v = atoi(w[2]);
    printk("ret %ld\n", sys_setsockopt(atoi(w[1]), IPPROTO_IP, IP_TTL, &v, sizeof(v)));
  } else if (n == 3 && strcmp(w[0], "connect") == 0) {
    printk("ret %ld\n", sys_connect(atoi(w[1]), (struct sockaddr *)loopback(w[2], &sin), sizeof(sin)));
  } else if (n == 2 && strcmp(w[0], "close") == 0) {
    printk("ret %ld\n", sys_close(atoi(w[1])));
  } else if (n == 2 && strcmp(w[0], "clock") == 0 && (strcmp(w[1], "steady") == 0 || strcmp(w[1], "cycles") == 0)) {
    board_steady_time(w[1][0] == 's');
    printk("ret 0\n");
  } else if (n == 2 && strcmp(w[0], "slow") == 0) {
    extra_spin = (u32_t)atoi(w[1]);
    printk("ret %u\n", extra_spin);
  } else if (n == 2 && strcmp(w[0], "cancel") == 0) {
    printk("ret %d\n", cancel_customize(atoi(w[1])));
  } else {
    printk("error usage\n");
  }
  return 1;
}

#endif
