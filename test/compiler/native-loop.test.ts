// The native side of `bespoke bench compiler`: the loop harness around the
// native cross tcc does per run what compile() does around tcc-wasm's main
// (source written from memory, object read back, both files removed), so the
// two sides time the same work.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateSource } from "../../src/bench/compiler.ts";
import { nativeTcc } from "../../src/compiler/native-tcc.ts";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-native-loop-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function runLoop(reps: number, source: string, object: string): ReturnType<typeof spawnSync> {
  const times = path.join(work, "times.tsv");
  fs.rmSync(times, { force: true });
  return spawnSync(nativeTcc("x86_64", "loop"), [String(reps), times, source, object, "-c", source, "-o", object], { cwd: work, encoding: "utf8" });
}

describe("native tcc loop harness (bench compiler)", () => {
  it("compiles the source once per run, timing each, and leaves the source as it was and no object", () => {
    const text = generateSource(300);
    const source = path.join(work, "bench.c");
    const object = path.join(work, "bench.o");
    fs.writeFileSync(source, text);
    const r = runLoop(4, source, object);
    expect(r.status, String(r.stderr)).toBe(0);
    const lines = fs.readFileSync(path.join(work, "times.tsv"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const [wall, cpu] = line.split(" ").map(Number);
      expect(wall).toBeGreaterThan(0);
      expect(cpu).toBeGreaterThan(0);
    }
    expect(fs.readFileSync(source, "utf8")).toBe(text);
    expect(fs.existsSync(object)).toBe(false);
  });

  it("fails, naming the run, when tcc rejects the source, and still leaves the source", () => {
    const source = path.join(work, "bad.c");
    const text = "int f(void) { return }\n";
    fs.writeFileSync(source, text);
    const r = runLoop(2, source, path.join(work, "bad.o"));
    expect(r.status).not.toBe(0);
    expect(String(r.stderr)).toContain("tcc-loop: run 0 exited");
    expect(fs.readFileSync(source, "utf8")).toBe(text);
  });
});
