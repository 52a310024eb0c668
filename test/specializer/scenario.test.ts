import { describe, expect, it } from "vitest";
import { parseProgram } from "../../src/c/parser.ts";
import { BespokeError } from "../../src/errors.ts";
import { specializeProgram } from "../../src/specializer/pipeline.ts";
import { parseContext, parseScenario } from "../../src/specializer/scenario.ts";

const SOURCE = `
struct cfg { int mode; int count; const char *name; };
struct cfg config = { 1, 4, "dev" };
int table[4] = { 1, 2, 3, 4 };
int helper(int x) { return x * 3; }
int unused(int x) { return x - 1; }
int scale(int x, int k, const struct cfg *c) {
  int s = 0;
  for (int i = 0; i < c->count; i++) s += table[i] * k;
  return helper(x) + s + c->mode;
}
`;

function program() {
  const r = parseProgram(SOURCE, { target: "x86_64", file: "s.c" });
  if (!r.program) throw new Error(JSON.stringify(r.diagnostics));
  return r.program;
}

function refusal(scenario: unknown, context: unknown = {}): string {
  try {
    specializeProgram({ program: program(), target: "x86_64", scenario: parseScenario(scenario), context: parseContext(context) });
  } catch (e) {
    expect(e).toBeInstanceOf(BespokeError);
    return (e as Error).message;
  }
  throw new Error("accepted");
}

describe("scenario format", () => {
  it("names the offending field of a malformed scenario", () => {
    expect(() => parseScenario({ version: 1, entry: "f", params: { n: "static-ish" } })).toThrow(/scenario\.params\.n: expected "S" \(static\) or "D" \(dynamic\)/);
    expect(() => parseScenario({ version: 2, entry: "f" })).toThrow(/scenario\.version: expected 1/);
    expect(() => parseScenario({ version: 1, entry: "f", limits: { unroll: -1 } })).toThrow(/scenario\.limits\.unroll/);
    expect(() => parseScenario({ version: 1, entry: "f", extra: 1 })).toThrow(/scenario\.extra: unknown field/);
    expect(() => parseScenario({ version: 1, entry: "f", globals: { g: { value: "D", pointee: "S" } } })).toThrow(/scenario\.globals\.g\.pointee/);
    expect(() => parseContext({ memory: [{ base: "0x10", hex: "abc" }] })).toThrow(/context\.memory\[0\]\.hex/);
  });
});

describe("unsound inputs are refused with a message naming the problem", () => {
  it("a missing entry function", () => {
    expect(refusal({ version: 1, entry: "nope" })).toMatch(/scenario\.entry: no function named 'nope'/);
  });
  it("a missing parameter", () => {
    expect(refusal({ version: 1, entry: "scale", params: { q: "S" } })).toMatch(/scenario\.params\.q: function scale has no parameter 'q' \(it has: x, k, c\)/);
  });
  it("a missing global and a missing field", () => {
    expect(refusal({ version: 1, entry: "scale", globals: { cfg: "S" } })).toMatch(/scenario\.globals\.cfg: no global variable named 'cfg'/);
    expect(refusal({ version: 1, entry: "scale", globals: { config: { fields: { speed: "S" } } } })).toMatch(/scenario\.globals\.config\.fields\.speed: struct cfg has no field 'speed'/);
  });
  it("a static value of the wrong type", () => {
    expect(refusal({ version: 1, entry: "scale", params: { k: "S" } }, { params: { k: "three" } })).toMatch(/context\.params\.k: expected an integer/);
    expect(refusal({ version: 1, entry: "scale", params: { c: "S" } }, { params: { c: { mode: 1, colour: 2 } } })).toMatch(/context\.params\.c\[0\]\.colour: struct cfg has no field 'colour'/);
  });
  it("a static parameter without a value", () => {
    expect(refusal({ version: 1, entry: "scale", params: { k: "S" } })).toMatch(/context\.params\.k: parameter 'k' is static in the scenario but the context gives no value/);
  });
  it("a static pointer outside the memory provided", () => {
    const message = refusal({ version: 1, entry: "scale", params: { c: "S" } }, { params: { c: { address: "0x20001000" } }, memory: [{ base: "0x10000000", hex: "00000000" }] });
    expect(message).toMatch(/context\.params\.c: static pointer 0x20001000 is outside the device memory provided/);
  });
});

describe("specialization through the pipeline", () => {
  it("an empty scenario yields the dependency-pruned program", () => {
    const { code } = specializeProgram({ program: program(), target: "x86_64", scenario: parseScenario({ version: 1, entry: "scale" }) });
    expect(code).toContain("helper(");
    expect(code).not.toContain("unused");
  });

  it("a residual of main is pruned unless it replaces the unit in a link (keepExternal)", () => {
    const r = parseProgram(`${SOURCE}\nstatic int quiet(int x) { return x; }\nint main(void) { return helper(2); }\n`, { target: "x86_64", file: "m.c" });
    const unit = (keepExternal: boolean) => specializeProgram({ program: r.program!, target: "x86_64", scenario: parseScenario({ version: 1, entry: "main", keepExternal }) }).code;
    expect(unit(false)).not.toMatch(/unused|scale|quiet/);
    expect(unit(true)).toMatch(/int unused\(int \w+\)\n\{/);
    expect(unit(true)).toMatch(/int scale\(/);
    expect(unit(true)).not.toContain("quiet");
    expect(() => parseScenario({ version: 1, entry: "main", keepExternal: "yes" })).toThrow(/scenario\.keepExternal: expected true or false/);
  });

  it("a function the scenario marks dynamic stays a residual call", () => {
    const { code } = specializeProgram({
      program: program(),
      target: "x86_64",
      scenario: parseScenario({ version: 1, entry: "scale", params: { k: "S" }, functions: { helper: "dynamic" } }),
      context: parseContext({ params: { k: 2 } }),
    });
    expect(code).toMatch(/= helper\(x\);/);
    expect(code).toMatch(/int helper\(int \w+\)\n\{/);
    expect(refusal({ version: 1, entry: "scale", functions: { nothere: "dynamic" } })).toMatch(/scenario\.functions\.nothere: no function named 'nothere'/);
  });

  it("static globals and a static struct pointer fold the loop away", () => {
    const { code } = specializeProgram({
      program: program(),
      target: "x86_64",
      scenario: parseScenario({ version: 1, entry: "scale", params: { c: "S" }, globals: { table: "S" } }),
      context: parseContext({ params: { c: { mode: 7, count: 3, name: "x" } } }),
    });
    expect(code).not.toMatch(/table|goto|helper/);
    expect(code).toMatch(/int scale\(int x, int k\)/);
  });

  it("a static pointer into provided device memory reads it statically", () => {
    const { code } = specializeProgram({
      program: program(),
      target: "x86_64",
      scenario: parseScenario({ version: 1, entry: "scale", params: { c: "S" }, globals: { table: "S" } }),
      // struct cfg at 0x1000: mode = 5, count = 2
      context: parseContext({ params: { c: { address: "0x1000" } }, memory: [{ base: "0x1000", hex: "05000000020000000000000000000000" }] }),
    });
    expect(code).not.toMatch(/goto|table/);
    expect(code).toMatch(/\+ 5\b/);
  });
});
