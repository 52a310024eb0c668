/* Test device over the real firmware: the kernel (firmware/kernel/, with its
 * customization port), lwIP and the customization subsystem, driven by line
 * commands (test-port.c). "poll" prints every IP packet waiting in a
 * loopback queue as "packet HEX", then lets the stack deliver them;
 * customized code compiled in the test
 * calls test_mark() first, printed as "custom". Console output goes to
 * stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bsp.h"
#include "file.h"
#include "kernel.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net.h"
#include "socket.h"
#include "syscall.h"
#include "task.h"
#include "test-port.h"

static u32_t now_ms;

void board_console_write(const char *s, size_t n) { fwrite(s, 1, n, stderr); }
int board_console_getc(void) { return -1; }
u32_t board_time_ms(void) { return now_ms; }
void board_sleep_ms(u32_t ms) { now_ms += ms; }
int board_counters(u32_t *cycles, u32_t *instret) {
  (void)cycles;
  (void)instret;
  return 0;
}
void board_exit(int status) { exit(status); }

void test_mark(void) { printf("custom\n"); }

/* The packets queued on each loopback interface, whole, in order. */
static void capture(void) {
  struct netif *netif;
  struct pbuf *p;
  NETIF_FOREACH(netif) {
    for (p = netif->loop_first; p != NULL; p = p->next) {
      pbuf_copy_partial(p, test_buf[1], p->tot_len, 0);
      hex_out("packet ", test_buf[1], p->tot_len);
      while (p->len != p->tot_len) p = p->next; /* the last pbuf of this packet */
    }
  }
}

/* What customized code may link against (the firmware build generates the
 * full table; the tests need these). */
const struct bsp_export bsp_exports[] = {
  {"inet_dgram_ops", (void *)&inet_dgram_ops},
  {"inet_stream_ops", (void *)&inet_stream_ops},
  {"net_gen", &net_gen},
  {"test_mark", (void *)test_mark},
};
const bsp_u32 bsp_nexports = 4;
const bsp_u8 bsp_build_id[BSP_BUILD_ID] = {'T', 'E', 'S', 'T', 'B', 'L', 'D', '1'};
const bsp_u8 bsp_device_key[32] = {0x0b, 0x1e, 0x57, 0x9a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
                                   0xdd, 0xee, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

static int idle_step(struct task *task) {
  (void)task;
  return TASK_WAITING;
}

static struct sockaddr_in *loopback(const char *port, struct sockaddr_in *sin) {
  if (!port || !strcmp(port, "-")) return NULL;
  memset(sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_port = lwip_htons((u16_t)atoi(port));
  sin->sin_addr.s_addr = lwip_htonl(INADDR_LOOPBACK);
  return sin;
}

static void payload(bsp_u8 *p, int len) {
  int i;
  for (i = 0; i < len; i++) p[i] = (bsp_u8)(i * 7 + len);
}

static int command(char **words, int n) {
  int a = n > 1 ? atoi(words[1]) : 0, b = n > 2 ? atoi(words[2]) : 0, c = n > 3 ? atoi(words[3]) : 0;
  struct sockaddr_in sin, *to;
  bsp_u8 *buf = test_buf[0];
  long r;
  if (!strcmp(words[0], "task")) {
    current = task_slot(a);
  } else if (!strcmp(words[0], "udp") || !strcmp(words[0], "tcp")) {
    printf("ret %ld\n", sys_socket(AF_INET, words[0][0] == 'u' ? SOCK_DGRAM : SOCK_STREAM, 0));
  } else if (!strcmp(words[0], "bind") || !strcmp(words[0], "connect")) {
    to = loopback(words[2], &sin);
    printf("ret %ld\n", words[0][0] == 'b' ? sys_bind(a, (struct sockaddr *)to, sizeof sin) : sys_connect(a, (struct sockaddr *)to, sizeof sin));
  } else if (!strcmp(words[0], "listen")) {
    printf("ret %ld\n", sys_listen(a, 4));
  } else if (!strcmp(words[0], "accept")) {
    printf("ret %ld\n", sys_accept(a, NULL, NULL));
  } else if (!strcmp(words[0], "ttl")) {
    printf("ret %ld\n", sys_setsockopt(a, IPPROTO_IP, IP_TTL, &b, sizeof b));
  } else if (!strcmp(words[0], "nonblock")) {
    printf("ret %ld\n", sys_fcntl(a, F_SETFL, O_NONBLOCK));
  } else if (!strcmp(words[0], "close")) {
    printf("ret %ld\n", sys_close(a));
  } else if (!strcmp(words[0], "customize") && n == 5) {
    to = loopback(words[4], &sin);
    printf("ret %ld\n", sys_specialize(BSP_OP_CUSTOMIZE, a, b, c, (long)to, to ? sizeof sin : 0, 0));
  } else if (!strcmp(words[0], "call") && n == 3) {
    payload(buf, b);
    printf("ret %ld\n", sys_specialize(BSP_OP_CALL, a, (long)buf, b, 0, 0, 0));
  } else if (!strcmp(words[0], "generic") && n == 6) {
    to = loopback(words[4], &sin);
    payload(buf, atoi(words[5]));
    r = a == BSP_CALL_SEND ? sys_send(b, buf, atoi(words[5]), c) : sys_sendto(b, buf, atoi(words[5]), c, (struct sockaddr *)to, to ? sizeof sin : 0);
    printf("ret %ld\n", r);
  } else if (!strcmp(words[0], "cancel")) {
    printf("ret %ld\n", sys_specialize(BSP_OP_CANCEL, a, 0, 0, 0, 0, 0));
  } else if (!strcmp(words[0], "recv")) {
    r = sys_recvfrom(a, buf, TEST_BUF, MSG_DONTWAIT, NULL, NULL);
    if (r > 0) hex_out("data ", buf, (bsp_u32)r);
    printf("ret %ld\n", r);
  } else if (!strcmp(words[0], "key")) {
    printf("key %llx\n", (unsigned long long)(bsp_uptr)bsp_device_key);
  } else if (!strcmp(words[0], "poll")) {
    capture();
    /* 1 s of virtual time: TCP's delayed ACKs (250 ms) go out too */
    for (a = 0; a < 20; a++) {
      for (b = 0; b < 100 && kernel_poll(); b++);
      board_sleep_ms(50);
    }
  } else {
    return 0;
  }
  return 1;
}

int main(void) {
  if (kernel_init() != 0) return 1;
  task_create("t0", idle_step, NULL);
  task_create("t1", idle_step, NULL);
  current = task_slot(0);
  return test_command_loop(command);
}
