/* The device half of remote customization: shared types of the context
 * manager (context.c), the code manager (codemgr.c), the image loader
 * (loader.c), the channel endpoint (channel.c) and the system call entry
 * (specialize.c). Wire formats: docs/protocol.md. What the kernel and the
 * platform provide: port.h. */
#ifndef BSP_CUSTOM_H
#define BSP_CUSTOM_H

#include "bespoke.h"

typedef unsigned char bsp_u8;
typedef unsigned short bsp_u16;
typedef unsigned int bsp_u32;
typedef unsigned long long bsp_u64;
typedef unsigned long bsp_uptr; /* pointer-sized on ILP32 arm and LP64 x86_64 */

/* Error codes: returned negated by sys_specialize and the loader, and sent as
 * the code of an ERROR message. Distinct per defect (docs/protocol.md). */
enum {
  BSP_OK = 0,
  BSP_E_FRAME = 1,         /* malformed frame or payload */
  BSP_E_REQUEST = 2,       /* no pending request with this id */
  BSP_E_FETCH = 3,         /* FETCH of memory the device does not expose */
  BSP_E_FUNCTION = 4,      /* CALL of an unknown function or with bad args */
  BSP_E_TOKEN = 5,         /* not a live token of this task */
  BSP_E_CALLNO = 6,        /* not a customizable call */
  BSP_E_BADFD = 7,         /* fd is not an open socket */
  BSP_E_NOSLOT = 8,        /* the task's token table is full */
  BSP_E_NOVERSION = 9,     /* every cache entry is in use */
  BSP_E_TRUNCATED = 10,    /* image shorter or longer than its header says */
  BSP_E_MAGIC = 11,
  BSP_E_VERSION = 12,      /* image format version */
  BSP_E_TARGET = 13,       /* image for another CPU */
  BSP_E_TAG = 14,          /* HMAC-SHA256 tag does not verify */
  BSP_E_BUILD = 15,        /* linked against another firmware build */
  BSP_E_CONTEXT = 16,      /* call or context hash differ from the request */
  BSP_E_RELOC_BOUNDS = 17, /* relocation outside the image */
  BSP_E_RELOC_TYPE = 18,
  BSP_E_SYMBOL = 19,       /* import not in the firmware's export table */
  BSP_E_NAME = 20,         /* import name outside the string table */
  BSP_E_ENTRY = 21,        /* entry point outside the code */
  BSP_E_GUARD = 22,        /* guard on memory the device does not expose */
  BSP_E_NOMEM = 23,        /* code memory exhausted */
  BSP_E_LIMIT = 24         /* more imports or guards than the device keeps */
};

/* Limits and sizes (override with -D). */
#ifndef BSP_CACHE_MAX
#define BSP_CACHE_MAX 16 /* cache entries; the LRU capacity is bsp_config.capacity <= this */
#endif
#ifndef BSP_TASKS
#define BSP_TASKS 4
#endif
#ifndef BSP_TOKENS
#define BSP_TOKENS 8 /* tokens per task (local system call table) */
#endif
#ifndef BSP_GUARDS
#define BSP_GUARDS 4 /* guards per version, from the image */
#endif
#ifndef BSP_IMPORTS
#define BSP_IMPORTS 64
#endif
#ifndef BSP_FRAME_MAX
#define BSP_FRAME_MAX 65536 /* one mailbox message */
#endif
#define BSP_ADDR_MAX 16 /* bytes of a struct sockaddr kept per token */
#define BSP_HASH 8     /* bytes of a context hash */
#define BSP_BUILD_ID 8 /* bytes of a firmware build ID */
#define BSP_TAG 32     /* HMAC-SHA256 */

/* Code image format (docs/protocol.md, "Code images"). */
#define BSP_IMG_HEADER 44
#define BSP_IMG_VERSION 1
#define BSP_TARGET_ARM 1
#define BSP_TARGET_X86_64 2
#define BSP_REL_ABS32 1
#define BSP_REL_ABS64 2
#define BSP_SYM_BASE 0xffff /* relocation/guard symbol: the image itself / an absolute address */

/* Static arguments of one customization request, as the application gave
 * them. The CUSTOMIZE values fd, flags and addr are the words at 0 and 4 and
 * the bytes at 8 (context.c). */
struct bsp_args {
  int fd;
  int flags;
  bsp_u8 addr[BSP_ADDR_MAX];
  unsigned addr_len;
};

/* The entry of a customized version: the call's descriptor and dynamic
 * arguments, and the token's static arguments in place (their layout is
 * the one above on every target), so a version with fewer static
 * parameters reads the others; an address is there when addr_len is not 0.
 * Four arguments: all in registers on arm and x86_64. */
typedef long (*bsp_entry)(int fd, const void *buf, unsigned long len, const struct bsp_args *args);

