// The parser on small programs: C11 and GNU constructs, typing with the
// target's sizes, constant expressions, original positions from line
// markers, and clear diagnostics for what it rejects.
import { describe, expect, it } from "vitest";
import { type Expr, type FunctionDef, NodeKind, type Program } from "../../src/c/ast.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { printExpr, printType } from "../../src/c/printer.ts";
import { TypeKind } from "../../src/c/types.ts";
import type { Target } from "../../src/compiler/targets.ts";

function parse(text: string, target: Target = "arm"): Program {
  const r = parseProgram(text, { target });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.program!;
}

function error(text: string, target: Target = "arm"): { message: string; file: string; line: number; column: number } {
  const r = parseProgram(text, { target });
  expect(r.program).toBeNull();
  const d = r.diagnostics.find((x) => x.severity === "error")!;
  return { message: d.message, ...d.pos };
}

function fn(p: Program, name: string): FunctionDef {
  const f = p.decls.find((d): d is FunctionDef => d.kind === NodeKind.FunctionDef && d.sym.name === name);
  if (!f) throw new Error(`no function ${name}`);
  return f;
}

function returned(p: Program, name: string): Expr {
  const body = fn(p, name).body.items;
  const last = body[body.length - 1]!;
  if (last.kind !== NodeKind.Return || !last.value) throw new Error(`${name} does not end in return <expr>`);
  return last.value;
}

