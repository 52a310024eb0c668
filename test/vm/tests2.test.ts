// Differential acceptance: TinyCC's own tests/tests2 programs, compiled by
// tcc-wasm for arm and linked with firmware/libc, give the same stdout and
// exit code under qemu-arm and our VM, and match TinyCC's .expect files.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runQemu, runVm, tccProgram } from "./support.ts";
import { ARGS, EXCLUDED, OPTIONS, all, dir, programFiles, programs } from "./tests2-programs.ts";

/** The .expect files hold `tcc -run` output: drop its warnings, and compare like TinyCC's `diff -b`. */
function normalize(text: string, name: string): string {
  return text
    .split("\n")
    .filter((line) => !line.startsWith(`${name}:`) || !/^[^:]+:\d+: warning:/.test(line))
    .map((line) => line.replace(/\s+$/, "").replace(/\s+/g, " "))
    .join("\n")
    .replace(/\n+$/, "");
}

describe("tests2 under qemu-arm and the VM", () => {
  it("runs at least 60 programs and excludes only ones that exist", () => {
    expect(programs.length).toBeGreaterThanOrEqual(60);
    for (const name of Object.keys(EXCLUDED)) expect(all).toContain(name);
  });

  it.each(programs)("%s", async (name) => {
    const built = await tccProgram(programFiles(name), "linux", OPTIONS[name] ?? []);
    if ("error" in built) throw new Error(`${name} does not build: ${built.error}`);
    const argv = [name, ...(ARGS[name] ?? [])];
    const oracle = runQemu(built.path, argv);
    const ours = runVm(built.path, argv);
    expect(ours.result.stop.kind === "fault" ? ours.result.stop.fault.message : "exit").toBe("exit");
    expect(ours.stdout).toBe(oracle.stdout);
    expect(ours.exitCode).toBe(oracle.exitCode);
    const expected = fs.readFileSync(path.join(dir, name.replace(/\.c$/, ".expect")), "latin1");
    expect(normalize(ours.stdout, name)).toBe(normalize(expected, name));
  });
});
