// Deterministic counters: instructions retired and cycles from the cost
// table in src/vm/cycles.ts.
import { describe, expect, it } from "vitest";
import { createLinuxMachine } from "../../src/vm/linux.ts";
import { staticElf } from "./random-sequences.ts";
import { runVm, tccProgram } from "./support.ts";
import { programFiles } from "./tests2-programs.ts";

describe("counters", () => {
  it("charges each instruction class its documented cycles", () => {
    const program: [number, number][] = [
      [0xe3a00005, 1], // mov r0, #5                   data processing
      [0xe0801010, 2], // add r1, r0, r0, lsl r0       register-specified shift
      [0xe0020190, 2], // mul r2, r0, r1
      [0xe0843190, 3], // umull r3, r4, r0, r1
      [0xe59d5000, 1], // ldr r5, [sp]
      [0xe89d00c0, 3], // ldmia sp, {r6, r7}           1 + 2 registers
      [0x03a00001, 1], // moveq r0, #1                 condition fails
      [0xeaffffff, 2], // b .+4
      [0xe3a00000, 1], // mov r0, #0
      [0xe3a070f8, 1], // mov r7, #248
      [0xef000000, 3], // svc 0                        exit_group(0)
    ];
    const r = createLinuxMachine(staticElf(program.map(([w]) => w), program.length * 4, 4096), { ramBytes: 2 << 20 }).run(1000);
    expect(r.stop).toEqual({ kind: "exit", code: 0 });
    expect(r.instructions).toBe(program.length);
    expect(r.cycles).toBe(program.reduce((sum, [, c]) => sum + c, 0));
  });

  it("are the same on every run of a program", async () => {
    const built = await tccProgram(programFiles("30_hanoi.c"));
    if ("error" in built) throw new Error(built.error);
    const a = runVm(built.path).result;
    const b = runVm(built.path).result;
    expect(a.instructions).toBeGreaterThan(100_000);
    expect([b.instructions, b.cycles]).toEqual([a.instructions, a.cycles]);
    expect(a.cycles).toBeGreaterThan(a.instructions);
  });
});
