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

int bsp_image_load(const bsp_u8 *image, bsp_u32 len, int call, const bsp_u8 hash[BSP_HASH], struct bsp_loaded *out) {
  bsp_u32 mem, bss, entry, nrel, nimp, ngu, nstr, body, i, off, name, sym;
  const bsp_u8 *rel, *imp, *gu, *str;
  bsp_uptr addr[BSP_IMPORTS], a;
  bsp_u8 *code;
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
  body = BSP_IMG_HEADER + mem + 8 * nrel + 2 * nimp + 16 * ngu + nstr;
  if (body + BSP_TAG != len) return -BSP_E_TRUNCATED;
  rel = image + BSP_IMG_HEADER + mem;
  imp = rel + 8 * nrel;
  gu = imp + 2 * nimp;
  str = gu + 16 * ngu;
  if (!tag_ok(image, body)) return -BSP_E_TAG;
  if (memcmp(image + 8, bsp_build_id, BSP_BUILD_ID)) return -BSP_E_BUILD;
  if (image[6] != call || memcmp(image + 16, hash, BSP_HASH)) return -BSP_E_CONTEXT;
  if (nimp > BSP_IMPORTS || ngu > BSP_GUARDS) return -BSP_E_LIMIT;
  if (entry >= mem || entry % CODE_ALIGN) return -BSP_E_ENTRY;
  for (i = 0; i < nimp; i++) {
    name = bsp_get(imp + 2 * i, 2);
    if (name >= nstr || !memchr(str + name, 0, nstr - name)) return -BSP_E_NAME;
    if (!(addr[i] = (bsp_uptr)find_export((const char *)str + name))) return -BSP_E_SYMBOL;
  }
  for (i = 0; i < nrel; i++) {
    off = bsp_get(rel + 8 * i, 4);
    sym = bsp_get(rel + 8 * i + 4, 2);
    if (bsp_get(rel + 8 * i + 6, 2) != REL_TYPE) return -BSP_E_RELOC_TYPE;
    if (off > mem - REL_WIDTH || mem < REL_WIDTH || (sym != BSP_SYM_BASE && sym >= nimp)) return -BSP_E_RELOC_BOUNDS;
  }
  for (i = 0; i < ngu; i++) {
    sym = bsp_get(gu + 16 * i + 8, 2);
    if (REL_WIDTH == 4 && bsp_get(gu + 16 * i + 4, 4)) return -BSP_E_GUARD;
    a = bsp_get(gu + 16 * i, REL_WIDTH);
    if (sym != BSP_SYM_BASE) {
      if (sym >= nimp) return -BSP_E_GUARD;
      a += addr[sym];
    }
    if (a & 3 || !bsp_port_readable(a, 4)) return -BSP_E_GUARD;
    out->guards[i].counter = (const volatile bsp_u32 *)a;
    out->guards[i].value = bsp_get(gu + 16 * i + 12, 4);
  }
  if (!(code = bsp_code_alloc(mem + bss, &out->off))) return -BSP_E_NOMEM;
  memcpy(code, image + BSP_IMG_HEADER, mem);
  memset(code + mem, 0, bss);
  for (i = 0; i < nrel; i++) {
    off = bsp_get(rel + 8 * i, 4);
    sym = bsp_get(rel + 8 * i + 4, 2);
    a = sym == BSP_SYM_BASE ? (bsp_uptr)code : addr[sym];
    /* the addend is in place (REL), like the ELF objects the image comes from */
    bsp_put(code + off, a + bsp_get(code + off, REL_WIDTH), REL_WIDTH);
  }
  out->size = mem + bss;
  out->entry = (bsp_entry)(bsp_uptr)(code + entry);
  out->nguards = (bsp_u8)ngu;
  return BSP_OK;
}
