// The one memory interface of the static evaluator. Every static read and
// write goes through a MemoryStore of objects (globals, the specialized
// code's own locals, context data, and device memory reached by absolute
// address). Device memory is served by a DeviceMemory: tests use a plain
// image of regions; the customization table plugs in behind the same
// interface.
import { BespokeError } from "../errors.ts";
import type { Symbol } from "../c/ast.ts";
import type { MemoryRegion } from "./scenario.ts";

/** Device memory as the specializer sees it: read-only bytes by absolute address. */
export interface DeviceMemory {
  /** `size` bytes at `address`, or null when any of them is outside the memory provided. */
  read(address: number, size: number): Uint8Array | null;
  /** The region [base, base + size) holding `address`, or null. */
  regionOf(address: number): { base: number; size: number } | null;
}

/** A plain in-memory image of regions (tests, and contexts given as hex). */
export class ImageMemory implements DeviceMemory {
  private regions: { base: number; bytes: Uint8Array }[];
  constructor(regions: MemoryRegion[]) {
    this.regions = regions.map((r) => ({ base: r.base, bytes: Uint8Array.from(r.hex.match(/../g) ?? [], (h) => parseInt(h, 16)) }));
  }
  read(address: number, size: number): Uint8Array | null {
    for (const r of this.regions) {
      if (address >= r.base && address + size <= r.base + r.bytes.length) return r.bytes.slice(address - r.base, address - r.base + size);
    }
    return null;
  }
  regionOf(address: number): { base: number; size: number } | null {
    for (const r of this.regions) if (address >= r.base && address < r.base + r.bytes.length) return { base: r.base, size: r.bytes.length };
    return null;
  }
}

/** A static pointer: into object `obj` at byte `off`, or (obj = -1) an absolute address (null is 0). */
export interface PtrValue {
  k: "ptr";
  obj: number;
  off: number;
}
/** A static function pointer. */
export interface FnValue {
  k: "fn";
  sym: Symbol;
}
export type PointerValue = PtrValue | FnValue;

export type ObjectKind = "global" | "local" | "context" | "string" | "device";

/**
 * One object of static memory. `known[i]` says byte i has a static value in
 * `bytes` (else the residual program holds it); pointers live in `ptrs` at
 * their offset (their bytes are known but meaningless). `dirty[i]` marks
 * static bytes the residual copy does not have yet.
 */
export interface MemObject {
  id: number;
  kind: ObjectKind;
  name: string;
  size: number;
  bytes: Uint8Array;
  known: Uint8Array;
  dirty: Uint8Array;
  ptrs: Map<number, PointerValue>;
  /** The global this object is, for kind "global". */
  sym?: Symbol;
  /** Absolute base address, for kind "device". */
  base?: number;
  /** Writes update only the static view (the specialized code owns it); else they are also residual stores. */
  owned: boolean;
  /** Dynamic code may reach it: it is fully dynamic for good. */
  escaped: boolean;
  /**
   * Copy-on-write: the token of the store that may change it in place; any
   * other store holding it copies it before a write (`MemoryStore.mutable`).
   * NO_OWNER until added to a store; FROZEN when no store may change it.
   */
  owner: number;
  /**
   * A number its user gave its static contents (specialize.ts memoizes
   * states on them), valid while `numberedBy` is that user's token and the
   * object does not change: `MemoryStore.add`, `mutable` and `escape` clear
   * it, and the store's copies start without one.
   */
  contentsNumber: number;
  numberedBy: number;
  /** Some byte is dirty, as its user found when numbering its contents (valid as `contentsNumber` is). */
  dirtyBytes: boolean;
}

/** `MemObject.numberedBy` of an object whose contents have no number. */
export const UNNUMBERED = 0;

/** The owner of an object in no store yet: the first store it is added to owns it. */
export const NO_OWNER = 0;
/** The owner of an object no store changes in place. */
export const FROZEN = -1;
let nextToken = 1;

