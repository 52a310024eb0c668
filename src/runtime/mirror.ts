// The customization table (the paper's server context manager): copies of
// device memory in a WebAssembly.Memory, found by hashing the device address.
// Storage is line-granular. A read of bytes not yet mirrored throws a
// MirrorMiss naming every missing line in the range; `ensure` turns a set of
// misses into ONE fetch round trip to the device (lines coalesced into
// ranges), which is what the paper counts as chi.
//
// The table also remembers which device-provided bytes were read, so the
// server can key its image cache by a digest of every value a specialization
// depended on. Bytes the specializer wrote itself (owned state) are not device
// values: reads of them are not recorded, and a later fetch never overwrites
// them.
import { BespokeError } from "../errors.ts";
import type { DeviceMemory } from "../specializer/memory.ts";

export interface AddressRange {
  /** Device address (a non-negative safe integer: 32-bit on arm, up to 2^53 on x86_64). */
  addr: number;
  length: number;
}

/**
 * One round trip to the device: the bytes of each range, in order. When the
 * device refuses some ranges it rejects, with a FetchRefused (the blocks it
 * did answer) or any BespokeError DEVICE_REFUSED.
 */
export type FetchFromDevice = (ranges: AddressRange[]) => Promise<Uint8Array[]>;

/** The device refused some ranges of a round trip; `blocks` holds the answers to the others (null where refused). */
export class FetchRefused extends BespokeError {
  constructor(
    message: string,
    readonly blocks: (Uint8Array | null)[],
  ) {
    super("DEVICE_REFUSED", message);
  }
}

export interface MirrorOptions {
  /** Storage and fetch granule, a power of two from 16 (line) to 4096 (page). Default 64. */
  lineBytes?: number;
  /** Most device bytes the table holds (whole lines); beyond it a fill fails with MIRROR_FULL. Default 1 MiB. */
  maxBytes?: number;
  /** Highest device address + 1: 2^32 for 32-bit targets. Default 2^32. */
  addressLimit?: number;
  /**
   * Lines after each missed run that `ensure` fetches in the same round trip
   * when they are not known yet (an object straddling a line boundary, the
   * next element of a table): speculative, so the device may refuse them at
   * no cost. Default 0.
   */
  prefetchLines?: number;
}

export interface MirrorStats {
  /** Round trips made by `ensure` (the paper's chi, for memory). */
  fetches: number;
  /** Bytes received from the device in those round trips. */
  fetchedBytes: number;
  /** Lines present in the table. */
  lines: number;
}

/** A read of device memory the table does not hold yet. Thrown by `read`; `ensure(miss.wanted)` resolves it. */
export class MirrorMiss extends BespokeError {
  constructor(
    /** The bytes the read needed. */
    readonly wanted: AddressRange[],
    /** The whole lines holding the unknown ones: what one round trip fetches. */
    readonly ranges: AddressRange[],
  ) {
    super("MIRROR_MISS", `device memory not in the customization table: ${formatRanges(ranges)}`);
  }
}

const INDEX_ENTRY_BYTES = 16; // tag (line number) lo, hi, slot + 1 (0 = empty), unused
const WASM_PAGE = 65536;
const GOLDEN = 0x9e3779b1;

/**
 * Memory layout: [hash index][slot 0][slot 1]... A slot is
 * [data: L][origin: L][valid: L/8][written: L/8][read: L/8], where `data` is
 * what the specializer sees, `origin` what the device sent, `valid` which
 * bytes of `data` are known, `written` which the specializer wrote, `read`
 * which device-origin bytes were read.
 */
export class CustomizationTable {
  readonly memory: WebAssembly.Memory;
  readonly lineBytes: number;
  readonly maxBytes: number;
  readonly addressLimit: number;
  readonly prefetchLines: number;
  private readonly maskBytes: number;
  private readonly slotBytes: number;
  private readonly indexCapacity: number;
  private readonly indexShift: number;
  private readonly slotsBase: number;
  private slotCount = 0;
  /** The line each slot holds, by slot (the index only answers line -> slot). */
  private readonly slotLines: number[] = [];
  private fetches = 0;
  private fetchedBytes = 0;

