/* The code manager (the paper's section 2.3): one cache of customized
 * versions keyed by (call, context hash) and shared by all tasks, reference
 * counted by tokens, LRU replacement at bsp_config.capacity, and the
 * allocator of the code memory versions are loaded into. */
#include <string.h>
#include "port.h"

/* 16 versions, 4 per call before parameters are dropped, no waiting (when
 * chosen: up to 5000 polls, about 5 s of idling on the board), re-request on
 * a failed guard. */
struct bsp_config bsp_config = {BSP_CACHE_MAX, 4, 0, 1, 5000};
struct bsp_version bsp_cache[BSP_CACHE_MAX];
bsp_u32 bsp_lru_clock;
static bsp_u32 serials, requests;

#define CACHE_END (bsp_cache + bsp_config.capacity)

/* First fit over the blocks of the loaded versions, 16-byte aligned. */
bsp_u8 *bsp_code_alloc(bsp_u32 size, bsp_u32 *off) {
  bsp_u32 total, at = 0;
  bsp_u8 *mem = bsp_port_code_memory(&total);
  struct bsp_version *v;
  size = (size + 15) & ~15u;
rescan: /* after each move past a block: the blocks are not sorted */
  for (v = bsp_cache; v < bsp_cache + BSP_CACHE_MAX; v++) {
    if (v->size && at < v->off + v->size && v->off < at + size) {
      at = (v->off + v->size + 15) & ~15u;
      goto rescan;
    }
  }
  if (size > total || at > total - size) return 0;
  *off = at;
  return mem + at;
}

static void release(struct bsp_version *v) {
  if (v->state == BSP_PENDING) bsp_chan_cancel(v->request);
  v->state = BSP_FREE;
  v->size = 0;
  v->refs = 0;
}

static struct bsp_version *lookup(const struct bsp_context *ctx) {
  struct bsp_version *v;
  for (v = bsp_cache; v < CACHE_END; v++)
    if (v->state != BSP_FREE && v->state != BSP_STALE && v->call == ctx->call && !memcmp(v->hash, ctx->hash, BSP_HASH)) return v;
  return 0;
}

/* A free entry, else the least recently used one, unreferenced ones first. */
static struct bsp_version *victim(void) {
  struct bsp_version *v, *best = 0;
  for (v = bsp_cache; v < CACHE_END; v++) {
    if (v->state == BSP_FREE) return v;
    if (!best || (!v->refs && best->refs) || (!v->refs == !best->refs && v->used < best->used)) best = v;
  }
  return best;
}

int bsp_code_versions(int call) {
  struct bsp_version *v;
  int n = 0;
  for (v = bsp_cache; v < CACHE_END; v++) n += v->call == call && (v->state == BSP_PENDING || v->state == BSP_READY);
  return n;
}

/* Find or request the version for ctx and take a reference to it: the cache
 * index. A miss sends CUSTOMIZE; the version is PENDING until IMAGE. */
int bsp_code_attach(int task, const struct bsp_context *ctx, const struct bsp_args *args) {
  struct bsp_version *v = lookup(ctx);
  if (!v) {
    if (!(v = victim())) return -BSP_E_NOVERSION;
    release(v);
    v->state = BSP_PENDING;
    v->call = ctx->call;
    memcpy(v->hash, ctx->hash, BSP_HASH);
    v->serial = ++serials;
    v->request = ++requests;
    v->task = (bsp_u32)task;
    v->guards[0] = ctx->gen;
    v->nguards = ctx->gen.counter != 0;
    if (bsp_chan_customize(v->request, ctx, args)) v->state = BSP_FAILED;
  }
  v->refs++;
  v->used = ++bsp_lru_clock;
  return (int)(v - bsp_cache);
}

/* Drop a token's reference; the last one frees the version (and cancels
 * its request when the code has not arrived). */
void bsp_code_detach(int index, bsp_u32 serial) {
  struct bsp_version *v = &bsp_cache[index];
  if (v->serial == serial && v->state != BSP_FREE && !--v->refs) release(v);
}

static struct bsp_version *pending(bsp_u32 request) {
  struct bsp_version *v;
  for (v = bsp_cache; v < bsp_cache + BSP_CACHE_MAX; v++)
    if (v->state == BSP_PENDING && v->request == request) return v;
  return 0;
}

int bsp_code_task(bsp_u32 request) {
  struct bsp_version *v = pending(request);
  return v ? (int)v->task : -BSP_E_REQUEST;
}

void bsp_code_failed(bsp_u32 request) {
  struct bsp_version *v = pending(request);
  if (v) v->state = BSP_FAILED;
}

int bsp_code_install(bsp_u32 request, const bsp_u8 *image, bsp_u32 len) {
  struct bsp_version *v = pending(request);
  struct bsp_loaded l;
  int r;
  if (!v) return -BSP_E_REQUEST;
  /* a rejected image changes nothing: the request stays pending, the server
   * hears the error (channel.c) and may send the image again */
  if ((r = bsp_image_load(image, len, v->call, v->hash, &l))) return r;
  v->off = l.off;
  v->size = l.size;
  v->entry = l.entry;
  memcpy(v->guards + v->nguards, l.guards, l.nguards * sizeof l.guards[0]);
  v->nguards += l.nguards;
  v->state = BSP_READY;
  return BSP_OK;
}
