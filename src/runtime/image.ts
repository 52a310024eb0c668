// Code images: what the server ships to a device (format: docs/protocol.md,
// "Code images"; loader: firmware/custom/loader.c). The types, the builder
// from a TinyCC ELF relocatable object (arm, x86_64), and the authenticated
// encoding (HMAC-SHA256 via WebCrypto). Runtime-independent: no Node imports.
//
// The builder resolves every PC-relative relocation inside the image itself
// (calls to firmware functions go through veneers / PLT stubs, extern data on
// x86_64 through a GOT inside the image), so the device applies only absolute
// relocations: the image base or an entry of the firmware's export table.
import { BespokeError } from "../errors.ts";
import {
  type ElfSection,
  type ElfSymbol,
  ET_REL,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  readElf,
  relocations,
  sectionData,
  symbols,
} from "../compiler/elf.ts";
import { TARGET_INFO } from "../compiler/targets.ts";
import { BUILD_ID_BYTES, CALLS, type CallName, CONTEXT_HASH_BYTES, IMAGE_TARGETS, type ImageTarget } from "./protocol.ts";

export const IMAGE_MAGIC = "BSPI";
export const IMAGE_VERSION = 1;
export const IMAGE_HEADER_BYTES = 44;
export const IMAGE_TAG_BYTES = 32;
export const RELOCATION_BYTES = 8;
export const GUARD_BYTES = 16;
/** Loaded code and data of one image, at most (the device's frame limit). */
export const MAX_IMAGE_MEMORY = 65536;
/** Devices load image memory at addresses aligned to this many bytes. */
export const LOAD_ALIGN = 16;
/** Relocation and guard symbol meaning "the image itself" / "an absolute address". */
export const SELF = 0xffff;
/** Relocation type per target: the only kind a device applies. */
export const RELOCATION_TYPE: Record<ImageTarget, { code: number; width: 4 | 8 }> = {
  arm: { code: 1, width: 4 },
  x86_64: { code: 2, width: 8 },
};

export interface ImageRelocation {
  /** Offset in the image memory of the 4- or 8-byte field; its addend is in place. */
  offset: number;
  /** Index into `imports`, or SELF for the image base. */
  symbol: number;
  /** RELOCATION_TYPE code; the device accepts only its own target's. */
  type: number;
}

export interface ImageGuard {
  /** Index into `imports` (address = export + address), or SELF (address is absolute). */
  symbol: number;
  address: bigint;
  /** The 32-bit generation counter at `address` must equal this on every call. */
  expected: number;
}

export interface CodeImage {
  target: ImageTarget;
  call: CallName;
  buildId: Uint8Array;
  contextHash: Uint8Array;
  /** Initialized code and data, loaded at a 16-byte-aligned address. */
  memory: Uint8Array;
  /** Zeroed bytes after `memory`. */
  bssSize: number;
  /** Offset of the entry function in `memory`. */
  entry: number;
  relocations: ImageRelocation[];
  /** Names from the firmware's export table. */
  imports: string[];
  guards: ImageGuard[];
}

export interface GuardRequest {
  /** A firmware export (the counter is at export + offset), or an absolute device address. */
  symbol?: string;
  address: bigint;
  expected: number;
}

export interface BuildImageInput {
  /** ELF relocatable object from tcc for `target`. */
  object: Uint8Array;
  target: ImageTarget;
  /** Name of the function the customized call enters. */
  entry: string;
  call: CallName;
  buildId: Uint8Array;
  contextHash: Uint8Array;
  guards?: GuardRequest[];
  /** The firmware's export table: every import must be in it when given. */
  exports?: ReadonlySet<string>;
}

function fail(code: string, message: string): never {
  throw new BespokeError(code, message);
}

const ARM = { ABS32: 2, REL32: 3, PC24: 1, CALL: 28, JUMP24: 29, V4BX: 40, NONE: 0 };
const X64 = { NONE: 0, R64: 1, PC32: 2, PLT32: 4, GOTPCREL: 9, GOTPCRELX: 41, REX_GOTPCRELX: 42 };
/** `ldr pc, [pc, #-4]` then the target address: an arm veneer to anywhere. */
const ARM_VENEER = 0xe51ff004;

