// The serialized form loads back to the same program: same printed C, same
// layouts, shared declarations still shared; corrupt input is refused.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { NodeKind, type Program } from "../../src/c/ast.ts";
import { preprocessLwipCore } from "../../src/c/corpus.ts";
import { programLayouts } from "../../src/c/layout.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { printProgram } from "../../src/c/printer.ts";
import { deserializeProgram, serializeProgram } from "../../src/c/serialize.ts";
import { TypeKind } from "../../src/c/types.ts";
import { BespokeError } from "../../src/errors.ts";
import { repoRoot } from "../../src/node/paths.ts";

function parse(text: string): Program {
  const r = parseProgram(text, { target: "arm" });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.program!;
}

describe("serialized programs", () => {
  it("every lwIP core unit loads back with identical printed C and layouts", async () => {
    const units = await preprocessLwipCore("arm", path.join(repoRoot(), "test", "c", "fixtures", "lwip-port"));
    for (const [i, u] of units.entries()) {
      const program = parse(u.text);
      const bytes = serializeProgram(program);
      const loaded = deserializeProgram(bytes);
      expect(printProgram(loaded)).toBe(printProgram(program));
      expect(programLayouts(loaded)).toEqual(programLayouts(program));
      // the whole graph, field by field (slow on big graphs: a few units)
      if (i < 4) expect(loaded).toEqual(program);
    }
  });

  it("keeps shared objects shared: a symbol, its references and a self-referential struct", () => {
    const loaded = deserializeProgram(
      serializeProgram(parse("struct node { struct node *next; long long v; };\nstatic int count;\nint bump(struct node *n) { count += n->v == -1; return count; }\n")),
    );
    const bump = loaded.decls.find((d) => d.kind === NodeKind.FunctionDef)!;
    expect(bump.kind).toBe(NodeKind.FunctionDef);
    if (bump.kind !== NodeKind.FunctionDef) return;
    const assign = bump.body.items[0]!;
    const ret = bump.body.items[1]!;
    if (assign.kind !== NodeKind.ExprStmt || assign.expr.kind !== NodeKind.Assign || ret.kind !== NodeKind.Return || ret.value?.kind !== NodeKind.Ident) {
      throw new Error("unexpected shape of the loaded function body");
    }
    expect(assign.expr.target.kind).toBe(NodeKind.Ident);
    if (assign.expr.target.kind !== NodeKind.Ident) return;
    expect(assign.expr.target.sym).toBe(ret.value.sym);
    const node = loaded.records[0]!;
    const next = node.fields![0]!.type;
    expect(next.kind === TypeKind.Pointer && next.to.kind === TypeKind.Record && next.to.def === node).toBe(true);
    expect(node.layout).toEqual({ size: 16, align: 8 });
  });

  it("shares what several function bodies reach", () => {
    const r = parseProgram("static int hits;\nint a(void) { hits++; return ext(1); }\nint b(void) { return hits + ext(2); }\n", { target: "x86_64" });
    const loaded = deserializeProgram(serializeProgram(r.program!));
    const [a, b] = loaded.decls.filter((d) => d.kind === NodeKind.FunctionDef);
    if (a?.kind !== NodeKind.FunctionDef || b?.kind !== NodeKind.FunctionDef) throw new Error("expected two functions");
    const callee = (e: unknown): unknown => (e as { callee: { sym: unknown } }).callee.sym;
    const aRet = a.body.items[1]!;
    const bRet = b.body.items[0]!;
    if (aRet.kind !== NodeKind.Return || bRet.kind !== NodeKind.Return || bRet.value?.kind !== NodeKind.Binary) throw new Error("unexpected bodies");
    // `ext` is declared implicitly inside a's body and used in b's: one symbol for both
    expect(callee(aRet.value)).toBe(callee(bRet.value.right));
    const inc = a.body.items[0]!;
    if (inc.kind !== NodeKind.ExprStmt || inc.expr.kind !== NodeKind.Postfix || inc.expr.operand.kind !== NodeKind.Ident || bRet.value.left.kind !== NodeKind.Ident) {
      throw new Error("unexpected statements");
    }
    expect(inc.expr.operand.sym).toBe(bRet.value.left.sym);
    expect(printProgram(loaded)).toBe(printProgram(r.program!));
  });

  it("loads every empty array as one frozen array: adding to one throws instead of changing them all", () => {
    const loaded = deserializeProgram(serializeProgram(parse("int x;\nstatic int y(void) { return 1; }\n")));
    const [x, y] = loaded.decls;
    if (x?.kind !== NodeKind.Declaration || y?.kind !== NodeKind.FunctionDef) throw new Error("expected a declaration and a function");
    expect(x.attrs).toEqual([]);
    expect(y.params).toEqual([]);
    expect(x.attrs).toBe(y.params);
    expect(() => x.attrs.push({ name: "unused", args: [] })).toThrow(TypeError);
    expect(y.params).toEqual([]);
  });

  it("every truncation and byte corruption either loads or is refused with BAD_SERIALIZED_AST", () => {
    const bytes = serializeProgram(
      parse("struct s { int a : 3; struct s *next; };\ntypedef struct s S;\nstatic const char *name = \"x\\n\";\nint f(S *p, long long v) { return p->a + (int)v + 0x10u + sizeof(S) + 1.5; }\n"),
    );
    const outcomes = new Map<string, number>();
    const attempt = (b: Uint8Array): void => {
      let outcome = "loaded";
      try {
        deserializeProgram(b);
      } catch (e) {
        // anything but our error (a TypeError, a RangeError from the stack) is a crash
        if (!(e instanceof BespokeError) || e.code !== "BAD_SERIALIZED_AST") throw e;
        outcome = "refused";
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    };
    for (let len = 0; len < bytes.length; len++) attempt(bytes.subarray(0, len));
    expect(outcomes.get("loaded")).toBeUndefined();
    for (let i = 0; i < bytes.length; i++) {
      for (const x of [0x00, 0x01, 0x7f, 0x80, 0xff, bytes[i]! ^ 0x10]) {
        const b = bytes.slice();
        b[i] = x;
        attempt(b);
      }
    }
    expect(outcomes.get("refused")).toBeGreaterThan(bytes.length);
  });

  it("refuses to write what the AST declarations do not declare, rather than drop it", () => {
    const program = parse("int x = 3;\n");
    Object.assign(program.decls[0]!, { note: "added by a later stage" });
    expect(() => serializeProgram(program)).toThrow(/field 'note' of a Declaration/);
    const other = parse("int y;\n");
    Object.assign(other.decls[0]!, { extension: "yes" });
    expect(() => serializeProgram(other)).toThrow(/string yes where the declarations have a boolean/);
  });

  it("refuses corrupt, truncated and foreign input with a clear error", () => {
    const bytes = serializeProgram(parse("int x = 3;\n"));
    expect(() => deserializeProgram(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated or corrupt/);
    expect(() => deserializeProgram(new TextEncoder().encode("int x = 3;"))).toThrow(/not a serialized bespoke program/);
    const future = bytes.slice();
    future[7] = 99;
    expect(() => deserializeProgram(future)).toThrow(/format 99 is not the supported version/);
  });
});
