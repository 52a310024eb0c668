// firmware/libc against glibc: the same C program (test/vm/libc-check.c),
// compiled by tcc-wasm with our libc and run on the VM and qemu-arm, prints
// exactly what it prints compiled natively by gcc with glibc.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/node/paths.ts";
import { gccProgram, runQemu, runVm, tccProgram } from "./support.ts";

const source = fs.readFileSync(path.join(repoRoot(), "test", "vm", "libc-check.c"), "utf8");

function nativeOutput(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "libc-check-"));
  try {
    const exe = path.join(dir, "check");
    const cc = spawnSync("gcc", ["-O1", "-w", "-o", exe, "-x", "c", "-"], { input: source, encoding: "utf8" });
    if (cc.status !== 0) throw new Error(`native gcc failed: ${cc.stderr}`);
    const run = spawnSync(exe, [], { encoding: "latin1" });
    expect(run.status).toBe(0);
    return run.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("firmware/libc", () => {
  it("prints what glibc prints: division helpers, 64-bit shifts and multiply, printf formats, strings, qsort, allocator", async () => {
    const expected = nativeOutput();
    expect(expected).toMatch(/done\n$/);
    const tcc = await tccProgram({ "libc-check.c": source });
    if ("error" in tcc) throw new Error(tcc.error);
    const vm = runVm(tcc.path);
    expect(vm.result.stop).toEqual({ kind: "exit", code: 0 });
    expect(vm.stdout).toBe(expected);
    expect(runQemu(tcc.path).stdout).toBe(expected);
    const gcc = gccProgram({ "libc-check.c": source });
    if ("error" in gcc) throw new Error(gcc.error);
    expect(runVm(gcc.path).stdout).toBe(expected);
  });
});
