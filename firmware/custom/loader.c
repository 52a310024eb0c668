/* The code image loader: verifies an image completely, then allocates code
 * memory, copies, relocates against the firmware's export table and returns
 * what the code manager installs. Every defect is reported with its own
 * error code before any state changes (format: docs/protocol.md). */
#include <string.h>
#include "port.h"

#ifdef __x86_64__
#define TARGET BSP_TARGET_X86_64
#define REL_TYPE BSP_REL_ABS64
#define REL_WIDTH 8
#define CODE_ALIGN 1
#elif defined(__arm__)
#define TARGET BSP_TARGET_ARM
#define REL_TYPE BSP_REL_ABS32
#define REL_WIDTH 4
#define CODE_ALIGN 4
#else
#error "code images exist for arm and x86_64 only"
#endif

static int tag_ok(const bsp_u8 *image, bsp_u32 body) {
  bsp_u8 tag[BSP_TAG], diff = 0;
  int i;
  bsp_hmac_sha256(bsp_device_key, 32, image, body, tag);
  for (i = 0; i < BSP_TAG; i++) diff |= tag[i] ^ image[body + i]; /* constant time */
  return !diff;
}

static void *find_export(const char *name) {
  bsp_u32 i;
  for (i = 0; i < bsp_nexports; i++)
    if (!strcmp(bsp_exports[i].name, name)) return bsp_exports[i].addr;
  return 0;
}

/* Check (code == 0) or apply the relocations: 8 bytes each, offset u32,
 * symbol u16, type u16. */
static int relocate(const bsp_u8 *p, bsp_u32 n, bsp_u32 mem, bsp_u32 nimp, const bsp_uptr *addr, bsp_u8 *code) {
  bsp_u32 off, sym;
  for (; n--; p += 8) {
    off = bsp_get(p, 4);
    sym = bsp_get(p + 4, 2);
    if (code) {
      /* the addend is in place (REL), like the ELF objects the image comes from */
      bsp_put(code + off, (sym == BSP_SYM_BASE ? (bsp_uptr)code : addr[sym]) + bsp_get(code + off, REL_WIDTH), REL_WIDTH);
    } else {
      if (bsp_get(p + 6, 2) != REL_TYPE) return -BSP_E_RELOC_TYPE;
      if (mem < REL_WIDTH || off > mem - REL_WIDTH || (sym != BSP_SYM_BASE && sym >= nimp)) return -BSP_E_RELOC_BOUNDS;
    }
  }
  return BSP_OK;
}

int bsp_image_load(const bsp_u8 *image, bsp_u32 len, int call, const bsp_u8 hash[BSP_HASH], struct bsp_loaded *out) {
  bsp_u32 mem, bss, entry, nrel, nimp, ngu, nstr, i, sym;
  const bsp_u8 *rel, *imp, *gu, *str;
  bsp_uptr addr[BSP_IMPORTS], a;
  bsp_u8 *code;
  int r;
  if (len < BSP_IMG_HEADER + BSP_TAG) return -BSP_E_TRUNCATED;
  if (memcmp(image, "BSPI", 4)) return -BSP_E_MAGIC;
  if (image[4] != BSP_IMG_VERSION) return -BSP_E_VERSION;
  if (image[5] != TARGET) return -BSP_E_TARGET;
  mem = bsp_get(image + 24, 4);
  bss = bsp_get(image + 28, 4);
  entry = bsp_get(image + 32, 4);
  nrel = bsp_get(image + 36, 2);
  nimp = bsp_get(image + 38, 2);
  ngu = bsp_get(image + 40, 2);
  nstr = bsp_get(image + 42, 2);
  if (mem > BSP_FRAME_MAX || bss > BSP_FRAME_MAX) return -BSP_E_TRUNCATED;
  rel = image + BSP_IMG_HEADER + mem;
  imp = rel + 8 * nrel;
  gu = imp + 2 * nimp;
  str = gu + 16 * ngu;
  /* lengths only: no byte past len is read before this check */
  if (BSP_IMG_HEADER + mem + 8 * nrel + 2 * nimp + 16 * ngu + nstr + BSP_TAG != len) return -BSP_E_TRUNCATED;
  if (!tag_ok(image, len - BSP_TAG)) return -BSP_E_TAG;
  if (memcmp(image + 8, bsp_build_id, BSP_BUILD_ID)) return -BSP_E_BUILD;
  if (image[6] != call || memcmp(image + 16, hash, BSP_HASH)) return -BSP_E_CONTEXT;
  if (nimp > BSP_IMPORTS || ngu > BSP_GUARDS) return -BSP_E_LIMIT;
  if (entry >= mem || entry % CODE_ALIGN) return -BSP_E_ENTRY;
  for (i = 0; i < nimp; i++, imp += 2) {
    sym = bsp_get(imp, 2);
    if (sym >= nstr || !memchr(str + sym, 0, nstr - sym)) return -BSP_E_NAME;
    if (!(addr[i] = (bsp_uptr)find_export((const char *)str + sym))) return -BSP_E_SYMBOL;
  }
  if ((r = relocate(rel, nrel, mem, nimp, addr, 0))) return r;
  for (i = 0; i < ngu; i++, gu += 16) {
    sym = bsp_get(gu + 8, 2);
    a = bsp_get(gu, REL_WIDTH);
    if (REL_WIDTH == 4 && bsp_get(gu + 4, 4)) return -BSP_E_GUARD;
    if (sym != BSP_SYM_BASE) {
      if (sym >= nimp) return -BSP_E_GUARD;
      a += addr[sym];
    }
    if (a & 3 || !bsp_port_readable(a, 4)) return -BSP_E_GUARD;
    out->guards[i].counter = (const volatile bsp_u32 *)a;
    out->guards[i].value = bsp_get(gu + 12, 4);
  }
  if (!(code = bsp_code_alloc(mem + bss, &out->off))) return -BSP_E_NOMEM;
  memcpy(code, image + BSP_IMG_HEADER, mem);
  memset(code + mem, 0, bss);
  relocate(rel, nrel, mem, nimp, addr, code);
  out->size = mem + bss;
  out->entry = (bsp_entry)(bsp_uptr)(code + entry);
  out->nguards = (bsp_u8)ngu;
  return BSP_OK;
}
