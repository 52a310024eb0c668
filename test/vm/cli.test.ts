// `bespoke vm run`: forwards stdout/stderr and the exit status, prints one
// JSON line of counters with --stats, and reports faults and the budget.
import { describe, expect, it } from "vitest";
import { vm } from "../../src/cli/vm.ts";
import { tccProgram } from "./support.ts";

const PROGRAM = `
#include <stdio.h>
int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) printf("%s%c", argv[i], i + 1 < argc ? ' ' : '\\n');
  fprintf(stderr, "to stderr\\n");
  if (argc > 3) for (;;) ;
  return 40 + argc;
}
`;

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await vm(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe("bespoke vm run", () => {
  it("forwards output and exit status; --stats prints instructions, cycles, ms and mips", async () => {
    const built = await tccProgram({ "main.c": PROGRAM });
    if ("error" in built) throw new Error(built.error);
    const r = await runCli(["run", built.path, "--stats", "one", "two"]);
    expect(r.code).toBe(43);
    expect(r.stdout).toBe("one two\n");
    const [first, stats, ...rest] = r.stderr.split("\n");
    expect(first).toBe("to stderr");
    expect(rest).toEqual([""]);
    const parsed = JSON.parse(stats!) as Record<string, number>;
    expect(Object.keys(parsed)).toEqual(["instructions", "cycles", "ms", "mips"]);
    expect(parsed.instructions).toBeGreaterThan(100);
    expect(parsed.cycles).toBeGreaterThanOrEqual(parsed.instructions!);
  });

  it("stops a runaway program at --budget with status 124 and the fault on stderr", async () => {
    const built = await tccProgram({ "main.c": PROGRAM });
    if ("error" in built) throw new Error(built.error);
    const r = await runCli(["run", "--budget", "50000", built.path, "a", "b", "c"]);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/bespoke vm: budget-exhausted at pc 0x[0-9a-f]{8} \(in main\+0x[0-9a-f]+\): the instruction budget of 50000 ran out/);
  });

  it("rejects bad usage with a clear message", async () => {
    await expect(runCli(["run"])).rejects.toThrow(/usage: bespoke vm run/);
    await expect(runCli(["run", "x.elf", "--budget", "lots"])).rejects.toThrow(/--budget needs a positive instruction count/);
    await expect(runCli(["run", "/nonexistent.elf"])).rejects.toThrow(/no such file/);
  });
});
