// TinyCC for bespoke: the five targets, the source fixes, and the two builds
// of the same patched source (WebAssembly with emscripten, native with gcc).
// Used by build.mjs and by the test setup; plain Node, no dependencies.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** Target name -> preprocessor defines selecting TinyCC's code generator. */
export const TARGETS = {
  arm: ["TCC_TARGET_ARM", "TCC_ARM_EABI", "TCC_ARM_VFP"],
  x86_64: ["TCC_TARGET_X86_64"],
  riscv64: ["TCC_TARGET_RISCV64"],
  i386: ["TCC_TARGET_I386"],
  arm64: ["TCC_TARGET_ARM64"],
};

/** Where the embedded tcc finds its own headers inside the wasm filesystem. */
export const TCC_DIR = "/tcc";

/** tcc.h's byte-by-byte little-endian accessors: the wasm-little-endian-access fix keeps them for native builds. */
const LITTLE_ENDIAN_ACCESS = `static inline uint16_t read16le(unsigned char *p) {
    return p[0] | (uint16_t)p[1] << 8;
}
static inline void write16le(unsigned char *p, uint16_t x) {
    p[0] = x & 255;  p[1] = x >> 8 & 255;
}
static inline uint32_t read32le(unsigned char *p) {
  return read16le(p) | (uint32_t)read16le(p + 2) << 16;
}
static inline void write32le(unsigned char *p, uint32_t x) {
    write16le(p, x);  write16le(p + 2, x >> 16);
}
`;

/**
 * Source fixes, each applied only where the original text is present.
 * `find` must occur in `file`; every occurrence is replaced.
 */
