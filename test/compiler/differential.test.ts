// tcc-wasm against the native cross tcc built by gcc from the same patched
// source, on TinyCC's own tests/tests2 corpus, for every target: the same
// preprocessed text, the same object bytes, the same diagnostics.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readElf, sectionData } from "../../src/compiler/elf.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { TARGETS, type Target } from "../../src/compiler/targets.ts";
import { buildManifest } from "../../src/node/paths.ts";
import { OUT, hostedArgs, inputClosure, preprocessArgs, runNative, runWasm } from "../support/tcc-pair.ts";
import { toolchain } from "../support/toolchains.ts";

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

describe.each(TARGETS)("tcc-wasm %s vs native cross tcc on tests2", (target) => {
  it(`preprocesses all ${corpus.length} programs and compiles them to the same bytes as the native tcc`, async () => {
    const compiler = await createCompiler({ target });
    const base = hostedArgs(target);
    const bothOk: string[] = [];
    const bothFail: string[] = [];
    const mismatches: string[] = [];
    for (const file of corpus) {
      const source = path.join(corpusDir, file);
      const { files, preprocessed } = inputClosure(target, base, source);
      for (const mode of ["-E", "-c"]) {
        const args = mode === "-E" ? preprocessArgs(base, source) : [...base, mode, source, "-o", OUT];
        const native = mode === "-E" ? preprocessed : runNative(target, args);
        const wasm = await runWasm(compiler, args, files);
        const same =
          wasm.exitCode === native.exitCode &&
          wasm.stderr === native.stderr &&
          (wasm.output === null) === (native.output === null) &&
          (wasm.output === null || Buffer.from(wasm.output).equals(Buffer.from(native.output!)));
        if (!same) mismatches.push(`${file} ${mode}: wasm exit ${wasm.exitCode} (${wasm.stderr}) vs native exit ${native.exitCode} (${native.stderr})`);
        if (mode === "-c") (native.exitCode === 0 && native.output ? bothOk : bothFail).push(file);
      }
    }
    expect(mismatches).toEqual([]);
    const expectedFails = FAILS_ON_BOTH.filter((f) => f.targets.includes(target)).map((f) => f.file);
    expect(bothFail).toEqual(expectedFails);
    expect(bothOk.length).toBe(corpus.length - expectedFails.length);
    expect(bothOk.length).toBeGreaterThanOrEqual(100);
  });
});

/*
 * Long double constants in every target's own format (x87 80-bit, IEEE
 * binary128, or double on arm), whatever the compiling host's long double:
 * tcc-wasm's .data must hold gcc's bytes. Normal, subnormal, infinite,
 * signed-zero, folded and converted values.
 */
const LONG_DOUBLES = `long double ld[] = { 1.5L, -2.0L, 31.1, 0.1L, 1e-4940L, 3.4e4000L, 1e5000L, 0.0L, -0.0L, 1.0L / 3.0L,
  6.0e-4951L, 3.3621031431120935062626778173217526e-4932L, (long double)42, -1e300L * 1e300L };
`;

describe.each(TARGETS)("long double constants for %s", (target) => {
  it("are encoded exactly as the Debian gcc for the target encodes them", async () => {
    const r = await (await createCompiler({ target })).compile({ files: { "ld.c": LONG_DOUBLES }, entry: "ld.c" });
    expect(r.diagnostics).toEqual([]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-ld-"));
    try {
      fs.writeFileSync(path.join(dir, "ld.c"), LONG_DOUBLES);
      const gcc = spawnSync(toolchain(target).gcc, ["-w", "-c", "ld.c", "-o", "ld.o"], { cwd: dir, encoding: "utf8" });
      expect(gcc.status, gcc.stderr).toBe(0);
      const data = (object: Uint8Array) => {
        const elf = readElf(object);
        return Buffer.from(sectionData(elf, elf.sections.find((s) => s.name === ".data")!));
      };
      const expected = data(new Uint8Array(fs.readFileSync(path.join(dir, "ld.o"))));
      expect(expected.length).toBeGreaterThanOrEqual(14 * 8);
      expect(data(r.object).toString("hex")).toBe(expected.toString("hex"));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