struct bsp_guard {
  const volatile bsp_u32 *counter;
  bsp_u32 value;
};

/* The context the context manager extracted: what the version depends on.
 * Its CUSTOMIZE payload is already in the channel's buffer (bsp_chan_payload).
 * The context hash covers the fields before it. */
struct bsp_context {
  struct bsp_guard gen;       /* the file's generation; zero when fd is dropped */
  bsp_u8 dropped;             /* parameters ignored to bound versions (context.c) */
  bsp_u8 call;                /* call and hash: the cache key, adjacent */
  bsp_u8 hash[BSP_HASH];
  bsp_u8 kept;                /* parameters kept: more could be dropped */
  bsp_u32 len;                /* of the CUSTOMIZE payload */
};

enum { BSP_FREE, BSP_PENDING, BSP_READY, BSP_FAILED, BSP_STALE };

/* A cache entry: one customized version, shared by all tasks. */
struct bsp_version {
  bsp_u8 state;
  bsp_u8 nguards;
  bsp_u8 task;      /* task that asked (customization-time functions run as it) */
  bsp_u8 call;      /* call and hash: the cache key, adjacent */
  bsp_u8 hash[BSP_HASH];
  bsp_u16 refs;
  bsp_u32 serial;   /* the channel request id: new whenever the entry is reused, tokens check it */
  bsp_u32 used;     /* LRU clock */
  bsp_u32 off, size; /* code memory */
  bsp_entry entry;
  struct bsp_guard guards[1 + BSP_GUARDS]; /* the file's generation, then the image's */
};

/* A local system call table entry: token t of a task is slots[t - 1]. */
struct bsp_slot {
  struct bsp_args args;
  bsp_u8 used;
  bsp_u8 call;
  struct bsp_version *version; /* NULL: unbound */
  bsp_u32 serial;          /* of the version when bound: it is still that one */
  struct bsp_guard fd_gen; /* the task's fd slot: not reused since */
};

/* Policies (the paper's configurable context and code managers). */
struct bsp_config {
  bsp_u8 capacity;     /* LRU capacity of the shared cache, 1..BSP_CACHE_MAX */
  bsp_u8 max_versions; /* versions per call before a parameter is dropped, then per dropped parameter */
  bsp_u8 rerequest;    /* 1: a failed guard re-requests; 0: the token stays generic */
  bsp_u32 wait;        /* customized_* on a pending token waits for the code, at most
                          this many channel polls; 0: the generic path at once */
};
extern struct bsp_config bsp_config;

extern struct bsp_version bsp_cache[BSP_CACHE_MAX];
extern bsp_u32 bsp_lru_clock;
extern struct bsp_slot bsp_slots[BSP_TASKS][BSP_TOKENS];

/* sha256.c: the SHA-256 of a followed by b (either may be empty). */
void bsp_sha256(const void *a, bsp_u32 alen, const void *b, bsp_u32 blen, bsp_u8 *out);
void bsp_hmac_sha256(const bsp_u8 *key, bsp_u32 key_len, const void *data, bsp_u32 len, bsp_u8 *out);

/* context.c */
/* Extract the context of a call for a task with its last `dropped`
 * parameters ignored, hash it, and write the CUSTOMIZE payload that would
 * request it. */
int bsp_context_extract(int task, int call, const struct bsp_args *args, int dropped, struct bsp_context *ctx);

/* codemgr.c */
/* Find or request the version for ctx and take a reference to it (*v): 0;
 * 1 when the call already has bsp_config.max_versions versions per dropped
 * parameter and ctx could drop one more: extract it again with one more;
 * or -BSP_E_NOVERSION. */
int bsp_code_attach(int task, const struct bsp_context *ctx, struct bsp_version **v);
void bsp_code_detach(struct bsp_version *v, bsp_u32 serial);
bsp_u8 *bsp_code_alloc(bsp_u32 size, bsp_u32 *off);

/* loader.c: verify and load an image for a pending version; it becomes READY. */
int bsp_image_load(struct bsp_version *v, const bsp_u8 *image, bsp_u32 len);

/* channel.c */
enum { BSP_MSG_CUSTOMIZE = 1, BSP_MSG_CANCEL = 8 };
/* The payload of the next frame sent (word-aligned). */
extern bsp_u32 bsp_chan_tx[BSP_FRAME_MAX / 4];
#define bsp_chan_payload ((bsp_u8 *)(bsp_chan_tx + 3))
/* Send a frame whose payload is in bsp_chan_payload. */
int bsp_chan_send(bsp_u32 type, bsp_u32 id, bsp_u32 len);
int bsp_chan_deliver(const bsp_u8 *frame, bsp_u32 len);
int bsp_chan_poll(void);

#endif
