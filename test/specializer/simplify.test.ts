// The residual simplifications of residualize.ts, each on a function written
// to need it: the function is lowered to the IR the specializer emits
// (naive, as residual code comes out), simplified and printed; the text
// shows the transformation happened, and the original and the simplified
// function, compiled by tcc-wasm for x86_64 and linked by gcc with the same
// driver, print the same on every input.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Abi } from "../../src/c/abi.ts";
import type { Symbol } from "../../src/c/ast.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { TypeKind } from "../../src/c/types.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { lowerProgram } from "../../src/specializer/lower.ts";
import { printUnit, simplify } from "../../src/specializer/residualize.ts";
import type { ResidualFunction } from "../../src/specializer/specialize.ts";

/** `name` from `source`, lowered, simplified and printed as a translation unit (with the source's declarations before it). */
function simplified(source: string, name: string): string {
  const parsed = parseProgram(source, { target: "x86_64", file: `${name}.c` });
  if (!parsed.program) throw new Error(`parse failed: ${JSON.stringify(parsed.diagnostics)}`);
  const abi = new Abi("x86_64");
  const fn = lowerProgram(parsed.program, abi).functions.get(name)!;
  const rf: ResidualFunction = {
    name,
    type: fn.type,
    params: fn.params.map((p) => (p.k === "var" ? p.v : p.obj)),
    variadic: false,
    vars: fn.vars,
    locals: fn.locals,
    blocks: fn.blocks,
    entry: fn.entry,
    static: false,
  };
  simplify(rf, abi);
  const externs = new Set<Symbol>();
  for (const b of rf.blocks) for (const s of b.stmts) if (s.k === "call" && s.callee.k === "global" && s.callee.sym.type.kind === TypeKind.Function) externs.add(s.callee.sym);
  const noPointers = (): string => {
    throw new Error("no initializers here");
  };
  return printUnit({ functions: [rf], globals: [], fileObjects: [], externs: [...externs], asm: [] }, abi, noPointers, new Map()).code;
}

/** The body of `name` in printed code. */
function body(code: string, name: string): string {
  const at = code.lastIndexOf(`${name}(`);
  return code.slice(code.indexOf("{", at));
}

let cc: Compiler;
let work: string;

beforeAll(async () => {
  cc = await createCompiler({ target: "x86_64" });
  work = fs.mkdtempSync(path.join(os.tmpdir(), "spec-simplify-"));
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
});

/** Output of `driver` linked with `unit` compiled by tcc-wasm. */
async function run(label: string, unit: string, driver: string): Promise<string> {
  const r = await cc.compile({ files: { "f.c": unit }, entry: "f.c" });
  expect(r.ok, `${label}: ${JSON.stringify(r.diagnostics)}\n${unit}`).toBe(true);
  const obj = path.join(work, `${label}.o`);
  fs.writeFileSync(obj, r.object);
  const main = path.join(work, `${label}-driver.c`);
  fs.writeFileSync(main, driver);
  const exe = path.join(work, label);
  execFileSync("gcc", ["-w", "-o", exe, main, obj], { stdio: "pipe" });
  return execFileSync(exe, { encoding: "utf8" });
}

/** Original and simplified print the same lines, one per input. */
async function sameOutputs(label: string, source: string, code: string, driver: string, lines: number): Promise<void> {
  const original = await run(`${label}-original`, source, driver);
  expect(original.split("\n").length).toBe(lines + 1);
  expect(await run(`${label}-simplified`, code, driver)).toBe(original);
}

// a socket send as the specializer leaves it: a message built for a fallback call at the top, an error code merged from two paths and tested right after
const SEND = `
struct msg { void *base; unsigned int len; int flags; };
long fallback(struct msg *m);
long send_one(void *buf, unsigned int len, int fail)
{
    struct msg m;
    int err;
    m.base = buf;
    m.len = len;
    m.flags = 0;
    if (len <= m.len) {
        if (fail & 1) err = -1;
        else err = 0;
    } else err = -2;
    if (err == 0) return (long)len * 3;
    if (err == -1) return fallback(&m);
    return err;
}`;

