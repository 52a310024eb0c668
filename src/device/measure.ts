// Instructions and cycles of one function, per call, on the VM: a breakpoint
// (an undefined instruction) on the function's entry and, for each call, on
// its return address. The counts are the VM's own (deterministic), so they
// need no counter support from the board or the firmware.
import { BespokeError } from "../errors.ts";
import type { Machine } from "../vm/machine.ts";

/** ARM's permanently undefined instruction (UDF #0): the VM faults on it, precisely. */
const BREAKPOINT = 0xe7f000f0 | 0;

export interface CallSample {
  /** r0-r3 at entry, and the first stack-passed argument ([sp]). */
  args: [number, number, number, number, number];
  /** r0 at return. */
  result: number;
  instructions: number;
  cycles: number;
  /** Instructions per firmware symbol the pc was in (profiled calls only; code outside every symbol, e.g. a loaded code image, under OUTSIDE_FIRMWARE). */
  bySymbol?: Record<string, number>;
}

/** The profile's name for instructions outside every symbol of the firmware. */
export const OUTSIDE_FIRMWARE = "(outside the firmware)";

export interface MeasuredRun {
  samples: CallSample[];
  exitCode: number;
}

/**
 * Run `machine` to its exit, recording every call of the function at `entry`
 * (which must not recurse). When the program sleeps, `sleep` lets the
 * virtual time pass (the board personality's timer). The first `profile`
 * calls are run one instruction at a time and attributed to the firmware's
 * symbols by pc (where the instructions go; slower, same counts).
 */
export function measureCalls(machine: Machine, entry: number, budget: number, sleep?: (microseconds: number) => void, profile = 0): MeasuredRun {
  const cpu = machine.cpu;
  const words = cpu.mem.i32;
  const at = (address: number) => address >>> 2;
  const entryWord = words[at(entry)]!;
  const samples: CallSample[] = [];
  let open: { ret: number; retWord: number; instructions: number; cycles: number; args: CallSample["args"] } | null = null;
  const limit = cpu.instructions + budget;
  words[at(entry)] = BREAKPOINT;
  for (;;) {
    const stop = cpu.run(Math.max(0, limit - cpu.instructions));
    if (stop.kind === "exit") return { samples, exitCode: stop.code };
    if (stop.kind === "sleep" && sleep) {
      sleep(stop.microseconds);
      continue;
    }
    if (stop.kind !== "fault") throw new BespokeError("MEASURE_STOPPED", `measuring 0x${entry.toString(16)}: the program stopped (${stop.kind}) before it exited`);
    const pc = stop.fault.pc >>> 0;
    if (pc === entry && open === null) {
      const ret = (cpu.r[14]! >>> 0) & ~3;
      const sp = cpu.r[13]! >>> 0;
      open = {
        ret,
        retWord: words[at(ret)]!,
        instructions: cpu.instructions,
        cycles: cpu.cycles,
        args: [cpu.r[0]!, cpu.r[1]!, cpu.r[2]!, cpu.r[3]!, words[at(sp)]!],
      };
      if (samples.length < profile) {
        words[at(entry)] = entryWord;
        const bySymbol = stepToReturn(machine, ret, sp, sleep);
        words[at(entry)] = BREAKPOINT;
        samples.push({ args: open.args, result: cpu.r[0]!, instructions: cpu.instructions - open.instructions, cycles: cpu.cycles - open.cycles, bySymbol });
        open = null;
        continue;
      }
      words[at(ret)] = BREAKPOINT;
      // Execute the real first instruction, then re-arm the entry.
      words[at(entry)] = entryWord;
      const step = cpu.run(1);
      words[at(entry)] = BREAKPOINT;
      if (step.kind !== "yield") throw new BespokeError("MEASURE_STOPPED", `measuring 0x${entry.toString(16)}: the first instruction stopped the program (${step.kind})`);
    } else if (open !== null && pc === open.ret) {
      words[at(open.ret)] = open.retWord;
      samples.push({ args: open.args, result: cpu.r[0]!, instructions: cpu.instructions - open.instructions, cycles: cpu.cycles - open.cycles });
      open = null;
    } else {
      const named = machine.named(stop);
      throw new BespokeError("MEASURE_FAULT", `measuring 0x${entry.toString(16)}: ${named.kind === "fault" ? named.fault.message : stop.fault.message}`);
    }
  }
}

/** Single-step the call just entered (return address `ret`, stack pointer `sp` at entry) to its return, counting instructions per symbol. */
function stepToReturn(machine: Machine, ret: number, sp: number, sleep?: (microseconds: number) => void): Record<string, number> {
  const cpu = machine.cpu;
  const counts: Record<string, number> = {};
  while (!((cpu.pc >>> 0) === ret && (cpu.r[13]! >>> 0) === sp)) {
    const where = machine.image.symbols.describe(cpu.pc >>> 0);
    const name = where === null ? OUTSIDE_FIRMWARE : where.replace(/\+0x[0-9a-f]+$/, "");
    counts[name] = (counts[name] ?? 0) + 1;
    const stop = cpu.run(1);
    if (stop.kind === "sleep" && sleep) sleep(stop.microseconds);
    else if (stop.kind !== "yield") throw new BespokeError("MEASURE_STOPPED", `profiling a call: the program stopped (${stop.kind}) inside it`);
  }
  return counts;
}
