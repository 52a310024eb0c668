/* The context manager (the paper's section 2.2): for each customizable call,
 * the static parameters and memory roots the server needs are declared here;
 * extraction resolves them for the calling task, hashes them into the cache
 * key, and bounds the versions of a call by ignoring its least significant
 * parameters once the call has bsp_config.max_versions. */
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

/* Kept parameter i (1..3) as the application gave it: fd and flags are the
 * first two words of bsp_args, addr its bytes. */
static bsp_u32 value(const struct bsp_args *args, int i, const void **bytes) {
  *bytes = i < P_ADDR ? (const void *)(&args->fd + (i - 1)) : args->addr;
  return i < P_ADDR ? 4 : args->addr_len;
}

int bsp_context_extract(int task, int call, const struct bsp_args *args, struct bsp_context *ctx) {
  struct bsp_sha256 s;
  bsp_u8 digest[32];
  const void *bytes;
  int n, i, level;
  if (call != BSP_CALL_SENDTO && call != BSP_CALL_SEND) return -BSP_E_CALLNO;
  n = PARAMS[call];
  memset(ctx, 0, sizeof *ctx);
  ctx->call = (bsp_u8)call;
  if (!(ctx->file = bsp_port_file(task, args->fd, &ctx->file_size))) return -BSP_E_BADFD;
  level = bsp_code_versions(call) / (bsp_config.max_versions ? bsp_config.max_versions : 1);
  ctx->dropped = (bsp_u8)(level < n ? level : n);
  n -= ctx->dropped;
  bsp_sha256_init(&s);
  bsp_sha256_update(&s, &ctx->call, 2); /* call and dropped, adjacent bytes */
  if (n) {
    /* fd as the file and its state, not the number: tasks sharing a socket
     * share versions */
    ctx->gen.counter = bsp_port_file_gen(ctx->file);
    ctx->gen.value = *ctx->gen.counter;
    bsp_sha256_update(&s, &ctx->file, sizeof ctx->file);
    bsp_sha256_update(&s, &ctx->gen.value, 4);
  } else {
    ctx->file = 0;
  }
  for (i = 2; i <= n; i++) {
    level = (int)value(args, i, &bytes);
    bsp_sha256_update(&s, &level, 4);
    bsp_sha256_update(&s, bytes, (bsp_u32)level);
  }
  bsp_sha256_final(&s, digest);
  memcpy(ctx->hash, digest, BSP_HASH);
  return BSP_OK;
}

/* The CUSTOMIZE payload: header, kept values, roots with their bytes; 0
 * when the root does not fit a frame. */
bsp_u32 bsp_context_encode(const struct bsp_context *ctx, const struct bsp_args *args, bsp_u8 *out) {
  bsp_u8 *p = out + 20;
  int n = PARAMS[ctx->call] - ctx->dropped, i;
  const void *bytes;
  bsp_u64 a = (bsp_uptr)ctx->file;
  if (ctx->file_size > BSP_FRAME_MAX - 12 - 20 - 3 * (2 + BSP_ADDR_MAX) - 12) return 0;
  out[0] = ctx->call;
#ifdef __x86_64__
  out[1] = BSP_TARGET_X86_64;
#else
  out[1] = BSP_TARGET_ARM;
#endif
  out[2] = (bsp_u8)n;
  out[3] = ctx->file != 0;
  memcpy(out + 4, bsp_build_id, BSP_BUILD_ID);
  memcpy(out + 12, ctx->hash, BSP_HASH);
  for (i = 1; i <= n; i++) {
    p[0] = (bsp_u8)i;
    p[1] = (bsp_u8)value(args, i, &bytes);
    memcpy(p + 2, bytes, p[1]);
    p += 2 + p[1];
  }
  if (ctx->file) {
    p[0] = ROOT_FILE;
    p[1] = 0;
    memcpy(p + 2, &ctx->file_size, 2);
    memcpy(p + 4, &a, 8);
    memcpy(p + 12, ctx->file, ctx->file_size);
    p += 12 + ctx->file_size;
  }
  return (bsp_u32)(p - out);
}
