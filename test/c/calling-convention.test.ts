// i386 calling conventions (fastcall, stdcall, thiscall, regparm) are part of
// a function type: parsed wherever GNU C writes the attribute, printed back,
// compared like gcc and tcc compare them, and kept by the printed program,
// which tcc-wasm compiles to call functions a gcc-built object defines (and
// the other way round) as gcc's build of the original does.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Declaration, type FunctionDef, NodeKind, type Program } from "../../src/c/ast.ts";
import { Abi } from "../../src/c/abi.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { printProgram, printType } from "../../src/c/printer.ts";
import { deserializeProgram, serializeProgram } from "../../src/c/serialize.ts";
import { type CType, TypeKind } from "../../src/c/types.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import type { Target } from "../../src/compiler/targets.ts";

const FORMS = `
int __attribute__((fastcall)) before(int a, int b) { return a - b; }
int after(int a, int b, int c) __attribute__((regparm(3)));
__attribute__((stdcall)) int leading(int a);
typedef void (__attribute__((fastcall)) *handler)(int);
typedef int __attribute__((stdcall)) callback(int);
struct ops { void (__attribute__((thiscall)) *method)(void *); handler on; };
int apply(int (__attribute__((fastcall)) *f)(int, int), int x) { return f(x, 1); }
int cast(void *p) { return ((int (__attribute__((fastcall)) *)(int, int))p)(3, 4); }
int (__attribute__((fastcall)) *pick(void))(int, int) { return before; }
int plain(int a, int b) { return a + b; }
`;

function parse(text: string, target: Target = "i386"): Program {
  const r = parseProgram(text, { target });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.program!;
}

/** The declared type of each file-scope name (typedefs, objects, functions, struct members as `tag.member`). */
function types(p: Program): Map<string, CType> {
  const out = new Map<string, CType>();
  for (const d of p.decls) {
    if (d.kind === NodeKind.FunctionDef) out.set(d.sym.name, (d as FunctionDef).type);
    if (d.kind !== NodeKind.Declaration) continue;
    for (const x of (d as Declaration).declarators) out.set(x.sym.name, x.type);
    for (const def of (d as Declaration).defines) {
      if ("union" in def) for (const f of def.fields ?? []) out.set(`${def.tag}.${f.name}`, f.type);
    }
  }
  return out;
}

const printed = (m: Map<string, CType>): Record<string, string> => Object.fromEntries([...m].map(([k, t]) => [k, printType(t)]));

describe("i386 calling conventions in function types", () => {
  it("are parsed before and after the declarator, in typedefs, members, parameters, casts and return types", () => {
    expect(printed(types(parse(FORMS)))).toEqual({
      before: "int __attribute__((fastcall))(int a, int b)",
      after: "int __attribute__((regparm(3)))(int a, int b, int c)",
      leading: "int __attribute__((stdcall))(int a)",
      handler: "void (__attribute__((fastcall)) *)(int)",
      callback: "int __attribute__((stdcall))(int)",
      "ops.method": "void (__attribute__((thiscall)) *)(void *)",
      "ops.on": "handler",
      apply: "int (int (__attribute__((fastcall)) *f)(int, int), int x)",
      cast: "int (void *p)",
      // pick itself is cdecl: the convention at the start of the parentheses is the returned pointer's
      pick: "int (__attribute__((fastcall)) *(void))(int, int)",
      plain: "int (int a, int b)",
    });
    const handler = types(parse(FORMS)).get("handler")!;
    expect(handler.kind === TypeKind.Pointer && handler.to.kind === TypeKind.Function && handler.to.convention).toBe("fastcall");
    const cast = parse(FORMS).decls.find((d): d is FunctionDef => d.kind === NodeKind.FunctionDef && d.sym.name === "cast")!;
    const ret = cast.body.items[0]!;
    expect(ret.kind === NodeKind.Return && ret.value!.kind === NodeKind.Call && ret.value!.fnType.convention).toBe("fastcall");
  });

  it("survive printing and serialization: the printed program parses to the same types and prints the same text", () => {
    const first = parse(FORMS);
    const text = printProgram(first);
    expect(text).toContain("((int (__attribute__((fastcall)) *)(int, int))p)(3, 4)");
    expect(text).toContain("typedef void (__attribute__((fastcall)) *handler)(int);");
    const second = parse(text);
    expect(printed(types(second))).toEqual(printed(types(first)));
    expect(printProgram(second)).toBe(text);
    // and so does a serialized program loaded back
    const loaded = deserializeProgram(serializeProgram(first));
    expect(printed(types(loaded))).toEqual(printed(types(first)));
    expect(printProgram(loaded)).toBe(text);
  });

  it("a fastcall function pointer is an ordinary pointer: 4 bytes, aligned 4, in a struct laid out as gcc lays it out", () => {
    const p = parse(`${FORMS}\nstruct ops o;`);
    const abi = new Abi("i386");
    const handler = types(p).get("handler")!;
    expect([abi.sizeOf(handler), abi.alignOf(handler)]).toEqual([4, 4]);
    const ops = types(p).get("o")!;
    expect(ops.kind === TypeKind.Record && [ops.def.layout, ops.def.fields!.map((f) => f.offset)]).toEqual([{ size: 8, align: 4 }, [0, 4]]);
  });

  it("differ from cdecl and from each other, as gcc and tcc compare them", () => {
    const p = parse(`${FORMS}
enum {
  same = __builtin_types_compatible_p(handler, void (__attribute__((fastcall)) *)(int)),
  other = __builtin_types_compatible_p(handler, void (*)(int)),
  std = __builtin_types_compatible_p(callback, int (int)),
  zero = __builtin_types_compatible_p(int __attribute__((regparm(0))) (int), int (int)),
};`);
    const values = Object.fromEntries(p.enums.flatMap((e) => e.constants ?? []).map((c) => [c.name, Number(c.value)]));
    expect(values).toEqual({ same: 1, other: 0, std: 0, zero: 1 });
  });

  it("a redeclaration with another convention conflicts (gcc and tcc reject it); converting between them warns (as both warn)", () => {
    const conflict = parseProgram("int __attribute__((fastcall)) h(int);\nint h(int a) { return a; }\n", { target: "i386" });
    expect(conflict.program).toBeNull();
    expect(conflict.diagnostics.map((d) => [d.severity, d.message, d.pos.line])).toEqual([["error", "conflicting types for 'h'", 2]]);
    const mixed = parseProgram(`${FORMS}\nvoid (*cdeclp)(int);\nvoid use(handler h) { handler g = cdeclp; cdeclp = h; apply(plain, 1); }\n`, { target: "i386" });
    expect(mixed.diagnostics.map((d) => [d.severity, d.message, d.pos.line])).toEqual([
      ["warning", "initialization from incompatible pointer type: a cdecl function where a fastcall one is expected", 14],
      ["warning", "assignment from incompatible pointer type: a fastcall function where a cdecl one is expected", 14],
      ["warning", "passing argument 1 from incompatible pointer type: a cdecl function where a fastcall one is expected", 14],
    ]);
    expect(parseProgram("int __attribute__((fastcall, stdcall)) f(int);", { target: "i386" }).diagnostics[0]!.message).toBe("calling conventions 'fastcall' and 'stdcall' are not compatible");
    expect(parseProgram("int __attribute__((regparm(4))) f(int);", { target: "i386" }).diagnostics[0]!.message).toBe("argument to 'regparm' attribute is 4, not 0 to 3");
  });

  it("mean nothing on other targets (gcc ignores them there): the types stay cdecl, the attributes stay as written", () => {
    const p = parse(FORMS, "x86_64");
    expect(printType(types(p).get("before")!)).toBe("int (int a, int b)");
    expect(printProgram(p)).toContain("int __attribute__((fastcall)) before(int a, int b)");
  });
});

