/* The test devices' channel transport: frames the subsystem sends are
 * printed as "tx HEX"; frames queued with the "queue" command are what
 * bsp_port_recv returns. Code memory is one RWX mapping of TEST_CODE_BYTES
 * (environment; 256 KiB when unset). (A test device
 * built with firmware/custom/port-native.c instead speaks to the test over
 * file descriptors 3 and 4.) */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "test-port.h"


int bsp_port_send(const bsp_u8 *frame, bsp_u32 len) {
  hex_out("tx ", frame, len);
  return 0;
}

bsp_u32 bsp_port_recv(bsp_u8 *buf, bsp_u32 max) {
  bsp_u32 n, i;
  if (!test_queued) return 0;
  n = test_queue_len[0] < max ? test_queue_len[0] : max;
  memcpy(buf, test_queue[0], n);
  free(test_queue[0]);
  for (i = 1; i < test_queued; i++) {
    test_queue[i - 1] = test_queue[i];
    test_queue_len[i - 1] = test_queue_len[i];
  }
  test_queued--;
  return n;
}

void bsp_port_idle(void) {}

bsp_u8 *bsp_port_code_memory(bsp_u32 *size) {
  static bsp_u8 *mem;
  static bsp_u32 bytes;
  if (!mem) {
    bytes = getenv("TEST_CODE_BYTES") ? (bsp_u32)atoi(getenv("TEST_CODE_BYTES")) : 256 * 1024;
    mem = mmap(0, bytes, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) abort();
  }
  *size = bytes;
  return mem;
}