const align = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Lay out an ELF object as an image: sections, veneers/PLT, GOT, bss, relocations. */
export function buildImage(input: BuildImageInput): CodeImage {
  const elf = readElf(input.object);
  const info = TARGET_INFO[input.target];
  if (elf.type !== ET_REL) fail("IMAGE_INPUT", "code images are built from relocatable objects (tcc -c)");
  if (elf.machine !== info.elfMachine || elf.class !== info.elfClass) fail("IMAGE_INPUT", `object is for ELF machine ${elf.machine}, not ${input.target}`);
  if (input.buildId.length !== BUILD_ID_BYTES) fail("IMAGE_INPUT", `build id must be ${BUILD_ID_BYTES} bytes`);
  if (input.contextHash.length !== CONTEXT_HASH_BYTES) fail("IMAGE_INPUT", `context hash must be ${CONTEXT_HASH_BYTES} bytes`);
  const width = RELOCATION_TYPE[input.target].width;
  const syms = symbols(elf);
  const allocated = elf.sections.filter((s) => s.flags & SHF_ALLOC && s.size > 0);
  const relocSections = elf.sections.filter((s) => (s.type === SHT_REL || s.type === SHT_RELA) && allocated.some((a) => a.index === s.info));
  const imports: string[] = [];
  const importOf = (name: string): number => {
    if (input.exports && !input.exports.has(name)) fail("UNKNOWN_SYMBOL", `'${name}' is not in the firmware's export table`);
    let i = imports.indexOf(name);
    if (i < 0) i = imports.push(name) - 1;
    if (i >= SELF) fail("IMAGE_LIMIT", "too many imports");
    return i;
  };

  // Undefined symbols called need a veneer (arm) or a PLT stub (x86_64);
  // GOT-relative references (x86_64) need a slot in the image's GOT.
  const stubbed: ElfSymbol[] = [];
  const gotted: ElfSymbol[] = [];
  for (const rs of relocSections) {
    for (const r of relocations(elf, rs)) {
      const s = syms[r.symbol] ?? fail("IMAGE_INPUT", `relocation against missing symbol ${r.symbol}`);
      const isCall = input.target === "arm" ? [ARM.PC24, ARM.CALL, ARM.JUMP24].includes(r.type) : r.type === X64.PLT32;
      if (isCall && s.shndx === 0 && !stubbed.includes(s)) stubbed.push(s);
      if (input.target === "x86_64" && [X64.GOTPCREL, X64.GOTPCRELX, X64.REX_GOTPCRELX].includes(r.type) && !gotted.includes(s)) gotted.push(s);
    }
  }
  if (input.target === "x86_64") for (const s of stubbed) if (!gotted.includes(s)) gotted.push(s);

  // Layout: code sections, stubs, data sections, GOT | bss, commons.
  const base = new Map<number, number>();
  let at = 0;
  const place = (s: ElfSection) => {
    if (s.align > LOAD_ALIGN) fail("IMAGE_INPUT", `section ${s.name} needs ${s.align}-byte alignment; images load at ${LOAD_ALIGN}-byte-aligned addresses`);
    at = align(at, Math.max(1, s.align));
    base.set(s.index, at);
    at += s.size;
  };
  for (const s of allocated) if (s.flags & SHF_EXECINSTR && s.type !== SHT_NOBITS) place(s);
  at = align(at, 8);
  const stubAt = at;
  const stubBytes = 8;
  at += stubbed.length * stubBytes;
  for (const s of allocated) if (!(s.flags & SHF_EXECINSTR) && s.type !== SHT_NOBITS) place(s);
  at = align(at, 8);
  const gotAt = at;
  at += gotted.length * 8;
  const memorySize = at;
  for (const s of allocated) if (s.type === SHT_NOBITS) place(s);
  const commons = new Map<ElfSymbol, number>();
  for (const s of syms) {
    if (s.shndx !== 0xfff2) continue;
    if (s.value > LOAD_ALIGN) fail("IMAGE_INPUT", `common symbol ${s.name} needs ${s.value}-byte alignment; images load at ${LOAD_ALIGN}-byte-aligned addresses`);
    at = align(at, Math.max(1, s.value));
    commons.set(s, at);
    at += s.size;
  }
  if (at > MAX_IMAGE_MEMORY) fail("IMAGE_TOO_LARGE", `image needs ${at} bytes of memory, over the ${MAX_IMAGE_MEMORY}-byte limit`);
  const bssSize = at - memorySize;

  const memory = new Uint8Array(memorySize);
  const mv = new DataView(memory.buffer);
  for (const s of allocated) if (s.type !== SHT_NOBITS) memory.set(sectionData(elf, s), base.get(s.index)!);

  /** Image offset of a defined symbol, or null for an import. */
  const offsetOf = (s: ElfSymbol): number | null => {
    if (s.shndx === 0) return null;
    if (s.shndx === 0xfff2) return commons.get(s)!;
    if (s.shndx >= 0xff00) fail("IMAGE_INPUT", `symbol '${s.name}' has unsupported section index ${s.shndx}`);
    const b = base.get(s.shndx);
    if (b === undefined) fail("IMAGE_INPUT", `symbol '${s.name}' is in a section that is not loaded`);
    return b + s.value;
  };
  const image: CodeImage = {
    target: input.target,
    call: input.call,
    buildId: input.buildId.slice(),
    contextHash: input.contextHash.slice(),
    memory,
    bssSize,
    entry: 0,
    relocations: [],
    imports,
    guards: [],
  };
  const absolute = (offset: number, s: ElfSymbol, addend: number) => {
    const own = offsetOf(s);
    const link = own === null ? linkTarget(s.name) : { name: s.name, offset: 0 };
    writeWord(mv, offset, width, (own ?? 0) + addend + link.offset);
    image.relocations.push({ offset, symbol: own === null ? importOf(link.name) : SELF, type: RELOCATION_TYPE[input.target].code });
  };

  gotted.forEach((s, i) => absolute(gotAt + i * 8, s, 0));
  stubbed.forEach((s, i) => {
    const p = stubAt + i * stubBytes;
    if (input.target === "arm") {
      mv.setUint32(p, ARM_VENEER, true);
      absolute(p + 4, s, 0);
    } else {
      memory.set([0xff, 0x25], p); // jmp *slot(%rip)
      mv.setInt32(p + 2, gotAt + gotted.indexOf(s) * 8 - (p + 6), true);
      memory.set([0x0f, 0x0b], p + 6); // ud2: never reached
    }
  });

  for (const rs of relocSections) {
    const sectionBase = base.get(rs.info)!;
    for (const r of relocations(elf, rs)) {
      const s = syms[r.symbol]!;
      const p = sectionBase + r.offset;
      if (input.target === "arm") relocateArm(r.type, p, s);
      else relocateX64(r.type, p, s, r.addend ?? 0);
    }
  }

  function relocateArm(type: number, p: number, s: ElfSymbol): void {
    const inPlace = mv.getUint32(p, true);
    switch (type) {
      case ARM.NONE:
      case ARM.V4BX:
        return;
      case ARM.ABS32:
        memory.fill(0, p, p + 4);
        absolute(p, s, inPlace | 0);
        return;
      case ARM.REL32: {
        const own = offsetOf(s) ?? fail("IMAGE_RELOCATION", `R_ARM_REL32 against firmware symbol '${s.name}' is not position-independent`);
        mv.setUint32(p, (own + (inPlace | 0) - p) >>> 0, true);
        return;
      }
      case ARM.PC24:
      case ARM.CALL:
      case ARM.JUMP24: {
        const addend = ((inPlace & 0xffffff) << 8) >> 6; // sign-extended imm24 * 4
        const own = offsetOf(s);
        const target = own ?? stubAt + stubbed.indexOf(s) * stubBytes;
        const delta = (target + addend - p) >> 2;
        if (delta < -(1 << 23) || delta >= 1 << 23) fail("IMAGE_RELOCATION", "branch out of range inside the image");
        mv.setUint32(p, ((inPlace & 0xff000000) | (delta & 0xffffff)) >>> 0, true);
        return;
      }
    }
    fail("IMAGE_RELOCATION", `unsupported arm relocation type ${type} against '${s.name}'`);
  }

  function relocateX64(type: number, p: number, s: ElfSymbol, addend: number): void {
    const own = offsetOf(s);
    switch (type) {
      case X64.NONE:
        return;
      case X64.R64:
        absolute(p, s, addend);
        return;
      case X64.PC32:
      case X64.PLT32: {
        const target = own ?? (type === X64.PLT32 ? stubAt + stubbed.indexOf(s) * stubBytes : fail("IMAGE_RELOCATION", `PC-relative data reference to firmware symbol '${s.name}'`));
        mv.setInt32(p, target + addend - p, true);
        return;
      }
      case X64.GOTPCREL:
      case X64.GOTPCRELX:
      case X64.REX_GOTPCRELX:
        mv.setInt32(p, gotAt + gotted.indexOf(s) * 8 + addend - p, true);
        return;
    }
    fail("IMAGE_RELOCATION", `unsupported x86_64 relocation type ${type} against '${s.name}'`);
  }

  const entry = syms.find((s) => s.name === input.entry && s.type === 2 && s.shndx !== 0);
  if (!entry) fail("IMAGE_INPUT", `entry function '${input.entry}' is not defined in the object`);
  image.entry = offsetOf(entry)!;

  for (const g of input.guards ?? []) {
    if (!Number.isInteger(g.expected) || g.expected < 0 || g.expected > 0xffffffff) fail("IMAGE_INPUT", `guard value ${g.expected} is not a 32-bit counter`);
    image.guards.push({ symbol: g.symbol === undefined ? SELF : importOf(g.symbol), address: g.address, expected: g.expected });
  }
  return image;
}

