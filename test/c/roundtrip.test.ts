// Round trip: parse + print C, and the printed program still compiles with
// tcc-wasm and means the same. TinyCC's tests2 programs are run natively
// (x86_64 objects from tcc-wasm, linked by gcc with tcc's runtime helpers)
// and must print their .expect output; the printed lwIP core compiles for
// arm to the same code size as the original.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { SystemPreprocessor, preprocessLwipCore, tccDir } from "../../src/c/corpus.ts";
import { NodeKind, type Program } from "../../src/c/ast.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { printProgram } from "../../src/c/printer.ts";
import { readElf } from "../../src/compiler/elf.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { buildDir, repoRoot } from "../../src/node/paths.ts";

const run = promisify(execFile);

/** Programs whose output tcc's own suite does not check on x86_64 (tests/tests2/Makefile), and why. */
const NOT_RUN: Record<string, string> = {
  "60_errors_and_warnings": "a set of snippets compiled one by one (-dt); the expected output is tcc's diagnostics",
  "96_nodata_wanted": "a set of snippets compiled one by one (-dt); the expected output is tcc's diagnostics",
  "73_arm64": "skipped on x86_64 by tcc's Makefile",
  "98_al_ax_extend": "i386 only (inline assembly)",
  "99_fastcall": "i386 only (inline assembly)",
  "112_backtrace": "needs tcc's -b/-bt runtime (bounds checker, backtraces)",
  "113_btdll": "needs tcc's -b/-bt runtime and shared libraries",
  "114_bound_signal": "needs tcc's -b bounds-checking runtime",
  "115_bound_setjmp": "needs tcc's -b bounds-checking runtime",
  "116_bound_setjmp2": "needs tcc's -b bounds-checking runtime",
};
/** Programs tcc itself rejects: the parser must reject them too, with a positioned error. */
const REJECTED: Record<string, RegExp> = { "34_array_assignment": /assignment to expression with array/ };
const ARGS: Record<string, string[]> = {
  "31_args": ["arg1", "arg2", "arg3", "arg4", "arg5"],
  "46_grep": ["[^* ]*[:a:d: ]+\\:\\*-/: $", "46_grep.c"],
};
/** tcc -run prints compile warnings before the program output; the .expect files hold both. */
const COMPILE_DIAGNOSTIC = /^[\w+.-]+\.c:\d+: (warning|error|note): /;

/** tcc's runtime helpers for x86_64 objects (va_arg, alloca, long double conversions), built once with gcc. */
async function runtimeObjects(): Promise<string[]> {
  const dir = path.join(buildDir(), "c-frontend", "libtcc1-x86_64");
  fs.mkdirSync(dir, { recursive: true });
  const lib = path.join(tccDir(), "lib");
  const out: string[] = [];
  for (const f of ["libtcc1.c", "va_list.c", "alloca86_64.S"]) {
    const obj = path.join(dir, `${f}.o`);
    if (!fs.existsSync(obj)) {
      await run("gcc", ["-c", "-O1", "-Wa,--noexecstack", "-I", path.join(tccDir(), "include"), path.join(lib, f), "-o", `${obj}.tmp`]);
      fs.renameSync(`${obj}.tmp`, obj);
    }
    out.push(obj);
  }
  return out;
}

function normalize(text: string): string {
  return text
    .split("\n")
    .map((l) => l.trimEnd())
    .filter((l) => !COMPILE_DIAGNOSTIC.test(l))
    .join("\n")
    .trim();
}

