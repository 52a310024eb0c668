/* The code image loader: verifies an image for a pending version, takes
 * free code memory, copies the image there and checks and applies each
 * relocation against the firmware's export table in one pass over that
 * copy, then makes the version READY. Every defect is reported with its own
 * error code; the memory (and the guards written past the version's count)
 * only become the version's when all checks pass, so a rejected image
 * changes nothing (format: docs/protocol.md). Both targets
 * are little-endian: header, relocation and guard records are copied into
 * structs of the same layout. */
#include <string.h>
#include "port.h"

#ifdef __x86_64__
#define TARGET BSP_TARGET_X86_64
#define REL_TYPE BSP_REL_ABS64
#define CODE_ALIGN 1
#elif defined(__arm__)
#define TARGET BSP_TARGET_ARM
#define REL_TYPE BSP_REL_ABS32
#define CODE_ALIGN 4
#else
#error "code images exist for arm and x86_64 only"
#endif

struct header {
  bsp_u8 magic[4], version, target, call, zero;
  bsp_u8 build[BSP_BUILD_ID], hash[BSP_HASH];
  bsp_u32 mem, bss, entry;
  bsp_u16 nrel, nimp, ngu, nstr;
};
struct reloc {
  bsp_u32 off;
  bsp_u16 sym, type;
};
struct guard {
  bsp_u32 addr, high; /* u64 */
  bsp_u16 sym, zero;
  bsp_u32 value;
};

/* An import or the base, by symbol: relocations and guards name import
 * `symbol`, or with BSP_SYM_BASE the base (the load address for a
 * relocation, 0 for a guard's absolute address). In `addr` the base is
 * entry 0 and import i entry i + 1: symbol + 1 as a u16 indexes it, and
 * anything past the imports is out of bounds. */
#define SLOT(sym) ((bsp_u16)((sym) + 1))

int bsp_image_load(struct bsp_version *v, const bsp_u8 *image, bsp_u32 len) {
  struct header h;
  struct reloc r;
  struct guard g;
  struct bsp_guard *to;
  bsp_uptr addr[1 + BSP_IMPORTS], a;
  bsp_u8 tag[BSP_TAG], *code;
  const bsp_u8 *p, *str;
  const char *name;
  const struct bsp_export *x, *end;
  bsp_u32 i, n;
  if (len < BSP_IMG_HEADER + BSP_TAG) return -BSP_E_TRUNCATED;
  memcpy(&h, image, BSP_IMG_HEADER);
  if (memcmp(h.magic, "BSPI", 4)) return -BSP_E_MAGIC;
  if (h.version != BSP_IMG_VERSION) return -BSP_E_VERSION;
  if (h.target != TARGET) return -BSP_E_TARGET;
  /* lengths only: no byte past len is read before this check */
  if ((h.mem | h.bss) > BSP_FRAME_MAX ||
      BSP_IMG_HEADER + h.mem + 8 * h.nrel + 2 * h.nimp + 16 * h.ngu + h.nstr + BSP_TAG != len)
    return -BSP_E_TRUNCATED;
  len -= BSP_TAG;
  bsp_hmac_sha256(bsp_device_key, 32, image, len, tag);
  p = image + len;
  n = 0;
  i = BSP_TAG;
  while (i--) n |= tag[i] ^ p[i]; /* constant time */
  if (n) return -BSP_E_TAG;
  if (memcmp(h.build, bsp_build_id, BSP_BUILD_ID)) return -BSP_E_BUILD;
  if (h.call != v->call || memcmp(h.hash, v->hash, BSP_HASH)) return -BSP_E_CONTEXT;
  if (h.nimp > BSP_IMPORTS || h.ngu > BSP_GUARDS) return -BSP_E_LIMIT;
  if (h.entry >= h.mem || h.entry & (CODE_ALIGN - 1)) return -BSP_E_ENTRY;
  p = image + BSP_IMG_HEADER + h.mem + 8 * h.nrel;
  str = p + 2 * h.nimp + 16 * h.ngu;
  addr[0] = 0;
  for (i = 1; i <= h.nimp; ++i) {
    n = 0;
    memcpy(&n, p, 2);
    p += 2;
    name = (const char *)str + n;
    if (n >= h.nstr || !memchr(name, 0, h.nstr - n)) return -BSP_E_NAME;
    x = bsp_exports;
    end = x + bsp_nexports;
    while (*x->name != *name || strcmp(x->name, name)) /* most differ at once: no call */
      if (++x == end) return -BSP_E_SYMBOL;
    addr[i] = (bsp_uptr)x->addr;
  }
  /* written past the version's count until the image is accepted */
  to = v->guards + v->nguards;
  i = h.ngu;
  while (i--) {
    memcpy(&g, p, 16);
    p += 16;
    a = g.addr;
#ifdef __x86_64__
    a |= (bsp_uptr)g.high << 32;
#else
    if (g.high) return -BSP_E_GUARD;
#endif
    if ((n = SLOT(g.sym)) > h.nimp || (a += addr[n]) & 3 || !bsp_port_readable(a, 4)) return -BSP_E_GUARD;
    to->counter = (const volatile bsp_u32 *)a;
    to->value = g.value;
    ++to;
  }
  if (!(code = bsp_code_alloc(h.mem + h.bss, &v->off))) return -BSP_E_NOMEM;
  p = image + BSP_IMG_HEADER;
  memcpy(code, p, h.mem);
  memset(code + h.mem, 0, h.bss);
  /* the addend is in place (REL), like the ELF objects the image comes from */
  addr[0] = (bsp_uptr)code;
  p += h.mem;
  i = h.nrel;
  while (i--) {
    memcpy(&r, p, 8);
    p += 8;
    if (r.type != REL_TYPE) return -BSP_E_RELOC_TYPE;
    if (r.off >= h.mem || h.mem - r.off < sizeof a || (n = SLOT(r.sym)) > h.nimp) return -BSP_E_RELOC_BOUNDS;
    memcpy(&a, code + r.off, sizeof a);
    a += addr[n];
    memcpy(code + r.off, &a, sizeof a);
  }
  v->size = h.mem + h.bss;
  v->entry = (bsp_entry)(bsp_uptr)(code + h.entry);
  v->nguards += h.ngu;
  v->state = BSP_READY;
  return BSP_OK;
}
