// Constructs the lowering turns into plain IR — cleanup attributes,
// variable-length arrays, constructor/destructor functions, setjmp, variadic
// functions (on each target tcc-wasm builds for) — through both tests2 scenarios
// (everything dynamic; main with every global static and owned). The
// residual, compiled by tcc-wasm and linked by gcc, must print what gcc's
// build of the original prints, for several argument counts (argc is the
// dynamic input).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tccDir } from "../../src/c/corpus.ts";
import { parseProgram } from "../../src/c/parser.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { specializeProgram } from "../../src/specializer/pipeline.ts";
import { parseContext, parseScenario } from "../../src/specializer/scenario.ts";

const PRELUDE = "int printf(const char *, ...);\n";

const PROGRAMS: Record<string, string> = {
  // the cleanup runs after the return value is read, on every way out of each scope, innermost first
  cleanup: `
static int trace;
static void note(int *p) { printf("cleanup %d\\n", *p); trace = trace * 10 + *p; *p = -1; }
static int value(int n) {
  int x __attribute__((cleanup(note))) = n;
  return x;
}
static int loops(int n) {
  int total = 0;
  for (int i __attribute__((cleanup(note))) = 0; i < n; i++) {
    int j __attribute__((cleanup(note))) = i + 5;
    if (i == 1) continue;
    if (i == 3) break;
    total += j;
  }
  return total;
}
static void jumps(int n) {
  int k = 0;
again:
  {
    int a __attribute__((cleanup(note))) = 7;
    {
      int b __attribute__((cleanup(note))) = 8;
      if (++k < n) goto again;
      if (k == n) goto out;
    }
  }
out:
  printf("k %d\\n", k);
}
int main(int argc, char **argv) {
  (void)argv;
  printf("value %d\\n", value(argc + 2));
  printf("loops %d\\n", loops(argc + 1));
  jumps(argc);
  int s = ({ int t __attribute__((cleanup(note))) = argc; t * 2; });
  printf("s %d trace %d\\n", s, trace);
  return 0;
}`,
  // variable-length arrays: sized when the declaration runs, sizeof at run time, released on every way out of their scope
  vla: `
static int sum(int n) {
  int a[n + 1];
  int total = 0;
  for (int i = 0; i <= n; i++) a[i] = i * i;
  for (int i = 0; i <= n; i++) {
    char tmp[i + 1];
    if (i == 2) continue;
    if (i == 5) break;
    tmp[i] = (char)i;
    total += a[i] + tmp[i] + (int)sizeof tmp;
  }
  return total + (int)sizeof a + (int)sizeof(short[n]);
}
static int label(int n) {
  int seen = 0;
  {
    long v[n];
  again:
    v[0] = seen;
    if (seen++ < n) goto again;
    if (sizeof v != n * sizeof(long)) return -1;
  }
  return seen;
}
int main(int argc, char **argv) {
  (void)argv;
  printf("sum %d label %d\\n", sum(argc + 3), label(argc));
  return 0;
}`,
  // a struct returned from the callee's own local, partly dynamic: copied out before the callee's locals end
  aggregate: `
struct pair { int a, b; char pad[64]; };
static struct pair make(int n) { struct pair p; p.a = n; p.b = 7; p.pad[3] = (char)n; return p; }
static struct pair pass(struct pair q) { q.b++; return q; }
int main(int argc, char **argv) {
  (void)argv;
  struct pair r = pass(make(argc));
  struct pair s = make(5);
  printf("%d %d %d %d %d\\n", r.a, r.b, r.pad[3], s.a, s.b);
  return 0;
}`,
  // statement expressions whose values are objects they declare: one argument's object is not another's
  scopes: `
struct big { int v[8]; };
static int first(struct big a, struct big b) { return a.v[0] * 100 + b.v[0]; }
int main(int argc, char **argv) {
  (void)argv;
  int r = first(({ struct big s = { { argc } }; s; }), ({ struct big t = { { argc + 5 } }; t; }));
  int total = 0;
  for (int i = 0; i < 3; i++) { struct big u = { { i } }; total += u.v[0]; }
  { struct big w = { { argc } }; total += w.v[0]; }
  printf("%d %d\\n", r, total);
  return 0;
}`,
  // a constructor that changes a global main reads: main must not take the global's initializer as its value
  constructor: `
static int level = 1;
static int calls;
static void __attribute__((constructor)) setup(void) { level = 40; calls++; printf("setup\\n"); }
static void __attribute__((destructor)) teardown(void) { printf("teardown %d %d\\n", level, calls); }
int main(int argc, char **argv) {
  (void)argv;
  printf("main %d\\n", level + argc);
  return 0;
}`,
  // absolute addresses at the top of a 64-bit space ((void *)-1, mmap's MAP_FAILED) lifted exactly, not rounded through a double to 0
  addresses: `
static void *fail(int n) { return n > 100 ? (void *)0 : (void *)-1; }
int main(int argc, char **argv) {
  (void)argv;
  void *p = fail(argc);
  printf("%d %d %lu\\n", p == (void *)-1, p == (void *)0, (unsigned long)((char *)-1 - 1) % 1000);
  return 0;
}`,
  // setjmp returns again when longjmp is called: what the function computed in between (counter) must not be taken as known after it
  setjmp: `
int _setjmp(void *env);
void longjmp(void *env, int value) __attribute__((noreturn));
static long env[64];
static int counter;
static void jump(int v) { longjmp(env, v); }
static int run(int limit) {
  counter = 0;
  int v = _setjmp(env);
  counter++;
  if (v < limit) jump(v + 1);
  return counter * 10 + v;
}
int main(int argc, char **argv) {
  (void)argv;
  printf("%d %d\\n", run(3), run(argc));
  return 0;
}`,
};

