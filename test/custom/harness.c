/* Test device for the customization subsystem (firmware/custom/): a small
 * fake kernel (tasks, fd tables, sockets with generation counters, a generic
 * send path that prints the packet it would emit) under a line-command
 * interpreter (test-port.c). test/custom/device.ts drives it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-port.h"

#define FDS 8
#define FILES 16

struct file {
  int open;
  bsp_u8 ttl, tos;
  bsp_u32 gen; /* bumped by close, setsockopt and netif changes, as in the kernel */
};

/* 16-byte aligned: the server reads device memory in aligned chunks, and
 * this device exposes nothing around its files (bsp_port_readable) */
static struct file files[FILES] __attribute__((aligned(16)));
static struct file *fdtab[BSP_TASKS][FDS];
static bsp_u32 fd_gens[BSP_TASKS][FDS];
static int current;
bsp_u32 net_generation; /* exported: images may guard it */

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

const struct bsp_export bsp_exports[] = {{"net_output", (void *)net_output}, {"net_generation", &net_generation}};
const bsp_u32 bsp_nexports = 2;
const bsp_u8 bsp_build_id[BSP_BUILD_ID] = {'T', 'E', 'S', 'T', 'B', 'L', 'D', '1'};
const bsp_u8 bsp_device_key[32] = {0x0b, 0x1e, 0x57, 0x9a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
                                   0xdd, 0xee, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

static int command(char **words, int n) {
  int a = n > 1 ? atoi(words[1]) : 0, b = n > 2 ? atoi(words[2]) : 0, c = n > 3 ? atoi(words[3]) : 0, i;
  bsp_u8 *buf = test_buf[0], *addr = test_buf[1];
  bsp_u32 len, alen;
  if (!strcmp(words[0], "task")) {
    current = a;
  } else if (!strcmp(words[0], "socket")) {
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
    for (i = 0; i < FILES; i++) files[i].gen += files[i].open;
  } else if (!strcmp(words[0], "addr")) {
    printf("addr %llx\n", (unsigned long long)(bsp_uptr)fdtab[current][a]);
  } else if (!strcmp(words[0], "customize") && n == 5) {
    alen = hex_in(words[4], addr, BSP_ADDR_MAX + 8);
    printf("ret %ld\n", sys_specialize(BSP_OP_CUSTOMIZE, a, b, c, (long)addr, alen, 0));
  } else if (!strcmp(words[0], "call") && n == 3) {
    len = hex_in(words[2], buf, TEST_BUF);
    printf("ret %ld\n", sys_specialize(BSP_OP_CALL, a, (long)buf, len, 0, 0, 0));
  } else if (!strcmp(words[0], "generic") && n == 6) {
    alen = hex_in(words[4], addr, BSP_ADDR_MAX);
    len = hex_in(words[5], buf, TEST_BUF);
    printf("ret %ld\n", bsp_port_generic(a, b, buf, len, c, addr, alen));
  } else if (!strcmp(words[0], "cancel")) {
    printf("ret %ld\n", sys_specialize(BSP_OP_CANCEL, a, 0, 0, 0, 0, 0));
  } else {
    return 0;
  }
  return 1;
}

int main(void) { return test_command_loop(command); }
