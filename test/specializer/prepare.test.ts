// A program is lowered once and its IR shared by every specialization of it
// (a server specializes one firmware for every request): runs under other
// contexts must neither see nor leave traces of each other.
import { describe, expect, it } from "vitest";
import { parseProgram } from "../../src/c/parser.ts";
import { prepareProgram, specializeProgram } from "../../src/specializer/pipeline.ts";
import { parseContext, parseScenario } from "../../src/specializer/scenario.ts";

const SOURCE = `
int counter = 10;
static int table[3] = { 1, 2, 3 };
static int *steps = table;
int bump(int n) {
  static int calls = 5;
  calls++;
  counter += steps[n % 3];
  return counter * calls;
}
int run(int n, int k, int d) {
  int s = d;
  for (int i = 0; i < k; i++) s += bump(n + i);
  return s;
}
`;

function program() {
  const r = parseProgram(SOURCE, { target: "x86_64", file: "p.c" });
  if (!r.program) throw new Error(JSON.stringify(r.diagnostics));
  return r.program;
}

const scenario = parseScenario({ version: 1, entry: "run", params: { n: "S", k: "S" }, globals: { "*": "S" }, owned: ["*"] });
const contexts = [{ n: 1, k: 3 }, { n: 2, k: 2 }, { n: 0, k: 4 }].map((params) => parseContext({ params }));

describe("a prepared program shared by runs", () => {
  it("interleaved runs on one program give the residual code of fresh programs", () => {
    const fresh = contexts.map((context) => specializeProgram({ program: program(), target: "x86_64", scenario, context }).code);
    // n = 1, k = 3 from the initial globals: counter 12 * calls 6, 15 * 7, 16 * 8
    expect(fresh[0]).toMatch(/\b72\b[^]*\b105\b[^]*\b128\b/);
    expect(fresh[0]).not.toContain("bump");
    const shared = program();
    for (const order of [[0, 1, 2], [2, 0, 1, 0]]) {
      for (const i of order) expect(specializeProgram({ program: shared, target: "x86_64", scenario, context: contexts[i]! }).code).toBe(fresh[i]);
    }
    // a run under another scenario in between changes nothing either
    const dynamic = specializeProgram({ program: shared, target: "x86_64", scenario: parseScenario({ version: 1, entry: "run" }) }).code;
    expect(dynamic).toContain("bump(");
    expect(specializeProgram({ program: shared, target: "x86_64", scenario, context: contexts[1]! }).code).toBe(fresh[1]);
  });

  it("is prepared once per target, and its IR cannot be changed", () => {
    const p = program();
    const prepared = prepareProgram(p, "x86_64");
    specializeProgram({ program: p, target: "x86_64", scenario, context: contexts[0]! });
    expect(prepareProgram(p, "x86_64")).toBe(prepared);
    expect(prepareProgram(p, "arm")).not.toBe(prepared);
    const bump = prepared.functions.get("bump")!;
    const stmt = bump.blocks[bump.entry]!.stmts[0]!;
    expect(() => bump.blocks[bump.entry]!.stmts.push(stmt)).toThrow(TypeError);
    expect(() => Object.assign(bump.vars[0]!, { name: "x" })).toThrow(TypeError);
  });
});
