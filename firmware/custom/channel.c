/* The device's channel endpoint: frames to and from the customization server
 * (docs/protocol.md). The server reads device memory (FETCH -> DATA), runs
 * customization-time functions on the device (CALL -> RESULT), and answers a
 * CUSTOMIZE with IMAGE or ERROR. The transport is the platform's
 * (port-board.c: the mailbox; port-native.c: stdin/stdout). Both targets are
 * little-endian like the wire: fields are copied, not assembled. */
#include <string.h>
#include "port.h"

enum { FETCH = 2, DATA = 3, CALL = 4, RESULT = 5, IMAGE = 6, ERROR = 7 };
#define HEADER 12
#define MAGIC 0x015342 /* "BS", protocol version 1 */
#define PAYLOAD_MAX (BSP_FRAME_MAX - HEADER)
/* Customization-time functions the server may CALL. */
enum { CT_SOCKFD_LOOKUP = 1 };

/* Word-aligned: the header is written as three words. */
static bsp_u32 rx[BSP_FRAME_MAX / 4];
bsp_u32 bsp_chan_tx[BSP_FRAME_MAX / 4];
#define OUT bsp_chan_payload

/* FETCH copies device memory the kernel exposes, across object boundaries
 * too: under AddressSanitizer (the host firmware's test build) that is not
 * a bug, so that copy is not instrumented. */
#ifdef __SANITIZE_ADDRESS__
__attribute__((no_sanitize_address)) static void copy_out(bsp_u8 *to, const bsp_u8 *from, bsp_u32 n) {
  while (n--) *to++ = *from++;
}
#else
#define copy_out memcpy
#endif

/* The one frame writer: header, then the payload already in OUT. */
int bsp_chan_send(bsp_u32 type, bsp_u32 id, bsp_u32 len) {
  bsp_u32 *t = bsp_chan_tx;
  t[0] = MAGIC | type << 24;
  t[1] = id;
  t[2] = len;
  return bsp_port_send((const bsp_u8 *)t, HEADER + len);
}

/* Handle one frame from the server: 0, or the negative error also reported
 * to the server as ERROR (with request id 0 when the header is unreadable). */
int bsp_chan_deliver(const bsp_u8 *frame, bsp_u32 len) {
  bsp_u32 h[6], type = 0, n = 8; /* the header, then the first 12 bytes of the payload */
  bsp_uptr addr;
  struct bsp_version *v;
  const bsp_u8 *p = frame + HEADER, *key = bsp_device_key;
  bsp_u8 *out = OUT;
  int r = -BSP_E_FRAME;
  memset(h, 0, sizeof h);
  if (len >= HEADER) memcpy(h, frame, HEADER);
  /* the pending version a request id names (codemgr.c), if any */
  v = bsp_cache + h[1] % BSP_CACHE_MAX;
  if (v->serial != h[1] || v->state != BSP_PENDING) v = 0;
  if ((h[0] & 0xffffff) != MAGIC) {
    h[1] = 0;
  } else if (h[2] == len - HEADER) {
    /* FETCH address and length; CALL function, argc and the first
     * argument's low word */
    memcpy(h + 3, p, h[2] < 12 ? h[2] : 12);
    addr = h[3];
#ifdef __x86_64__
    addr |= (bsp_uptr)h[4] << 32;
#else
    if (h[4]) addr = 0; /* not an address on this device */
#endif
    switch (h[0] >> 24) {
    case FETCH: /* address u64, length u32 */
      if (h[2] != 12) break;
      r = -BSP_E_FETCH;
      /* never the device key, whatever the kernel exposes: a peer that read
       * it could sign images */
      if (!addr || (n = h[5]) > PAYLOAD_MAX - 8 || !bsp_port_readable(addr, n) ||
          (addr < (bsp_uptr)key + 32 && (bsp_uptr)key < addr + n))
        break;
      memcpy(out, p, 8);
      copy_out(out + 8, (const bsp_u8 *)addr, n);
      type = DATA;
      n += 8;
      r = 0;
      break;
    case CALL: /* function u16, argc u8, 0, argc x u64 */
      if ((addr = h[3] >> 16 & 0xff) > 4 || h[2] != 4 + 8 * addr) break; /* argc, 0 when the payload is short */
      r = -BSP_E_REQUEST;
      if (!v) break;
      r = -BSP_E_FUNCTION;
      if (h[3] != 0x10001) break; /* sockfd_lookup, one argument */
      /* run as the task that made the request */
      memset(out, 0, 8);
      addr = (bsp_uptr)bsp_port_file((int)v->task, (int)h[4], &h[3]);
      memcpy(out, &addr, sizeof addr);
      type = RESULT;
      r = 0;
      break;
    case IMAGE:
      /* a rejected image changes nothing: the request stays pending, the
       * server hears the error and may send the image again */
      r = v ? bsp_image_load(v, p, h[2]) : -BSP_E_REQUEST;
      break;
    case ERROR:
      if (v) v->state = BSP_FAILED;
      r = 0;
    }
  }
  if (r) {
    *(bsp_u16 *)out = (bsp_u16)-r; /* code u16, an empty message */
    type = ERROR;
    n = 2;
  }
  if (type) bsp_chan_send(type, h[1], n);
  return r;
}

int bsp_chan_poll(void) {
  bsp_u8 *frame = (bsp_u8 *)rx;
  bsp_u32 len = bsp_port_recv(frame, BSP_FRAME_MAX);
  if (!len) return 0;
  bsp_chan_deliver(frame, len);
  return 1;
}
