// The channel protocol between a device and its customization server
// (docs/protocol.md): the message types, then the binary codec. Runtime-
// independent (no Node, Workers or DOM imports). The device side is
// firmware/custom/channel.c; test/runtime/vectors/ holds bytes both check.
import { BespokeError } from "../errors.ts";

export const PROTOCOL_VERSION = 1;
export const FRAME_HEADER_BYTES = 12;
/** One board mailbox message. */
export const MAX_FRAME_BYTES = 65536;
export const MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;

/** The request id in a frame's header (0 for a frame too short to have one). */
export function frameRequest(frame: Uint8Array): number {
  return frame.length >= FRAME_HEADER_BYTES ? new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(4, true) : 0;
}

export const MESSAGE_CODES = {
  customize: 1,
  fetch: 2,
  data: 3,
  call: 4,
  result: 5,
  image: 6,
  error: 7,
  cancel: 8,
} as const;
export type MessageType = keyof typeof MESSAGE_CODES;

/** Customizable calls (firmware/custom/bespoke.h BSP_CALL_*). */
export const CALLS = { sendto: 1, send: 2 } as const;
export type CallName = keyof typeof CALLS;

/** CPUs code images exist for (firmware/custom/custom.h BSP_TARGET_*). */
export const IMAGE_TARGETS = { arm: 1, x86_64: 2 } as const;
export type ImageTarget = keyof typeof IMAGE_TARGETS;

/** Static parameters a CUSTOMIZE carries (firmware/custom/context.c). */
export const PARAMS = { fd: 1, flags: 2, addr: 3 } as const;
export type ParamName = keyof typeof PARAMS;

/** Memory roots a CUSTOMIZE carries with their bytes. */
export const ROOTS = { file: 1 } as const;
export type RootName = keyof typeof ROOTS;

/** Customization-time functions the server may CALL on the device. */
export const DEVICE_FUNCTIONS = { sockfd_lookup: 1 } as const;

/** Error codes the device reports (firmware/custom/custom.h BSP_E_*); servers use 100 and up. */
export const DEVICE_ERRORS = {
  1: "FRAME",
  2: "REQUEST",
  3: "FETCH",
  4: "FUNCTION",
  5: "TOKEN",
  6: "CALLNO",
  7: "BADFD",
  8: "NOSLOT",
  9: "NOVERSION",
  10: "TRUNCATED",
  11: "MAGIC",
  12: "VERSION",
  13: "TARGET",
  14: "TAG",
  15: "BUILD",
  16: "CONTEXT",
  17: "RELOC_BOUNDS",
  18: "RELOC_TYPE",
  19: "SYMBOL",
  20: "NAME",
  21: "ENTRY",
  22: "GUARD",
  23: "NOMEM",
  24: "LIMIT",
} as const satisfies Record<number, string>;
export const SERVER_ERROR_BASE = 100;

export const BUILD_ID_BYTES = 8;
export const CONTEXT_HASH_BYTES = 8;

export interface ContextValue {
  param: ParamName;
  bytes: Uint8Array;
}

export interface MemoryRoot {
  root: RootName;
  /** Device address of the first byte. */
  address: bigint;
  bytes: Uint8Array;
}

export interface CustomizeMessage {
  type: "customize";
  id: number;
  call: CallName;
  target: ImageTarget;
  buildId: Uint8Array;
  contextHash: Uint8Array;
  values: ContextValue[];
  roots: MemoryRoot[];
}
export interface FetchMessage {
  type: "fetch";
  id: number;
  address: bigint;
  length: number;
}
export interface DataMessage {
  type: "data";
  id: number;
  address: bigint;
  bytes: Uint8Array;
}
export interface CallMessage {
  type: "call";
  id: number;
  fn: number;
  args: bigint[];
}
export interface ResultMessage {
  type: "result";
  id: number;
  value: bigint;
}
export interface ImageMessage {
  type: "image";
  id: number;
  image: Uint8Array;
}
export interface ErrorMessage {
  type: "error";
  id: number;
  code: number;
  message: string;
}
export interface CancelMessage {
  type: "cancel";
  id: number;
}

export type Message =
  | CustomizeMessage
  | FetchMessage
  | DataMessage
  | CallMessage
  | ResultMessage
  | ImageMessage
  | ErrorMessage
  | CancelMessage;

const MAX_CALL_ARGS = 4;
const U64_MAX = (1n << 64n) - 1n;

function bad(message: string): never {
  throw new BespokeError("BAD_FRAME", `malformed channel frame: ${message}`);
}

function nameOf<T extends Record<string, number>>(table: T, code: number, what: string): keyof T {
  for (const [name, value] of Object.entries(table)) if (value === code) return name;
  return bad(`unknown ${what} ${code}`);
}

