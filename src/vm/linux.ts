// The linux-user personality: a static Linux ARM EABI program with the
// syscalls our libc uses (write, exit, exit_group, brk), laid out in memory
// as under qemu-arm (image at its link address, stack at the top of RAM with
// argc/argv/envp/auxv), so the same ELF runs on both.
import { BespokeError } from "../errors.ts";
import { Cpu } from "./cpu.ts";
import { loadElf } from "./loader.ts";
import { Machine } from "./machine.ts";
import { VmMemory } from "./memory.ts";
import type { SvcHandler, SvcResult } from "./types.ts";

const SYS_EXIT = 1;
const SYS_WRITE = 4;
const SYS_BRK = 45;
const SYS_EXIT_GROUP = 248;
const EBADF = 9;
const EFAULT = 14;

/** Below this nothing is mapped, so NULL dereferences fault. */
const NULL_GUARD = 0x1000;
export const DEFAULT_LINUX_RAM = 32 * 1024 * 1024;
const STACK_BYTES = 1024 * 1024;

export interface LinuxOptions {
  /** argv (argv[0] first); defaults to ["prog"]. */
  argv?: string[];
  /** Bytes of guest memory (a multiple of 64 KiB). */
  ramBytes?: number;
  /** Receives what the program writes to fd 1 and fd 2. */
  write?: (fd: 1 | 2, bytes: Uint8Array) => void;
}

class LinuxSyscalls implements SvcHandler {
  brk: number;

  constructor(
    private readonly mem: VmMemory,
    private readonly heapStart: number,
    private readonly heapLimit: number,
    private readonly write: (fd: 1 | 2, bytes: Uint8Array) => void,
  ) {
    this.brk = heapStart;
  }

  svc(regs: Int32Array): SvcResult {
    const nr = regs[7]!;
    switch (nr) {
      case SYS_EXIT:
      case SYS_EXIT_GROUP:
        return { kind: "exit", code: regs[0]! & 0xff };
      case SYS_WRITE: {
        const fd = regs[0]!;
        const buf = regs[1]! >>> 0;
        const len = regs[2]! >>> 0;
        if (fd !== 1 && fd !== 2) regs[0] = -EBADF;
        else if (!this.mem.isRam(buf, len)) regs[0] = -EFAULT;
        else {
          this.write(fd, this.mem.u8.slice(buf, buf + len));
          regs[0] = len;
        }
        return null;
      }
      case SYS_BRK: {
        const want = regs[0]! >>> 0;
        if (want >= this.heapStart && want <= this.heapLimit) {
          if (want > this.brk) this.mem.u8.fill(0, this.brk, want);
          this.brk = want;
        }
        regs[0] = this.brk;
        return null;
      }
      default:
        return { kind: "unsupported", detail: `Linux syscall ${nr} is not implemented (only write, exit, exit_group and brk are)` };
    }
  }
}

export function createLinuxMachine(elf: Uint8Array, options: LinuxOptions = {}): Machine {
  const ramHi = options.ramBytes ?? DEFAULT_LINUX_RAM;
  const mem = new VmMemory({ ramLo: NULL_GUARD, ramHi });
  const image = loadElf(elf, mem);
  const heapStart = (image.end + 4095) & ~4095;
  const heapLimit = ramHi - STACK_BYTES;
  if (heapStart >= heapLimit) throw new BespokeError("VM_MEMORY", `program of ${image.end} bytes does not fit ${ramHi} bytes of guest memory with a stack`);
  const write = options.write ?? (() => {});
  const cpu = new Cpu(mem, new LinuxSyscalls(mem, heapStart, heapLimit, write));
  cpu.pc = image.entry;
  cpu.r[13] = buildStack(mem, ramHi, options.argv ?? ["prog"]);
  return new Machine(cpu, image);
}

/** The initial stack of a Linux process: argc, argv[], NULL, envp NULL, auxv AT_NULL; strings above. */
function buildStack(mem: VmMemory, top: number, argv: string[]): number {
  const encoder = new TextEncoder();
  let p = top - 16;
  const pointers: number[] = [];
  for (const arg of [...argv].reverse()) {
    const bytes = encoder.encode(arg + "\0");
    p -= bytes.length;
    mem.writeBytes(p, bytes);
    pointers.unshift(p);
  }
  const words = [argv.length, ...pointers, 0, 0, 0, 0];
  p = (p - words.length * 4) & ~7;
  words.forEach((w, i) => (mem.i32[(p >>> 2) + i] = w));
  return p;
}
