// Compact binary form of a parsed, typed program (the edge worker ships
// pre-parsed firmware and loads it instead of re-parsing). The encoding is a
// generic object-graph format, so it follows the AST/type declarations as
// they grow: objects are written once in pre-order and referenced by id after
// (types, records and symbols are shared graph nodes, with cycles; empty
// arrays are plain values), key lists ("shapes") and strings are interned.
//
// Function bodies are separate segments, decoded on first access of
// `FunctionDef.body`: a specializer touches a few functions of the firmware,
// so loading does not pay for the rest. Objects reachable from more than one
// body (or from outside any body) live in the shared part, so each segment
// only refers to shared objects and its own.
//
// Layout: magic "BSPKAST" + format version byte; varint counts and tables of
// UTF-8 strings and of shapes (key-string indexes); the segment table (byte
// length of each); the shared stream (root value, then the array of hoisted
// objects); the body segments.
import { BespokeError } from "../errors.ts";
import { NodeKind, type Program } from "./ast.ts";

const MAGIC = [0x42, 0x53, 0x50, 0x4b, 0x41, 0x53, 0x54]; // "BSPKAST"
const VERSION = 2;

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_STRING = 6;
const T_BIGINT = 7;
const T_ARRAY = 8;
const T_OBJECT = 9;
const T_REF = 10;
/** A source position `{ file, line, column }`: the most common object, written without its shape. */
const T_POS = 11;
/** A function body stored as segment N, decoded when first read. */
const T_LAZY = 12;
/** An empty array: written as a value (a fresh `[]` on load), not as a shared object. */
const T_EMPTY_ARRAY = 13;

class Writer {
  buf = new Uint8Array(1 << 16);
  len = 0;

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.len++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.len++] = n;
  }

  float(x: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.len, 8).setFloat64(0, x, true);
    this.len += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  take(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

type Obj = Record<string, unknown>;

const isFunctionDef = (v: object): v is Obj & { body: object } => (v as Obj)["kind"] === NodeKind.FunctionDef && typeof (v as Obj)["body"] === "object";

function definedKeys(v: object): string[] {
  return Object.keys(v).filter((k) => (v as Obj)[k] !== undefined);
}

/** Encode a program. */
export function serializeProgram(program: Program): Uint8Array {
  const strings = new Map<string, number>();
  const shapes = new Map<string, number>();
  const shapeKeys: number[][] = [];
  /** Ids of shared objects (stable across segments). */
  const shared = new Map<object, number>();
  const bodies: object[] = [];
  const str = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) {
      i = strings.size;
      strings.set(s, i);
    }
    return i;
  };
  const shapeOf = (keys: string[]): number => {
    const key = keys.join(",");
    let i = shapes.get(key);
    if (i === undefined) {
      i = shapes.size;
      shapes.set(key, i);
      shapeKeys.push(keys.map(str));
    }
    return i;
  };

  /** Write `v`; `local` holds the ids of a segment's own objects (null for the shared stream). */
  const write = (out: Writer, v: unknown, local: Map<object, number> | null): void => {
    switch (typeof v) {
      case "undefined":
        out.byte(T_UNDEFINED);
        return;
      case "boolean":
        out.byte(v ? T_TRUE : T_FALSE);
        return;
      case "number":
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
          out.byte(T_INT);
          out.varint(v >= 0 ? v * 2 : -v * 2 - 1);
        } else {
          out.byte(T_FLOAT);
          out.float(v);
        }
        return;
      case "string":
        out.byte(T_STRING);
        out.varint(str(v));
        return;
      case "bigint":
        out.byte(T_BIGINT);
        out.varint(str(v.toString(16)));
        return;
      case "object": {
        if (v === null) {
          out.byte(T_NULL);
          return;
        }
        if (Array.isArray(v) && v.length === 0) {
          out.byte(T_EMPTY_ARRAY);
          return;
        }
        const seen = shared.get(v) ?? local?.get(v);
        if (seen !== undefined) {
          out.byte(T_REF);
          out.varint(seen);
          return;
        }
        const ids = local ?? shared;
        ids.set(v, shared.size + (local ? local.size : 0));
        if (Array.isArray(v)) {
          out.byte(T_ARRAY);
          out.varint(v.length);
          for (const x of v) write(out, x, local);
          return;
        }
        const keys = definedKeys(v);
        const o = v as Obj;
        if (keys.length === 3 && keys[0] === "file" && keys[1] === "line" && keys[2] === "column" && typeof o["file"] === "string" && isCount(o["line"]) && isCount(o["column"])) {
          out.byte(T_POS);
          out.varint(str(o["file"] as string));
          out.varint(o["line"] as number);
          out.varint(o["column"] as number);
          return;
        }
        out.byte(T_OBJECT);
        out.varint(shapeOf(keys));
        const lazyBody = local === null && isFunctionDef(v);
        for (const k of keys) {
          if (lazyBody && k === "body") {
            out.byte(T_LAZY);
            out.varint(bodies.length);
            bodies.push(o[k] as object);
          } else write(out, o[k], local);
        }
        return;
      }
      default:
        throw new BespokeError("SERIALIZE_UNSUPPORTED", `cannot serialize a value of type ${typeof v}`);
    }
  };

  const sharedOut = new Writer();
  write(sharedOut, program, null);
  // objects that several bodies reach (but nothing outside them) are hoisted into the shared part
  const hoisted = objectsInSeveral(bodies, shared);
  write(sharedOut, hoisted, null);
  const segments = bodies.map((body) => {
    const out = new Writer();
    write(out, body, new Map());
    return out.take();
  });

  const head = new Writer();
  head.bytes(Uint8Array.from(MAGIC));
  head.byte(VERSION);
  head.varint(strings.size);
  const enc = new TextEncoder();
  for (const s of strings.keys()) {
    const b = enc.encode(s);
    head.varint(b.length);
    head.bytes(b);
  }
  head.varint(shapeKeys.length);
  for (const keys of shapeKeys) {
    head.varint(keys.length);
    for (const k of keys) head.varint(k);
  }
  head.varint(segments.length);
  for (const s of segments) head.varint(s.length);
  head.varint(sharedOut.len);
  head.bytes(sharedOut.take());
  for (const s of segments) head.bytes(s);
  return head.take();
}

