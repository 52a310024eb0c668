// A CPU with its memory, loaded image and personality; runs a program to its
// end (exit, fault, or the instruction budget) and reports the counters.
import type { Cpu } from "./cpu.ts";
import type { LoadedImage } from "./loader.ts";
import type { RunResult, Stop, VmFault } from "./types.ts";

/** Instructions a run may retire unless told otherwise (about 10-30 s of host time). */
export const DEFAULT_BUDGET = 2_000_000_000;

export class Machine {
  constructor(
    readonly cpu: Cpu,
    readonly image: LoadedImage,
  ) {}

  /**
   * Run until exit or fault; a sleep request (board) ends the run too. Using
   * up `budget` instructions is a `budget-exhausted` fault.
   */
  run(budget: number = DEFAULT_BUDGET): RunResult {
    const started = performance.now();
    const before = this.cpu.instructions;
    const cyclesBefore = this.cpu.cycles;
    const stop = this.named(this.cpu.run(budget));
    const ms = performance.now() - started;
    const result = stop.kind === "yield" ? this.budgetFault(budget) : stop;
    return {
      stop: result,
      exitCode: result.kind === "exit" ? result.code & 0xff : undefined,
      instructions: this.cpu.instructions - before,
      cycles: this.cpu.cycles - cyclesBefore,
      ms,
    };
  }

  /** Append the symbol the pc is in to a fault's message. */
  named(stop: Stop): Stop {
    if (stop.kind !== "fault") return stop;
    const where = this.image.symbols.describe(stop.fault.pc);
    return where ? { kind: "fault", fault: { ...stop.fault, message: `${stop.fault.message} (in ${where})` } } : stop;
  }

  private budgetFault(budget: number): { kind: "fault"; fault: VmFault } {
    const pc = this.cpu.pc;
    const inRam = this.cpu.mem.isRam(pc, 4);
    const instruction = inRam ? this.cpu.mem.i32[pc >>> 2]! >>> 0 : 0;
    const where = this.image.symbols.describe(pc);
    const message = `budget-exhausted at pc 0x${pc.toString(16).padStart(8, "0")}${where ? ` (in ${where})` : ""}: the instruction budget of ${budget} ran out (raise it with --budget)`;
    return { kind: "fault", fault: { reason: "budget-exhausted", pc, instruction, message } };
  }
}
