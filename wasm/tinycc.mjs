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