export const FIXES = [
  {
    name: "linux-under-emscripten",
    why: "emscripten does not define __linux__, so tcc would not predefine it for the target",
    file: "libtcc.c",
    find: "# if defined(__linux__)\n",
    replace: "# if defined(__linux__) || defined(__EMSCRIPTEN__)\n",
  },
  {
    name: "riscv64-stale-label-token",
    why: "the cached .L0/.LB0 label symbols keep a token id that tcc_delete frees; resolve it on every use",
    file: "riscv64-gen.c",
    find: "if (!label.v) {",
    replace: "{ /* bespoke: token ids do not survive tcc_delete */",
  },
  {
    name: "arm-compare-rd-zero",
    why: "CMP/CMN/TST/TEQ must encode Rd = 0; strict decoders (qemu-arm 7, our VM) reject others",
    file: "arm-gen.c",
    find: "o(x|(r<<12));",
    replace: "o(x|(((x>>23)&3)==2 ? 0 : (r<<12)));",
  },
  {
    name: "arm-compare-rd-zero-reg",
    why: "same fix for the register-operand form",
    file: "arm-gen.c",
    find: "o(opc|(c<<16)|(r<<12)|fr);",
    replace: "o(opc|(c<<16)|(((opc>>23)&3)==2 ? 0 : (r<<12))|fr);",
  },
  {
    name: "ldouble-target-format",
    why: "long double constants were stored in the host's format (x87 80-bit natively, IEEE binary128 in wasm): encode them in the target's format from their value",
    file: "tccgen.c",
    find: "# define TCC_IS_NATIVE_387\n#endif\n",
    replace: `# define TCC_IS_NATIVE_387
#endif

/* bespoke: the target's long double format, encoded from the value */
#if defined TCC_TARGET_I386 || defined TCC_TARGET_X86_64
# define LDOUBLE_BITS 64 /* x87 extended, explicit integer bit */
#elif LDOUBLE_SIZE == 16
# define LDOUBLE_BITS 113 /* IEEE binary128, implicit integer bit */
#else
# define LDOUBLE_BITS 0 /* long double is double */
#endif
#if LDOUBLE_BITS
static void put_ldouble(unsigned char *p, long double v)
{
    /* significand n[1]:n[0]; value = n * 2^s; ex = biased exponent field */
    uint64_t n[2] = { 0, 0 };
    int neg = signbit(v) != 0, e, bits, i, s, ex = 0;
    long double m;
    if (neg)
        v = -v;
    if (isnan(v)) {
        ex = 0x7fff;
        if (LDOUBLE_BITS == 64) n[0] = 0xc000000000000000ULL; else n[1] = 0x800000000000ULL;
    } else if (isinf(v)) {
        ex = 0x7fff;
        if (LDOUBLE_BITS == 64) n[0] = 0x8000000000000000ULL;
    } else if (v != 0) {
        m = frexpl(v, &e); /* v = m * 2^e, 0.5 <= m < 1 */
        s = e - LDOUBLE_BITS;
        if (s < -(LDOUBLE_BITS + 16381))
            s = -(LDOUBLE_BITS + 16381); /* subnormal */
        bits = e - s;
        if (bits > 0) {
            for (i = 0; i < bits; i++) {
                m *= 2;
                n[1] = n[1] << 1 | n[0] >> 63, n[0] <<= 1;
                if (m >= 1)
                    n[0] |= 1, m -= 1;
            }
        } else {
            m = ldexpl(m, bits);
        }
        if (m > 0.5 || (m == 0.5 && (n[0] & 1))) /* round to nearest even */
            if (++n[0] == 0)
                n[1]++;
        if (LDOUBLE_BITS == 64 ? n[1] != 0 : (n[1] >> 49) != 0)
            n[0] = n[0] >> 1 | n[1] << 63, n[1] >>= 1, s++;
        if (LDOUBLE_BITS == 64 ? (n[0] >> 63) != 0 : (n[1] >> 48) != 0)
            ex = s + LDOUBLE_BITS + 16382;
        if (ex >= 0x7fff) {
            ex = 0x7fff;
            n[0] = LDOUBLE_BITS == 64 ? 0x8000000000000000ULL : 0, n[1] = 0;
        }
    }
    for (i = 0; i < 8; i++)
        p[i] = n[0] >> (8 * i);
    if (LDOUBLE_BITS == 113)
        for (i = 0; i < 6; i++)
            p[8 + i] = n[1] >> (8 * i);
    p[LDOUBLE_BITS == 64 ? 8 : 14] = ex;
    p[LDOUBLE_BITS == 64 ? 9 : 15] = ex >> 8 | neg << 7;
}
#endif
`,
  },
  {
    name: "ldouble-target-format-store",
    why: "use put_ldouble for x87 and binary128 targets (the native x87 path for x86 targets stays first)",
    file: "tccgen.c",
    find: "                if (sizeof(long double) == LDOUBLE_SIZE)\n",
    replace: "#if LDOUBLE_BITS\n                if (1)\n                    put_ldouble(ptr, vtop->c.ld);\n                else\n#endif\n                if (sizeof(long double) == LDOUBLE_SIZE)\n",
  },
  {
    name: "ldouble-fold-casts",
    why: "casts to long double were folded only when the host's long double was the target's; put_ldouble makes folding valid for every target with its own long double format",
    file: "tccgen.c",
    find: "#if !defined TCC_IS_NATIVE && !defined TCC_IS_NATIVE_387\n        c &= (dbt != VT_LDOUBLE) | !!nocode_wanted;\n",
    replace: "#if !defined TCC_IS_NATIVE && !defined TCC_IS_NATIVE_387 && !LDOUBLE_BITS\n        c &= (dbt != VT_LDOUBLE) | !!nocode_wanted;\n",
  },
  {
    name: "ldouble-token-size",
    why: "long double constants in token strings (macros, saved initializers) kept only LDOUBLE_SIZE bytes of the host's long double, losing its exponent when the host's is wider (every target in wasm, arm natively)",
    file: "tcc.h",
    find: "    int tab[LDOUBLE_SIZE/4];\n} CValue;\n",
    replace: `    int tab[CVALUE_LD_INTS];
} CValue;
`,
  },
  {
    name: "ldouble-token-size-define",
    why: "CValue ints that hold a host long double (bespoke)",
    file: "tcc.h",
    find: "typedef union CValue {\n",
    replace: "#define CVALUE_LD_INTS ((sizeof(long double) > LDOUBLE_SIZE ? sizeof(long double) : LDOUBLE_SIZE) / 4)\ntypedef union CValue {\n",
  },
  {
    name: "ldouble-token-size-len",
    why: "token string length of a long double constant",
    file: "tccpp.c",
    find: "    case TOK_CLDOUBLE:\n        return 1 + LDOUBLE_SIZE / 4;\n",
    replace: "    case TOK_CLDOUBLE:\n        return 1 + CVALUE_LD_INTS;\n",
  },
  {
    name: "ldouble-token-size-store",
    why: "store every int of a long double constant in token strings",
    file: "tccpp.c",
    find: `#if LDOUBLE_SIZE == 8
    case TOK_CLDOUBLE:
#endif
        str[len++] = cv->tab[0];
        str[len++] = cv->tab[1];
        break;
#if LDOUBLE_SIZE == 12
    case TOK_CLDOUBLE:
        str[len++] = cv->tab[0];
        str[len++] = cv->tab[1];
        str[len++] = cv->tab[2];
#elif LDOUBLE_SIZE == 16
    case TOK_CLDOUBLE:
        str[len++] = cv->tab[0];
        str[len++] = cv->tab[1];
        str[len++] = cv->tab[2];
        str[len++] = cv->tab[3];
#elif LDOUBLE_SIZE != 8
#error add long double size support
#endif
        break;
`,
    replace: `        str[len++] = cv->tab[0];
        str[len++] = cv->tab[1];
        break;
    case TOK_CLDOUBLE:
        {
            int k;
            for (k = 0; k < (int)CVALUE_LD_INTS; k++)
                str[len++] = cv->tab[k];
        }
        break;
`,
  },
  {
    name: "ldouble-token-size-load",
    why: "read every int of a long double constant back from token strings",
    file: "tccpp.c",
    find: `    case TOK_CLDOUBLE:
#if LDOUBLE_SIZE == 16
        n = 4;
#elif LDOUBLE_SIZE == 12
        n = 3;
#elif LDOUBLE_SIZE == 8
        n = 2;
#else
# error add long double size support
#endif
`,
    replace: `    case TOK_CLDOUBLE:
        n = CVALUE_LD_INTS;
`,
  },
  {
    name: "reloc-null-symbol",
    why: "relocations against symbol 0 (absolute addresses) read tr[-1], before the translation table: the allocator's header, 0 with glibc but stale memory in a reused wasm instance (arm64 objects got invalid symbol indices)",
    file: "tccelf.c",
    find: `                int n = ELFW(R_SYM)(rel->r_info) - first_sym;
                //if (n < 0) tcc_error("internal: invalid symbol index in relocation");
                rel->r_info = ELFW(R_INFO)(tr[n], ELFW(R_TYPE)(rel->r_info));
`,
    replace: `                int n = ELFW(R_SYM)(rel->r_info) - first_sym;
                /* bespoke: symbols before this file's (0: none) keep their index */
                if (n >= 0)
                    rel->r_info = ELFW(R_INFO)(tr[n], ELFW(R_TYPE)(rel->r_info));
`,
  },
  {
    name: "setjmp-out-of-line",
    why: "emscripten's setjmp routes every call made by the function that calls setjmp through a JS trampoline (invoke_*); tcc_compile had the end-of-file symbol merging inlined (~650 trampolines per 3000-line compile on arm64): it now calls setjmp and two functions kept out of line",
    file: "libtcc.c",
    find: `static int tcc_compile(TCCState *s1, int filetype, const char *str, int fd)
{
    /* Here we enter the code section where we use the global variables for
       parsing and code generation (tccpp.c, tccgen.c, <target>-gen.c).
       Other threads need to wait until we're done.

       Alternatively we could use thread local storage for those global
       variables, which may or may not have advantages */

    tcc_enter_state(s1);

    if (setjmp(s1->error_jmp_buf) == 0) {
        s1->error_set_jmp_enabled = 1;
        s1->nb_errors = 0;

        if (fd == -1) {
            int len = strlen(str);
            tcc_open_bf(s1, "<string>", len);
            memcpy(file->buffer, str, len);
        } else {
            tcc_open_bf(s1, str, 0);
            file->fd = fd;
        }

        tccelf_begin_file(s1);
        preprocess_start(s1, filetype);
        tccgen_init(s1);
        if (s1->output_type == TCC_OUTPUT_PREPROCESS) {
            tcc_preprocess(s1);
        } else if (filetype & (AFF_TYPE_ASM | AFF_TYPE_ASMPP)) {
#ifdef CONFIG_TCC_ASM
            tcc_assemble(s1, !!(filetype & AFF_TYPE_ASMPP));
#else
            tcc_error_noabort("asm not supported");
#endif
        } else {
            tccgen_compile(s1);
        }
    }
    s1->error_set_jmp_enabled = 0;
    tccgen_finish(s1);
    preprocess_end(s1);
    tcc_exit_state();

    tccelf_end_file(s1);
    return s1->nb_errors != 0 ? -1 : 0;
}
`,
    replace: `/* bespoke: the body of tcc_compile, out of line: with emscripten's setjmp
   every call made by the function that calls setjmp goes through a JS
   trampoline, so that function calls only this and tcc_compile_end */
static void __attribute__((noinline)) tcc_compile_unit(TCCState *s1, int filetype, const char *str, int fd)
{
    s1->error_set_jmp_enabled = 1;
    s1->nb_errors = 0;

    if (fd == -1) {
        int len = strlen(str);
        tcc_open_bf(s1, "<string>", len);
        memcpy(file->buffer, str, len);
    } else {
        tcc_open_bf(s1, str, 0);
        file->fd = fd;
    }

    tccelf_begin_file(s1);
    preprocess_start(s1, filetype);
    tccgen_init(s1);
    if (s1->output_type == TCC_OUTPUT_PREPROCESS) {
        tcc_preprocess(s1);
    } else if (filetype & (AFF_TYPE_ASM | AFF_TYPE_ASMPP)) {
#ifdef CONFIG_TCC_ASM
        tcc_assemble(s1, !!(filetype & AFF_TYPE_ASMPP));
#else
        tcc_error_noabort("asm not supported");
#endif
    } else {
        tccgen_compile(s1);
    }
}

static void __attribute__((noinline)) tcc_compile_end(TCCState *s1)
{
    s1->error_set_jmp_enabled = 0;
    tccgen_finish(s1);
    preprocess_end(s1);
    tcc_exit_state();

    tccelf_end_file(s1);
}

static int tcc_compile(TCCState *s1, int filetype, const char *str, int fd)
{
    /* Here we enter the code section where we use the global variables for
       parsing and code generation (tccpp.c, tccgen.c, <target>-gen.c).
       Other threads need to wait until we're done.

       Alternatively we could use thread local storage for those global
       variables, which may or may not have advantages */

    tcc_enter_state(s1);

    if (setjmp(s1->error_jmp_buf) == 0)
        tcc_compile_unit(s1, filetype, str, fd);
    tcc_compile_end(s1);
    return s1->nb_errors != 0 ? -1 : 0;
}
`,
  },
  {
    name: "wasm-svalue-exchange",
    why: "vswap (inlined into every binary operation) copied a SValue through a temporary that clang keeps in linear memory on the shadow stack; in wasm it now exchanges the two values 8 bytes at a time through locals (gcc's code for the native build is unchanged)",
    file: "tccgen.c",
    find: `ST_FUNC void vswap(void)
{
    SValue tmp;

    vcheck_cmp();
    tmp = vtop[0];
    vtop[0] = vtop[-1];
    vtop[-1] = tmp;
}
`,
    replace: `ST_FUNC void vswap(void)
{
#ifdef __EMSCRIPTEN__
    /* bespoke: exchange through locals, not a temporary in linear memory */
    unsigned char *p, *q;
    unsigned i;

    vcheck_cmp();
    p = (unsigned char *)vtop;
    q = (unsigned char *)(vtop - 1);
    for (i = 0; i < sizeof(SValue); i += 8) {
        uint64_t x, y;
        memcpy(&x, p + i, 8);
        memcpy(&y, q + i, 8);
        memcpy(p + i, &y, 8);
        memcpy(q + i, &x, 8);
    }
#else
    SValue tmp;

    vcheck_cmp();
    tmp = vtop[0];
    vtop[0] = vtop[-1];
    vtop[-1] = tmp;
#endif
}
`,
  },
  {
    name: "wasm-little-endian-access",
    why: "the code generators write every instruction with write32le, byte by byte; clang does not merge the bytes into one wasm store as gcc does natively. wasm is little-endian, so in wasm 16- and 32-bit accesses are one load or store (memcpy)",
    file: "tcc.h",
    find: LITTLE_ENDIAN_ACCESS,
    replace: `#ifdef __EMSCRIPTEN__
/* bespoke: wasm is little-endian; one unaligned load or store each */
static inline uint16_t read16le(unsigned char *p) {
    uint16_t x;
    memcpy(&x, p, 2);
    return x;
}
static inline void write16le(unsigned char *p, uint16_t x) {
    memcpy(p, &x, 2);
}
static inline uint32_t read32le(unsigned char *p) {
    uint32_t x;
    memcpy(&x, p, 4);
    return x;
}
static inline void write32le(unsigned char *p, uint32_t x) {
    memcpy(p, &x, 4);
}
#else
${LITTLE_ENDIAN_ACCESS}#endif
`,
  },
  {
    name: "wasm-section-realloc-out-of-line",
    why: "clang inlined section_realloc (a cold path: a few calls per compile) into o() and so into every instruction emitter (EI, ER, ES, ...), which then were too big to inline where they are called thousands of times; in wasm it is kept out of line, as gcc keeps it natively (2-4% fewer CPU ms per compile on riscv64, arm64, x86_64)",
    file: "tccelf.c",
    find: "ST_FUNC void section_realloc(Section *sec, unsigned long new_size)\n{",
    replace: "#ifdef __EMSCRIPTEN__\n__attribute__((noinline)) /* bespoke: see FIXES in wasm/tinycc.mjs */\n#endif\nST_FUNC void section_realloc(Section *sec, unsigned long new_size)\n{",
  },
];

