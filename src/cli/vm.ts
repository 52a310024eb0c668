// `bespoke vm run PROG.elf [--stats] [--budget N] [ARGS...]`: run a static
// ARM Linux program (linux-user personality) on the virtual device,
// forwarding its stdout/stderr and exit status.
import fs from "node:fs";
import { BespokeError } from "../errors.ts";
import { createLinuxMachine } from "../vm/linux.ts";
import { DEFAULT_BUDGET } from "../vm/machine.ts";
import type { FaultReason } from "../vm/types.ts";
import type { CommandContext } from "./main.ts";

/** Exit status for a fault: 128 + the signal Linux would deliver (as qemu-arm reports it), 124 for the budget (as timeout(1)). */
const FAULT_STATUS: Record<FaultReason, number> = {
  "undefined-instruction": 128 + 4,
  "unsupported-state": 128 + 4,
  "bad-access": 128 + 11,
  "unaligned-access": 128 + 7,
  "unsupported-syscall": 128 + 31,
  "budget-exhausted": 124,
};

const USAGE = "usage: bespoke vm run PROG.elf [--stats] [--budget N] [ARGS...] (after --, everything is an argument)";

export async function vm(args: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "run") throw new BespokeError("USAGE", sub ? `vm: unknown subcommand '${sub}'\n${USAGE}` : USAGE);
  let stats = false;
  let budget = DEFAULT_BUDGET;
  let program: string | undefined;
  const programArgs: string[] = [];
  let optionsDone = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (optionsDone || (program !== undefined && !a.startsWith("-"))) {
      if (program === undefined) program = a;
      else programArgs.push(a);
    } else if (a === "--") optionsDone = true;
    else if (a === "--stats") stats = true;
    else if (a === "--budget" || a.startsWith("--budget=")) {
      const text = a === "--budget" ? rest[++i] : a.slice("--budget=".length);
      const n = Number(text);
      if (!text || !Number.isInteger(n) || n <= 0) throw new BespokeError("USAGE", `vm run: --budget needs a positive instruction count, not '${text ?? ""}'`);
      budget = n;
    } else if (a.startsWith("-")) throw new BespokeError("USAGE", `vm run: unknown option '${a}'\n${USAGE}`);
    else program = a;
  }
  if (program === undefined) throw new BespokeError("USAGE", USAGE);
  if (!fs.existsSync(program)) throw new BespokeError("NO_INPUT", `${program}: no such file`);
  const decoder = { 1: new TextDecoder(), 2: new TextDecoder() };
  const machine = createLinuxMachine(new Uint8Array(fs.readFileSync(program)), {
    argv: [program, ...programArgs],
    write: (fd, bytes) => (fd === 1 ? ctx.stdout : ctx.stderr)(decoder[fd].decode(bytes, { stream: true })),
  });
  const result = machine.run(budget);
  if (stats) {
    const mips = result.ms > 0 ? Math.round((result.instructions / result.ms / 1000) * 100) / 100 : 0;
    ctx.stderr(JSON.stringify({ instructions: result.instructions, cycles: result.cycles, ms: Math.round(result.ms * 100) / 100, mips }) + "\n");
  }
  if (result.stop.kind === "fault") {
    ctx.stderr(`bespoke vm: ${result.stop.fault.message}\n`);
    return FAULT_STATUS[result.stop.fault.reason];
  }
  return result.exitCode ?? 1;
}
