/* The context manager (the paper's section 2.2): for each customizable call,
 * the static parameters and memory roots the server needs are declared here;
 * extraction resolves them for the calling task, writes them as the
 * CUSTOMIZE payload that would request a version, hashes them into the
 * cache key, and bounds the versions of a call by ignoring its least
 * significant parameters once the call has bsp_config.max_versions. */
#include <string.h>
#include "port.h"

/* Static parameters, most significant first, as wire ids (docs/protocol.md,
 * CUSTOMIZE): 1 fd, 2 flags, 3 addr. sys_sendto(fd, buff, len, flags, addr,
 * addr_len) keeps fd, flags, addr (Figure 2); send(fd, buff, len, flags) fd,
 * flags: each call's list is the first PARAMS[call] of those, and the
 * context manager drops them from the end. The root of both calls is the
 * file behind fd (root id 1). */
static const bsp_u8 PARAMS[3] = {0, 3, 2};
enum { P_ADDR = 3, ROOT_FILE = 1 };
#define HEAD 20
#define ROOT_MAX (BSP_FRAME_MAX - 12 - HEAD - 3 * (2 + BSP_ADDR_MAX) - 12)

int bsp_context_extract(int task, int call, const struct bsp_args *args, struct bsp_context *ctx) {
  struct bsp_sha256 s;
  bsp_u8 digest[32], *out = bsp_chan_payload, *p = out + HEAD;
  bsp_u32 size;
  bsp_u64 a;
  void *file;
  int n, i;
  if (call != BSP_CALL_SENDTO && call != BSP_CALL_SEND) return -BSP_E_CALLNO;
  if (!(file = bsp_port_file(task, args->fd, &size))) return -BSP_E_BADFD;
  if (size > ROOT_MAX) return -BSP_E_LIMIT;
  memset(ctx, 0, sizeof *ctx);
  ctx->call = (bsp_u8)call;
  i = bsp_config.max_versions;
  n = bsp_code_versions(call) / (i ? i : 1);
  i = PARAMS[call];
  if (n > i) n = i;
  ctx->dropped = (bsp_u8)n;
  n = i - n;
  /* values: fd and flags are the first two words of bsp_args, addr its bytes */
  for (i = 1; i <= n; i++) {
    p[0] = (bsp_u8)i;
    p[1] = (bsp_u8)(i < P_ADDR ? 4 : args->addr_len);
    memcpy(p + 2, i < P_ADDR ? (const void *)(&args->fd + (i - 1)) : args->addr, p[1]);
    p += 2 + p[1];
  }
  /* the hash: call and dropped, then fd as the file and its state, not the
   * number (tasks sharing a socket share versions), then the other values */
  bsp_sha256_init(&s);
  bsp_sha256_update(&s, &ctx->dropped, 2); /* and call */
  if (n) {
    ctx->gen.counter = bsp_port_file_gen(file);
    ctx->gen.value = *ctx->gen.counter;
    bsp_sha256_update(&s, &file, sizeof file);
    bsp_sha256_update(&s, &ctx->gen.value, 4);
    bsp_sha256_update(&s, out + HEAD + 6, (bsp_u32)(p - out - HEAD - 6));
    /* the root: the file's address and bytes */
    a = (bsp_uptr)file;
    p[0] = ROOT_FILE;
    p[1] = 0;
    memcpy(p + 2, &size, 2);
    memcpy(p + 4, &a, 8);
    memcpy(p + 12, file, size);
    p += 12 + size;
  }
  bsp_sha256_final(&s, digest);
  memcpy(ctx->hash, digest, BSP_HASH);
  out[0] = ctx->call;
#ifdef __x86_64__
  out[1] = BSP_TARGET_X86_64;
#else
  out[1] = BSP_TARGET_ARM;
#endif
  out[2] = (bsp_u8)n;
  out[3] = n != 0;
  memcpy(out + 4, bsp_build_id, BSP_BUILD_ID);
  memcpy(out + 12, ctx->hash, BSP_HASH);
  ctx->len = (bsp_u32)(p - out);
  return BSP_OK;
}
