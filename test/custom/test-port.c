/* The test devices' shared commands (test-port.h). */
#include "test-port.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


bsp_u8 test_buf[2][TEST_BUF];
bsp_u8 *test_queue[TEST_QUEUE];
bsp_u32 test_queue_len[TEST_QUEUE], test_queued;

void hex_out(const char *prefix, const bsp_u8 *p, bsp_u32 n) {
  bsp_u32 i;
  printf("%s", prefix);
  for (i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

bsp_u32 hex_in(const char *s, bsp_u8 *out, bsp_u32 max) {
  bsp_u32 n = 0;
  unsigned b;
  if (!s || !strcmp(s, "-")) return 0;
  while (n < max && sscanf(s + 2 * n, "%2x", &b) == 1) out[n++] = (bsp_u8)b;
  return n;
}

static const char *STATES[] = {"free", "pending", "ready", "failed", "stale"};

static void dump_cache(void) {
  int i;
  bsp_u32 code = 0;
  for (i = 0; i < BSP_CACHE_MAX; i++) {
    struct bsp_version *v = &bsp_cache[i];
    if (v->state == BSP_FREE) continue;
    printf("v %d %s call=%d refs=%d size=%u guards=%d\n", i, STATES[v->state], v->call, v->refs, v->size, v->nguards);
    code += v->size;
  }
  printf("code %u\n", code);
}

int test_port_command(char **words, int n) {
  bsp_u32 len;
  if (!strcmp(words[0], "deliver")) {
    len = hex_in(words[1], test_buf[0], TEST_BUF);
    printf("ret %d\n", bsp_chan_deliver(test_buf[0], len));
  } else if (!strcmp(words[0], "queue") && test_queued < TEST_QUEUE) {
    len = hex_in(words[1], test_buf[0], TEST_BUF);
    test_queue[test_queued] = malloc(len);
    memcpy(test_queue[test_queued], test_buf[0], len);
    test_queue_len[test_queued++] = len;
  } else if (!strcmp(words[0], "poll-channel")) {
    while (bsp_chan_poll());
  } else if (!strcmp(words[0], "config") && n == 6) {
    bsp_config.capacity = (bsp_u8)atoi(words[1]);
    bsp_config.max_versions = (bsp_u8)atoi(words[2]);
    bsp_config.rerequest = (bsp_u8)atoi(words[4]);
    bsp_config.wait = atoi(words[3]) ? (bsp_u32)atoi(words[5]) : 0; /* wait, up to this many polls */
  } else if (!strcmp(words[0], "cache")) {
    dump_cache();
  } else if (!strcmp(words[0], "sha")) {
    len = hex_in(words[1], test_buf[0], TEST_BUF);
    bsp_sha256(test_buf[0], len / 2, test_buf[0] + len / 2, len - len / 2, test_buf[1]);
    hex_out("digest ", test_buf[1], 32);
  } else if (!strcmp(words[0], "hmac")) {
    bsp_u32 klen = hex_in(words[1], test_buf[1], 1024);
    len = hex_in(words[2], test_buf[0], TEST_BUF);
    bsp_hmac_sha256(test_buf[1], klen, test_buf[0], len, test_buf[1] + 1024);
    hex_out("tag ", test_buf[1] + 1024, 32);
  } else {
    return 0;
  }
  return 1;
}

int test_command_loop(int (*command)(char **words, int n)) {
  static char line[2 * TEST_BUF + 256];
  char *words[8];
  int n;
  setvbuf(stdout, 0, _IOFBF, 1 << 16);
  while (fgets(line, sizeof line, stdin)) {
    for (n = 0, words[0] = strtok(line, " \n"); words[n] && n < 7; words[++n] = strtok(0, " \n"));
    if (n && !test_port_command(words, n) && !command(words, n)) printf("unknown command %s\n", words[0]);
    printf(".\n");
    fflush(stdout);
  }
  return 0;
}