/** The objects of one specialization state; cloned (copy-on-write) at dynamic branches. */
export class MemoryStore {
  /**
   * Its user's number for the store's static contents (specialize.ts memoizes
   * states on it; a store serves one specialization), kept until the store
   * changes: every write goes through `mutable`, and objects come and go
   * through `add` and `remove`.
   */
  contentKey: number | undefined = undefined;
  /** The objects' ids in ascending order, kept until an object is added or removed (forks inherit them). */
  private ids: number[] | undefined = undefined;
  /**
   * The device objects' ids and address ranges, kept until a device object
   * is added or removed (forks inherit them): the specialized code's locals
   * come and go on every call, device objects seldom.
   */
  private devices: { id: number; base: number; end: number }[] | undefined = undefined;
  /** Objects carrying this token are this store's alone; a fork gives both stores new tokens, so everything they held before is shared (frozen). */
  private token = nextToken++;

  private constructor(
    private map: Map<number, MemObject>,
    readonly device: DeviceMemory,
    /** The map is this store's alone; else it is shared with forks, and copied before it changes. */
    private ownsMap: boolean,
    /** Escaped objects by id, shared by a store and its forks: what `escape` puts in place of an object the store does not own (one escaped object is any other with its id). */
    private escaped: Map<number, MemObject>,
    /**
     * Numbers its user gave facts that, once true of a store, stay true in
     * it and its forks (specialize.ts: a partially static struct's dynamic
     * fields are unknown in device memory).
     */
    private lasting: Set<number>,
    /** `lasting` is this store's alone; else it is shared with forks, and copied before it changes. */
    private ownsLasting: boolean,
  ) {}

  static empty(device: DeviceMemory): MemoryStore {
    return new MemoryStore(new Map(), device, true, new Map(), new Set(), true);
  }

  /** The objects by id (change them through `add`, `remove` and `mutable`). */
  get objects(): ReadonlyMap<number, MemObject> {
    return this.map;
  }

  fork(): MemoryStore {
    this.token = nextToken++;
    this.ownsMap = false;
    this.ownsLasting = false;
    const copy = new MemoryStore(this.map, this.device, false, this.escaped, this.lasting, false);
    copy.contentKey = this.contentKey;
    copy.ids = this.ids;
    copy.devices = this.devices;
    return copy;
  }

  /** Whether fact `fact` (`lasting`) was noted in this store or before its fork. */
  holds(fact: number): boolean {
    return this.lasting.has(fact);
  }

  /** Note that fact `fact` (`lasting`) is true of this store. */
  note(fact: number): void {
    if (!this.ownsLasting) {
      this.lasting = new Set(this.lasting);
      this.ownsLasting = true;
    }
    this.lasting.add(fact);
  }

  /** The objects' ids in ascending order. */
  sortedIds(): readonly number[] {
    return (this.ids ??= [...this.map.keys()].sort((a, b) => a - b));
  }

  private ownMap(): Map<number, MemObject> {
    if (!this.ownsMap) {
      // entry by entry: cheaper than the Map constructor's walk of an iterator
      const copy = new Map<number, MemObject>();
      this.map.forEach((o, id) => copy.set(id, o));
      this.map = copy;
      this.ownsMap = true;
    }
    return this.map;
  }

  get(id: number): MemObject {
    const o = this.objects.get(id);
    if (!o) throw new BespokeError("SPECIALIZER_BUG", `static object ${id} is not in the state`);
    return o;
  }

  /** The object for writing: a private copy when it is shared with another state. */
  mutable(id: number): MemObject {
    const o = this.get(id);
    this.contentKey = undefined;
    if (o.owner === this.token) {
      o.numberedBy = UNNUMBERED;
      return o;
    }
    const copy = withContents(o, o.bytes.slice(), o.known.slice(), o.dirty.slice(), o.ptrs.size > 0 ? new Map(o.ptrs) : new Map(), o.escaped, this.token);
    this.ownMap().set(id, copy);
    return copy;
  }

  /**
   * Make an object dynamic for good (escaped: nothing in it is static any
   * more). A shared object is replaced by the escaped object of its id,
   * which keeps the bytes of the first store it escaped in: no one reads
   * them once it has escaped, and nothing changes it (FROZEN).
   */
  escape(id: number): void {
    const o = this.get(id);
    this.contentKey = undefined;
    if (o.owner === this.token) {
      o.numberedBy = UNNUMBERED;
      o.escaped = true;
      o.known.fill(0);
      o.dirty.fill(0);
      o.ptrs.clear();
      return;
    }
    let gone = this.escaped.get(id);
    if (!gone) this.escaped.set(id, (gone = withContents(o, o.bytes, new Uint8Array(o.size), new Uint8Array(o.size), new Map(), true, FROZEN)));
    this.ownMap().set(id, gone);
  }

