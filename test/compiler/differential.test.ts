// tcc-wasm against the native cross tcc built by gcc from the same patched
// source, on TinyCC's own tests/tests2 corpus, for every target: the same
// preprocessed text, the same object bytes, the same diagnostics.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createCompiler } from "../../src/compiler/node.ts";
import { TARGETS, type Target } from "../../src/compiler/targets.ts";
import { buildManifest } from "../../src/node/paths.ts";
import { OUT, hostedArgs, inputClosure, runNative, runWasm } from "../support/tcc-pair.ts";

const corpusDir = path.join(buildManifest().sources.tcc!.dir, "tests", "tests2");
const corpus = fs.readdirSync(corpusDir).filter((f) => f.endsWith(".c")).sort();

const X86: Target[] = ["x86_64", "i386"];
/** tests2 programs that neither compiler compiles for a target, and why. */
const FAILS_ON_BOTH: { file: string; targets: readonly Target[]; why: string }[] = [
  { file: "34_array_assignment.c", targets: TARGETS, why: "assigns arrays, which C forbids (tests2 skips it everywhere)" },
  { file: "85_asm-outside-function.c", targets: TARGETS.filter((t) => !X86.includes(t)), why: "x86 assembly" },
  { file: "98_al_ax_extend.c", targets: TARGETS.filter((t) => !X86.includes(t)), why: "x86 inline assembly" },
  { file: "99_fastcall.c", targets: TARGETS.filter((t) => t !== "i386"), why: "i386 assembly and fastcall" },
];

/*
 * Programs whose objects depend on the compiling host's `long double`, for
 * targets where long double is not double. TinyCC folds and stores long
 * double constants in the host's own format: the gcc-built tcc (x86_64 host)
 * uses x87 80-bit, tcc-wasm IEEE binary128. So for x86_64/i386 tcc-wasm
 * emits binary128 bits where x87 ones belong (and i386 refuses them), and
 * for riscv64/arm64 the native tcc stores x87 bits where binary128 belongs.
 * Their preprocessed text must still be identical; their objects differ, and
 * this test says so when that stops being true.
 */
const HOST_LONG_DOUBLE: { file: string; targets: readonly Target[] }[] = [
  { file: "70_floating_point_literals.c", targets: ["x86_64", "i386", "riscv64", "arm64"] },
  { file: "73_arm64.c", targets: ["x86_64", "i386", "riscv64", "arm64"] },
  { file: "111_conversion.c", targets: ["x86_64", "i386"] },
  { file: "117_gcc_test.c", targets: ["arm64"] },
];

describe.each(TARGETS)("tcc-wasm %s vs native cross tcc on tests2", (target) => {
  it(`preprocesses all ${corpus.length} programs and compiles them to the same bytes as the native tcc`, async () => {
    const compiler = await createCompiler({ target });
    const base = hostedArgs(target);
    const hostDependent = HOST_LONG_DOUBLE.filter((f) => f.targets.includes(target)).map((f) => f.file);
    const bothOk: string[] = [];
    const bothFail: string[] = [];
    const mismatches: string[] = [];
    for (const file of corpus) {
      const source = path.join(corpusDir, file);
      const files = inputClosure(target, base, source);
      for (const mode of ["-E", "-c"]) {
        const args = [...base, mode, source, "-o", OUT];
        const native = runNative(target, args);
        const wasm = await runWasm(compiler, args, files);
        const same =
          wasm.exitCode === native.exitCode &&
          wasm.stderr === native.stderr &&
          (wasm.output === null) === (native.output === null) &&
          (wasm.output === null || Buffer.from(wasm.output).equals(Buffer.from(native.output!)));
        const expectSame = mode === "-E" || !hostDependent.includes(file);
        if (same !== expectSame) {
          mismatches.push(`${file} ${mode}: ${same ? "now identical (drop it from HOST_LONG_DOUBLE)" : `wasm exit ${wasm.exitCode} (${wasm.stderr}) vs native exit ${native.exitCode} (${native.stderr})`}`);
        }
        if (mode === "-c" && expectSame) (native.exitCode === 0 && native.output ? bothOk : bothFail).push(file);
      }
    }
    expect(mismatches).toEqual([]);
    const expectedFails = FAILS_ON_BOTH.filter((f) => f.targets.includes(target)).map((f) => f.file);
    expect(bothFail).toEqual(expectedFails);
    expect(bothOk.length).toBe(corpus.length - expectedFails.length - hostDependent.length);
    expect(bothOk.length).toBeGreaterThanOrEqual(100);
  });
});
