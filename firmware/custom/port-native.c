/* The customization subsystem's platform port for the firmware as a Linux
 * process. Frames are a byte stream (docs/protocol.md): the server's on
 * file descriptor BSP_CHANNEL_IN, the device's on BSP_CHANNEL_OUT. These
 * are not stdin/stdout because the host board's console is there; the
 * process that starts the device passes the channel as fds 3 and 4. When
 * they are not open, every request fails at once and customized calls keep
 * the generic path. Code images load into one RWX mapping.
 *
 * The linux-arm board's libc (qemu-arm, the VM's linux-user personality)
 * has write() but no read() or mmap(): there the device can send but never
 * receive, so the same holds: requests stay unanswered and calls generic. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* MAP_ANONYMOUS */
#endif
#include <stdio.h>
#include <string.h>

#include "port.h"

#ifndef BSP_CHANNEL_IN
#define BSP_CHANNEL_IN 3
#endif
#ifndef BSP_CHANNEL_OUT
#define BSP_CHANNEL_OUT 4
#endif
#define CODE_BYTES (256 * 1024)

#ifdef __GLIBC__
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

static int channel_closed;

int bsp_port_send(const bsp_u8 *frame, bsp_u32 len) {
  ssize_t n;
  while (len > 0) {
    if (channel_closed || (n = write(BSP_CHANNEL_OUT, frame, len)) <= 0) return channel_closed = -1;
    frame += n;
    len -= (bsp_u32)n;
  }
  return 0;
}

static int read_all(bsp_u8 *p, bsp_u32 len) {
  ssize_t n;
  while (len > 0) {
    if ((n = read(BSP_CHANNEL_IN, p, len)) <= 0) return channel_closed = -1;
    p += n;
    len -= (bsp_u32)n;
  }
  return 0;
}

static int readable(int timeout_ms) {
  struct pollfd p = {BSP_CHANNEL_IN, POLLIN, 0};
  return !channel_closed && poll(&p, 1, timeout_ms) == 1 && (p.revents & (POLLIN | POLLHUP));
}

/* One frame when one has started to arrive; the rest of it is read at once. */
bsp_u32 bsp_port_recv(bsp_u8 *buf, bsp_u32 max) {
  bsp_u32 len;
  if (!readable(0) || read_all(buf, 12)) return 0;
  memcpy(&len, buf + 8, 4); /* little-endian, like the wire */
  if (len > max - 12) { /* a frame no device accepts: the stream cannot be resynchronized */
    channel_closed = -1;
    return 0;
  }
  return read_all(buf + 12, len) ? 0 : 12 + len;
}

void bsp_port_idle(void) { readable(1); }

bsp_u8 *bsp_port_code_memory(bsp_u32 *size) {
  static bsp_u8 *memory;
  if (!memory) {
    memory = mmap(0, CODE_BYTES, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) memory = 0;
  }
  *size = memory ? CODE_BYTES : 0;
  return memory;
}

#else
#include "sys.h"

static bsp_u8 code_memory[CODE_BYTES] __attribute__((aligned(16)));

int bsp_port_send(const bsp_u8 *frame, bsp_u32 len) { return __sys_write(BSP_CHANNEL_OUT, frame, len) == (long)len ? 0 : -1; }

bsp_u32 bsp_port_recv(bsp_u8 *buf, bsp_u32 max) {
  (void)buf;
  (void)max;
  return 0;
}

void bsp_port_idle(void) {}

bsp_u8 *bsp_port_code_memory(bsp_u32 *size) {
  *size = CODE_BYTES;
  return code_memory;
}
#endif