/**
 * Copy the pristine Debian source to `dest` and apply FIXES.
 * Returns the names of the fixes applied and of those whose original text
 * was absent (already fixed upstream, or a different release).
 */
export function preparePatchedSource(pristineDir, dest) {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(pristineDir, dest, { recursive: true });
  const applied = [];
  const absent = [];
  for (const fix of FIXES) {
    const file = path.join(dest, fix.file);
    const text = fs.readFileSync(file, "utf8");
    if (!text.includes(fix.find)) {
      absent.push(fix.name);
      continue;
    }
    fs.writeFileSync(file, text.split(fix.find).join(fix.replace));
    applied.push(fix.name);
  }
  const version = fs.readFileSync(path.join(dest, "VERSION"), "utf8").trim();
  fs.writeFileSync(path.join(dest, "config.h"), `#define TCC_VERSION "${version}"\n`);
  return { applied, absent };
}

function defineFlags(target) {
  return [
    "-DONE_SOURCE=1",
    ...TARGETS[target].map((d) => `-D${d}`),
    `-DCONFIG_TCCDIR="${TCC_DIR}"`,
    `-DCONFIG_TCC_SYSINCLUDEPATHS="${TCC_DIR}/include"`,
    `-DCONFIG_TCC_LIBPATHS="${TCC_DIR}/lib"`,
    `-DCONFIG_TCC_CRTPREFIX="${TCC_DIR}/lib"`,
  ];
}