/** An undefined symbol "name+offset" / "name-offset" (a firmware object reached from an export, see scenario.ts firmwareStatics) is the export `name` with the offset added. */
function linkTarget(symbol: string): { name: string; offset: number } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)([+-])(\d+)$/.exec(symbol);
  if (!m) return { name: symbol, offset: 0 };
  return { name: m[1]!, offset: (m[2] === "-" ? -1 : 1) * Number(m[3]) };
}

function writeWord(v: DataView, offset: number, width: 4 | 8, value: number): void {
  if (width === 4) v.setUint32(offset, value >>> 0, true);
  else v.setBigUint64(offset, BigInt.asUintN(64, BigInt(value)), true);
}

/** The image's wire bytes, authenticated with the device's key. */
export async function encodeImage(image: CodeImage, key: Uint8Array): Promise<Uint8Array> {
  const body = encodeBody(image);
  const tag = await hmacSha256(key, body);
  const out = new Uint8Array(body.length + IMAGE_TAG_BYTES);
  out.set(body);
  out.set(tag, body.length);
  return out;
}

/** The image's bytes before the tag (exported for tests that craft defective images). */
export function encodeBody(image: CodeImage): Uint8Array {
  const names = new TextEncoder();
  const strtab: number[] = [];
  const nameOffsets = image.imports.map((n) => {
    const at = strtab.length;
    strtab.push(...names.encode(n), 0);
    return at;
  });
  const counts = [image.relocations.length, image.imports.length, image.guards.length, strtab.length];
  if (counts.some((c) => c > 0xffff)) fail("IMAGE_LIMIT", "more than 65535 relocations, imports, guards or string bytes");
  const size =
    IMAGE_HEADER_BYTES + image.memory.length + RELOCATION_BYTES * image.relocations.length + 2 * image.imports.length + GUARD_BYTES * image.guards.length + strtab.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode(IMAGE_MAGIC), 0);
  out[4] = IMAGE_VERSION;
  out[5] = IMAGE_TARGETS[image.target];
  out[6] = CALLS[image.call];
  out.set(image.buildId, 8);
  out.set(image.contextHash, 16);
  v.setUint32(24, image.memory.length, true);
  v.setUint32(28, image.bssSize, true);
  v.setUint32(32, image.entry, true);
  counts.forEach((c, i) => v.setUint16(36 + 2 * i, c, true));
  let at = IMAGE_HEADER_BYTES;
  out.set(image.memory, at);
  at += image.memory.length;
  for (const r of image.relocations) {
    v.setUint32(at, r.offset, true);
    v.setUint16(at + 4, r.symbol, true);
    v.setUint16(at + 6, r.type, true);
    at += RELOCATION_BYTES;
  }
  for (const o of nameOffsets) {
    v.setUint16(at, o, true);
    at += 2;
  }
  for (const g of image.guards) {
    v.setBigUint64(at, BigInt.asUintN(64, g.address), true);
    v.setUint16(at + 8, g.symbol, true);
    v.setUint32(at + 12, g.expected, true);
    at += GUARD_BYTES;
  }
  out.set(strtab, at);
  return out;
}

