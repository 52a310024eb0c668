// Loads a static ARM ELF32 executable's PT_LOAD segments into guest memory,
// and names code addresses for diagnostics ("main+0x1c").
import { ET_EXEC, PT_LOAD, readElf, symbols } from "../compiler/elf.ts";
import { BespokeError } from "../errors.ts";
import type { VmMemory } from "./memory.ts";

const EM_ARM = 40;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_NOTYPE = 0;

export interface LoadedImage {
  entry: number;
  /** One past the highest address any segment occupies (start of the heap). */
  end: number;
  symbols: SymbolMap;
}

export function loadElf(bytes: Uint8Array, mem: VmMemory): LoadedImage {
  const elf = readElf(bytes);
  if (elf.class !== 1 || elf.machine !== EM_ARM) throw new BespokeError("VM_ELF", `not a 32-bit ARM ELF (class ${elf.class}, machine ${elf.machine})`);
  if (elf.type !== ET_EXEC) throw new BespokeError("VM_ELF", `not an executable (ELF type ${elf.type}); link it, e.g. tcc -nostdlib -static -Wl,-Ttext=0x10000`);
  let end = 0;
  let loaded = 0;
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || seg.memsz === 0) continue;
    if (!mem.isRam(seg.vaddr, seg.memsz)) {
      throw new BespokeError("VM_ELF", `segment at 0x${seg.vaddr.toString(16)} (+0x${seg.memsz.toString(16)}) lies outside RAM 0x${mem.ramLo.toString(16)}-0x${mem.ramHi.toString(16)}`);
    }
    mem.writeBytes(seg.vaddr, bytes.subarray(seg.offset, seg.offset + seg.filesz));
    mem.u8.fill(0, seg.vaddr + seg.filesz, seg.vaddr + seg.memsz);
    end = Math.max(end, seg.vaddr + seg.memsz);
    loaded++;
  }
  if (!loaded) throw new BespokeError("VM_ELF", "executable has no loadable segment");
  if (elf.entry & 3) throw new BespokeError("VM_ELF", `entry point 0x${elf.entry.toString(16)} is not ARM code (Thumb is not supported)`);
  return { entry: elf.entry, end, symbols: new SymbolMap(() => symbols(elf).filter((s) => s.shndx !== 0 && (s.type === STT_FUNC || s.type === STT_OBJECT || s.type === STT_NOTYPE) && s.name && !s.name.startsWith("$"))) };
}

/**
 * Symbols sorted by address, for "name+offset" lookups. The list is read on
 * the first lookup: most runs never make one, and reading the firmware's
 * symbol table was most of what a board's boot allocated.
 */
export class SymbolMap {
  private list: { name: string; value: number; size: number }[] | null = null;

  constructor(private readonly read: () => { name: string; value: number; size: number }[]) {}

  private get sorted(): { name: string; value: number; size: number }[] {
    return (this.list ??= this.read().sort((a, b) => a.value - b.value));
  }

  /** Address of a symbol by name. */
  address(name: string): number | undefined {
    return this.sorted.find((s) => s.name === name)?.value;
  }

  /** "name+0xoff" for the symbol at or below `address`, or null when none covers it. */
  describe(address: number): string | null {
    const sorted = this.sorted;
    let lo = 0;
    let hi = sorted.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.value <= address) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best < 0) return null;
    const s = sorted[best]!;
    if (s.size && address >= s.value + s.size) return null;
    const off = address - s.value;
    return off ? `${s.name}+0x${off.toString(16)}` : s.name;
  }
}
