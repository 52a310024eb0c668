/* The code manager (the paper's section 2.3): one cache of customized
 * versions keyed by (call, context hash) and shared by all tasks, reference
 * counted by tokens, LRU replacement at bsp_config.capacity, and the
 * allocator of the code memory versions are loaded into. A version's
 * serial is also its channel request id. */
#include <string.h>
#include "port.h"

/* 16 versions, 4 per call before parameters are dropped, re-request on a
 * failed guard, no waiting. */
struct bsp_config bsp_config = {BSP_CACHE_MAX, 4, 1, 0};
struct bsp_version bsp_cache[BSP_CACHE_MAX];
bsp_u32 bsp_lru_clock;
static bsp_u32 requests;

/* First fit over the blocks of the loaded versions, 16-byte aligned; the
 * blocks are not sorted: the scan restarts after each move past one. */
bsp_u8 *bsp_code_alloc(bsp_u32 size, bsp_u32 *off) {
  bsp_u32 total, at = 0, end;
  bsp_u8 *mem = bsp_port_code_memory(&total);
  struct bsp_version *v = bsp_cache;
  size = (size + 15) & ~15u;
  while (v < bsp_cache + BSP_CACHE_MAX) {
    end = v->off + v->size;
    if (v->size && at < end && v->off < at + size) {
      at = (end + 15) & ~15u;
      v = bsp_cache;
    } else {
      ++v;
    }
  }
  if (size > total || at > total - size) return 0;
  *off = at;
  return mem + at;
}

/* A miss takes the first free entry, else the least recently used one,
 * unreferenced ones first, and sends CUSTOMIZE; the version is PENDING until
 * IMAGE. Request ids name their entry: the id modulo BSP_CACHE_MAX is its
 * index. */
int bsp_code_attach(int task, const struct bsp_context *ctx, struct bsp_version **out) {
  struct bsp_version *v = bsp_cache, *best = 0;
  int i = 0, at = 0, live = 0;
  bsp_u32 key, best_key = ~0u;
  while (i < bsp_config.capacity) {
    if (v->state % BSP_STALE && !memcmp(&v->call, &ctx->call, 1 + BSP_HASH)) goto hit; /* not FREE or STALE */
    live += v->call == ctx->call && (unsigned)(v->state - BSP_PENDING) <= BSP_READY - BSP_PENDING;
    /* free (0) before unreferenced before referenced, then least recently
     * used (the clock's low 31 bits; across a wrap the order is approximate) */
    key = v->state ? (v->refs ? 0x80000000u : 0) | v->used << 1 >> 1 : 0;
    if (key < best_key) {
      best = v;
      best_key = key;
      at = i;
    }
    ++v;
    ++i;
  }
  if (ctx->kept && live >= bsp_config.max_versions * (ctx->dropped + 1)) return 1;
  if (!(v = best)) return -BSP_E_NOVERSION;
  v->refs = v->state != BSP_FREE; /* so that detaching frees it, whatever its references */
  bsp_code_detach(v, v->serial);
  memcpy(&v->call, &ctx->call, 1 + BSP_HASH);
  v->serial = key = (requests += BSP_CACHE_MAX) + at;
  v->task = (bsp_u8)task;
  v->guards[0] = ctx->gen;
  v->nguards = ctx->gen.counter != 0;
  v->state = BSP_PENDING;
  if (bsp_chan_send(BSP_MSG_CUSTOMIZE, key, ctx->len)) v->state = BSP_FAILED;
hit:
  v->refs++;
  v->used = ++bsp_lru_clock;
  *out = v;
  return 0;
}

/* Drop a token's reference; the last one frees the version (and cancels
 * its request when the code has not arrived). */
void bsp_code_detach(struct bsp_version *v, bsp_u32 serial) {
  if (v->serial != serial || !v->state || --v->refs) return;
  if (v->state == BSP_PENDING) bsp_chan_send(BSP_MSG_CANCEL, serial, 0);
  v->state = BSP_FREE;
  v->size = 0;
}
