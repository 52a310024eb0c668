// Layout agreement: for every struct/union defined at file scope in the lwIP
// core, TinyCC's tests2 programs and our corner-case fixture, the size,
// alignment, member offsets and bit-field positions we compute equal those of
// tcc-wasm and of Debian's cross gcc for arm, i386, x86_64 and riscv64 (and
// arm64 for lwIP and the corner cases).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseProgram } from "../../src/c/parser.ts";
import { type PreprocessedUnit, SystemPreprocessor, preprocessLwipCore, tccDir } from "../../src/c/corpus.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import type { Target } from "../../src/compiler/targets.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { checkWithGcc, checkWithTcc, gccKnownDifference, layoutProbe } from "./layout-probe.ts";

const TARGETS: Target[] = ["arm", "i386", "x86_64", "riscv64"];
const fixtures = path.join(repoRoot(), "test", "c", "fixtures");

/** Check every unit with both compilers; returns the number of checks made and all failures. */
async function checkUnits(target: Target, units: PreprocessedUnit[]): Promise<{ checks: number; bitFields: number; failures: string[] }> {
  const cc = await createCompiler({ target });
  const failures: string[] = [];
  let checks = 0;
  let bitFields = 0;
  const gccRuns: Promise<void>[] = [];
  for (const u of units) {
    const r = parseProgram(u.text, { target });
    if (!r.program) {
      failures.push(`${u.file}: ${r.diagnostics.map((d) => `${d.pos.file}:${d.pos.line}: ${d.message}`).join("; ")}`);
      continue;
    }
    const program = r.program;
    const probe = layoutProbe(program);
    checks += probe.checks.length;
    bitFields += probe.bitProbes.length;
    for (const f of await checkWithTcc(cc, u.text, program, probe)) failures.push(`${path.basename(u.file)} (tcc): ${f}`);
    gccRuns.push(
      checkWithGcc(program, probe, gccKnownDifference(target)).then((g) => {
        for (const f of g ?? []) failures.push(`${path.basename(u.file)} (gcc): ${f}`);
      }),
    );
    if (gccRuns.length >= 4) await Promise.all(gccRuns.splice(0));
  }
  await Promise.all(gccRuns);
  return { checks, bitFields, failures };
}

describe.each([...TARGETS, "arm64" as const])("struct layouts on %s", (target) => {
  it("lwIP core (NO_SYS IPv4 UDP TCP port, #pragma pack headers): every struct agrees with tcc-wasm and gcc", async () => {
    const units = await preprocessLwipCore(target, path.join(fixtures, "lwip-port"));
    const r = await checkUnits(target, units);
    expect(r.failures).toEqual([]);
    expect(r.checks).toBeGreaterThan(2000);
  });

  it("corner cases (bit-fields, packed, aligned, #pragma pack, anonymous, flexible): agree with tcc-wasm and gcc", async () => {
    const cc = await createCompiler({ target });
    const pp = await cc.preprocess({ files: { "layouts.c": fs.readFileSync(path.join(fixtures, "layouts.c"), "utf8") }, entry: "layouts.c" });
    expect(pp.ok).toBe(true);
    const r = await checkUnits(target, [{ file: "layouts.c", text: pp.text }]);
    expect(r.failures).toEqual([]);
    expect(r.bitFields).toBeGreaterThan(200);
  });

  // arm64 is checked on lwIP and the corner cases; the acceptance corpus of tests2 covers the four targets above
  it.skipIf(target === "arm64")("tests2 programs: every file-scope struct agrees with tcc-wasm and gcc", async () => {
    const pp = await SystemPreprocessor.create(target);
    const dir = path.join(tccDir(), "tests", "tests2");
    const units: PreprocessedUnit[] = [];
    // 34_array_assignment is invalid C that tcc rejects too (see roundtrip.test.ts)
    const programs = fs.readdirSync(dir).filter((f) => /^\d+_.*\.c$/.test(f) && f !== "34_array_assignment.c");
    for (const f of programs.sort()) units.push(await pp.preprocess(path.join(dir, f)));
    expect(units.length).toBe(106);
    const r = await checkUnits(target, units);
    expect(r.failures).toEqual([]);
    expect(r.checks).toBeGreaterThan(5000);
  });
});