describe("parse + print round trip", () => {
  it("tests2: all 108 sources parse, print, compile with tcc-wasm, and the programs reproduce their .expect output", async () => {
    const dir = path.join(tccDir(), "tests", "tests2");
    const work = path.join(buildDir(), "c-frontend", "roundtrip");
    fs.mkdirSync(work, { recursive: true });
    const pp = await SystemPreprocessor.create("x86_64");
    const cc = await createCompiler({ target: "x86_64" });
    const cc386 = await createCompiler({ target: "i386" });
    const libs = await runtimeObjects();
    const failures: string[] = [];
    const objects = new Map<string, string>();
    const sources = fs.readdirSync(dir).filter((f) => /^\d+\+?_.*\.c$/.test(f)).sort();
    expect(sources.length).toBe(108);
    for (const f of sources) {
      const name = f.slice(0, -2);
      const unit = await pp.preprocess(path.join(dir, f));
      const r = parseProgram(unit.text, { target: "x86_64" });
      if (REJECTED[name]) {
        const err = r.diagnostics.find((d) => d.severity === "error");
        if (r.program || !err || !REJECTED[name]!.test(err.message) || err.pos.line < 1) failures.push(`${name}: expected a positioned rejection like tcc's`);
        continue;
      }
      if (!r.program) {
        failures.push(`${name}: parse failed: ${r.diagnostics.map((d) => `${d.pos.line}:${d.pos.column} ${d.message}`).join("; ")}`);
        continue;
      }
      const printed = printProgram(r.program);
      const compiler = name === "98_al_ax_extend" || name === "99_fastcall" ? cc386 : cc;
      const c = await compiler.compile({ files: { [`${name}.c`]: printed }, entry: `${name}.c`, options: ["-w"] });
      if (!c.ok) {
        failures.push(`${name}: printed program does not compile: ${c.diagnostics.map((d) => `${d.line}: ${d.message}`).join("; ")}`);
        continue;
      }
      const obj = path.join(work, `${name}.o`);
      fs.writeFileSync(obj, c.object);
      objects.set(name, obj);
    }
    let ran = 0;
    for (const f of sources) {
      const name = f.slice(0, -2);
      if (name in NOT_RUN || name in REJECTED || name.includes("+") || !objects.has(name)) continue;
      const exe = path.join(work, `${name}.exe`);
      const objs = [objects.get(name)!, ...(name === "104_inline" ? [objects.get("104+_inline")!] : [])];
      try {
        await run("gcc", [...objs, ...libs, "-o", exe, "-no-pie", "-lm", "-lpthread"]);
      } catch (e) {
        failures.push(`${name}: link failed: ${String((e as { stderr?: string }).stderr ?? e).slice(0, 300)}`);
        continue;
      }
      let output: string;
      try {
        const res = await run(exe, ARGS[name] ?? [], { cwd: dir, timeout: 20_000 });
        output = res.stdout + res.stderr;
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        output = (err.stdout ?? "") + (err.stderr ?? "");
      }
      const expected = fs.readFileSync(path.join(dir, `${name}.expect`), "utf8");
      ran++;
      if (normalize(output) !== normalize(expected)) failures.push(`${name}: output differs from ${name}.expect:\n${normalize(output).slice(0, 400)}`);
    }
    expect(failures).toEqual([]);
    expect(ran).toBe(108 - 1 - Object.keys(NOT_RUN).length - Object.keys(REJECTED).length);
  }, 300_000);

  it("lwIP core printed for arm compiles with tcc-wasm to code of the same size as the original", async () => {
    const cc = await createCompiler({ target: "arm" });
    const units = await preprocessLwipCore("arm", path.join(repoRoot(), "test", "c", "fixtures", "lwip-port"), cc);
    const textSize = (obj: Uint8Array): number => readElf(obj).sections.filter((s) => s.name.startsWith(".text")).reduce((n, s) => n + s.size, 0);
    const mismatches: string[] = [];
    for (const u of units) {
      const r = parseProgram(u.text, { target: "arm" });
      expect(r.program, `${u.file}: ${r.diagnostics.map((d) => d.message).join("; ")}`).not.toBeNull();
      const original = await cc.compile({ files: { "o.c": u.text }, entry: "o.c", options: ["-w"] });
      const printed = await cc.compile({ files: { "p.c": printProgram(r.program!) }, entry: "p.c", options: ["-w"] });
      expect(original.ok).toBe(true);
      expect(printed.ok, `${u.file}: ${printed.diagnostics.map((d) => `${d.line}: ${d.message}`).join("; ")}`).toBe(true);
      if (textSize(printed.object) !== textSize(original.object)) mismatches.push(`${path.basename(u.file)}: .text ${textSize(printed.object)} vs ${textSize(original.object)}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("printed with #line markers, the lwIP core keeps its original positions through tcc and a re-parse", async () => {
    const cc = await createCompiler({ target: "arm" });
    const units = await preprocessLwipCore("arm", path.join(repoRoot(), "test", "c", "fixtures", "lwip-port"), cc);
    const where = (p: Program): string[] =>
      p.decls.flatMap((d) => (d.kind === NodeKind.FunctionDef ? [`${d.sym.name}@${d.pos.file}:${d.pos.line}`, ...d.body.items.map((s) => `${s.pos.file}:${s.pos.line}`)] : []));
    for (const u of units) {
      const program = parseProgram(u.text, { target: "arm" }).program!;
      const printed = printProgram(program, { lineMarkers: true });
      const again = parseProgram(printed, { target: "arm" });
      expect(again.program, path.basename(u.file)).not.toBeNull();
      expect(where(again.program!)).toEqual(where(program));
      // an error tcc finds in printed code is reported at the original line
      const broken = printed.replace(/(\n#line (\d+) "([^"]*)"\n\s*return )/, "$1undeclared_name + ");
      const marker = /\n#line (\d+) "([^"]*)"\n\s*return undeclared_name/.exec(broken);
      if (!marker) continue;
      // a fresh instance: one tcc-wasm instance crashes after a dozen failed compiles of these units
      const fresh = await createCompiler({ target: "arm" });
      const r = await fresh.compile({ files: { "p.c": broken }, entry: "p.c" });
      expect(r.ok).toBe(false);
      expect(r.diagnostics.find((d) => d.severity === "error")).toMatchObject({ file: marker[2], line: Number(marker[1]) });
    }
  });
});
