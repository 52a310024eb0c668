// Run the same tcc command line through tcc-wasm and through the native cross
// tcc built with gcc from the same patched source, over the same files at the
// same absolute paths, so their outputs can be compared byte for byte.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Compiler, SourceFiles } from "../../src/compiler/compiler.ts";
import { nativeTcc } from "../../src/compiler/native-tcc.ts";
import type { Target } from "../../src/compiler/targets.ts";
import { buildManifest } from "../../src/node/paths.ts";
import { toolchain } from "./toolchains.ts";

export interface TccRun {
  exitCode: number;
  /** The file named by -o, or null when tcc wrote none. */
  output: Uint8Array | null;
  /** Diagnostics as tcc printed them, trailing whitespace trimmed. */
  stderr: string;
}

/** The output file name both runs use (relative to their working directory). */
export const OUT = "out.bin";

const tccInclude = path.join(buildManifest().sources.tcc!.dir, "include");

/**
 * Options for compiling hosted C (tests2 programs) for `target`: no built-in
 * include paths, tcc's own headers from its source, the target's C library
 * headers from the Debian cross toolchain. The same for both compilers.
 */
export function hostedArgs(target: Target): string[] {
  return ["-nostdinc", `-I${tccInclude}`, ...toolchain(target).libcIncludes.map((d) => `-I${d}`)];
}

/** Run the native cross tcc with `args` (which should name `-o OUT`) in a fresh directory. */
export function runNative(target: Target, args: string[]): TccRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-tcc-"));
  try {
    const r = spawnSync(nativeTcc(target), args, { cwd: dir, encoding: "utf8" });
    if (r.error) throw r.error;
    const out = path.join(dir, OUT);
    return {
      exitCode: r.status ?? -1,
      output: fs.existsSync(out) ? new Uint8Array(fs.readFileSync(out)) : null,
      stderr: r.stderr.trimEnd(),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Run tcc-wasm with `args` over `files` (absolute paths). */
export async function runWasm(compiler: Compiler, args: string[], files: SourceFiles): Promise<TccRun> {
  const r = await compiler.invoke({ args, files, outputs: [OUT] });
  return { exitCode: r.exitCode, output: r.outputs[OUT] ?? null, stderr: r.stderr.trimEnd() };
}

const fileCache = new Map<string, Uint8Array>();

/**
 * Every file the preprocessor reads for `source` with `args`, by absolute
 * path: the line markers of the native tcc's -E output name them all.
 * Also returns that native run (`args -E source -o OUT`).
 */
export function inputClosure(target: Target, args: string[], source: string): { files: SourceFiles; preprocessed: TccRun } {
  const pp = runNative(target, preprocessArgs(args, source));
  const files: SourceFiles = {};
  const names = new Set([source]);
  const text = pp.output ? new TextDecoder().decode(pp.output) : "";
  for (const m of text.matchAll(/^# ?\d+ "(\/[^"]+)"/gm)) names.add(m[1]!);
  for (const name of names) {
    let data = fileCache.get(name);
    if (!data) {
      data = new Uint8Array(fs.readFileSync(name));
      fileCache.set(name, data);
    }
    files[name] = data;
  }
  return { files, preprocessed: pp };
}

export function preprocessArgs(args: string[], source: string): string[] {
  return [...args, "-E", source, "-o", OUT];
}
