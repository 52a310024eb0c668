// TinyCC's tests/tests2 (code nobody here wrote) through two scenarios: (a)
// everything dynamic, (b) main with every global static and owned. Each
// residual is compiled by tcc-wasm for the program's target (x86_64, or the
// architecture a program is written for: i386, arm64), linked by that
// target's gcc and run (natively, or by qemu) against the program's .expect
// file. Then what tests2 found: variadic functions, globals whose
// initializers the specializer cannot evaluate, against the original program.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Tests2Result, Tests2Toolchains, runTests2Program, scenarioFor, tests2Programs, tests2Target } from "../../src/bench/specializer.ts";
import { SystemPreprocessor } from "../../src/c/corpus.ts";
import { parseProgram } from "../../src/c/parser.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import { specializeProgram } from "../../src/specializer/pipeline.ts";
import { parseContext } from "../../src/specializer/scenario.ts";

// Measured on this machine (see the session report); a drop is a regression.
const MIN_PASSED = { dynamic: 104, static: 104 };

const toolchains = new Tests2Toolchains();
let pp: SystemPreprocessor;
let cc: Compiler;
let work: string;

beforeAll(async () => {
  ({ pp, cc } = await toolchains.get("x86_64"));
  work = fs.mkdtempSync(path.join(os.tmpdir(), "spec-tests2-"));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each(["dynamic", "static"] as const)("tests2, scenario %s", (kind) => {
  it(`reproduces the .expect output of at least ${MIN_PASSED[kind]} programs`, async () => {
    const results: Tests2Result[] = [];
    for (const name of tests2Programs()) results.push(await runTests2Program(name, kind, toolchains, work));
    const passed = results.filter((r) => r.outcome === "passed").length;
    const failures = results.filter((r) => r.outcome !== "passed").map((r) => `${r.name} (${r.target}, ${r.outcome}): ${r.reason}`);
    expect(passed, `${passed}/${results.length} passed; the others:\n${failures.join("\n")}`).toBeGreaterThanOrEqual(MIN_PASSED[kind]);
    // the programs written for another architecture ran there; of tcc's -dt programs, the snippets tcc compiles
    for (const name of ["73_arm64", "98_al_ax_extend", "99_fastcall", "60_errors_and_warnings", "96_nodata_wanted"]) expect(results.find((r) => r.name === name)?.outcome, name).toBe("passed");
    expect(results.find((r) => r.name === "60_errors_and_warnings")?.reason).toMatch(/50 snippets: the 13 tcc compiles reproduced their sections \(9 define main.*37 tcc refuses/);
  }, 600_000);
});

describe("tests2 targets", () => {
  it("runs each program on the architecture it is written for, the others on x86_64", () => {
    expect(tests2Target("73_arm64")).toBe("arm64");
    expect(tests2Target("98_al_ax_extend")).toBe("i386");
    expect(tests2Target("99_fastcall")).toBe("i386");
    expect(tests2Target("25_quicksort")).toBe("x86_64");
  });

  it("reports invalid C that tcc refuses too as not applicable, with both refusals", async () => {
    const r = await runTests2Program("34_array_assignment", "dynamic", toolchains, work);
    expect(r.outcome).toBe("not applicable");
    expect(r.reason).toMatch(/tcc refuses it too \(16: lvalue expected\).*array/);
  });
});

describe("tests2 with all computation static", () => {
  it("quicksort's residual main is only the printf calls with constant arguments", async () => {
    const r = await runTests2Program("25_quicksort", "static", toolchains, work);
    expect(r.outcome).toBe("passed");
    const code = fs.readFileSync(path.join(work, "25_quicksort.static.c"), "utf8");
    // a whole program: the residual is main and only what it reaches
    expect(code).not.toMatch(/quicksort|partition|swap|goto/);
    expect(code.match(/printf\(/g)!.length).toBeGreaterThanOrEqual(34);
  }, 120_000);
});

/** Compile C with tcc-wasm for x86_64, link it by gcc and run it: its standard output. */
async function run(code: string, tag: string): Promise<string> {
  const r = await cc.compile({ files: { "main.c": code }, entry: "main.c" });
  expect(r.ok, r.diagnostics.map((d) => `${d.line}: ${d.message}`).join("; ")).toBe(true);
  const obj = path.join(work, `${tag}.o`);
  const exe = path.join(work, tag);
  fs.writeFileSync(obj, r.object);
  const link = spawnSync("gcc", ["-o", exe, obj], { encoding: "utf8" });
  expect(link.status, link.stderr).toBe(0);
  return spawnSync(exe, { encoding: "utf8" }).stdout;
}

describe("globals the specializer cannot evaluate", () => {
  // long double is x87's 80 bits on x86_64: the specializer computes in doubles, so these initializers are kept as written
  const source = `#include <stdio.h>
struct pair { long double a, b; } pair = { 32.1, -2.5L * 3 };
long double third = 1.0L / 3;
static long double small[2] = { 0.1L, 1e4000L };
int n = 7;
int main(void) {
  printf("%.22Lf %.22Lf %.22Lf %.22Lf %Lg %d\\n", pair.a, pair.b, third, small[0], small[1], n);
  pair.a += third;
  n += 2;
  printf("%.22Lf %d\\n", pair.a, n);
  return 0;
}
`;

  it.each(["dynamic", "static"] as const)("keep their initializers as written, and the residual prints what the original does (scenario %s)", async (kind) => {
    const file = path.join(work, "ldouble.c");
    fs.writeFileSync(file, source);
    const text = (await pp.preprocess(file)).text;
    const parsed = parseProgram(text, { target: "x86_64", file });
    expect(parsed.program, parsed.diagnostics.map((d) => d.message).join("; ")).toBeTruthy();
    const code = specializeProgram({ program: parsed.program!, target: "x86_64", scenario: scenarioFor(kind), context: parseContext({}) }).code;
    expect(code).toContain("= 1.0L / 3;");
    expect(code).toMatch(/pair = \{ 32\.1, -2\.5L \* 3 \}/);
    // the other globals keep their binding times: n is static (and owned) in the static scenario, so main prints constants
    if (kind === "static") expect(code).not.toMatch(/\bint n\b/);
    const want = await run(text, "ldouble-original");
    expect(want).toMatch(/^32\.1000000000000014210855 -7\.5000000000000000000000 0\.3333333333333333333424 /);
    expect(await run(code, `ldouble-${kind}`)).toBe(want);
  }, 60_000);
});