/** Encode one message as a frame: header and payload. */
export function encodeFrame(message: Message): Uint8Array {
  const payload = encodePayload(message);
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new BespokeError("FRAME_TOO_LARGE", `${message.type} payload of ${payload.length} bytes exceeds the ${MAX_PAYLOAD_BYTES}-byte limit of one frame`);
  }
  if (!Number.isInteger(message.id) || message.id < 0 || message.id > 0xffffffff) {
    throw new BespokeError("BAD_MESSAGE", `request id ${message.id} is not a 32-bit unsigned integer`);
  }
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const v = view(frame);
  frame[0] = 0x42; // 'B'
  frame[1] = 0x53; // 'S'
  frame[2] = PROTOCOL_VERSION;
  frame[3] = MESSAGE_CODES[message.type];
  v.setUint32(4, message.id, true);
  v.setUint32(8, payload.length, true);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

function encodePayload(m: Message): Uint8Array {
  const w = new Writer();
  switch (m.type) {
    case "customize": {
      fixed(m.buildId, BUILD_ID_BYTES, "build id");
      fixed(m.contextHash, CONTEXT_HASH_BYTES, "context hash");
      if (m.values.length > 255 || m.roots.length > 255) throw new BespokeError("BAD_MESSAGE", "at most 255 values and 255 roots");
      w.u8(CALLS[m.call]).u8(IMAGE_TARGETS[m.target]).u8(m.values.length).u8(m.roots.length).bytes(m.buildId).bytes(m.contextHash);
      for (const value of m.values) {
        if (value.bytes.length > 255) throw new BespokeError("BAD_MESSAGE", `value ${value.param} is ${value.bytes.length} bytes, at most 255`);
        w.u8(PARAMS[value.param]).u8(value.bytes.length).bytes(value.bytes);
      }
      for (const root of m.roots) {
        if (root.bytes.length > 0xffff) throw new BespokeError("BAD_MESSAGE", `root ${root.root} is ${root.bytes.length} bytes, at most 65535`);
        w.u8(ROOTS[root.root]).u8(0).u16(root.bytes.length).u64(root.address).bytes(root.bytes);
      }
      break;
    }
    case "fetch":
      w.u64(m.address).u32(m.length);
      break;
    case "data":
      w.u64(m.address).bytes(m.bytes);
      break;
    case "call":
      if (m.args.length > MAX_CALL_ARGS) throw new BespokeError("BAD_MESSAGE", `CALL takes at most ${MAX_CALL_ARGS} arguments, got ${m.args.length}`);
      w.u16(m.fn).u8(m.args.length).u8(0);
      for (const a of m.args) w.u64(a);
      break;
    case "result":
      w.u64(m.value);
      break;
    case "image":
      w.bytes(m.image);
      break;
    case "error":
      w.u16(m.code).bytes(new TextEncoder().encode(m.message));
      break;
    case "cancel":
      break;
  }
  return w.finish();
}

function fixed(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new BespokeError("BAD_MESSAGE", `${what} must be ${length} bytes, got ${bytes.length}`);
}

/** Decode one whole frame; throws BespokeError("BAD_FRAME") on any defect. */
export function decodeFrame(frame: Uint8Array): Message {
  if (frame.length < FRAME_HEADER_BYTES) bad(`${frame.length} bytes, shorter than the ${FRAME_HEADER_BYTES}-byte header`);
  if (frame[0] !== 0x42 || frame[1] !== 0x53) bad("no 'BS' magic");
  if (frame[2] !== PROTOCOL_VERSION) bad(`protocol version ${frame[2]}, this side speaks ${PROTOCOL_VERSION}`);
  const v = view(frame);
  const id = v.getUint32(4, true);
  const length = v.getUint32(8, true);
  if (length !== frame.length - FRAME_HEADER_BYTES) bad(`header says ${length} payload bytes, frame has ${frame.length - FRAME_HEADER_BYTES}`);
  const type = nameOf(MESSAGE_CODES, frame[3]!, "message type");
  const r = new Reader(frame.subarray(FRAME_HEADER_BYTES));
  let m: Message;
  switch (type) {
    case "customize": {
      const call = nameOf(CALLS, r.u8(), "call");
      const target = nameOf(IMAGE_TARGETS, r.u8(), "target");
      const nvalues = r.u8();
      const nroots = r.u8();
      const buildId = r.bytes(BUILD_ID_BYTES);
      const contextHash = r.bytes(CONTEXT_HASH_BYTES);
      const values: ContextValue[] = [];
      for (let i = 0; i < nvalues; i++) {
        const param = nameOf(PARAMS, r.u8(), "parameter");
        values.push({ param, bytes: r.bytes(r.u8()) });
      }
      const roots: MemoryRoot[] = [];
      for (let i = 0; i < nroots; i++) {
        const root = nameOf(ROOTS, r.u8(), "root");
        if (r.u8() !== 0) bad("root padding byte is not 0");
        const size = r.u16();
        roots.push({ root, address: r.u64(), bytes: r.bytes(size) });
      }
      m = { type, id, call, target, buildId, contextHash, values, roots };
      break;
    }
    case "fetch":
      m = { type, id, address: r.u64(), length: r.u32() };
      break;
    case "data":
      m = { type, id, address: r.u64(), bytes: r.rest() };
      break;
    case "call": {
      const fn = r.u16();
      const nargs = r.u8();
      if (r.u8() !== 0) bad("CALL padding byte is not 0");
      if (nargs > MAX_CALL_ARGS) bad(`CALL with ${nargs} arguments, at most ${MAX_CALL_ARGS}`);
      const args: bigint[] = [];
      for (let i = 0; i < nargs; i++) args.push(r.u64());
      m = { type, id, fn, args };
      break;
    }
    case "result":
      m = { type, id, value: r.u64() };
      break;
    case "image":
      m = { type, id, image: r.rest() };
      break;
    case "error": {
      const code = r.u16();
      const text = r.rest();
      try {
        m = { type, id, code, message: new TextDecoder("utf-8", { fatal: true }).decode(text) };
      } catch {
        bad("ERROR message text is not UTF-8");
      }
      break;
    }
    case "cancel":
      m = { type, id };
      break;
  }
  if (!r.done()) bad(`${r.left()} bytes left over after a ${type} payload`);
  return m;
}