function isCount(x: unknown): boolean {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/** Objects outside `shared` reachable from more than one of `roots`, in a stable order. */
function objectsInSeveral(roots: object[], shared: Map<object, number>): object[] {
  const owner = new Map<object, number>();
  const several = new Set<object>();
  roots.forEach((root, i) => {
    const stack: unknown[] = [root];
    const mine = new Set<object>();
    while (stack.length) {
      const v = stack.pop();
      if (typeof v !== "object" || v === null || shared.has(v) || mine.has(v) || (Array.isArray(v) && v.length === 0)) continue;
      mine.add(v);
      const prev = owner.get(v);
      if (prev === undefined) owner.set(v, i);
      else if (prev !== i) several.add(v);
      if (Array.isArray(v)) stack.push(...v);
      else for (const k of definedKeys(v)) stack.push((v as Obj)[k]);
    }
  });
  return [...several];
}

/** Decode what serializeProgram wrote. Function bodies are decoded when first read. */
export function deserializeProgram(bytes: Uint8Array): Program {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new BespokeError("BAD_SERIALIZED_AST", "not a serialized bespoke program (bad magic)");
  }
  if (bytes[MAGIC.length] !== VERSION) {
    throw new BespokeError("BAD_SERIALIZED_AST", `serialized program format ${bytes[MAGIC.length]} is not the supported version ${VERSION}: re-serialize it`);
  }
  const reader = new Reader(bytes, MAGIC.length + 1);
  const dec = new TextDecoder();
  const count = reader.varint();
  const strings: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const len = reader.varint();
    strings[i] = dec.decode(reader.slice(len));
  }
  const shapeCount = reader.varint();
  const shapes: string[][] = new Array(shapeCount);
  const templates: Obj[] = new Array(shapeCount);
  for (let i = 0; i < shapeCount; i++) {
    const keys: string[] = new Array(reader.varint());
    for (let k = 0; k < keys.length; k++) keys[k] = reader.string(strings);
    shapes[i] = keys;
    // cloning a per-shape template gives every object of a shape one hidden class up front
    const template: Obj = {};
    for (const key of keys) template[key] = null;
    templates[i] = template;
  }
  const segmentLengths: number[] = new Array(reader.varint());
  for (let i = 0; i < segmentLengths.length; i++) segmentLengths[i] = reader.varint();
  const sharedLength = reader.varint();
  const segmentStart: number[] = [];
  let at = reader.p + sharedLength;
  for (const len of segmentLengths) {
    segmentStart.push(at);
    at += len;
  }
  if (at !== bytes.length) reader.fail();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables: Tables = { strings, shapes, templates, shared: [], segmentStart, segmentLengths, bytes, view };
  const shared = decodeStream(tables, reader.p, reader.p + sharedLength, tables.shared, true);
  const root = shared.value();
  shared.value(); // hoisted objects: registered in the shared table
  shared.end();
  return root as Program;
}