// Calls across an ABI boundary: the program, printed and compiled by tcc-wasm,
// calls fastcall/stdcall/regparm functions a gcc-built object defines and
// passes its own fastcall function to one that gcc's code calls back. A
// convention lost anywhere passes arguments in the wrong places.
const OTHER_SIDE = `
int __attribute__((fastcall)) ext_fast(int a, int b, int c) { return a * 100 + b * 10 + c; }
int __attribute__((stdcall)) ext_std(int a, int b) { return a * 7 - b; }
int __attribute__((regparm(2))) ext_reg(int a, int b, int c) { return a * 1000 + b * 3 + c; }
int call_back(int (__attribute__((fastcall)) *f)(int, int), int x) { return f(x, x + 5); }
`;

const PROGRAM = `
int printf(const char *, ...);
typedef int (__attribute__((fastcall)) *fast3)(int, int, int);
int __attribute__((fastcall)) ext_fast(int, int, int);
__attribute__((stdcall)) int ext_std(int a, int b);
int ext_reg(int a, int b, int c) __attribute__((regparm(2)));
int call_back(int (__attribute__((fastcall)) *f)(int, int), int x);
static int __attribute__((fastcall)) mine(int a, int b) { return a * 31 + b; }
int main(int argc, char **argv) {
  (void)argv;
  void *raw = (void *)ext_fast;
  fast3 f = ext_fast;
  printf("%d %d %d\\n", ext_fast(argc, 2, 3), f(3, argc, 1), ((int (__attribute__((fastcall)) *)(int, int, int))raw)(argc, argc, argc));
  printf("%d %d\\n", ext_std(argc, 4), ext_reg(5, argc, 9));
  printf("%d %d\\n", call_back(mine, argc), mine(argc, 1));
  return 0;
}
`;

describe("the printed program keeps its conventions across an ABI boundary (tcc-wasm i386, gcc, qemu-i386)", () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-callconv-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const run = (exe: string): string => ["", "a b"].map((args) => execFileSync("qemu-i386", ["-L", "/usr/i686-linux-gnu", exe, ...(args ? args.split(" ") : [])], { encoding: "utf8" })).join("--\n");

  it("prints what gcc's build of the original prints", async () => {
    const files = { other: path.join(work, "other.c"), program: path.join(work, "program.c") };
    fs.writeFileSync(files.other, OTHER_SIDE);
    fs.writeFileSync(files.program, PROGRAM);
    execFileSync("i686-linux-gnu-gcc", ["-c", "-o", `${files.other}.o`, files.other]);
    execFileSync("i686-linux-gnu-gcc", ["-w", "-o", `${files.program}.gcc`, files.program, `${files.other}.o`]);
    const text = printProgram(parse(PROGRAM));
    const compiler = await createCompiler({ target: "i386" });
    const r = await compiler.compile({ files: { "printed.c": text }, entry: "printed.c" });
    expect(r.ok, r.diagnostics.map((d) => d.message).join("\n")).toBe(true);
    const obj = path.join(work, "printed.o");
    fs.writeFileSync(obj, r.object);
    execFileSync("i686-linux-gnu-gcc", ["-o", `${obj}.exe`, obj, `${files.other}.o`], { stdio: "pipe" });
    const expected = run(`${files.program}.gcc`);
    expect(expected).toBe("123 311 111\n3 5012\n37 32\n--\n323 331 333\n17 5018\n101 94\n");
    expect(run(`${obj}.exe`), text).toBe(expected);
  });
});
