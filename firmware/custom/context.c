/* The context manager (the paper's section 2.2): for each customizable call,
 * the static parameters and memory roots the server needs are declared here;
 * extraction resolves them for the calling task, writes them as the
 * CUSTOMIZE payload that would request a version, hashes them into the
 * cache key; the versions of a call are bounded by ignoring its least
 * significant parameters, as many as the code manager asks for (codemgr.c). */
#include <string.h>
#include "port.h"

/* Static parameters, most significant first, as wire ids (docs/protocol.md,
 * CUSTOMIZE): 1 fd, 2 flags, 3 addr. sys_sendto(fd, buff, len, flags, addr,
 * addr_len) keeps fd, flags, addr (Figure 2); send(fd, buff, len, flags) fd,
 * flags: each call's list is the first PARAMS[call] of those, and the
 * context manager drops them from the end. The root of both calls is the
 * file behind fd (root id 1). */
static const bsp_u8 PARAMS[3] = {0, 3, 2};
#define HEAD 20
#ifdef __x86_64__
#define TARGET BSP_TARGET_X86_64
#else
#define TARGET BSP_TARGET_ARM
#endif
#define ROOT_MAX (BSP_FRAME_MAX - 12 - HEAD - 3 * (2 + BSP_ADDR_MAX) - 12)

int bsp_context_extract(int task, int call, const struct bsp_args *args, int dropped, struct bsp_context *ctx) {
  struct bsp_context c;
  bsp_u8 *out = bsp_chan_payload, *p = out + HEAD, *values = p + 6;
  bsp_u32 size, n, i;
  bsp_u64 a;
  void *file;
  if ((unsigned)(call - 1) > 1) return -BSP_E_CALLNO;
  if (!(file = bsp_port_file(task, args->fd, &size))) return -BSP_E_BADFD;
  if (size > ROOT_MAX) return -BSP_E_LIMIT;
  memset(&c, 0, sizeof c);
  c.dropped = (bsp_u8)dropped;
  c.call = (bsp_u8)call;
  c.kept = (bsp_u8)(n = PARAMS[call] - dropped);
  /* call, target, values, roots (one: the file, with fd), build ID */
  *(bsp_u32 *)out = call | TARGET << 8 | n << 16 | (n ? 1 << 24 : 0);
  memcpy(out + 4, bsp_build_id, BSP_BUILD_ID);
  /* the values: fd and flags are the first two words of bsp_args, addr its bytes */
  for (i = 0; i < n; ++i) {
    p[0] = (bsp_u8)(i + 1);
    p[1] = (bsp_u8)(i < 2 ? 4 : args->addr_len);
    memcpy(p + 2, (const bsp_u8 *)args + 4 * i, p[1]);
    p += 2 + p[1];
  }
  /* the hash: call and dropped, the file's generation counter (its
   * identity, not the fd number: tasks sharing a socket share versions) and
   * value, then the values after fd */
  if (n) {
    c.gen.counter = bsp_port_file_gen(file);
    c.gen.value = *c.gen.counter;
  } else {
    values = p;
  }
  bsp_sha256(&c, (bsp_u32)(c.hash - (bsp_u8 *)&c), values, (bsp_u32)(p - values), p); /* the digest where the root goes */
  memcpy(out + 12, p, BSP_HASH);
  memcpy(c.hash, p, BSP_HASH);
  if (n) {
    /* the root: id 1, 0, length, the file's address and bytes */
    i = 1 | size << 16;
    a = (bsp_uptr)file;
    memcpy(p, &i, 4);
    memcpy(p + 4, &a, 8);
    memcpy(p + 12, file, size);
    p += 12 + size;
  }
  c.len = (bsp_u32)(p - out);
  memcpy(ctx, &c, sizeof c);
  return BSP_OK;
}
