// A reader for the ELF files tcc produces: relocatable objects (code images,
// size reports) and executables (the VM loader). Little-endian, 32 and 64 bit.
import { BespokeError } from "../errors.ts";

export const ET_REL = 1;
export const ET_EXEC = 2;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHF_WRITE = 1;
export const SHF_ALLOC = 2;
export const SHF_EXECINSTR = 4;
export const PT_LOAD = 1;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  align: number;
  entsize: number;
}

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STB_*: 0 local, 1 global, 2 weak. */
  bind: number;
  /** STT_*: 0 notype, 1 object, 2 func, 3 section, 4 file. */
  type: number;
  /** Section index; 0 = undefined, 0xfff1 = absolute, 0xfff2 = common. */
  shndx: number;
}

export interface ElfRelocation {
  offset: number;
  type: number;
  symbol: number;
  /** Explicit addend for RELA; null for REL (addend in place). */
  addend: number | null;
}

export interface ElfSegment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: number;
}

export interface ElfFile {
  class: 1 | 2;
  type: number;
  machine: number;
  entry: number;
  sections: ElfSection[];
  segments: ElfSegment[];
  bytes: Uint8Array;
}

function bad(msg: string): never {
  throw new BespokeError("BAD_ELF", `malformed ELF: ${msg}`);
}

export function readElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) bad("no ELF magic");
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) bad(`unknown class ${cls}`);
  if (bytes[5] !== 1) bad("not little-endian");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const is64 = cls === 2;
  const word = (off: number) => (is64 ? Number(v.getBigUint64(off, true)) : v.getUint32(off, true));
  const type = v.getUint16(16, true);
  const machine = v.getUint16(18, true);
  const entry = word(24);
  const phoff = word(is64 ? 32 : 28);
  const shoff = word(is64 ? 40 : 32);
  const phentsize = v.getUint16(is64 ? 54 : 42, true);
  const phnum = v.getUint16(is64 ? 56 : 44, true);
  const shentsize = v.getUint16(is64 ? 58 : 46, true);
  const shnum = v.getUint16(is64 ? 60 : 48, true);
  const shstrndx = v.getUint16(is64 ? 62 : 50, true);
  if (shnum && shoff + shnum * shentsize > bytes.length) bad("section headers past end of file");
  if (phnum && phoff + phnum * phentsize > bytes.length) bad("program headers past end of file");

  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      index: i,
      nameOff: v.getUint32(o, true),
      type: v.getUint32(o + 4, true),
      flags: word(o + 8),
      addr: word(o + (is64 ? 16 : 12)),
      offset: word(o + (is64 ? 24 : 16)),
      size: word(o + (is64 ? 32 : 20)),
      link: v.getUint32(o + (is64 ? 40 : 24), true),
      info: v.getUint32(o + (is64 ? 44 : 28), true),
      align: word(o + (is64 ? 48 : 32)),
      entsize: word(o + (is64 ? 56 : 36)),
    });
  }
  for (const s of raw) if (s.type !== SHT_NOBITS && s.offset + s.size > bytes.length) bad(`section ${s.index} past end of file`);
  const shstr = raw[shstrndx];
  const sections: ElfSection[] = raw.map(({ nameOff, ...s }) => ({ ...s, name: shstr ? cString(bytes, shstr.offset + nameOff) : "" }));

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    segments.push(
      is64
        ? { type: v.getUint32(o, true), flags: v.getUint32(o + 4, true), offset: word(o + 8), vaddr: word(o + 16), filesz: word(o + 32), memsz: word(o + 40) }
        : { type: v.getUint32(o, true), offset: word(o + 4), vaddr: word(o + 8), filesz: word(o + 16), memsz: word(o + 20), flags: v.getUint32(o + 24, true) },
    );
  }
  return { class: cls, type, machine, entry, sections, segments, bytes };
}

export function cString(bytes: Uint8Array, off: number): string {
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(off, end));
}

export function sectionData(elf: ElfFile, s: ElfSection): Uint8Array {
  return s.type === SHT_NOBITS ? new Uint8Array(s.size) : elf.bytes.subarray(s.offset, s.offset + s.size);
}

export function symbols(elf: ElfFile): ElfSymbol[] {
  const symtab = elf.sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) return [];
  const strtab = elf.sections[symtab.link] ?? bad("symbol table without string table");
  const v = new DataView(elf.bytes.buffer, elf.bytes.byteOffset, elf.bytes.byteLength);
  const is64 = elf.class === 2;
  const size = is64 ? 24 : 16;
  const out: ElfSymbol[] = [];
  for (let o = symtab.offset; o + size <= symtab.offset + symtab.size; o += size) {
    const name = cString(elf.bytes, strtab.offset + v.getUint32(o, true));
    if (is64) {
      const info = elf.bytes[o + 4]!;
      out.push({ name, bind: info >> 4, type: info & 15, shndx: v.getUint16(o + 6, true), value: Number(v.getBigUint64(o + 8, true)), size: Number(v.getBigUint64(o + 16, true)) });
    } else {
      const info = elf.bytes[o + 12]!;
      out.push({ name, value: v.getUint32(o + 4, true), size: v.getUint32(o + 8, true), bind: info >> 4, type: info & 15, shndx: v.getUint16(o + 14, true) });
    }
  }
  return out;
}

/** Relocations of a SHT_REL or SHT_RELA section. */
export function relocations(elf: ElfFile, s: ElfSection): ElfRelocation[] {
  const v = new DataView(elf.bytes.buffer, elf.bytes.byteOffset, elf.bytes.byteLength);
  const is64 = elf.class === 2;
  const rela = s.type === SHT_RELA;
  const size = (is64 ? 16 : 8) + (rela ? (is64 ? 8 : 4) : 0);
  const out: ElfRelocation[] = [];
  for (let o = s.offset; o + size <= s.offset + s.size; o += size) {
    if (is64) {
      const info = v.getBigUint64(o + 8, true);
      out.push({ offset: Number(v.getBigUint64(o, true)), type: Number(info & 0xffffffffn), symbol: Number(info >> 32n), addend: rela ? Number(v.getBigInt64(o + 16, true)) : null });
    } else {
      const info = v.getUint32(o + 4, true);
      out.push({ offset: v.getUint32(o, true), type: info & 0xff, symbol: info >>> 8, addend: rela ? v.getInt32(o + 8, true) : null });
    }
  }
  return out;
}

/** Bytes of allocated code and data, the measure we publish for sizes. */
export function allocatedSizes(elf: ElfFile): { text: number; data: number; bss: number } {
  let text = 0;
  let data = 0;
  let bss = 0;
  for (const s of elf.sections) {
    if (!(s.flags & SHF_ALLOC)) continue;
    if (s.type === SHT_NOBITS) bss += s.size;
    else if (s.flags & SHF_EXECINSTR) text += s.size;
    else data += s.size;
  }
  return { text, data, bss };
}