/** Reads the header: varints, strings, byte ranges. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public p: number,
  ) {}

  fail(): never {
    return corrupt(this.p);
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.p >= this.bytes.length) this.fail();
      const b = this.bytes[this.p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }

  slice(len: number): Uint8Array {
    if (this.p + len > this.bytes.length) this.fail();
    const s = this.bytes.subarray(this.p, this.p + len);
    this.p += len;
    return s;
  }

  string(strings: string[]): string {
    const s = strings[this.varint()];
    if (s === undefined) this.fail();
    return s!;
  }
}

function corrupt(at: number): never {
  throw new BespokeError("BAD_SERIALIZED_AST", `truncated or corrupt serialized program at byte ${at}`);
}

interface Tables {
  strings: string[];
  shapes: string[][];
  templates: Obj[];
  /** Shared objects by id. */
  shared: unknown[];
  segmentStart: number[];
  segmentLengths: number[];
  bytes: Uint8Array;
  view: DataView;
}

/**
 * A decoder over bytes [start, end): the shared stream (`table` is the shared
 * one) or a body segment (`table` its own, numbered after the shared ones).
 * Closure state rather than an object: this is the loader's hot loop.
 */
function decodeStream(t: Tables, start: number, end: number, table: unknown[], allowLazy: boolean): { value: () => unknown; end: () => void } {
  const { bytes, strings, shapes, templates, shared, view } = t;
  let p = start;
  const varint = (): number => {
    if (p < end && bytes[p]! < 0x80) return bytes[p++]!;
    let result = 0;
    let mul = 1;
    for (;;) {
      if (p >= end) corrupt(p);
      const b = bytes[p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  const string = (): string => {
    const s = strings[varint()];
    return s === undefined ? corrupt(p) : s;
  };
  const lazy = (obj: Obj, key: string, index: number): void => {
    const segStart = t.segmentStart[index];
    if (segStart === undefined || !allowLazy) corrupt(p);
    const materialize = (v: unknown): void => {
      Object.defineProperty(obj, key, { value: v, writable: true, configurable: true, enumerable: true });
    };
    Object.defineProperty(obj, key, {
      configurable: true,
      enumerable: true,
      get() {
        const d = decodeStream(t, segStart!, segStart! + t.segmentLengths[index]!, [], false);
        const v = d.value();
        d.end();
        materialize(v);
        return v;
      },
      set: materialize,
    });
  };
  const value = (): unknown => {
    if (p >= end) corrupt(p);
    switch (bytes[p++]) {
      case T_OBJECT: {
        const id = varint();
        const keys = shapes[id];
        if (keys === undefined) return corrupt(p);
        const obj: Obj = { ...templates[id] };
        table.push(obj);
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i]!;
          if (key === "body" && bytes[p] === T_LAZY) {
            p++;
            lazy(obj, key, varint());
          } else obj[key] = value();
        }
        return obj;
      }
      case T_REF: {
        const id = varint();
        if (id < shared.length) return shared[id];
        if (table === shared || id - shared.length >= table.length) return corrupt(p);
        return table[id - shared.length];
      }
      case T_INT: {
        const z = varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case T_STRING:
        return string();
      case T_POS: {
        const pos = { file: string(), line: varint(), column: varint() };
        table.push(pos);
        return pos;
      }
      case T_ARRAY: {
        const len = varint();
        if (len > end - p) return corrupt(p);
        const arr: unknown[] = new Array(len);
        table.push(arr);
        for (let i = 0; i < len; i++) arr[i] = value();
        return arr;
      }
      case T_EMPTY_ARRAY:
        return [];
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_UNDEFINED:
        return undefined;
      case T_FLOAT: {
        if (p + 8 > end) return corrupt(p);
        const x = view.getFloat64(p, true);
        p += 8;
        return x;
      }
      case T_BIGINT: {
        const s = string();
        return s.startsWith("-") ? -BigInt("0x" + s.slice(1)) : BigInt("0x" + s);
      }
      default:
        return corrupt(p);
    }
  };
  return {
    value,
    end: () => {
      if (p !== end) corrupt(p);
    },
  };
}
