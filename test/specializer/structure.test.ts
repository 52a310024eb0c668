// Structuring of residual control flow (src/specializer/structure.ts): the
// classic cases' residuals are `if`/`while`/`switch` with no labels or gotos
// where their CFGs are reducible; loops under dynamic control stay loops;
// random goto programs (reducible and irreducible) come out structured where
// C allows and still mean the same: original and residual, compiled by
// tcc-wasm for x86_64 and linked by gcc, print the same on 200 inputs.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/c/mutate.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { type SpecializeResult, specializeProgram } from "../../src/specializer/pipeline.ts";
import { type Context, parseContext, parseScenario } from "../../src/specializer/scenario.ts";
import { CASES_DIR } from "./harness.ts";

function specialize(source: string, file: string, scenario: unknown, context: unknown = {}): SpecializeResult {
  const parsed = parseProgram(source, { target: "x86_64", file });
  if (!parsed.program) throw new Error(`parse failed: ${JSON.stringify(parsed.diagnostics)}`);
  return specializeProgram({ program: parsed.program, target: "x86_64", scenario: parseScenario(scenario), context: parseContext(context) as Context });
}

function classic(name: string): SpecializeResult {
  const dir = path.join(CASES_DIR, name);
  const read = (f: string): unknown => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"));
  return specialize(fs.readFileSync(path.join(dir, `${name}.c`), "utf8"), `${name}.c`, read("scenario.json"), read("context.json"));
}

const LABEL = /^\s*L\d+:/m;