let cc: Compiler;
let work: string;

beforeAll(async () => {
  cc = await createCompiler({ target: "x86_64" });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "spec-lowering-"));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

function runAll(exe: string): string {
  return ["", "a", "a b", "a b c"].map((args) => execFileSync(exe, args ? args.split(" ") : [], { encoding: "utf8" })).join("--\n");
}

describe.each(Object.keys(PROGRAMS))("lowering %s", (name) => {
  it.each(["dynamic", "static"] as const)("the %s residual prints what gcc's build of the original prints", async (kind) => {
    const source = PRELUDE + PROGRAMS[name]!;
    const original = path.join(work, `${name}.c`);
    fs.writeFileSync(original, source);
    execFileSync("gcc", ["-w", "-o", `${original}.gcc`, original]);
    const parsed = parseProgram(source, { target: "x86_64", file: `${name}.c` });
    expect(parsed.program, JSON.stringify(parsed.diagnostics)).toBeTruthy();
    const scenario = parseScenario(kind === "dynamic" ? { version: 1, entry: "main" } : { version: 1, entry: "main", globals: { "*": "S" }, owned: ["*"] });
    const { code } = specializeProgram({ program: parsed.program!, target: "x86_64", scenario, context: parseContext({}) });
    const r = await cc.compile({ files: { "residual.c": code }, entry: "residual.c" });
    expect(r.ok, `${JSON.stringify(r.diagnostics)}\n${code}`).toBe(true);
    const obj = path.join(work, `${name}.${kind}.o`);
    fs.writeFileSync(obj, r.object);
    execFileSync("gcc", ["-o", `${obj}.exe`, obj], { stdio: "pipe" });
    expect(runAll(`${obj}.exe`), code).toBe(runAll(`${original}.gcc`));
  });
});

// <stdarg.h> as tcc's expands it: va_start, va_arg (scalars, doubles, structs), va_copy, va_end, a va_list passed on to vprintf and to a function of the program
const VARIADIC = `
int printf(const char *, ...);
int vprintf(const char *, __builtin_va_list);
struct pt { int x, y; double w; };
static int sum(int n, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, n);
  int s = 0;
  for (int i = 0; i < n; i++) s += __builtin_va_arg(ap, int);
  __builtin_va_end(ap);
  return s;
}
static double walk(__builtin_va_list ap, const char *kinds) {
  double t = 0;
  for (const char *k = kinds; *k; k++) {
    if (*k == 'i') t += __builtin_va_arg(ap, int);
    else if (*k == 'd') t += __builtin_va_arg(ap, double);
    else if (*k == 'l') t += (double)__builtin_va_arg(ap, long long);
    else if (*k == 'p') { struct pt p = __builtin_va_arg(ap, struct pt); t += p.x * 100 + p.y + p.w; }
    else t += __builtin_va_arg(ap, char *)[0];
  }
  return t;
}
static double mixed(const char *kinds, ...) {
  __builtin_va_list ap, again;
  __builtin_va_start(ap, kinds);
  __builtin_va_copy(again, ap);
  double first = walk(ap, kinds);
  double second = walk(again, kinds);
  __builtin_va_end(again);
  __builtin_va_end(ap);
  return first * 1000 + second;
}
static void say(int level, const char *fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  if (level > 0) vprintf(fmt, ap);
  __builtin_va_end(ap);
}
int main(int argc, char **argv) {
  (void)argv;
  struct pt p = { argc, 7, 0.5 };
  printf("%d %d\\n", sum(3, 1, 2, argc), sum(0));
  printf("%.2f\\n", mixed("idpsl", argc, 2.25, p, "A", 1LL << 40));
  say(argc, "%s %d %.1f %c\\n", "said", argc * 3, 1.5, 'z');
  say(0, "never\\n");
  return 0;
}`;

