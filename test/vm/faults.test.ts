// Faults end a run with a precise, typed result (reason, pc, encoding,
// address, symbol) and never crash or hang the host.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { BespokeError } from "../../src/errors.ts";
import { createLinuxMachine } from "../../src/vm/linux.ts";
import type { RunResult, VmFault } from "../../src/vm/types.ts";
import { mulberry32 as prng } from "../../src/c/mutate.ts";
import { staticElf } from "./random-sequences.ts";
import { runQemu, tccProgram } from "./support.ts";

/** `main` calls `code` (a word array in .text) with r0 = arg. */
function withCode(words: number[], arg: string, body = ""): string {
  return `static const unsigned code[] __attribute__((section(".text"))) = { ${words.map((w) => "0x" + w.toString(16)).join(", ")} };
int main(void) { ${body} return ((int (*)(unsigned))(void *)code)(${arg}); }
`;
}

async function build(source: string): Promise<{ path: string; elf: Uint8Array }> {
  const built = await tccProgram({ "main.c": source });
  if ("error" in built) throw new Error(built.error);
  return { path: built.path, elf: new Uint8Array(fs.readFileSync(built.path)) };
}

function fault(r: RunResult): VmFault {
  if (r.stop.kind !== "fault") throw new Error(`expected a fault, got ${JSON.stringify(r.stop)}`);
  return r.stop.fault;
}

describe("faults", () => {
  it("undefined instruction: UDF, with pc, encoding and symbol; qemu-arm raises SIGILL on it too", async () => {
    const p = await build(withCode([0xe1a00000, 0xe7f000f0], "0"));
    const m = createLinuxMachine(p.elf);
    const f = fault(m.run());
    const codeAddress = m.image.symbols.address("code")!;
    expect(f.reason).toBe("undefined-instruction");
    expect(f.pc).toBe(codeAddress + 4);
    expect(f.instruction).toBe(0xe7f000f0);
    expect(f.message).toBe(`undefined-instruction at pc 0x${(codeAddress + 4).toString(16).padStart(8, "0")} (instruction 0xe7f000f0): permanently undefined (UDF) (in code+0x4)`);
    expect(runQemu(p.path).exitCode).not.toBe(0);
  });

  it("VFP code (TinyCC's floating point) faults as a coprocessor instruction in main", async () => {
    const p = await build("int main(void) { volatile double d = 2; d = d * 3; return (int)d; }\n");
    const f = fault(createLinuxMachine(p.elf).run());
    expect(f.reason).toBe("undefined-instruction");
    expect(f.message).toMatch(/^undefined-instruction at pc 0x[0-9a-f]{8} \(instruction 0x[0-9a-f]{8}\): coprocessor .*VFP.* \(in main\+0x[0-9a-f]+\)$/);
  });

  it("an instruction whose result would be written to pc (unpredictable) faults instead of branching", async () => {
    for (const word of [0xe16fff10 /* clz pc, r0 */, 0xe10ff000 /* mrs pc, cpsr */, 0xe16f0080 /* smulbb pc, r0, r0 */]) {
      const f = fault(createLinuxMachine((await build(withCode([word], "1"))).elf).run());
      expect(f).toMatchObject({ reason: "undefined-instruction", instruction: word });
      expect(f.message).toContain("result written to pc");
    }
  });

  it("a branch to Thumb code (bx to an odd address) is an unsupported-state fault", async () => {
    const p = await build(withCode([0xe12fff10], "0x10001"));
    const f = fault(createLinuxMachine(p.elf).run());
    expect(f.reason).toBe("unsupported-state");
    expect(f.instruction).toBe(0xe12fff10);
    expect(f.message).toContain("BX to Thumb code at 0x00010000 (Thumb is not supported)");
  });

  it("NULL and unaligned accesses fault with the data address (qemu-arm segfaults on the NULL store too)", async () => {
    const nul = await build("int main(void) { *(volatile int *)0 = 1; return 0; }\n");
    const f = fault(createLinuxMachine(nul.elf).run());
    expect(f).toMatchObject({ reason: "bad-access", address: 0 });
    expect(f.message).toMatch(/^bad-access at pc 0x[0-9a-f]{8} \(instruction 0x[0-9a-f]{8}\): STR of 0x00000000 \(in main\+0x[0-9a-f]+\)$/);
    expect(runQemu(nul.path).exitCode).not.toBe(0);

    const unaligned = await build("static int words[4]; int main(void) { return *(volatile int *)((char *)words + 2); }\n");
    const m = createLinuxMachine(unaligned.elf);
    const u = fault(m.run());
    expect(u).toMatchObject({ reason: "unaligned-access", address: m.image.symbols.address("words")! + 2 });
    expect(u.message).toContain("LDR of 0x");
  });

  it("a jump outside RAM faults on the instruction fetch", async () => {
    const p = await build(withCode([0xe12fff10], "0xc0000000"));
    const f = fault(createLinuxMachine(p.elf).run());
    expect(f).toMatchObject({ reason: "bad-access", pc: 0xc0000000, instruction: 0, address: 0xc0000000 });
    expect(f.message).toContain("instruction fetch outside RAM");
  });

  it("an endless loop stops at the budget, having retired exactly that many instructions", async () => {
    const p = await build("int main(void) { volatile int x = 0; for (;;) x++; }\n");
    const r = createLinuxMachine(p.elf).run(123_456);
    expect(r.instructions).toBe(123_456);
    const f = fault(r);
    expect(f.reason).toBe("budget-exhausted");
    expect(f.message).toMatch(/^budget-exhausted at pc 0x[0-9a-f]{8} \(in main\+0x[0-9a-f]+\): the instruction budget of 123456 ran out/);
  });

  it("an unimplemented Linux syscall is named", async () => {
    // mov r7, #20 (getpid); svc 0; bx lr
    const p = await build(withCode([0xe3a07014, 0xef000000, 0xe12fff1e], "0"));
    const f = fault(createLinuxMachine(p.elf).run());
    expect(f.reason).toBe("unsupported-syscall");
    expect(f.instruction).toBe(0xef000000);
    expect(f.message).toContain("Linux syscall 20 is not implemented");
  });

  it("random words as code always end in an exit or a fault within the budget, never a host exception", () => {
    const rand = prng(42);
    const reasons = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const words = Array.from({ length: 64 }, () => Math.floor(rand() * 4294967296));
      // Mostly unconditional, so the words execute rather than skip.
      const code = words.map((w) => (rand() < 0.8 ? ((w & 0x0fffffff) | 0xe0000000) >>> 0 : w));
      const r = createLinuxMachine(staticElf(code, code.length * 4, 4096), { ramBytes: 2 << 20 }).run(100_000);
      const kind = r.stop.kind === "fault" ? r.stop.fault.reason : r.stop.kind;
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
      if (r.stop.kind === "fault") expect(r.stop.fault.message).toMatch(/^[a-z-]+ at pc 0x[0-9a-f]{8}/);
    }
    expect(reasons.get("undefined-instruction")).toBeGreaterThan(0);
    expect(reasons.get("bad-access")).toBeGreaterThan(0);
  });

  it("malformed or foreign ELF files are rejected with a typed error", () => {
    expect(() => createLinuxMachine(new Uint8Array([1, 2, 3]))).toThrow(BespokeError);
    const notArm = staticElf([0], 4, 4);
    notArm[18] = 62;
    expect(() => createLinuxMachine(notArm)).toThrow(/not a 32-bit ARM ELF/);
    const huge = staticElf([0], 4, 0x7fff0000);
    expect(() => createLinuxMachine(huge)).toThrow(/outside RAM/);
  });
});
