// Correctness harness: specialize a case, compile original and residual with
// tcc-wasm (x86_64), link each with the case's driver using gcc, run both on
// the same random dynamic inputs and return their outputs and sizes.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseProgram } from "../../src/c/parser.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { readElf } from "../../src/compiler/elf.ts";
import { specializeProgram, type SpecializeReport } from "../../src/specializer/pipeline.ts";
import { parseContext, parseScenario } from "../../src/specializer/scenario.ts";

export const CASES_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), "cases");

export interface CaseRun {
  original: string;
  residual: string;
  /** Instructions executed inside the entry function over all inputs (callgrind). */
  originalInstructions: number;
  residualInstructions: number;
  residualCode: string;
  report: SpecializeReport;
  originalText: number;
  residualText: number;
}

function textSize(object: Uint8Array): number {
  return readElf(object).sections.filter((s) => s.name.startsWith(".text")).reduce((a, s) => a + s.size, 0);
}

/** Specialize case `name` and run original and residual on `iterations` random inputs. */
export async function runCase(name: string, iterations: number): Promise<CaseRun> {
  const dir = path.join(CASES_DIR, name);
  const source = fs.readFileSync(path.join(dir, `${name}.c`), "utf8");
  const parsed = parseProgram(source, { target: "x86_64", file: `${name}.c` });
  if (!parsed.program) throw new Error(`parse failed: ${JSON.stringify(parsed.diagnostics)}`);
  const scenario = parseScenario(JSON.parse(fs.readFileSync(path.join(dir, "scenario.json"), "utf8")));
  const context = parseContext(JSON.parse(fs.readFileSync(path.join(dir, "context.json"), "utf8")));
  const { code, report } = specializeProgram({ program: parsed.program, target: "x86_64", scenario, context });
  const cc = await createCompiler({ target: "x86_64" });
  const orig = await cc.compile({ files: { [`${name}.c`]: source }, entry: `${name}.c` });
  const resid = await cc.compile({ files: { "residual.c": code }, entry: "residual.c" });
  if (!orig.ok) throw new Error(`original does not compile: ${JSON.stringify(orig.diagnostics)}`);
  if (!resid.ok) throw new Error(`residual does not compile: ${JSON.stringify(resid.diagnostics)}\n${code}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `spec-${name}-`));
  try {
    const run = (object: Uint8Array, residual: boolean): { out: string; instructions: number } => {
      const tag = residual ? "residual" : "original";
      const obj = path.join(work, `${tag}.o`);
      const exe = path.join(work, tag);
      fs.writeFileSync(obj, object);
      execFileSync("gcc", ["-w", ...(residual ? ["-DRESIDUAL"] : []), "-o", exe, path.join(dir, "driver.c"), obj], { stdio: "pipe" });
      const out = execFileSync(exe, [String(iterations), seedOf(name)], { encoding: "utf8", maxBuffer: 64 << 20 });
      const cg = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", `--toggle-collect=${report.residualName}`, exe, "100", seedOf(name)], { encoding: "utf8", maxBuffer: 64 << 20 });
      const m = /Collected : (\d+)/.exec(cg.stderr);
      if (!m) throw new Error(`callgrind gave no count: ${cg.stderr.slice(-500)}`);
      return { out, instructions: Number(m[1]) };
    };
    const o = run(orig.object, false);
    const r = run(resid.object, true);
    return {
      original: o.out,
      residual: r.out,
      originalInstructions: o.instructions,
      residualInstructions: r.instructions,
      residualCode: code,
      report,
      originalText: textSize(orig.object),
      residualText: textSize(resid.object),
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function seedOf(name: string): string {
  return String(crypto.createHash("sha256").update(name).digest().readUInt32LE(0));
}
