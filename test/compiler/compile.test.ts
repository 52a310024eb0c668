import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createCompiler } from "../../src/compiler/node.ts";
import { ET_REL, readElf } from "../../src/compiler/elf.ts";
import { TARGETS, TARGET_INFO } from "../../src/compiler/targets.ts";
import { repoRoot } from "../../src/node/paths.ts";

const sample = fs.readFileSync(path.join(repoRoot(), "examples", "sample.c"), "utf8");

describe.each(TARGETS)("tcc-wasm %s", (target) => {
  it("compiles structs, a switch, a loop and a function-pointer call to an ELF REL of the right machine", async () => {
    const cc = await createCompiler({ target });
    const r = await cc.compile({ files: { "sample.c": sample }, entry: "sample.c" });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    const elf = readElf(r.object);
    expect(elf.type).toBe(ET_REL);
    expect(elf.machine).toBe(TARGET_INFO[target].elfMachine);
    expect(elf.class).toBe(TARGET_INFO[target].elfClass);
    expect(elf.sections.find((s) => s.name === ".text")!.size).toBeGreaterThan(100);
  });

  it("preprocesses with line markers, defines and include dirs", async () => {
    const cc = await createCompiler({ target });
    const r = await cc.preprocess({
      files: { "main.c": '#include "cfg.h"\nint v = VALUE + EXTRA;\n', "inc/cfg.h": "#define VALUE 41\n" },
      entry: "main.c",
      includeDirs: ["inc"],
      defines: { EXTRA: "1" },
    });
    expect(r.ok).toBe(true);
    expect(r.text).toContain("int v = 41 + 1;");
    expect(r.text).toMatch(/^# ?\d+ "main.c"/m);
  });
});

describe("tcc-wasm instance reuse", () => {
  it("reports a syntax error with file and line, then compiles correctly in the same instance", async () => {
    const cc = await createCompiler({ target: "arm" });
    const good = await cc.compile({ files: { "s.c": sample }, entry: "s.c" });
    const bad = await cc.compile({ files: { "bad.c": "int f(void) {\n  return missing_name;\n}\n" }, entry: "bad.c" });
    expect(bad.ok).toBe(false);
    expect(bad.object.length).toBe(0);
    expect(bad.diagnostics[0]).toMatchObject({ file: "bad.c", line: 2, severity: "error" });
    const again = await cc.compile({ files: { "s.c": sample }, entry: "s.c" });
    expect(again.ok).toBe(true);
    expect(Buffer.from(again.object).equals(Buffer.from(good.object))).toBe(true);
  });

  it("keeps the wasm heap of one instance bounded over 1000 compiles", async () => {
    const cc = await createCompiler({ target: "arm" });
    const reference = await cc.compile({ files: { "s.c": sample }, entry: "s.c" });
    const heapAfter: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = await cc.compile({ files: { "s.c": `${sample}\nint k${i} = ${i};\n` }, entry: "s.c" });
      expect(r.ok).toBe(true);
      if (i === 100 || i === 999) heapAfter.push(cc.memoryBytes());
    }
    expect(heapAfter[1]!).toBeLessThanOrEqual(heapAfter[0]! + 1024 * 1024);
    expect(Buffer.from((await cc.compile({ files: { "s.c": sample }, entry: "s.c" })).object).equals(Buffer.from(reference.object))).toBe(true);
  }, 300_000);

  it("gives the same objects with C errors mixed in (every 10th compile fails)", async () => {
    const cc = await createCompiler({ target: "arm" });
    const reference = await cc.compile({ files: { "s.c": sample }, entry: "s.c" });
    for (let i = 0; i < 300; i++) {
      const bad = i % 10 === 3;
      const r = await cc.compile({ files: { "s.c": bad ? `int f(void) { return ${i} +; }` : sample }, entry: "s.c" });
      expect(r.ok).toBe(!bad);
      if (bad) expect(r.diagnostics[0]).toMatchObject({ file: "s.c", severity: "error" });
      else expect(Buffer.from(r.object).equals(Buffer.from(reference.object))).toBe(true);
    }
  }, 300_000);

  it("refuses oversized input with a clear error and stays usable", async () => {
    const cc = await createCompiler({ target: "x86_64" });
    await expect(cc.compile({ files: { "big.c": "x".repeat(33 * 1024 * 1024) }, entry: "big.c" })).rejects.toThrow(/over the .*-byte limit/);
    expect((await cc.compile({ files: { "s.c": sample }, entry: "s.c" })).ok).toBe(true);
  });
});

