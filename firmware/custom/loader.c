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

int bsp_image_load(struct bsp_version *v, const bsp_u8 *image, bsp_u32 len) {
  struct header h;
  struct reloc r;
  struct guard g;
  bsp_uptr addr[BSP_IMPORTS], a;
  bsp_u8 tag[BSP_TAG], diff = 0, *code;
  const bsp_u8 *p, *str;
  const struct bsp_export *x, *end;
  bsp_u32 i, n;
  if (len < BSP_IMG_HEADER + BSP_TAG) return -BSP_E_TRUNCATED;
  memcpy(&h, image, BSP_IMG_HEADER);
  if (memcmp(h.magic, "BSPI", 4)) return -BSP_E_MAGIC;
  if (h.version != BSP_IMG_VERSION) return -BSP_E_VERSION;
  if (h.target != TARGET) return -BSP_E_TARGET;
  /* lengths only: no byte past len is read before this check */
  if (h.mem > BSP_FRAME_MAX || h.bss > BSP_FRAME_MAX ||
      BSP_IMG_HEADER + h.mem + 8 * h.nrel + 2 * h.nimp + 16 * h.ngu + h.nstr + BSP_TAG != len)
    return -BSP_E_TRUNCATED;
  len -= BSP_TAG;
  bsp_hmac_sha256(bsp_device_key, 32, image, len, tag);
  for (i = 0; i < BSP_TAG; i++) diff |= tag[i] ^ image[len + i]; /* constant time */
  if (diff) return -BSP_E_TAG;
  if (memcmp(h.build, bsp_build_id, BSP_BUILD_ID)) return -BSP_E_BUILD;
  if (h.call != v->call || memcmp(h.hash, v->hash, BSP_HASH)) return -BSP_E_CONTEXT;
  if (h.nimp > BSP_IMPORTS || h.ngu > BSP_GUARDS) return -BSP_E_LIMIT;
  if (h.entry >= h.mem || h.entry & (CODE_ALIGN - 1)) return -BSP_E_ENTRY;
  p = image + BSP_IMG_HEADER + h.mem + 8 * h.nrel;
  str = p + 2 * h.nimp + 16 * h.ngu;
  for (i = 0; i < h.nimp; i++, p += 2) {
    n = p[0] | p[1] << 8;
    if (n >= h.nstr || !memchr(str + n, 0, h.nstr - n)) return -BSP_E_NAME;
    for (x = bsp_exports, end = x + bsp_nexports; x < end && strcmp(x->name, (const char *)str + n); x++);
    if (x == end) return -BSP_E_SYMBOL;
    addr[i] = (bsp_uptr)x->addr;
  }
  for (i = 0; i < h.ngu; i++, p += 16) {
    memcpy(&g, p, 16);
    a = g.addr;
#ifdef __x86_64__
    a |= (bsp_uptr)g.high << 32;
#else
    if (g.high) return -BSP_E_GUARD;
#endif
    if (g.sym != BSP_SYM_BASE) {
      if (g.sym >= h.nimp) return -BSP_E_GUARD;
      a += addr[g.sym];
    }
    if (a & 3 || !bsp_port_readable(a, 4)) return -BSP_E_GUARD;
    /* beyond v->nguards until the image is accepted */
    v->guards[v->nguards + i].counter = (const volatile bsp_u32 *)a;
    v->guards[v->nguards + i].value = g.value;
  }
  if (!(code = bsp_code_alloc(h.mem + h.bss, &v->off))) return -BSP_E_NOMEM;
  memcpy(code, image + BSP_IMG_HEADER, h.mem);
  memset(code + h.mem, 0, h.bss);
  /* the addend is in place (REL), like the ELF objects the image comes from */
  for (p = image + BSP_IMG_HEADER + h.mem, i = 0; i < h.nrel; i++, p += 8) {
    memcpy(&r, p, 8);
    if (r.type != REL_TYPE) return -BSP_E_RELOC_TYPE;
    if (h.mem < sizeof a || r.off > h.mem - sizeof a || (r.sym != BSP_SYM_BASE && r.sym >= h.nimp)) return -BSP_E_RELOC_BOUNDS;
    memcpy(&a, code + r.off, sizeof a);
    a += r.sym == BSP_SYM_BASE ? (bsp_uptr)code : addr[r.sym];
    memcpy(code + r.off, &a, sizeof a);
  }
  v->size = h.mem + h.bss;
  v->entry = (bsp_entry)(bsp_uptr)(code + h.entry);
  v->nguards += h.ngu;
  v->state = BSP_READY;
  return BSP_OK;
}
