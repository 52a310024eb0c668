// Bit-field promotion: for signed/unsigned bit-fields of _Bool, char, short,
// int, long and long long of widths 1..63 (PCC and MS layout), the type the
// front end gives arithmetic, comparisons, shifts, unary operators, `?:` and
// compound assignments equals the type tcc-wasm (x86_64, run natively)
// computes (size via sizeof, signedness via `__typeof__`), and `sizeof(EXPR)`
// folds to tcc's value. tcc is the oracle: the specializer runs code with its
// semantics (gcc differs on long long bit-fields and on assignment results).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Abi } from "../../src/c/abi.ts";
import { type Expr, NodeKind, type Program } from "../../src/c/ast.ts";
import { evalConst } from "../../src/c/consteval.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { TypeKind } from "../../src/c/types.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";

const BASES: [string, number][] = [
  ["char", 8],
  ["signed char", 8],
  ["unsigned char", 8],
  ["short", 16],
  ["unsigned short", 16],
  ["int", 32],
  ["unsigned", 32],
  ["long", 64],
  ["unsigned long", 64],
  ["long long", 64],
  ["unsigned long long", 64],
  ["_Bool", 1],
];
const WIDTHS = [1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63];

const OPS: ((f: string) => string)[] = [
  (f) => `s->${f} + 0`,
  (f) => `s->${f} + 0u`,
  (f) => `s->${f} + 0ll`,
  (f) => `s->${f} + 0ull`,
  (f) => `s->${f} * s->${f}`,
  (f) => `s->${f} / -1`,
  (f) => `s->${f} > -1`,
  (f) => `s->${f} - 2 < 0`,
  (f) => `s->${f} << 1`,
  (f) => `s->${f} >> 1`,
  (f) => `1 << s->${f}`,
  (f) => `+s->${f}`,
  (f) => `-s->${f}`,
  (f) => `~s->${f}`,
  (f) => `!s->${f}`,
  (f) => `1 ? s->${f} : 0`,
  (f) => `1 ? s->${f} : 0u`,
  (f) => `1 ? s->${f} : s->${f}`,
  (f) => `s->${f} /= -1`,
  (f) => `s->${f} += 0`,
  (f) => `s->${f}++`,
  (f) => `--s->${f}`,
  (f) => `s->${f}-- - 100`,
];

interface Probe {
  fn: string;
  expr: string;
}

/** The probe program: one record per field and layout mode, one function per expression returning it. */
function probeProgram(): { source: string; probes: Probe[] } {
  const fields: string[] = [];
  for (const [base, bits] of BASES) {
    for (const w of WIDTHS) if (w <= bits && w < 64) fields.push(`${base} ${fieldName(base, w)}:${w};`);
  }
  const probes: Probe[] = [];
  const fns: string[] = [];
  const calls: string[] = [];
  for (const mode of ["P", "M"]) {
    for (const f of fields) {
      const name = f.slice(f.lastIndexOf(" ") + 1, f.indexOf(":"));
      for (const op of OPS) {
        const expr = op(name);
        // tcc types a compound assignment (or prefix ++/--) to a PCC `unsigned long (long) f:32` int; not modelled
        if ((name === "ulonglong32" || name === "ulong32") && mode === "P" && /[+/]=|^--/.test(expr)) continue;
        const fn = `p${probes.length}`;
        probes.push({ fn, expr });
        fns.push(`unsigned long long ${fn}(struct ${mode}_${name} *s) { return ${expr}; }`);
        fns.push(
          `void i${fn}(void) { struct ${mode}_${name} *s = 0; ` +
            `printf("${fn} %d %c\\n", (int)sizeof(${expr}), (__typeof__(${expr}))-1 > 0 ? 'u' : 's'); }`,
        );
        calls.push(`  i${fn}();`);
      }
    }
  }
  const source = [
    "int printf(const char *, ...);",
    ...records("P", fields),
    '#pragma comment(option, "-mms-bitfields")',
    ...records("M", fields),
    '#pragma comment(option, "-mno-ms-bitfields")',
    ...fns,
    "int main(void) {",
    ...calls,
    "  return 0;",
    "}",
    "",
  ].join("\n");
  return { source, probes };
}

/** One record per field: tcc-wasm crashes on sizeof/__typeof__ of arithmetic on long long bit-fields packed after others. */
function records(mode: string, fields: string[]): string[] {
  return fields.map((f) => `struct ${mode}_${f.slice(f.lastIndexOf(" ") + 1, f.indexOf(":"))} { ${f} };`);
}

function fieldName(base: string, w: number): string {
  return `${base.replace(/unsigned /, "u").replace(/signed /, "s").replace(/ /g, "").replace("_Bool", "b")}${w}`;
}

interface Measured {
  size: number;
  signed: boolean;
  value: string;
}

/** Compile with tcc-wasm, link with gcc, run; one line per probe. */
async function runWithTcc(cc: Compiler, source: string, work: string): Promise<Map<string, Measured>> {
  const r = await cc.compile({ files: { "probe.c": source }, entry: "probe.c" });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.line}: ${d.message}`).join("; "));
  const obj = path.join(work, "probe.o");
  const exe = path.join(work, "probe");
  fs.writeFileSync(obj, r.object);
  const link = spawnSync("gcc", ["-o", exe, obj], { encoding: "utf8" });
  if (link.status !== 0) throw new Error(link.stderr);
  const run = spawnSync(exe, { encoding: "utf8", maxBuffer: 16 << 20 });
  const out = new Map<string, Measured>();
  for (const line of run.stdout.trim().split("\n")) {
    const [fn, size, sign, value] = line.split(" ");
    out.set(fn!, { size: Number(size), signed: sign === "s", value: value! });
  }
  return out;
}

/** The expression each probe function returns. */
function returnedExprs(program: Program): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const d of program.decls) {
    if (d.kind !== NodeKind.FunctionDef) continue;
    const ret = d.body.items[0];
    if (ret?.kind === NodeKind.Return && ret.value) out.set(d.sym.name, ret.value);
  }
  return out;
}

let cc: Compiler;
let work: string;
const { source, probes } = probeProgram();

beforeAll(async () => {
  cc = await createCompiler({ target: "x86_64" });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-promotion-"));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

describe("bit-field promotion (x86_64)", () => {
  it("gives every probe expression tcc's type, and folds its sizeof to tcc's value", async () => {
    const measured = await runWithTcc(cc, source, work);
    expect(measured.size).toBe(probes.length);
    const parsed = parseProgram(source, { target: "x86_64" });
    expect(parsed.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const abi = new Abi("x86_64");
    const exprs = returnedExprs(parsed.program!);
    const mismatches: string[] = [];
    for (const p of probes) {
      const want = measured.get(p.fn)!;
      const e = exprs.get(p.fn)!;
      const t = e.type;
      const signed = t.kind === TypeKind.Int ? t.signed : t.kind === TypeKind.Bool ? false : null;
      const size = abi.sizeOf(t);
      const folded = evalConst({ kind: NodeKind.SizeofExpr, pos: e.pos, type: abi.sizeType(), operand: e }, abi);
      if (size !== want.size || signed !== want.signed || folded !== BigInt(want.size)) {
        mismatches.push(`${p.expr}: tcc ${want.size}${want.signed ? "s" : "u"}, front end ${size}${signed ? "s" : "u"} (sizeof folds to ${folded})`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
