/* The context manager (the paper's section 2.2): for each customizable call,
 * the static parameters and memory roots the server needs are declared here,
 * next to each other; extraction resolves them for the calling task, hashes
 * them into the cache key, and bounds the versions of a call by ignoring its
 * least significant parameters once the call has bsp_config.max_versions. */
#include <string.h>
#include "port.h"

/* Parameter ids on the wire (docs/protocol.md, CUSTOMIZE). */
enum { P_FD = 1, P_FLAGS = 2, P_ADDR = 3 };
/* Root ids on the wire. */
enum { ROOT_FILE = 1 };
/* Customization-time functions the server may CALL. */
enum { CT_SOCKFD_LOOKUP = 1 };

/* Static parameters of each call, most significant first: the context
 * manager drops them from the end. sys_sendto(fd, buff, len, flags, addr,
 * addr_len): fd, flags, addr static (Figure 2); send(fd, buff, len, flags):
 * fd, flags static. The root of both is the file behind fd. */
static const bsp_u8 params[3][4] = {
  {0},
  /* BSP_CALL_SENDTO */ {3, P_FD, P_FLAGS, P_ADDR},
  /* BSP_CALL_SEND */ {2, P_FD, P_FLAGS},
};

/* Kept parameter i of a call, as the application gave it: its bytes. */
static bsp_u32 value(int call, int i, const struct bsp_args *args, const void **bytes) {
  switch (params[call][i]) {
  case P_FD: *bytes = &args->fd; return 4;
  case P_FLAGS: *bytes = &args->flags; return 4;
  }
  *bytes = args->addr;
  return args->addr_len;
}

int bsp_context_extract(int task, int call, const struct bsp_args *args, struct bsp_context *ctx) {
  struct bsp_sha256 s;
  bsp_u8 digest[32], n, i;
  bsp_u32 len;
  const void *bytes;
  int level;
  if (call != BSP_CALL_SENDTO && call != BSP_CALL_SEND) return -BSP_E_CALLNO;
  n = params[call][0];
  memset(ctx, 0, sizeof *ctx);
  ctx->call = (bsp_u8)call;
  if (!(ctx->file = bsp_port_file(task, args->fd, &ctx->file_size))) return -BSP_E_BADFD;
  level = bsp_code_versions(call) / (bsp_config.max_versions ? bsp_config.max_versions : 1);
  ctx->dropped = (bsp_u8)(level < n ? level : n);
  bsp_sha256_init(&s);
  bsp_sha256_update(&s, &ctx->call, 2); /* call and dropped, adjacent bytes */
  for (i = 1; i <= n - ctx->dropped; i++) {
    len = value(call, i, args, &bytes);
    if (params[call][i] == P_FD) {
      /* the file and its state, not the number: tasks sharing a socket share versions */
      ctx->gen.counter = bsp_port_file_gen(ctx->file);
      ctx->gen.value = *ctx->gen.counter;
      bsp_sha256_update(&s, &ctx->gen.value, 4);
      bytes = &ctx->file;
      len = sizeof ctx->file;
    }
    bsp_sha256_update(&s, &len, 4);
    bsp_sha256_update(&s, bytes, len);
  }
  bsp_sha256_final(&s, digest);
  memcpy(ctx->hash, digest, BSP_HASH);
  if (ctx->dropped == n) ctx->file = 0;
  return BSP_OK;
}

/* The CUSTOMIZE payload: header, kept values, roots with their bytes. */
bsp_u32 bsp_context_encode(const struct bsp_context *ctx, const struct bsp_args *args, bsp_u8 *out, bsp_u32 max) {
  bsp_u8 *p = out + 20, n = params[ctx->call][0] - ctx->dropped, i;
  const void *bytes;
  if (max < 20 + 3 * (2 + BSP_ADDR_MAX) + 12 + ctx->file_size) return 0;
  out[0] = ctx->call;
#ifdef __x86_64__
  out[1] = BSP_TARGET_X86_64;
#else
  out[1] = BSP_TARGET_ARM;
#endif
  out[2] = n;
  out[3] = ctx->file != 0;
  memcpy(out + 4, bsp_build_id, BSP_BUILD_ID);
  memcpy(out + 12, ctx->hash, BSP_HASH);
  for (i = 1; i <= n; i++) {
    p[0] = params[ctx->call][i];
    p[1] = (bsp_u8)value(ctx->call, i, args, &bytes);
    memcpy(p + 2, bytes, p[1]);
    p += 2 + p[1];
  }
  if (ctx->file) {
    p[0] = ROOT_FILE;
    p[1] = 0;
    bsp_put(p + 2, ctx->file_size, 2);
    bsp_put(p + 4, (bsp_uptr)ctx->file, sizeof(bsp_uptr));
    bsp_put(p + 4 + sizeof(bsp_uptr), 0, 8 - sizeof(bsp_uptr));
    memcpy(p + 12, ctx->file, ctx->file_size);
    p += 12 + ctx->file_size;
  }
  return (bsp_u32)(p - out);
}

/* Customization-time functions, run on the device as the requesting task. */
int bsp_ct_call(int task, bsp_u32 fn, const bsp_u64 *args, bsp_u32 nargs, bsp_u64 *result) {
  bsp_u32 size;
  if (fn != CT_SOCKFD_LOOKUP || nargs != 1) return -BSP_E_FUNCTION;
  *result = (bsp_uptr)bsp_port_file(task, (int)args[0], &size);
  return BSP_OK;
}
