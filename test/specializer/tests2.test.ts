// TinyCC's tests/tests2 (code nobody here wrote) through two scenarios: (a)
// everything dynamic, (b) main with every global static and owned. Each
// residual is compiled by tcc-wasm for x86_64, linked by gcc and run against
// the program's .expect file.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Tests2Result, runTests2Program, tests2Programs } from "../../src/bench/specializer.ts";
import { SystemPreprocessor } from "../../src/c/corpus.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";

// Measured on this machine (see the session report); a drop is a regression.
const MIN_PASSED = { dynamic: 95, static: 95 };

let pp: SystemPreprocessor;
let cc: Compiler;
let work: string;

beforeAll(async () => {
  pp = await SystemPreprocessor.create("x86_64");
  cc = await createCompiler({ target: "x86_64" });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "spec-tests2-"));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each(["dynamic", "static"] as const)("tests2, scenario %s", (kind) => {
  it(`reproduces the .expect output of at least ${MIN_PASSED[kind]} programs`, async () => {
    const results: Tests2Result[] = [];
    for (const name of tests2Programs()) results.push(await runTests2Program(name, kind, pp, cc, work));
    const passed = results.filter((r) => r.passed).length;
    const failures = results.filter((r) => !r.passed).map((r) => `${r.name}: ${r.reason}`);
    expect(passed, `${passed}/${results.length} passed; failures:\n${failures.join("\n")}`).toBeGreaterThanOrEqual(MIN_PASSED[kind]);
  }, 600_000);
});

describe("tests2 with all computation static", () => {
  it("quicksort's residual main is only the printf calls with constant arguments", async () => {
    const r = await runTests2Program("25_quicksort", "static", pp, cc, work);
    expect(r.passed).toBe(true);
    const code = fs.readFileSync(path.join(work, "25_quicksort.static.c"), "utf8");
    expect(code).not.toMatch(/quicksort|partition|swap|goto/);
    expect(code.match(/printf\(/g)!.length).toBeGreaterThanOrEqual(34);
  }, 120_000);
});
