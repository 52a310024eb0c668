/* The code manager (the paper's section 2.3): one cache of customized
 * versions keyed by (call, context hash) and shared by all tasks, reference
 * counted by tokens, LRU replacement at bsp_config.capacity, and the
 * allocator of the code memory versions are loaded into. */
#include <string.h>
#include "port.h"

struct bsp_config bsp_config = {BSP_CACHE_MAX, 4, 0, 1, 1000000};
struct bsp_version bsp_cache[BSP_CACHE_MAX];
bsp_u32 bsp_lru_clock;
static bsp_u32 serials, requests;

/* First fit over the blocks of the loaded versions, 16-byte aligned. */
bsp_u8 *bsp_code_alloc(bsp_u32 size, bsp_u32 *off) {
  bsp_u32 total, at = 0, i;
  bsp_u8 *mem = bsp_port_code_memory(&total);
  struct bsp_version *v;
  size = (size + 15) & ~15u;
  for (i = 0; i < BSP_CACHE_MAX; i++) {
    v = &bsp_cache[i];
    if (v->size && at < v->off + v->size && v->off < at + size) {
      at = (v->off + v->size + 15) & ~15u;
      i = -1; /* rescan: the blocks are not sorted */
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

static int lookup(const struct bsp_context *ctx) {
  int i;
  struct bsp_version *v;
  for (i = 0; i < bsp_config.capacity; i++) {
    v = &bsp_cache[i];
    if (v->state != BSP_FREE && v->state != BSP_STALE && v->call == ctx->call && !memcmp(v->hash, ctx->hash, BSP_HASH))
      return i;
  }
  return -1;
}

/* A free entry, else the least recently used one, unreferenced ones first. */
static int victim(void) {
  int i, best = -1;
  struct bsp_version *v, *b;
  for (i = 0; i < bsp_config.capacity; i++) {
    v = &bsp_cache[i];
    if (v->state == BSP_FREE) return i;
    b = &bsp_cache[best < 0 ? i : best];
    if (best < 0 || (!v->refs && b->refs) || (!v->refs == !b->refs && v->used < b->used)) best = i;
  }
  return best;
}

int bsp_code_versions(int call) {
  int i, n = 0;
  for (i = 0; i < bsp_config.capacity; i++)
    n += bsp_cache[i].call == call && (bsp_cache[i].state == BSP_PENDING || bsp_cache[i].state == BSP_READY);
  return n;
}

/* Find or request the version for ctx and take a reference to it: the cache
 * index. A miss sends CUSTOMIZE; the version is PENDING until IMAGE. */
int bsp_code_attach(int task, const struct bsp_context *ctx, const struct bsp_args *args) {
  int i = lookup(ctx);
  struct bsp_version *v;
  if (i < 0) {
    if ((i = victim()) < 0) return -BSP_E_NOVERSION;
    v = &bsp_cache[i];
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
  v = &bsp_cache[i];
  v->refs++;
  v->used = ++bsp_lru_clock;
  return i;
}

/* Drop a token's reference; the last one frees the version (and cancels
 * its request when the code has not arrived). */
void bsp_code_detach(int index, bsp_u32 serial) {
  struct bsp_version *v = &bsp_cache[index];
  if (v->serial == serial && v->state != BSP_FREE && !--v->refs) release(v);
}

static struct bsp_version *pending(bsp_u32 request) {
  int i;
  for (i = 0; i < BSP_CACHE_MAX; i++)
    if (bsp_cache[i].state == BSP_PENDING && bsp_cache[i].request == request) return &bsp_cache[i];
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