describe("structured residual control flow", () => {
  it.each(["power", "format", "interp", "checksum"])("%s: reducible, no goto and no label left", (name) => {
    const { code, report } = classic(name);
    expect(report.structure).toEqual({ gotos: 0, irreducibleEdges: 0 });
    expect(code).not.toMatch(/\bgoto\b/);
    expect(code).not.toMatch(LABEL);
  });

  it("glob: irreducible (memoized states enter its loops in two places); its gotos are counted, its loops structured", () => {
    const { code, report } = classic("glob");
    const gotos = code.match(/\bgoto\b/g)?.length ?? 0;
    expect(gotos).toBe(report.structure.gotos);
    expect(report.structure.irreducibleEdges).toBeGreaterThan(0);
    expect(code).toMatch(/\b(while|for) \(/);
  });

  it("loops under dynamic control print as loops", () => {
    // tested once before the loop, then at its end: one jump per iteration
    expect(classic("checksum").code).toMatch(/if \(sum >> 16\) \{\s*do \{[^}]*\} while \(sum >> 16\);/);
    const source = `
      int count(const char *s, int c, int n) {
        while (*s) {
          if (*s == c) n++;
          s++;
        }
        do n = n * 3 + 1; while (n < 1000);
        return n;
      }`;
    const { code, report } = specialize(source, "count.c", { version: 1, entry: "count", params: { s: "D", c: "S", n: "D" } }, { params: { c: 97 } });
    expect(report.structure).toEqual({ gotos: 0, irreducibleEdges: 0 });
    expect(code).not.toMatch(/\bgoto\b/);
    expect(code).toMatch(/if \(\*s\) \{\s*do \{[^]*\} while \(\*s\);/);
    expect(code).toMatch(/do \{[^]*\} while \(/);
  });
});

/** A random function of gotos between `n` blocks: loops, irreducible loops, switches; terminates within `limit` steps. */
function randomGotos(name: string, rnd: () => number, n: number): string {
  const pick = (i: number): number => (rnd() < 0.7 ? Math.min(n - 1, i + 1 + Math.floor(rnd() * 3)) : Math.floor(rnd() * n));
  const lines = [`unsigned ${name}(unsigned seed, int limit)`, "{", "    unsigned h = seed ^ 7u;", "    int steps = limit;"];
  for (let i = 0; i < n; i++) {
    lines.push(`B${i}:`, `    h = h * 31u + ${i}u;`, "    if (--steps < 0) return h;", "    seed = seed * 1103515245u + 12345u;");
    const r = rnd();
    if (i === n - 1 || r < 0.1) lines.push("    return h ^ seed;");
    else if (r < 0.3) lines.push(`    goto B${pick(i)};`);
    else if (r < 0.85) lines.push(`    if ((seed >> 16) & 1) goto B${pick(i)}; else goto B${pick(i)};`);
    else lines.push(`    switch ((seed >> 16) % 3u) { case 0: goto B${pick(i)}; case 1: goto B${pick(i)}; default: goto B${pick(i)}; }`);
  }
  lines.push("}");
  return lines.join("\n");
}

/** A loop entered in two places: irreducible. */
const IRREDUCIBLE = `
unsigned irr(unsigned seed, int limit)
{
    unsigned h = seed;
    if (seed & 1) goto odd;
even:
    h = h * 3u + 1u;
    if (--limit < 0) return h;
    if ((h >> 7) & 1) goto odd;
    goto even;
odd:
    h = h * 5u + 2u;
    if (--limit < 0) return h;
    if ((h >> 9) & 1) goto even;
    goto odd;
}`;

describe("goto programs, everything dynamic", () => {
  it("structured residuals of a written irreducible loop and of 32 random goto programs print the same as the originals on 200 inputs", async () => {
    const rnd = mulberry32(20261126);
    const names = [...Array.from({ length: 32 }, (_, i) => `f${i}`), "irr"];
    const sources = names.map((name) => (name === "irr" ? IRREDUCIBLE : randomGotos(name, rnd, 4 + Math.floor(rnd() * 9))));
    const cc = await createCompiler({ target: "x86_64" });
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "spec-structure-"));
    try {
      const objects = { original: [] as string[], residual: [] as string[] };
      let irreducible = 0;
      let reducibleLoops = 0;
      for (const [i, name] of names.entries()) {
        const source = sources[i]!;
        const { code, report } = specialize(source, `${name}.c`, { version: 1, entry: name, params: { seed: "D", limit: "D" } });
        const gotos = code.match(/\bgoto\b/g)?.length ?? 0;
        expect(gotos, code).toBe(report.structure.gotos);
        if (name === "irr") expect(report.structure.irreducibleEdges, code).toBeGreaterThan(0);
        else if (report.structure.irreducibleEdges > 0) irreducible++;
        else if (/\b(while|for|do)\b/.test(code)) reducibleLoops++;
        for (const [kind, text] of [["original", source], ["residual", code]] as const) {
          const r = await cc.compile({ files: { "f.c": text }, entry: "f.c" });
          expect(r.ok, `${kind} ${name}: ${JSON.stringify(r.diagnostics)}\n${text}`).toBe(true);
          const obj = path.join(work, `${kind}-${name}.o`);
          fs.writeFileSync(obj, r.object);
          objects[kind].push(obj);
        }
      }
      // the generator is seeded: both kinds of control flow are exercised
      expect(irreducible).toBeGreaterThan(3);
      expect(reducibleLoops).toBeGreaterThan(3);
      const driver = path.join(work, "driver.c");
      const protos = names.map((f) => `unsigned ${f}(unsigned, int);`).join("\n");
      const calls = names.map((f) => `printf(" %u", ${f}(s * 2654435761u, 40));`).join("\n        ");
      fs.writeFileSync(driver, `#include <stdio.h>\n${protos}\nint main(void)\n{\n    for (unsigned s = 0; s < 200; s++) {\n        ${calls}\n        printf("\\n");\n    }\n    return 0;\n}\n`);
      const run = (kind: "original" | "residual"): string => {
        const exe = path.join(work, kind);
        execFileSync("gcc", ["-w", "-o", exe, driver, ...objects[kind]], { stdio: "pipe" });
        return execFileSync(exe, { encoding: "utf8", maxBuffer: 16 << 20 });
      };
      const original = run("original");
      expect(original.split("\n").length).toBe(201);
      expect(run("residual")).toBe(original);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});