const SEND_DRIVER = `#include <stdio.h>
struct msg { void *base; unsigned int len; int flags; };
static char data[4];
long fallback(struct msg *m) { return (m->base == data) * 1000 + m->len * 10 + m->flags; }
long send_one(void *buf, unsigned int len, int fail);
int main(void) { for (int i = 0; i < 64; i++) printf("%ld\\n", send_one(data, i * 7u, i)); return 0; }
`;

describe("residual simplification", () => {
  it("forwards a store into a local to its load and folds the test it makes (len <= m.len)", async () => {
    const code = simplified(SEND, "send_one");
    // the test of len against what was just stored is gone, and the path it guarded: m.len is never loaded, -2 never returned
    const f = body(code, "send_one");
    expect(f).not.toMatch(/->len(?! =)/);
    expect(f).not.toMatch(/-2\b/);
    await sameOutputs("forward", SEND, code, SEND_DRIVER, 64);
  });

  it("threads the jump from where err is set to the test of err, and sinks the message's stores to the fallback call", async () => {
    const code = simplified(SEND, "send_one");
    const f = body(code, "send_one");
    // no test of err: each path jumps where its constant leads
    expect(f).not.toMatch(/\berr\b/);
    // the stores into m are made only on the path that calls fallback: after the fast path's return
    const fast = f.indexOf("return");
    expect(fast).toBeGreaterThan(0);
    expect(f.indexOf("(&m)")).toBeGreaterThan(fast);
    expect(f.match(/\(&m\)->\w+ = /g)!.length).toBeLessThanOrEqual(4);
    await sameOutputs("thread", SEND, code, SEND_DRIVER, 64);
  });

  const MERGE = `
struct msg { void *base; unsigned int len; int flags; };
long fallback(struct msg *m);
long merge(void *buf, unsigned int len, int k)
{
    struct msg m;
    long r;
    if (k & 1) { r = len * 2; m.base = buf; m.len = len; m.flags = 0; }
    else { r = len + 5; m.base = buf; m.len = len; m.flags = 0; }
    if (k & 2) return r + len;
    return fallback(&m) + r;
}`;
  const MERGE_DRIVER = `#include <stdio.h>
struct msg { void *base; unsigned int len; int flags; };
static char data[4];
long fallback(struct msg *m) { return (m->base == data) * 1000 + m->len * 10 + m->flags; }
long merge(void *buf, unsigned int len, int k);
int main(void) { for (int i = 0; i < 32; i++) printf("%ld\\n", merge(data, i * 3u, i)); return 0; }
`;

  it("merges the same stores ending both arms into the join, then sinks them to the one path that reads them", async () => {
    const code = simplified(MERGE, "merge");
    const f = body(code, "merge");
    // three stores, once, on the path to fallback (after the other path's return)
    expect(f.match(/\(&m\)->\w+ = /g)?.length).toBe(3);
    expect(f.indexOf("(&m)")).toBeGreaterThan(f.indexOf("return"));
    await sameOutputs("merge", MERGE, code, MERGE_DRIVER, 32);
  });

  const MODE = `
long fold(long x, int k)
{
    int mode;
    unsigned char *base;
    if (k & 1) { mode = 3; base = (unsigned char *)0x7f001000; x = x + 1; }
    else { mode = 3; base = (unsigned char *)0x7f001000; x = x - 1; }
    if (k & 2) x = x * 5;
    if (mode == 3) return x + (long)(base + 16) + (long)base * 3 + ((long)base >> 4) + ((long)base & 255);
    return -x;
}`;
  const MODE_DRIVER = `#include <stdio.h>
long fold(long x, int k);
int main(void) { for (int i = 0; i < 40; i++) printf("%ld\\n", fold(i * 11 - 200, i)); return 0; }
`;

  it("propagates a register every assignment gives the same constant, and folds the test of it", async () => {
    const code = simplified(MODE, "fold");
    const f = body(code, "fold");
    expect(f).not.toMatch(/\bmode\b/);
    // the unreachable `return -x` went with the folded test
    expect(f).not.toMatch(/-x\b/);
    // the large address read at several places is kept in its register, assigned once
    expect(f.match(/\bbase = /g)?.length).toBe(1);
    await sameOutputs("mode", MODE, code, MODE_DRIVER, 40);
  });

  const STORES = `
struct pair { int a; int b; };
int use(struct pair *p);
int drop(int x, int y)
{
    struct pair p;
    struct pair q;
    int r;
    p.a = x;
    p.b = y;
    q.a = y;
    q.b = x;
    r = p.a + q.b;
    if (x > y) {
        p.a = r;
        r = use(&p);
    }
    q.a = 9;
    return r + q.a;
}`;
  const STORES_DRIVER = `#include <stdio.h>
struct pair { int a; int b; };
int use(struct pair *p) { return p->a * 100 + p->b; }
int drop(int x, int y);
int main(void) { for (int i = 0; i < 50; i++) printf("%d\\n", drop(i % 7, i % 5)); return 0; }
`;

  it("removes stores into locals nothing reads afterwards, and keeps those a call through the local's address may read", async () => {
    const code = simplified(STORES, "drop");
    const f = body(code, "drop");
    // q is never read through memory once its fields are forwarded: no store into it is left, nor q itself
    expect(f).not.toMatch(/\bq\b/);
    // p reaches use(): the stores use() reads stay
    expect(f).toMatch(/use\(/);
    expect(f.match(/\(&p\)/g)!.length).toBeGreaterThanOrEqual(3);
    await sameOutputs("stores", STORES, code, STORES_DRIVER, 50);
  });

  const CONST_COPY = `
unsigned int sum(unsigned char *buf, unsigned int n)
{
    const unsigned char *p = buf;
    unsigned int s = 0;
    for (unsigned int i = 0; i < n; i++) s = s * 31 + p[i];
    return s + p[0];
}`;
  const CONST_COPY_DRIVER = `#include <stdio.h>
unsigned int sum(unsigned char *buf, unsigned int n);
int main(void) { unsigned char b[40]; for (int i = 0; i < 40; i++) b[i] = (unsigned char)(i * 37 + 5); for (unsigned int n = 1; n <= 40; n++) printf("%u\\n", sum(b, n)); return 0; }
`;

  it("reads an unassigned parameter instead of a copy of it that differs only in qualifiers", async () => {
    const code = simplified(CONST_COPY, "sum");
    expect(body(code, "sum")).not.toMatch(/\bp\b/);
    await sameOutputs("constcopy", CONST_COPY, code, CONST_COPY_DRIVER, 40);
  });

  const NARROW = `
struct hdr { unsigned short len; unsigned short tot; };
unsigned int narrow(struct hdr *h, int x)
{
    unsigned short s;
    s = (unsigned short)(x + 70000);
    h->len = (unsigned short)(h->len + x);
    h->tot = (unsigned short)(s - 3);
    return s + h->len + h->tot;
}`;
  const NARROW_DRIVER = `#include <stdio.h>
struct hdr { unsigned short len; unsigned short tot; };
unsigned int narrow(struct hdr *h, int x);
int main(void) { struct hdr h = { 65530, 7 }; for (int i = -30; i < 30; i++) printf("%u %u %u\\n", narrow(&h, i * 977), h.len, h.tot); return 0; }
`;

  const COUNT = `
int count(int x, int k)
{
    int n = 0;
    while (--x >= 0) n += (x ^ k) & 7;
    return n * 2 + x;
}`;
  const COUNT_DRIVER = `#include <stdio.h>
int count(int x, int k);
int main(void) { for (int i = -3; i < 37; i++) printf("%d\\n", count(i, i * 5)); return 0; }
`;

  it("propagates the lowering's temporaries into their uses, and coalesces the copy a pre-decrement leaves (x = x - 1, tested as x)", async () => {
    const code = simplified(COUNT, "count");
    const f = body(code, "count");
    // no temporary is left (lower.ts names them t<n>): `t = x; x = t - 1` and `t = x - 1; x = t; if (t < 0)` became `x = x - 1; if (x < 0)`
    expect(f).not.toMatch(/\bt\d+\b/);
    expect(f).toMatch(/x = x - 1;/);
    await sameOutputs("count", COUNT, code, COUNT_DRIVER, 40);
  });

  it("assigns without the cast to the destination's own integer type", async () => {
    const code = simplified(NARROW, "narrow");
    const f = body(code, "narrow");
    expect(f).not.toMatch(/= \(unsigned short\)/);
    await sameOutputs("narrow", NARROW, code, NARROW_DRIVER, 60);
  });
});
