/* The device's channel endpoint: frames to and from the customization server
 * (docs/protocol.md). The server reads device memory (FETCH -> DATA), runs
 * customization-time functions on the device (CALL -> RESULT), and answers a
 * CUSTOMIZE with IMAGE or ERROR. The transport is the platform's
 * (port-board.c: the mailbox; port-native.c: stdin/stdout). */
#include <string.h>
#include "port.h"

enum { CUSTOMIZE = 1, FETCH = 2, DATA = 3, CALL = 4, RESULT = 5, IMAGE = 6, ERROR = 7, CANCEL = 8 };
#define HEADER 12
#define PROTOCOL_VERSION 1

static bsp_u8 rx[BSP_FRAME_MAX], tx[BSP_FRAME_MAX];

bsp_uptr bsp_get(const bsp_u8 *p, int bytes) {
  bsp_uptr v = 0;
  while (bytes--) v = v << 8 | p[bytes];
  return v;
}

void bsp_put(bsp_u8 *p, bsp_uptr v, int bytes) {
  while (bytes-- > 0) {
    *p++ = (bsp_u8)v;
    v = v >> 4 >> 4; /* two shifts: no undefined shift past the width on ILP32 */
  }
}

/* FETCH copies device memory the kernel exposes, across object boundaries
 * too: under AddressSanitizer (the host firmware's test build) that is not
 * a bug, so this copy is not instrumented. */
#ifdef __SANITIZE_ADDRESS__
__attribute__((no_sanitize_address))
#endif
static void copy_out(bsp_u8 *to, const volatile bsp_u8 *from, bsp_u32 n) {
  while (n--) *to++ = *from++;
}

static int send(int type, bsp_u32 id, bsp_u32 len) {
  tx[0] = 'B';
  tx[1] = 'S';
  tx[2] = PROTOCOL_VERSION;
  tx[3] = (bsp_u8)type;
  bsp_put(tx + 4, id, 4);
  bsp_put(tx + 8, len, 4);
  return bsp_port_send(tx, HEADER + len);
}

static int send_error(bsp_u32 id, int code) {
  bsp_put(tx + HEADER, (bsp_uptr)-code, 2);
  send(ERROR, id, 2);
  return code;
}

int bsp_chan_customize(bsp_u32 request, const struct bsp_context *ctx, const struct bsp_args *args) {
  bsp_u32 len = bsp_context_encode(ctx, args, tx + HEADER, BSP_FRAME_MAX - HEADER);
  return len ? send(CUSTOMIZE, request, len) : -BSP_E_LIMIT;
}

void bsp_chan_cancel(bsp_u32 request) { send(CANCEL, request, 0); }

/* A 64-bit device address from the wire; 0 when it does not fit a pointer. */
static int get_addr(const bsp_u8 *p, bsp_uptr *addr) {
  *addr = bsp_get(p, sizeof(bsp_uptr));
  return sizeof(bsp_uptr) == 8 || !bsp_get(p + 4, 4);
}

/* Handle one frame from the server: 0, or the negative error also reported
 * to the server as ERROR. */
int bsp_chan_deliver(const bsp_u8 *frame, bsp_u32 len) {
  bsp_u32 id, n, i;
  const bsp_u8 *p = frame + HEADER;
  bsp_uptr addr;
  bsp_u64 args[4], result;
  int r, task;
  if (len < HEADER || frame[0] != 'B' || frame[1] != 'S' || frame[2] != PROTOCOL_VERSION) return send_error(0, -BSP_E_FRAME);
  id = bsp_get(frame + 4, 4);
  n = bsp_get(frame + 8, 4);
  if (n != len - HEADER) return send_error(id, -BSP_E_FRAME);
  switch (frame[3]) {
  case FETCH:
    if (n != 12 || !get_addr(p, &addr)) return send_error(id, -BSP_E_FRAME);
    n = bsp_get(p + 8, 4);
    /* never the device key, whatever the kernel exposes: a peer that read
     * it could sign images */
    if (n > BSP_FRAME_MAX - HEADER - 8 || !bsp_port_readable(addr, n) ||
        (addr < (bsp_uptr)bsp_device_key + 32 && (bsp_uptr)bsp_device_key < addr + n))
      return send_error(id, -BSP_E_FETCH);
    memcpy(tx + HEADER, p, 8);
    copy_out(tx + HEADER + 8, (const volatile bsp_u8 *)addr, n);
    return send(DATA, id, 8 + n);
  case CALL:
    if (n < 4 || p[2] > 4 || n != 4 + 8 * (bsp_u32)p[2]) return send_error(id, -BSP_E_FRAME);
    if ((task = bsp_code_task(id)) < 0) return send_error(id, task);
    for (i = 0; i < p[2]; i++) args[i] = bsp_get(p + 4 + 8 * i, 4) | (bsp_u64)bsp_get(p + 8 + 8 * i, 4) << 32;
    if ((r = bsp_ct_call(task, bsp_get(p, 2), args, p[2], &result))) return send_error(id, r);
    bsp_put(tx + HEADER, (bsp_uptr)result, 4);
    bsp_put(tx + HEADER + 4, (bsp_uptr)(result >> 32), 4);
    return send(RESULT, id, 8);
  case IMAGE:
    r = bsp_code_install(id, p, n);
    return r ? send_error(id, r) : 0;
  case ERROR:
    bsp_code_failed(id);
    return 0;
  }
  return send_error(id, -BSP_E_FRAME);
}

int bsp_chan_poll(void) {
  bsp_u32 len = bsp_port_recv(rx, BSP_FRAME_MAX);
  if (len) bsp_chan_deliver(rx, len);
  return len != 0;
}
