// The board personality: the bespoke device of docs/board.md. RAM from 0,
// and MMIO devices: console UART, timer, cycle counter, mailbox (the channel
// to the customization server) and system control.
import { Cpu } from "./cpu.ts";
import { loadElf } from "./loader.ts";
import { Machine } from "./machine.ts";
import { MMIO_BASE, VmMemory } from "./memory.ts";
import type { MmioDevice, RunResult, Stop, SvcResult } from "./types.ts";

export const BOARD_RAM_BYTES = 16 * 1024 * 1024;
export const UART_BASE = MMIO_BASE;
export const TIMER_BASE = MMIO_BASE + 0x1000;
export const CYCLES_BASE_ADDRESS = MMIO_BASE + 0x2000;
export const MAILBOX_BASE = MMIO_BASE + 0x3000;
export const SYSCTL_BASE = MMIO_BASE + 0x4000;
/** Cycles per microsecond of virtual time (an SA-1100 at 206 MHz). */
export const FREQ_MHZ = 206;
export const MAILBOX_MAX = 65536;
const TWO32 = 4294967296;

export interface BoardOptions {
  /** Bytes of RAM (a multiple of 64 KiB); default 16 MiB. */
  ramBytes?: number;
  /** Use this memory (e.g. shared with a worker) instead of a fresh one. */
  memory?: WebAssembly.Memory;
  /** Receives console output as the firmware writes it. */
  console?: (bytes: Uint8Array) => void;
  /** Receives each device-to-host mailbox message. */
  send?: (message: Uint8Array) => void;
}

export class Board {
  readonly machine: Machine;
  private readonly consoleInput: number[] = [];
  private readonly inbox: Uint8Array[] = [];
  private slept = 0;
  /** Cycles the timer does not count (run while it was steady), and the cycle count it stopped at while steady. */
  private uncounted = 0;
  private steadyAt: number | null = null;

  constructor(elf: Uint8Array, private readonly options: BoardOptions = {}) {
    const ramHi = options.ramBytes ?? BOARD_RAM_BYTES;
    const mem = new VmMemory({ ramLo: 0, ramHi, ...(options.memory ? { memory: options.memory } : {}) });
    const cpu = new Cpu(mem, { svc: (): SvcResult => ({ kind: "unsupported", detail: "svc on the board (it has no system calls: the kernel's calls are plain functions; see docs/board.md)" }) });
    const image = loadElf(elf, mem);
    cpu.pc = image.entry;
    cpu.r[13] = ramHi;
    this.machine = new Machine(cpu, image);
    mem.mapDevice(UART_BASE, this.uart());
    mem.mapDevice(TIMER_BASE, this.timer());
    mem.mapDevice(CYCLES_BASE_ADDRESS, this.cycleCounter());
    mem.mapDevice(MAILBOX_BASE, this.mailbox());
    mem.mapDevice(SYSCTL_BASE, this.sysctl());
  }

  get cpu(): Cpu {
    return this.machine.cpu;
  }

  /** Virtual time in microseconds: cycles at FREQ_MHZ (none while the timer is steady) plus time slept and ticked. */
  get microseconds(): number {
    return Math.floor(((this.steadyAt ?? this.cpu.cycles) - this.uncounted) / FREQ_MHZ) + this.slept;
  }

  /** Queue a host-to-device mailbox message. */
  deliver(message: Uint8Array): void {
    if (message.length > MAILBOX_MAX) throw new RangeError(`mailbox message of ${message.length} bytes exceeds ${MAILBOX_MAX}`);
    this.inbox.push(message.slice());
  }

  /** Queue console input bytes. */
  type(bytes: Uint8Array): void {
    for (const b of bytes) this.consoleInput.push(b);
  }

  get pendingMessages(): number {
    return this.inbox.length;
  }

  /** Advance virtual time while the CPU sleeps (the host decides how long it slept). */
  advance(microseconds: number): void {
    this.slept += microseconds;
  }

  /** Run up to `steps` instructions: yields, exits, faults, or stops to sleep. */
  step(steps: number): Stop {
    return this.machine.named(this.cpu.run(steps));
  }

