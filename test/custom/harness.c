/* Test device for the customization subsystem (firmware/custom/): a small
 * fake kernel (tasks, fd tables, sockets with generation counters, a generic
 * send path that prints the packet it would emit) under a line-command
 * interpreter. test/custom/device.ts drives it; every command's output ends
 * with a line ".". Frames the subsystem sends are printed as "tx HEX". */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "../../firmware/custom/port.h"

#define FDS 8
#define FILES 16
#define CODE_BYTES (256 * 1024)

struct file {
  int open;
  bsp_u8 ttl, tos;
  bsp_u32 gen; /* bumped by close, setsockopt and netif changes, as in the kernel */
};

static struct file files[FILES];
static struct file *fdtab[BSP_TASKS][FDS];
static bsp_u32 fd_gens[BSP_TASKS][FDS];
static int current;
bsp_u32 net_generation; /* exported: images may guard it */
static bsp_u8 *queue[16];
static bsp_u32 queue_len[16], queued;

static void hex_out(const char *prefix, const bsp_u8 *p, bsp_u32 n) {
  bsp_u32 i;
  printf("%s", prefix);
  for (i = 0; i < n; i++) printf("%02x", p[i]);
  printf("\n");
}

static bsp_u32 hex_in(const char *s, bsp_u8 *out, bsp_u32 max) {
  bsp_u32 n = 0;
  unsigned b;
  if (!strcmp(s, "-")) return 0;
  while (n < max && sscanf(s + 2 * n, "%2x", &b) == 1) out[n++] = (bsp_u8)b;
  return n;
}

long net_output(const void *hdr, unsigned long hlen, const void *buf, unsigned long len) {
  static bsp_u8 packet[70000];
  memcpy(packet, hdr, hlen);
  memcpy(packet + hlen, buf, len);
  hex_out("packet ", packet, (bsp_u32)(hlen + len));
  return (long)len;
}

/* --- the kernel side of port.h --- */
int bsp_port_task(void) { return current; }

void *bsp_port_file(int task, int fd, bsp_u32 *size) {
  *size = sizeof(struct file);
  return fd >= 0 && fd < FDS ? fdtab[task][fd] : 0;
}

const volatile bsp_u32 *bsp_port_fd_gen(int task, int fd) { return &fd_gens[task][fd]; }

const volatile bsp_u32 *bsp_port_file_gen(void *file) { return &((struct file *)file)->gen; }

long bsp_port_generic(int call, int fd, const void *buf, unsigned long len, int flags, const void *addr, unsigned addr_len) {
  struct file *f = fd >= 0 && fd < FDS ? fdtab[current][fd] : 0;
  bsp_u8 hdr[5 + BSP_ADDR_MAX];
  printf("generic\n");
  if (!f) return -9;
  hdr[0] = f->ttl;
  hdr[1] = f->tos;
  hdr[2] = (bsp_u8)flags;
  hdr[3] = (bsp_u8)call;
  hdr[4] = (bsp_u8)addr_len;
  if (addr_len) memcpy(hdr + 5, addr, addr_len);
  return net_output(hdr, 5 + addr_len, buf, len);
}

int bsp_port_readable(bsp_uptr addr, bsp_uptr len) {
  bsp_uptr lo = (bsp_uptr)files, hi = (bsp_uptr)(files + FILES), g = (bsp_uptr)&net_generation;
  return (addr >= lo && len <= hi - lo && addr - lo <= hi - lo - len) || (addr == g && len <= 4);
}

/* --- the platform side --- */
int bsp_port_send(const bsp_u8 *frame, bsp_u32 len) {
  hex_out("tx ", frame, len);
  return 0;
}

bsp_u32 bsp_port_recv(bsp_u8 *buf, bsp_u32 max) {
  bsp_u32 n, i;
  if (!queued) return 0;
  n = queue_len[0] < max ? queue_len[0] : max;
  memcpy(buf, queue[0], n);
  free(queue[0]);
  for (i = 1; i < queued; i++) {
    queue[i - 1] = queue[i];
    queue_len[i - 1] = queue_len[i];
  }
  queued--;
  return n;
}

void bsp_port_idle(void) {}

bsp_u8 *bsp_port_code_memory(bsp_u32 *size) {
  static bsp_u8 *mem;
  if (!mem) {
    mem = mmap(0, CODE_BYTES, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) abort();
  }
  *size = CODE_BYTES;
  return mem;
}