/** Build `tcc-<target>.mjs` + `.wasm` into outDir from a patched source dir. */
export function buildWasm(srcDir, target, outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const includeDir = path.join(srcDir, "include");
  // -O3, emmalloc and bulk memory: ~15% faster compiles than -O2 with
  // dlmalloc (bespoke bench compiler), for ~10 KB more wasm per target.
  const args = [
    "-O3",
    "-mbulk-memory",
    ...defineFlags(target),
    "tcc.c",
    "-o",
    path.join(outDir, `tcc-${target}.mjs`),
    "-sMODULARIZE=1",
    "-sEXPORT_ES6=1",
    "-sENVIRONMENT=web,worker",
    "-sINVOKE_RUN=0",
    "-sEXIT_RUNTIME=0",
    "-sFORCE_FILESYSTEM=1",
    "-sALLOW_MEMORY_GROWTH=1",
    "-sMALLOC=emmalloc",
    "-sEXPORTED_RUNTIME_METHODS=FS,callMain,stackSave,stackRestore",
    "--embed-file",
    `${includeDir}@${TCC_DIR}/include`,
  ];
  execFileSync("emcc", args, {
    cwd: srcDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_PATH: "/usr/share/nodejs" },
  });
}

/**
 * Build a native cross tcc (gcc) for `target` from the same patched source.
 * `extra` gcc arguments go before the sources (e.g. a benchmark harness that
 * calls tcc's main, renamed with -Dmain=...).
 */
export function buildNative(srcDir, target, outFile, extra = []) {
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  execFileSync("gcc", ["-O2", ...defineFlags(target), ...extra, "tcc.c", "-o", outFile, "-lm", "-ldl", "-lpthread"], {
    cwd: srcDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}