  /**
   * Run to exit or fault within `budget` instructions. A sleep with no
   * message pending skips the virtual time; a sleep with a message pending
   * returns at once (the firmware polls the mailbox next).
   */
  run(budget: number): RunResult {
    const startInstructions = this.cpu.instructions;
    const startCycles = this.cpu.cycles;
    const started = performance.now();
    for (;;) {
      const used = this.cpu.instructions - startInstructions;
      const r = this.machine.run(budget - used);
      if (r.stop.kind === "sleep") {
        if (!this.inbox.length) this.advance(r.stop.microseconds);
        if (this.cpu.instructions - startInstructions < budget) continue;
      }
      return { ...r, instructions: this.cpu.instructions - startInstructions, cycles: this.cpu.cycles - startCycles, ms: performance.now() - started };
    }
  }

  private uart(): MmioDevice {
    return {
      read: (offset) => {
        if (offset === 0x04) return this.consoleInput.length ? this.consoleInput.shift()! : -1;
        if (offset === 0x08) return (this.consoleInput.length ? 1 : 0) | 2;
        return null;
      },
      write: (offset, value) => {
        if (offset !== 0x00) return false;
        this.options.console?.(Uint8Array.of(value & 0xff));
        return true;
      },
    };
  }

  private timer(): MmioDevice {
    let latchedHigh = 0;
    return {
      read: (offset) => {
        if (offset === 0x00) {
          const us = this.microseconds;
          latchedHigh = Math.floor(us / TWO32);
          return us % TWO32 | 0;
        }
        if (offset === 0x04) return latchedHigh | 0;
        if (offset === 0x08) return FREQ_MHZ;
        return null;
      },
      write: (offset, value) => {
        if (offset === 0x10) {
          if (value !== 0 && this.steadyAt === null) this.steadyAt = this.cpu.cycles;
          if (value === 0 && this.steadyAt !== null) {
            this.uncounted += this.cpu.cycles - this.steadyAt;
            this.steadyAt = null;
          }
          return true;
        }
        if (offset === 0x14) {
          this.slept += value >>> 0;
          return true;
        }
        if (offset !== 0x0c) return false;
        this.cpu.pendingStop = { kind: "sleep", microseconds: value >>> 0 };
        return true;
      },
    };
  }

  private cycleCounter(): MmioDevice {
    let cyclesHigh = 0;
    let instretHigh = 0;
    return {
      read: (offset) => {
        switch (offset) {
          case 0x00:
            cyclesHigh = Math.floor(this.cpu.cycles / TWO32);
            return this.cpu.cycles % TWO32 | 0;
          case 0x04:
            return cyclesHigh | 0;
          case 0x08:
            instretHigh = Math.floor(this.cpu.instructions / TWO32);
            return this.cpu.instructions % TWO32 | 0;
          case 0x0c:
            return instretHigh | 0;
          default:
            return null;
        }
      },
      write: () => false,
    };
  }

  private mailbox(): MmioDevice {
    let txAddress = 0;
    const mem = this.cpu.mem;
    return {
      read: (offset) => {
        if (offset === 0x00) return (this.inbox.length ? 1 : 0) | 2;
        if (offset === 0x04) return this.inbox.length ? this.inbox[0]!.length : 0;
        return null;
      },
      write: (offset, value) => {
        const v = value >>> 0;
        if (offset === 0x08) {
          const message = this.inbox[0];
          if (!message || !mem.isRam(v, message.length)) return false;
          mem.u8.set(message, v);
          this.inbox.shift();
          return true;
        }
        if (offset === 0x0c) {
          txAddress = v;
          return true;
        }
        if (offset === 0x10) {
          if (v > MAILBOX_MAX || !mem.isRam(txAddress, v)) return false;
          this.options.send?.(mem.u8.slice(txAddress, txAddress + v));
          return true;
        }
        return false;
      },
    };
  }

  private sysctl(): MmioDevice {
    return {
      read: (offset) => (offset === 0x04 ? this.cpu.mem.ramHi : null),
      write: (offset, value) => {
        if (offset !== 0x00) return false;
        this.cpu.pendingStop = { kind: "exit", code: value & 0xff };
        return true;
      },
    };
  }
}