/** Parse and authenticate an image (the server's cache, tests); BespokeError on any defect. */
export async function decodeImage(bytes: Uint8Array, key: Uint8Array): Promise<CodeImage> {
  const bad = (message: string): never => fail("BAD_IMAGE", `malformed code image: ${message}`);
  if (bytes.length < IMAGE_HEADER_BYTES + IMAGE_TAG_BYTES) bad("shorter than header and tag");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== IMAGE_MAGIC) bad("no BSPI magic");
  if (bytes[4] !== IMAGE_VERSION) bad(`format version ${bytes[4]}`);
  const target = (Object.keys(IMAGE_TARGETS) as ImageTarget[]).find((t) => IMAGE_TARGETS[t] === bytes[5]) ?? bad(`unknown target ${bytes[5]}`);
  const call = (Object.keys(CALLS) as CallName[]).find((c) => CALLS[c] === bytes[6]) ?? bad(`unknown call ${bytes[6]}`);
  const memorySize = v.getUint32(24, true);
  const [nrel, nimp, ngu, nstr] = [36, 38, 40, 42].map((o) => v.getUint16(o, true)) as [number, number, number, number];
  const body = IMAGE_HEADER_BYTES + memorySize + RELOCATION_BYTES * nrel + 2 * nimp + GUARD_BYTES * ngu + nstr;
  if (body + IMAGE_TAG_BYTES !== bytes.length) bad(`header describes ${body + IMAGE_TAG_BYTES} bytes, image has ${bytes.length}`);
  const tag = await hmacSha256(key, bytes.subarray(0, body));
  if (tag.some((b, i) => b !== bytes[body + i])) fail("IMAGE_TAG", "code image tag does not verify with this device key");
  let at = IMAGE_HEADER_BYTES + memorySize;
  const relocations: ImageRelocation[] = [];
  for (let i = 0; i < nrel; i++, at += RELOCATION_BYTES) {
    relocations.push({ offset: v.getUint32(at, true), symbol: v.getUint16(at + 4, true), type: v.getUint16(at + 6, true) });
  }
  const nameOffsets: number[] = [];
  for (let i = 0; i < nimp; i++, at += 2) nameOffsets.push(v.getUint16(at, true));
  const guards: ImageGuard[] = [];
  for (let i = 0; i < ngu; i++, at += GUARD_BYTES) {
    guards.push({ address: v.getBigUint64(at, true), symbol: v.getUint16(at + 8, true), expected: v.getUint32(at + 12, true) });
  }
  const strtab = bytes.subarray(at, at + nstr);
  const imports = nameOffsets.map((o) => {
    const end = strtab.indexOf(0, o);
    if (o >= nstr || end < 0) bad(`import name at ${o} outside the string table`);
    return new TextDecoder().decode(strtab.subarray(o, end));
  });
  return {
    target,
    call,
    buildId: bytes.slice(8, 16),
    contextHash: bytes.slice(16, 24),
    memory: bytes.slice(IMAGE_HEADER_BYTES, IMAGE_HEADER_BYTES + memorySize),
    bssSize: v.getUint32(28, true),
    entry: v.getUint32(32, true),
    relocations,
    imports,
    guards,
  };
}

/** HMAC-SHA256 with WebCrypto (Node, browsers, workerd alike). */
export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  // WebCrypto takes ArrayBuffer-backed views only: copy out of shared memory.
  const k = await crypto.subtle.importKey("raw", key.slice(), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, data.slice()));
}