  constructor(options: MirrorOptions = {}) {
    this.lineBytes = options.lineBytes ?? 64;
    this.maxBytes = options.maxBytes ?? 1 << 20;
    this.addressLimit = options.addressLimit ?? 2 ** 32;
    this.prefetchLines = options.prefetchLines ?? 0;
    const l = this.lineBytes;
    if (!Number.isInteger(this.prefetchLines) || this.prefetchLines < 0 || this.prefetchLines > 64) {
      throw new BespokeError("BAD_MIRROR_OPTIONS", `prefetchLines must be an integer from 0 to 64, not ${this.prefetchLines}`);
    }
    if (!Number.isInteger(l) || l < 16 || l > 4096 || (l & (l - 1)) !== 0) {
      throw new BespokeError("BAD_MIRROR_OPTIONS", `lineBytes must be a power of two from 16 to 4096, not ${l}`);
    }
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < l) {
      throw new BespokeError("BAD_MIRROR_OPTIONS", `maxBytes must be at least one line (${l}), not ${this.maxBytes}`);
    }
    this.maskBytes = l / 8;
    this.slotBytes = 2 * l + 3 * this.maskBytes;
    const maxLines = Math.ceil(this.maxBytes / l);
    this.indexCapacity = 2 ** Math.max(4, Math.ceil(Math.log2(maxLines * 2)));
    this.indexShift = 32 - Math.log2(this.indexCapacity);
    this.slotsBase = this.indexCapacity * INDEX_ENTRY_BYTES;
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.slotsBase / WASM_PAGE) + 1 });
  }

  stats(): MirrorStats {
    return { fetches: this.fetches, fetchedBytes: this.fetchedBytes, lines: this.slotCount };
  }

  /** Bytes at [addr, addr+length) as the specializer sees them; throws MirrorMiss unless every byte is known. */
  read(addr: number, length: number): Uint8Array {
    this.checkRange(addr, length);
    const missing = this.missing([{ addr, length }]);
    if (missing.length) throw new MirrorMiss([{ addr, length }], missing);
    const out = new Uint8Array(length);
    const bytes = this.bytes();
    this.forEachLinePart(addr, length, (line, offset, start, count) => {
      const slot = this.slotAddress(this.lookup(line));
      out.set(bytes.subarray(slot + start, slot + start + count), offset);
      const written = slot + 2 * this.lineBytes + this.maskBytes;
      const read = written + this.maskBytes;
      for (let i = start; i < start + count; i++) {
        if (!testBit(bytes, written, i)) setBit(bytes, read, i);
      }
    });
    return out;
  }

  /** The specializer's own write (owned device state): changes what later reads see, never the device. */
  write(addr: number, data: Uint8Array): void {
    this.checkRange(addr, data.length);
    this.forEachLinePart(addr, data.length, (line, offset, start, count) => {
      const slot = this.slotAddress(this.lookupOrInsert(line));
      const bytes = this.bytes(); // after the insert: growing the memory detaches old views
      bytes.set(data.subarray(offset, offset + count), slot + start);
      const valid = slot + 2 * this.lineBytes;
      for (let i = start; i < start + count; i++) {
        setBit(bytes, valid, i);
        setBit(bytes, valid + this.maskBytes, i);
      }
    });
  }

  /** Device-provided bytes (from the context, a one-shot request, or a DATA answer). */
  fill(addr: number, data: Uint8Array): void {
    this.checkRange(addr, data.length);
    this.forEachLinePart(addr, data.length, (line, offset, start, count) => {
      const slot = this.slotAddress(this.lookupOrInsert(line));
      const bytes = this.bytes(); // after the insert: growing the memory detaches old views
      const origin = slot + this.lineBytes;
      const valid = origin + this.lineBytes;
      const written = valid + this.maskBytes;
      bytes.set(data.subarray(offset, offset + count), origin + start);
      for (let i = start; i < start + count; i++) {
        if (!testBit(bytes, written, i)) bytes[slot + i] = bytes[origin + i]!;
        setBit(bytes, valid, i);
      }
    });
  }

  /** The bytes of `ranges` the table does not know, coalesced. */
  missingBytes(ranges: AddressRange[]): AddressRange[] {
    const out: AddressRange[] = [];
    const bytes = this.bytes();
    for (const { addr, length } of [...ranges].sort((a, b) => a.addr - b.addr)) {
      this.checkRange(addr, length);
      this.forEachLinePart(addr, length, (line, offset, start, count) => {
        const slot = this.lookup(line);
        const valid = slot < 0 ? -1 : this.slotAddress(slot) + 2 * this.lineBytes;
        for (let i = 0; i < count; i++) {
          if (valid >= 0 && testBit(bytes, valid, start + i)) continue;
          const a = addr + offset + i;
          const last = out[out.length - 1];
          if (last && last.addr + last.length === a) last.length++;
          else if (!last || last.addr + last.length < a) out.push({ addr: a, length: 1 });
        }
      });
    }
    return out;
  }

  /** Whole lines, coalesced into ranges, that hold a byte of `ranges` the table does not know. */
  missing(ranges: AddressRange[]): AddressRange[] {
    const lines = new Set<number>();
    const bytes = this.bytes();
    for (const { addr, length } of ranges) {
      this.checkRange(addr, length);
      this.forEachLinePart(addr, length, (line, _offset, start, count) => {
        const slot = this.lookup(line);
        if (slot < 0) {
          lines.add(line);
          return;
        }
        const valid = this.slotAddress(slot) + 2 * this.lineBytes;
        for (let i = start; i < start + count; i++) {
          if (!testBit(bytes, valid, i)) {
            lines.add(line);
            return;
          }
        }
      });
    }
    return this.coalesce([...lines].sort((a, b) => a - b));
  }

  /**
   * Make every byte of `ranges` known: one round trip for the whole lines
   * holding them (plus `prefetchLines` unknown lines after each run, which
   * the device may refuse); if the device refuses a needed line (one
   * reaching into memory it does not expose), a second one for exactly the
   * bytes still missing.
   */
  async ensure(ranges: AddressRange[], fetch: FetchFromDevice): Promise<void> {
    const lines = this.missing(ranges);
    if (lines.length === 0) return;
    try {
      await this.fetchInto(lines, fetch, this.linesAhead(lines));
    } catch (e) {
      const exact = this.missingBytes(ranges);
      const same = exact.length === lines.length && exact.every((r, i) => r.addr === lines[i]!.addr && r.length === lines[i]!.length);
      if (!(e instanceof BespokeError) || e.code !== "DEVICE_REFUSED" || same) throw e;
      if (exact.length) await this.fetchInto(exact, fetch);
    }
  }

  /**
   * Make exactly the bytes of `ranges` known, in one round trip for those
   * missing: for ranges known to be readable on the device (a recipe's read
   * set), where whole lines might reach into memory it refuses.
   */
  async ensureExact(ranges: AddressRange[], fetch: FetchFromDevice): Promise<void> {
    const exact = this.missingBytes(ranges);
    if (exact.length) await this.fetchInto(exact, fetch);
  }

  /**
   * One round trip for the bytes of `ranges` the table does not know, all
   * speculative (e.g. what earlier requests read): what the device refuses
   * stays unknown and costs nothing more.
   */
  async prefetch(ranges: AddressRange[], fetch: FetchFromDevice): Promise<void> {
    const missing = this.missingBytes(ranges);
    if (missing.length === 0) return;
    try {
      await this.fetchInto([], fetch, missing);
    } catch (e) {
      if (!(e instanceof BespokeError) || e.code !== "DEVICE_REFUSED") throw e;
    }
  }

  /** Up to `prefetchLines` whole lines after each run of `lines` that the table does not know, inside the address space. */
  private linesAhead(lines: AddressRange[]): AddressRange[] {
    const out: AddressRange[] = [];
    for (const run of lines) {
      for (let k = 0; k < this.prefetchLines; k++) {
        const addr = run.addr + run.length + k * this.lineBytes;
        if (addr + this.lineBytes > this.addressLimit) break;
        const line = { addr, length: this.lineBytes };
        if (lines.some((r) => r.addr <= addr && addr < r.addr + r.length) || this.missing([line]).length === 0) break;
        out.push(line);
      }
    }
    return out;
  }

  /**
   * One round trip: fetch `need` (and `extra`, which the device may refuse)
   * and fill in every answer, after checking it. Fails when a range of
   * `need` was refused or an answer is malformed.
   */
  private async fetchInto(need: AddressRange[], fetch: FetchFromDevice, extra: AddressRange[] = []): Promise<void> {
    const ranges = [...need, ...extra];
    const askBytes = ranges.reduce((n, r) => n + r.length, 0);
    if (this.slotCount * this.lineBytes + askBytes > this.maxBytes) {
      throw new BespokeError(
        "MIRROR_FULL",
        `fetching ${askBytes} more bytes (${formatRanges(ranges)}) would exceed the customization table's ${this.maxBytes}-byte limit`,
      );
    }
    this.fetches++;
    let answers: (Uint8Array | null)[];
    let refused: FetchRefused | null = null;
    try {
      answers = await fetch(ranges);
    } catch (e) {
      if (!(e instanceof FetchRefused) || e.blocks.length !== ranges.length) throw e;
      refused = e;
      answers = e.blocks;
    }
    if (!Array.isArray(answers) || answers.length !== ranges.length) {
      throw new BespokeError("BAD_DATA", `the device answered ${Array.isArray(answers) ? answers.length : "no"} blocks for ${ranges.length} requested ranges`);
    }
    ranges.forEach((range, i) => {
      const block = answers[i];
      if (block === null && refused) return;
      if (!(block instanceof Uint8Array) || block.length !== range.length) {
        throw new BespokeError(
          "BAD_DATA",
          `the device answered ${block instanceof Uint8Array ? block.length : "no"} bytes for ${formatRanges([range])} (${range.length} requested)`,
        );
      }
    });
    ranges.forEach((range, i) => {
      const block = answers[i];
      if (!block) return;
      this.fill(range.addr, block);
      this.fetchedBytes += range.length;
    });
    if (refused && answers.slice(0, need.length).some((b) => b === null)) throw refused;
  }

  /** Exact byte ranges of device-provided values read so far, ascending and coalesced. */
  readSet(): AddressRange[] {
    const out: AddressRange[] = [];
    const bytes = this.bytes();
    for (const { line, slot } of this.sortedLines()) {
      const read = this.slotAddress(slot) + 2 * this.lineBytes + 2 * this.maskBytes;
      for (let i = 0; i < this.lineBytes; i++) {
        if ((i & 7) === 0 && bytes[read + (i >> 3)] === 0) {
          i += 7; // a mask byte with no byte read
          continue;
        }
        if (!testBit(bytes, read, i)) continue;
        const addr = line * this.lineBytes + i;
        const last = out[out.length - 1];
        if (last && last.addr + last.length === addr) last.length++;
        else out.push({ addr, length: 1 });
      }
    }
    return out;
  }

  /** The device-provided values of `ranges` (which must be known), concatenated. */
  originValues(ranges: AddressRange[]): Uint8Array {
    const missing = this.missing(ranges);
    if (missing.length) throw new MirrorMiss(ranges, missing);
    const total = ranges.reduce((n, r) => n + r.length, 0);
    const out = new Uint8Array(total);
    const bytes = this.bytes();
    let at = 0;
    for (const { addr, length } of ranges) {
      this.forEachLinePart(addr, length, (line, offset, start, count) => {
        const origin = this.slotAddress(this.lookup(line)) + this.lineBytes;
        out.set(bytes.subarray(origin + start, origin + start + count), at + offset);
      });
      at += length;
    }
    return out;
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  private checkRange(addr: number, length: number): void {
    if (!Number.isSafeInteger(addr) || addr < 0 || !Number.isSafeInteger(length) || length < 0 || addr + length > this.addressLimit) {
      throw new BespokeError(
        "BAD_ADDRESS",
        `device range at ${String(addr)} of ${String(length)} bytes is outside the device's address space (limit 0x${this.addressLimit.toString(16)})`,
      );
    }
  }

  private forEachLinePart(addr: number, length: number, visit: (line: number, offset: number, start: number, count: number) => void): void {
    let offset = 0;
    while (offset < length) {
      const a = addr + offset;
      const line = Math.floor(a / this.lineBytes);
      const start = a - line * this.lineBytes;
      const count = Math.min(this.lineBytes - start, length - offset);
      visit(line, offset, start, count);
      offset += count;
    }
  }

  private coalesce(lines: number[]): AddressRange[] {
    const out: AddressRange[] = [];
    for (const line of lines) {
      const addr = line * this.lineBytes;
      const last = out[out.length - 1];
      if (last && last.addr + last.length === addr) last.length += this.lineBytes;
      else out.push({ addr, length: this.lineBytes });
    }
    return out;
  }

  private hash(line: number): number {
    const lo = line >>> 0;
    const hi = Math.floor(line / 2 ** 32) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, GOLDEN), GOLDEN) >>> this.indexShift;
  }

  /** Slot number of `line`, or -1. */
  private lookup(line: number): number {
    const index = new Uint32Array(this.memory.buffer, 0, this.indexCapacity * 4);
    const lo = line >>> 0;
    const hi = Math.floor(line / 2 ** 32) >>> 0;
    for (let h = this.hash(line); ; h = (h + 1) & (this.indexCapacity - 1)) {
      const e = h * 4;
      if (index[e + 2] === 0) return -1;
      if (index[e] === lo && index[e + 1] === hi) return index[e + 2]! - 1;
    }
  }

  private lookupOrInsert(line: number): number {
    const found = this.lookup(line);
    if (found >= 0) return found;
    if ((this.slotCount + 1) * this.lineBytes > this.maxBytes) {
      throw new BespokeError(
        "MIRROR_FULL",
        `device line at 0x${(line * this.lineBytes).toString(16)} would exceed the customization table's ${this.maxBytes}-byte limit`,
      );
    }
    const slot = this.slotCount++;
    const end = this.slotAddress(slot) + this.slotBytes;
    if (end > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((end - this.memory.buffer.byteLength) / WASM_PAGE));
    const index = new Uint32Array(this.memory.buffer, 0, this.indexCapacity * 4);
    let h = this.hash(line);
    while (index[h * 4 + 2] !== 0) h = (h + 1) & (this.indexCapacity - 1);
    index[h * 4] = line >>> 0;
    index[h * 4 + 1] = Math.floor(line / 2 ** 32) >>> 0;
    index[h * 4 + 2] = slot + 1;
    this.slotLines.push(line);
    return slot;
  }

  private slotAddress(slot: number): number {
    return this.slotsBase + slot * this.slotBytes;
  }

  private sortedLines(): { line: number; slot: number }[] {
    return this.slotLines.map((line, slot) => ({ line, slot })).sort((a, b) => a.line - b.line);
  }
}