describe("parser", () => {
  it("resolves typedef names by scope: an inner variable hides the type", () => {
    const p = parse("typedef int T;\nint f(void) { T a = 1; { int T = 2; a += T * 3; } return a; }\nT g(T x) { return x; }\n");
    expect(printExpr(returned(p, "f"))).toBe("a");
    expect(fn(p, "g").type.params[0]!.type.typedefName).toBe("T");
  });

  it("types arithmetic with the target's sizes (usual arithmetic conversions)", () => {
    const src = "long f(unsigned int u, long l) { return u + l; }\n";
    const add = (t: Target): string => {
      const e = returned(parse(src, t), "f");
      return e.kind === NodeKind.Binary ? printType(e.opType) : "";
    };
    expect(add("arm")).toBe("unsigned long");
    expect(add("x86_64")).toBe("long");
  });

  it("gives enums tcc's integer types: unsigned without negative values, 64-bit when needed", () => {
    const p = parse("enum pos { P = 1 };\nenum neg { N = -1, M = 2 };\nenum big { G = 0x100000000 };\nint f(enum pos a, enum neg b, enum big c) { return (a - 2 < 0) + (b - 2 < 0) + (int)sizeof c; }\n", "x86_64");
    expect(p.enums.map((e) => printType(e.underlying))).toEqual(["unsigned int", "int", "unsigned long"]);
    const sum = returned(p, "f");
    const left = sum.kind === NodeKind.Binary && sum.left.kind === NodeKind.Binary ? sum.left : null;
    const cmp = (e: Expr | undefined): string => (e && e.kind === NodeKind.Binary ? printType(e.opType) : "");
    expect([cmp(left?.left), cmp(left?.right)]).toEqual(["unsigned int", "int"]);
  });

  it("evaluates constant expressions: sizeof, offsetof, enums, casts, conditionals", () => {
    const p = parse(
      "struct s { char c; double d; int a[3]; };\nenum { A = 5, B, C = B * 2 + (int)sizeof(struct s) };\n" +
        "char buf[C + ((unsigned long)&((struct s *)0)->a[1])];\nint neg[(-1 >> 1) == -1 ? 2 : 3];\n",
      "i386",
    );
    const sizes = p.decls.flatMap((d) => (d.kind === NodeKind.Declaration ? d.declarators.map((x) => x.type) : []));
    // i386: double aligns to 4, sizeof(struct s) = 24; C = 6 * 2 + 24 = 36; offsetof a[1] = 16
    expect(sizes.map((t) => (t.kind === TypeKind.Array ? t.length : null))).toEqual([52, 2]);
  });

  it("parses the GNU extensions embedded code uses", () => {
    const p = parse(
      [
        "struct __attribute__((packed)) hdr { unsigned char t; unsigned int v; };",
        "struct flex { int n; char data[0]; };",
        "int pick(int x) {",
        "  __extension__ int y = ({ int t = x * 2; t + 1; });",
        "  typeof(y) z = 0;",
        "  switch (x) { case 1 ... 3: z = 1; break; case 'a': z = 2; break; default: z = 3; }",
        "  int arr[] = { [4] = 1, [0 ... 1] = 2 };",
        "  struct hdr h = (struct hdr){ .v = 7, .t = 1 };",
        "  static void *labels[] = { &&out };",
        "  goto *labels[0];",
        "out:",
        "  return y + z + (int)sizeof arr + h.v + (x ?: 4);",
        "}",
      ].join("\n") + "\n",
    );
    expect(p.records.map((r) => r.layout)).toEqual([
      { size: 5, align: 1 },
      { size: 4, align: 4 },
    ]);
    const f = fn(p, "pick");
    const sw = f.body.items[2]!;
    expect(sw.kind === NodeKind.Switch && sw.body.kind === NodeKind.Compound && sw.body.items[0]!.kind === NodeKind.Case ? [sw.body.items[0].low, sw.body.items[0].highValue] : null).toEqual([1n, 3n]);
    const arr = f.body.items[3]!;
    expect(arr.kind === NodeKind.Declaration ? printType(arr.declarators[0]!.type) : "").toBe("int [5]");
  });

  it("honours #pragma pack and attributes in layouts", () => {
    const p = parse("#pragma pack(push, 2)\nstruct a { char c; int i; };\n#pragma pack(pop)\nstruct b { char c; int i __attribute__((aligned(8))); };\n");
    expect(p.records.map((r) => [r.layout!.size, r.layout!.align, r.fields!.map((f) => f.offset)])).toEqual([
      [6, 2, [0, 2]],
      [16, 8, [0, 8]],
    ]);
  });

  it("reaches members of anonymous structs and unions through their path", () => {
    const p = parse("struct v { int kind; union { int i; struct { short lo, hi; }; }; };\nint hi(struct v *p) { return p->hi; }\n");
    const e = returned(p, "hi");
    expect(e.kind === NodeKind.Member ? e.path.map((f) => f.name ?? "<anonymous>") : []).toEqual(["<anonymous>", "<anonymous>", "hi"]);
    expect(e.kind === NodeKind.Member ? e.path.reduce((n, f) => n + f.offset, 0) : -1).toBe(6);
  });

  it("gives every node the original file, line and column from line markers", () => {
    const p = parse('# 1 "a.c"\nint x;\n# 40 "include/b.h" 1\nstruct q { int y; };\n# 3 "a.c" 2\nint  f(void) { return x; }\n');
    const f = fn(p, "f");
    expect(f.pos).toEqual({ file: "a.c", line: 3, column: 1 });
    expect(returned(p, "f").pos).toEqual({ file: "a.c", line: 3, column: 23 });
    expect(p.records[0]!.pos).toEqual({ file: "include/b.h", line: 40, column: 8 });
  });

  it("reports errors with their original position and an actionable message", () => {
    expect(error('# 7 "net/udp.c"\nint f(void) {\n  return missing + 1;\n}\n')).toEqual({ message: "'missing' undeclared", file: "net/udp.c", line: 8, column: 10 });
    expect(error("int f(a, b) int a; int b; { return a + b; }\n").message).toMatch(/old-style.*K&R.*not supported/);
    expect(error("struct s { int a; };\nint g(struct s *p) { return p->b; }\n")).toMatchObject({ message: "'struct s' has no member named 'b'", line: 2 });
    expect(error("int a[2] = { 1, 2 };\nvoid h(void) { a = 0; }\n").message).toMatch(/assignment to expression with array/);
    expect(error("_Static_assert(sizeof(int) == 8, \"int is 64-bit\");\n").message).toBe('static assertion failed: "int is 64-bit"');
  });
});