/** Where a target's executables are linked and run (qemu with the cross toolchain's C library). */
const RUNNERS: Record<"x86_64" | "i386" | "arm" | "arm64" | "riscv64", { gcc: string; run: string[] }> = {
  x86_64: { gcc: "gcc", run: [] },
  i386: { gcc: "i686-linux-gnu-gcc", run: ["qemu-i386", "-L", "/usr/i686-linux-gnu"] },
  arm: { gcc: "arm-linux-gnueabi-gcc", run: ["qemu-arm", "-L", "/usr/arm-linux-gnueabi"] },
  arm64: { gcc: "aarch64-linux-gnu-gcc", run: ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"] },
  riscv64: { gcc: "riscv64-linux-gnu-gcc", run: ["qemu-riscv64", "-L", "/usr/riscv64-linux-gnu"] },
};

describe.each(Object.keys(RUNNERS) as (keyof typeof RUNNERS)[])("variadic functions on %s", (target) => {
  const { gcc, run } = RUNNERS[target];
  const runAllOn = (exe: string): string => ["", "a", "a b"].map((args) => execFileSync(run[0] ?? exe, [...run.slice(1), ...(run.length ? [exe] : []), ...(args ? args.split(" ") : [])], { encoding: "utf8" })).join("--\n");

  it.each(["dynamic", "static"] as const)("the %s residual keeps them, with va_start naming the last parameter, and prints what gcc's build prints", async (kind) => {
    const original = path.join(work, `variadic-${target}.c`);
    fs.writeFileSync(original, VARIADIC);
    execFileSync(gcc, ["-w", "-o", `${original}.gcc`, original]);
    const parsed = parseProgram(VARIADIC, { target, file: "variadic.c" });
    expect(parsed.program, JSON.stringify(parsed.diagnostics)).toBeTruthy();
    const scenario = parseScenario(kind === "dynamic" ? { version: 1, entry: "main" } : { version: 1, entry: "main", globals: { "*": "S" }, owned: ["*"] });
    const { code } = specializeProgram({ program: parsed.program!, target, scenario, context: parseContext({}) });
    expect(code).toMatch(/__builtin_va_start\([^;]*, n\);/);
    expect(code).toMatch(/__builtin_va_start\([^;]*, kinds\);/);
    expect(code).toMatch(/__builtin_va_copy\(/);
    expect(code).toMatch(/= __builtin_va_arg\([^;]*, struct pt_\d+\);/);
    const compiler = await createCompiler({ target });
    const r = await compiler.compile({ files: { "residual.c": code }, entry: "residual.c" });
    expect(r.ok, `${JSON.stringify(r.diagnostics)}\n${code}`).toBe(true);
    const obj = path.join(work, `variadic-${target}.${kind}.o`);
    fs.writeFileSync(obj, r.object);
    // tcc's x86_64 va_arg calls its runtime library's __va_arg (lib/va_list.c)
    const runtime = target === "x86_64" ? [path.join(tccDir(), "lib", "va_list.c")] : [];
    execFileSync(gcc, ["-o", `${obj}.exe`, obj, ...runtime], { stdio: "pipe" });
    expect(runAllOn(`${obj}.exe`), code).toBe(runAllOn(`${original}.gcc`));
  }, 60_000);
});

describe("a variadic entry", () => {
  const source = `int sum(int k, int n, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, n);
  int s = k;
  for (int i = 0; i < n; i++) s += __builtin_va_arg(ap, int);
  __builtin_va_end(ap);
  return s;
}`;
  const program = () => parseProgram(source, { target: "x86_64", file: "sum.c" }).program!;

  it("with a static count: the loop over the arguments unrolled, va_start naming the residual's last parameter", () => {
    const { code } = specializeProgram({ program: program(), target: "x86_64", scenario: parseScenario({ version: 1, entry: "sum", params: { n: "S" } }), context: parseContext({ params: { n: 3 } }) });
    expect(code).toMatch(/int sum\(int k, \.\.\.\)/);
    expect(code).toMatch(/__builtin_va_start\([^;]*, k\);/);
    expect(code.match(/__builtin_va_arg\(/g)).toHaveLength(3);
    expect(code).not.toMatch(/while|for|goto/);
  });

  it("is refused when all its named parameters are static (va_start needs one)", () => {
    const run = () => specializeProgram({ program: program(), target: "x86_64", scenario: parseScenario({ version: 1, entry: "sum", params: { k: "S", n: "S" } }), context: parseContext({ params: { k: 1, n: 2 } }) });
    expect(run).toThrow(/sum calls va_start but has no named parameter left/);
  });
});

// i386 functions of other calling conventions, defined by the program and by
// a gcc-built object: the residual defines, declares and calls each through
// its declared type, so tcc passes the arguments where gcc's code takes them
// (a convention lost anywhere passes them in the wrong registers).
const CONVENTIONS_OTHER_SIDE = `
int __attribute__((fastcall)) ext_fast(int a, int b, int c) { return a * 100 + b * 10 + c; }
int __attribute__((stdcall)) ext_std(int a, int b) { return a * 7 - b; }
int __attribute__((regparm(3))) ext_reg(int a, int b, int c) { return a * 1000 + b * 3 + c; }
int call_fast(int (__attribute__((fastcall)) *f)(int, int), int x) { return f(x, x + 5); }
int call_reg(int (__attribute__((regparm(2))) *f)(int, int, int), int x) { return f(x, 2, 3); }
`;

const CONVENTIONS = `
int printf(const char *, ...);
typedef int (__attribute__((fastcall)) *fast2)(int, int);
int __attribute__((fastcall)) ext_fast(int, int, int);
__attribute__((stdcall)) int ext_std(int a, int b);
int ext_reg(int a, int b, int c) __attribute__((regparm(3)));
int call_fast(fast2 f, int x);
int call_reg(int (__attribute__((regparm(2))) *f)(int, int, int), int x);
static int __attribute__((fastcall)) add(int a, int b) { return a * 31 + b; }
static int __attribute__((fastcall)) sub(int a, int b) { return a - b * 3; }
static __attribute__((regparm(2))) int three(int a, int b, int c) { return a * 9 + b * 4 + c; }
static fast2 table[2] = { add, sub };
int main(int argc, char **argv) {
  (void)argv;
  void *raw = (void *)ext_fast;
  printf("%d %d\\n", ext_fast(argc, 2, 3), ((int (__attribute__((fastcall)) *)(int, int, int))raw)(argc, 1, argc));
  printf("%d %d\\n", ext_std(argc, 4), ext_reg(5, argc, 9));
  printf("%d %d %d\\n", call_fast(table[argc & 1], argc), table[0](argc, 2), call_reg(three, argc));
  return 0;
}`;

describe("i386 calling conventions", () => {
  const { gcc, run } = RUNNERS.i386;
  const runAllOn = (exe: string): string => ["", "a", "a b"].map((args) => execFileSync(run[0]!, [...run.slice(1), exe, ...(args ? args.split(" ") : [])], { encoding: "utf8" })).join("--\n");

  it.each(["dynamic", "static"] as const)("the %s residual keeps fastcall, stdcall and regparm and prints what gcc's build prints", async (kind) => {
    const other = path.join(work, "conventions-other.c");
    const original = path.join(work, "conventions.c");
    fs.writeFileSync(other, CONVENTIONS_OTHER_SIDE);
    fs.writeFileSync(original, CONVENTIONS);
    execFileSync(gcc, ["-c", "-o", `${other}.o`, other]);
    execFileSync(gcc, ["-w", "-o", `${original}.gcc`, original, `${other}.o`]);
    const parsed = parseProgram(CONVENTIONS, { target: "i386", file: "conventions.c" });
    expect(parsed.diagnostics).toEqual([]);
    const scenario = parseScenario(kind === "dynamic" ? { version: 1, entry: "main" } : { version: 1, entry: "main", globals: { "*": "S" }, owned: ["*"] });
    const { code } = specializeProgram({ program: parsed.program!, target: "i386", scenario, context: parseContext({}) });
    const compiler = await createCompiler({ target: "i386" });
    const r = await compiler.compile({ files: { "residual.c": code }, entry: "residual.c" });
    expect(r.ok, `${JSON.stringify(r.diagnostics)}\n${code}`).toBe(true);
    const obj = path.join(work, `conventions.${kind}.o`);
    fs.writeFileSync(obj, r.object);
    execFileSync(gcc, ["-o", `${obj}.exe`, obj, `${other}.o`], { stdio: "pipe" });
    expect(runAllOn(`${original}.gcc`)).toBe("123 111\n3 5012\n-17 33 20\n--\n223 212\n10 5015\n69 64 29\n--\n323 313\n17 5018\n-21 95 38\n");
    expect(runAllOn(`${obj}.exe`), code).toBe(runAllOn(`${original}.gcc`));
  });
});
