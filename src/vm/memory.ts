// Guest memory: one WebAssembly.Memory (so it can be shared with workers or
// mirrored), guest address == offset in the memory, little-endian. RAM is the
// range [ramLo, ramHi); the MMIO window holds 4 KiB device pages. The CPU
// indexes the typed views directly on its fast path and calls `mmioRead` /
// `mmioWrite` only for addresses outside RAM.
import { BespokeError } from "../errors.ts";
import type { MmioDevice } from "./types.ts";

export const WASM_PAGE = 65536;
export const MMIO_BASE = 0xf000_0000;
export const MMIO_PAGE = 4096;
export const MMIO_PAGES = 256;

export interface MemoryOptions {
  /** Lowest RAM address (accesses below it fault: catches NULL). */
  ramLo: number;
  /** One past the highest RAM address; a multiple of 64 KiB. */
  ramHi: number;
  /** Use this memory instead of a fresh one (at least ramHi bytes, never grown). */
  memory?: WebAssembly.Memory;
}

export class VmMemory {
  readonly memory: WebAssembly.Memory;
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly i32: Int32Array;
  readonly ramLo: number;
  readonly ramHi: number;
  private readonly devices: (MmioDevice | undefined)[] = new Array(MMIO_PAGES);

  constructor(options: MemoryOptions) {
    const { ramLo, ramHi } = options;
    if (ramHi % WASM_PAGE !== 0 || ramHi <= ramLo || ramLo < 0 || ramHi > MMIO_BASE) {
      throw new BespokeError("VM_MEMORY", `bad RAM range 0x${ramLo.toString(16)}-0x${ramHi.toString(16)}: it must be below 0x${MMIO_BASE.toString(16)} and end on a 64 KiB boundary`);
    }
    this.memory = options.memory ?? new WebAssembly.Memory({ initial: ramHi / WASM_PAGE, maximum: ramHi / WASM_PAGE });
    const buffer = this.memory.buffer;
    if (buffer.byteLength < ramHi) throw new BespokeError("VM_MEMORY", `memory of ${buffer.byteLength} bytes is smaller than the RAM end 0x${ramHi.toString(16)}`);
    this.u8 = new Uint8Array(buffer);
    this.i8 = new Int8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.i16 = new Int16Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.ramLo = ramLo;
    this.ramHi = ramHi;
  }

  /** Put a device behind the 4 KiB page at `address` in the MMIO window. */
  mapDevice(address: number, device: MmioDevice): void {
    const page = (address - MMIO_BASE) / MMIO_PAGE;
    if (!Number.isInteger(page) || page < 0 || page >= MMIO_PAGES) throw new BespokeError("VM_MEMORY", `0x${address.toString(16)} is not an MMIO page address`);
    this.devices[page] = device;
  }

  isRam(address: number, length: number): boolean {
    return address >= this.ramLo && length >= 0 && address + length <= this.ramHi;
  }

  /** A word access to the MMIO window; null for a bad access (no device, bad offset, misaligned). */
  mmioRead(address: number): number | null {
    const device = this.deviceAt(address);
    return device ? device.read((address >>> 0) % MMIO_PAGE) : null;
  }

  mmioWrite(address: number, value: number): boolean {
    const device = this.deviceAt(address);
    return device ? device.write((address >>> 0) % MMIO_PAGE, value) : false;
  }

  private deviceAt(address: number): MmioDevice | undefined {
    const a = address >>> 0;
    if (a < MMIO_BASE || a & 3) return undefined;
    return this.devices[((a - MMIO_BASE) / MMIO_PAGE) | 0];
  }

  writeBytes(address: number, bytes: Uint8Array): void {
    if (!this.isRam(address, bytes.length)) throw new BespokeError("VM_MEMORY", `cannot write ${bytes.length} bytes at 0x${address.toString(16)}: outside RAM`);
    this.u8.set(bytes, address);
  }

  readBytes(address: number, length: number): Uint8Array {
    if (!this.isRam(address, length)) throw new BespokeError("VM_MEMORY", `cannot read ${length} bytes at 0x${address.toString(16)}: outside RAM`);
    return this.u8.slice(address, address + length);
  }
}