function testBit(bytes: Uint8Array, base: number, i: number): boolean {
  return (bytes[base + (i >> 3)]! & (1 << (i & 7))) !== 0;
}

function setBit(bytes: Uint8Array, base: number, i: number): void {
  bytes[base + (i >> 3)]! |= 1 << (i & 7);
}

export function formatRanges(ranges: AddressRange[]): string {
  const shown = ranges.slice(0, 4).map((r) => `0x${r.addr.toString(16)}+${r.length}`);
  return ranges.length > 4 ? `${shown.join(", ")} and ${ranges.length - 4} more` : shown.join(", ");
}

/**
 * SHA-256 over the device values a specialization read: for each range,
 * address (8 bytes LE), length (4 bytes LE), then the values. Two runs with
 * equal digests read the same values at the same addresses.
 */
export async function digestValues(ranges: AddressRange[], values: Uint8Array): Promise<Uint8Array> {
  const total = values.length + ranges.length * 12;
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  let at = 0;
  let from = 0;
  for (const { addr, length } of ranges) {
    view.setUint32(at, addr >>> 0, true);
    view.setUint32(at + 4, Math.floor(addr / 2 ** 32), true);
    view.setUint32(at + 8, length, true);
    buf.set(values.subarray(from, from + length), at + 12);
    at += 12 + length;
    from += length;
  }
  if (from !== values.length) {
    throw new BespokeError("BAD_DIGEST_INPUT", `${values.length} value bytes for ranges totalling ${from} bytes`);
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", buf));
}

/**
 * The customization table as the specializer's device memory. The
 * specializer makes one static object per region and reads it whole, so
 * regions are small (16 bytes by default: every naturally aligned scalar
 * lies inside one) to keep the set of values read, and thus the image cache
 * key, close to what the code really used. A region not mirrored yet throws
 * MirrorMiss; the whole line is then fetched.
 */
export class MirrorDeviceMemory implements DeviceMemory {
  constructor(
    readonly table: CustomizationTable,
    readonly regionBytes = 16,
  ) {
    if (!Number.isInteger(regionBytes) || regionBytes < 1 || regionBytes > table.lineBytes || table.lineBytes % regionBytes !== 0) {
      throw new BespokeError("BAD_MIRROR_OPTIONS", `regionBytes must divide the table's ${table.lineBytes}-byte lines, not ${regionBytes}`);
    }
  }

  read(address: number, size: number): Uint8Array | null {
    if (!this.inside(address, size)) return null;
    return this.table.read(address, size);
  }

  /**
   * The aligned region holding `address`; when only part of it is known
   * (memory the device sent with its request, e.g. a struct file root, need
   * not start or end on a region boundary), the known bytes around `address`
   * within it: reads inside the sent object then need no round trip for its
   * neighbours. The known set only changes between runs of the specializer,
   * so within a run one address always gets the same region.
   */
  regionOf(address: number): { base: number; size: number } | null {
    if (!this.inside(address, 1)) return null;
    const aligned = address - (address % this.regionBytes);
    const alignedSize = Math.min(this.regionBytes, this.table.addressLimit - aligned);
    const unknown = this.table.missingBytes([{ addr: aligned, length: alignedSize }]);
    if (unknown.length === 0) return { base: aligned, size: alignedSize };
    if (unknown.some((r) => r.addr <= address && address < r.addr + r.length)) {
      throw new MirrorMiss([{ addr: aligned, length: alignedSize }], this.table.missing([{ addr: aligned, length: alignedSize }]));
    }
    let base = aligned;
    let end = aligned + alignedSize;
    for (const r of unknown) {
      if (r.addr + r.length <= address) base = Math.max(base, r.addr + r.length);
      else end = Math.min(end, r.addr);
    }
    return { base, size: end - base };
  }

  private inside(address: number, size: number): boolean {
    return Number.isSafeInteger(address) && address >= 0 && size >= 0 && address + size <= this.table.addressLimit;
  }
}
