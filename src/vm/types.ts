// Types of the virtual device: how a run stops, what a fault says, and the
// interfaces between the CPU, its memory-mapped devices and a personality.

/** Why the CPU stopped with an error. */
export type FaultReason =
  | "undefined-instruction"
  | "unsupported-state"
  | "unaligned-access"
  | "bad-access"
  | "unsupported-syscall"
  | "budget-exhausted";

export interface VmFault {
  reason: FaultReason;
  /** Address of the faulting instruction. */
  pc: number;
  /** Its encoding (0 when the fetch itself failed). */
  instruction: number;
  /** Data address for access faults. */
  address?: number;
  /** One line a person can act on: reason, pc, encoding, symbol. */
  message: string;
}

/**
 * How `Cpu.run` ended: the program exited, faulted, asked to sleep (board
 * timer), or used up the steps it was given (the caller decides whether that
 * is a budget fault or just the end of a time slice).
 */
export type Stop =
  | { kind: "exit"; code: number }
  | { kind: "fault"; fault: VmFault }
  | { kind: "sleep"; microseconds: number }
  | { kind: "yield" };

/** A device model behind a 4 KiB page of the MMIO window; word accesses only. */
export interface MmioDevice {
  /** Register value, or null when the offset is not readable (a bad access). */
  read(offset: number): number | null;
  /** False when the offset is not writable (a bad access). */
  write(offset: number, value: number): boolean;
}

/** What a system call asks of the CPU: continue (null), stop with an exit status, or fault. */
export type SvcResult = null | { kind: "exit"; code: number } | { kind: "unsupported"; detail: string };

/** What the CPU calls for `svc` (the personality's system call layer). */
export interface SvcHandler {
  /** `regs` is the live register file (r0-r15); results go back into it. */
  svc(regs: Int32Array, imm: number): SvcResult;
}

export type Personality = "linux-user" | "board";

/** The result of running a program to completion. */
export interface RunResult {
  stop: Exclude<Stop, { kind: "yield" }>;
  /** Exit status (0-255) for an exit; undefined for a fault. */
  exitCode: number | undefined;
  instructions: number;
  cycles: number;
  ms: number;
}