  add(o: MemObject): void {
    if (o.owner === NO_OWNER) o.owner = this.token;
    o.numberedBy = UNNUMBERED;
    this.ownMap().set(o.id, o);
    this.contentKey = undefined;
    this.ids = undefined;
    if (o.kind === "device") this.devices = undefined;
  }

  remove(id: number): void {
    if (this.map.get(id)?.kind === "device") this.devices = undefined;
    this.ownMap().delete(id);
    this.contentKey = undefined;
    this.ids = undefined;
  }

  /** The device object covering an absolute address (created on first use), or an error naming the address. */
  deviceObject(address: number, nextId: () => number, what: string): MemObject {
    const o = this.deviceObjectAt(address, nextId);
    if (!o) throw new BespokeError("POINTER_OUTSIDE_MEMORY", `${what}: static pointer 0x${address.toString(16)} is outside the device memory provided by the context`);
    return o;
  }

  /** The device object covering an absolute address (created on first use); null when the device memory provided has nothing there. */
  deviceObjectAt(address: number, nextId: () => number): MemObject | null {
    this.devices ??= [...this.map.values()].filter((o) => o.kind === "device").map((o) => ({ id: o.id, base: o.base!, end: o.base! + o.size }));
    for (const d of this.devices) if (d.base <= address && address < d.end) return this.map.get(d.id)!;
    const region = this.device.regionOf(address);
    if (!region) return null;
    const bytes = this.device.read(region.base, region.size)!;
    const o: MemObject = {
      id: nextId(),
      kind: "device",
      name: `dev_${region.base.toString(16)}`,
      size: region.size,
      bytes,
      known: new Uint8Array(region.size).fill(1),
      dirty: new Uint8Array(region.size),
      ptrs: new Map(),
      sym: undefined,
      base: region.base,
      owned: false,
      escaped: false,
      owner: NO_OWNER,
      contentsNumber: 0,
      numberedBy: UNNUMBERED,
      dirtyBytes: false,
    };
    this.add(o);
    return o;
  }
}

/** A fresh object whose bytes are all static zero and clean. */
export function newObject(id: number, kind: ObjectKind, name: string, size: number, owned: boolean): MemObject {
  return {
    id,
    kind,
    name,
    size,
    bytes: new Uint8Array(size),
    known: new Uint8Array(size).fill(1),
    dirty: new Uint8Array(size),
    ptrs: new Map(),
    sym: undefined,
    base: undefined,
    owned,
    escaped: false,
    owner: NO_OWNER,
    contentsNumber: 0,
    numberedBy: UNNUMBERED,
    dirtyBytes: false,
  };
}

/**
 * `o` with other contents. Every object of the store has this one shape
 * (fields in this order, `sym` and `base` present even when undefined):
 * the specializer's accesses to objects stay monomorphic, and copying them
 * field by field is cheaper than a spread.
 */
function withContents(o: MemObject, bytes: Uint8Array, known: Uint8Array, dirty: Uint8Array, ptrs: Map<number, PointerValue>, escaped: boolean, owner: number): MemObject {
  return { id: o.id, kind: o.kind, name: o.name, size: o.size, bytes, known, dirty, ptrs, sym: o.sym, base: o.base, owned: o.owned, escaped, owner, contentsNumber: 0, numberedBy: UNNUMBERED, dirtyBytes: false };
}

/** Little-endian integer of `size` bytes. */
export function readInt(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]!);
  return v;
}

export function writeInt(bytes: Uint8Array, off: number, size: number, value: bigint): void {
  let v = BigInt.asUintN(size * 8, value);
  for (let i = 0; i < size; i++) {
    bytes[off + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function readFloat(bytes: Uint8Array, off: number, size: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, size);
  return size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true);
}

export function writeFloat(bytes: Uint8Array, off: number, size: number, value: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, size);
  if (size === 4) view.setFloat32(0, value, true);
  else view.setFloat64(0, value, true);
}