const struct bsp_export bsp_exports[] = {{"net_output", (void *)net_output}, {"net_generation", &net_generation}};
const bsp_u32 bsp_nexports = 2;
const bsp_u8 bsp_build_id[BSP_BUILD_ID] = {'T', 'E', 'S', 'T', 'B', 'L', 'D', '1'};
const bsp_u8 bsp_device_key[32] = {0x0b, 0x1e, 0x57, 0x9a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
                                   0xdd, 0xee, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

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

static bsp_u8 big[2][70000];

int main(void) {
  char line[300000], *words[8];
  int n, a, b, c;
  setvbuf(stdout, 0, _IOFBF, 1 << 16);
  while (fgets(line, sizeof line, stdin)) {
    for (n = 0, words[0] = strtok(line, " \n"); words[n] && n < 7; words[++n] = strtok(0, " \n"));
    if (!n) continue;
    a = n > 1 ? atoi(words[1]) : 0;
    b = n > 2 ? atoi(words[2]) : 0;
    c = n > 3 ? atoi(words[3]) : 0;
    if (!strcmp(words[0], "task")) {
      current = a;
    } else if (!strcmp(words[0], "socket")) {
      int i;
      for (i = 0; files[i].open; i++);
      files[i].open = 1;
      files[i].ttl = (bsp_u8)b;
      files[i].tos = (bsp_u8)c;
      fdtab[current][a] = &files[i];
      fd_gens[current][a]++;
    } else if (!strcmp(words[0], "share")) {
      fdtab[b][c] = fdtab[current][a];
      fd_gens[b][c]++;
    } else if (!strcmp(words[0], "close")) {
      fdtab[current][a]->open = 0;
      fdtab[current][a]->gen++;
      fdtab[current][a] = 0;
      fd_gens[current][a]++;
    } else if (!strcmp(words[0], "setsockopt")) {
      fdtab[current][a]->ttl = (bsp_u8)b;
      fdtab[current][a]->gen++;
    } else if (!strcmp(words[0], "netgen")) {
      net_generation++;
    } else if (!strcmp(words[0], "netif")) {
      int i;
      for (i = 0; i < FILES; i++) files[i].gen += files[i].open;
    } else if (!strcmp(words[0], "addr")) {
      printf("addr %llx\n", (unsigned long long)(bsp_uptr)fdtab[current][a]);
    } else if (!strcmp(words[0], "customize")) {
      bsp_u32 len = hex_in(words[4], big[0], BSP_ADDR_MAX + 8);
      printf("ret %ld\n", sys_specialize(BSP_OP_CUSTOMIZE, a, b, c, (long)big[0], len, 0));
    } else if (!strcmp(words[0], "call")) {
      bsp_u32 len = hex_in(words[2], big[0], sizeof big[0]);
      printf("ret %ld\n", sys_specialize(BSP_OP_CALL, a, (long)big[0], len, 0, 0, 0));
    } else if (!strcmp(words[0], "generic")) {
      bsp_u32 alen = hex_in(words[4], big[0], BSP_ADDR_MAX), len = hex_in(words[5], big[1], sizeof big[1]);
      printf("ret %ld\n", bsp_port_generic(a, b, big[1], len, c, big[0], alen));
    } else if (!strcmp(words[0], "cancel")) {
      printf("ret %ld\n", sys_specialize(BSP_OP_CANCEL, a, 0, 0, 0, 0, 0));
    } else if (!strcmp(words[0], "deliver")) {
      bsp_u32 len = hex_in(words[1], big[0], sizeof big[0]);
      printf("ret %d\n", bsp_chan_deliver(big[0], len));
    } else if (!strcmp(words[0], "queue")) {
      bsp_u32 len = hex_in(words[1], big[0], sizeof big[0]);
      queue[queued] = malloc(len);
      memcpy(queue[queued], big[0], len);
      queue_len[queued++] = len;
    } else if (!strcmp(words[0], "config")) {
      bsp_config.capacity = (bsp_u8)a;
      bsp_config.max_versions = (bsp_u8)b;
      bsp_config.wait = (bsp_u8)c;
      bsp_config.rerequest = (bsp_u8)atoi(words[4]);
      bsp_config.wait_polls = (bsp_u32)atoi(words[5]);
    } else if (!strcmp(words[0], "cache")) {
      dump_cache();
    } else if (!strcmp(words[0], "sha")) {
      struct bsp_sha256 s;
      bsp_u32 len = hex_in(words[1], big[0], sizeof big[0]);
      bsp_sha256_init(&s);
      bsp_sha256_update(&s, big[0], len);
      bsp_sha256_final(&s, big[1]);
      hex_out("digest ", big[1], 32);
    } else if (!strcmp(words[0], "hmac")) {
      bsp_u32 klen = hex_in(words[1], big[1], 1024), len = hex_in(words[2], big[0], sizeof big[0]);
      bsp_hmac_sha256(big[1], klen, big[0], len, big[1] + 1024);
      hex_out("tag ", big[1] + 1024, 32);
    } else {
      printf("unknown command %s\n", words[0]);
    }
    printf(".\n");
    fflush(stdout);
  }
  return 0;
}