/** Splits a byte stream (the native device's stdin/stdout) into frames. */
export class FrameReader {
  private buffer = new Uint8Array(0);

  /** Add bytes; returns the frames completed by them, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.buffer.length + chunk.length);
    joined.set(this.buffer);
    joined.set(chunk, this.buffer.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    while (joined.length - at >= FRAME_HEADER_BYTES) {
      const length = view(joined).getUint32(at + 8, true);
      if (length > MAX_PAYLOAD_BYTES) bad(`stream frame announces ${length} payload bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit`);
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > joined.length) break;
      frames.push(joined.slice(at, end));
      at = end;
    }
    this.buffer = joined.slice(at);
    return frames;
  }

  /** Bytes of an incomplete frame still buffered. */
  pending(): number {
    return this.buffer.length;
  }
}

/** The name of a device error code, e.g. 14 -> "TAG". */
export function deviceErrorName(code: number): string {
  return (DEVICE_ERRORS as Record<number, string>)[code] ?? (code >= SERVER_ERROR_BASE ? `SERVER_${code}` : `UNKNOWN_${code}`);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

class Writer {
  private parts: number[] = [];
  private chunks: Uint8Array[] = [];
  private size = 0;

  private flush(): void {
    if (this.parts.length) {
      this.chunks.push(Uint8Array.from(this.parts));
      this.size += this.parts.length;
      this.parts = [];
    }
  }
  u8(x: number): this {
    this.parts.push(x & 0xff);
    return this;
  }
  u16(x: number): this {
    if (!Number.isInteger(x) || x < 0 || x > 0xffff) throw new BespokeError("BAD_MESSAGE", `${x} does not fit 16 bits`);
    return this.u8(x).u8(x >>> 8);
  }
  u32(x: number): this {
    if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new BespokeError("BAD_MESSAGE", `${x} does not fit 32 bits`);
    return this.u16(x & 0xffff).u16(x >>> 16);
  }
  u64(x: bigint): this {
    if (x < 0n || x > U64_MAX) throw new BespokeError("BAD_MESSAGE", `${x} does not fit 64 bits`);
    return this.u32(Number(x & 0xffffffffn)).u32(Number(x >> 32n));
  }
  bytes(b: Uint8Array): this {
    this.flush();
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

class Reader {
  private at = 0;
  private readonly v: DataView;
  constructor(private readonly b: Uint8Array) {
    this.v = view(b);
  }
  private need(n: number): number {
    if (this.at + n > this.b.length) bad(`payload ends ${this.at + n - this.b.length} bytes early`);
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.b[this.need(1)]!;
  }
  u16(): number {
    return this.v.getUint16(this.need(2), true);
  }
  u32(): number {
    return this.v.getUint32(this.need(4), true);
  }
  u64(): bigint {
    return this.v.getBigUint64(this.need(8), true);
  }
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.b.slice(at, at + n);
  }
  rest(): Uint8Array {
    return this.bytes(this.b.length - this.at);
  }
  left(): number {
    return this.b.length - this.at;
  }
  done(): boolean {
    return this.at === this.b.length;
  }
}
