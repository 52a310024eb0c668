// Compact binary form of a parsed, typed program (the edge worker ships
// pre-parsed firmware and loads it instead of re-parsing). The encoding is a
// generic object-graph format, so it follows the AST/type declarations as
// they grow: objects are written once in pre-order and referenced by id after
// (types, records and symbols are shared graph nodes, with cycles), key lists
// ("shapes") and strings are interned.
//
// Layout: magic "BSPKAST" + format version byte, then a varint count and the
// UTF-8 strings (each length-prefixed), then the root value.
import { BespokeError } from "../errors.ts";
import type { Program } from "./ast.ts";

const MAGIC = [0x42, 0x53, 0x50, 0x4b, 0x41, 0x53, 0x54]; // "BSPKAST"
const VERSION = 1;

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
}

/** Encode a program (or any JSON-like object graph with bigints and shared/cyclic objects). */
export function serializeProgram(program: Program): Uint8Array {
  return encodeGraph(program);
}

function encodeGraph(root: unknown): Uint8Array {
  const out = new Writer();
  const strings = new Map<string, number>();
  const shapes = new Map<string, number>();
  const ids = new Map<object, number>();
  const str = (s: string): number => {
    let i = strings.get(s);
    if (i === undefined) {
      i = strings.size;
      strings.set(s, i);
    }
    return i;
  };
  const value = (v: unknown): void => {
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
        const seen = ids.get(v);
        if (seen !== undefined) {
          out.byte(T_REF);
          out.varint(seen);
          return;
        }
        ids.set(v, ids.size);
        if (Array.isArray(v)) {
          out.byte(T_ARRAY);
          out.varint(v.length);
          for (const x of v) value(x);
          return;
        }
        const keys = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
        const shapeKey = keys.join(",");
        if (shapeKey === "file,line,column") {
          const pos = v as { file: unknown; line: unknown; column: unknown };
          if (typeof pos.file === "string" && Number.isSafeInteger(pos.line) && Number.isSafeInteger(pos.column) && (pos.line as number) >= 0 && (pos.column as number) >= 0) {
            out.byte(T_POS);
            out.varint(str(pos.file));
            out.varint(pos.line as number);
            out.varint(pos.column as number);
            return;
          }
        }
        let shape = shapes.get(shapeKey);
        out.byte(T_OBJECT);
        if (shape === undefined) {
          shape = shapes.size;
          shapes.set(shapeKey, shape);
          out.varint(shape);
          out.varint(keys.length);
          for (const k of keys) out.varint(str(k));
        } else {
          out.varint(shape);
        }
        for (const k of keys) value((v as Record<string, unknown>)[k]);
        return;
      }
      default:
        throw new BespokeError("SERIALIZE_UNSUPPORTED", `cannot serialize a value of type ${typeof v}`);
    }
  };
  value(root);

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
  head.bytes(out.buf.subarray(0, out.len));
  return head.buf.slice(0, head.len);
}

/** Decode what serializeProgram wrote. */
export function deserializeProgram(bytes: Uint8Array): Program {
  return decodeGraph(bytes) as Program;
}

function decodeGraph(bytes: Uint8Array): unknown {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new BespokeError("BAD_SERIALIZED_AST", "not a serialized bespoke program (bad magic)");
  }
  if (bytes[MAGIC.length] !== VERSION) {
    throw new BespokeError("BAD_SERIALIZED_AST", `serialized program format ${bytes[MAGIC.length]} is not the supported version ${VERSION}: re-serialize it`);
  }
  let p = MAGIC.length + 1;
  const n = bytes.length;
  const fail = (): never => {
    throw new BespokeError("BAD_SERIALIZED_AST", `truncated or corrupt serialized program at byte ${p}`);
  };
  const varint = (): number => {
    if (p < n && bytes[p]! < 0x80) return bytes[p++]!;
    let result = 0;
    let mul = 1;
    for (;;) {
      if (p >= n) fail();
      const b = bytes[p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  };
  const dec = new TextDecoder();
  const count = varint();
  const strings: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const len = varint();
    if (p + len > n) fail();
    strings[i] = dec.decode(bytes.subarray(p, p + len));
    p += len;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shapes: string[][] = [];
  const templates: Record<string, unknown>[] = [];
  const objects: unknown[] = [];
  const string = (): string => {
    const s = strings[varint()];
    if (s === undefined) fail();
    return s!;
  };
  const value = (): unknown => {
    if (p >= n) fail();
    switch (bytes[p++]) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT: {
        const z = varint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case T_FLOAT: {
        if (p + 8 > n) fail();
        const x = view.getFloat64(p, true);
        p += 8;
        return x;
      }
      case T_STRING:
        return string();
      case T_BIGINT: {
        const s = string();
        return s.startsWith("-") ? -BigInt("0x" + s.slice(1)) : BigInt("0x" + s);
      }
      case T_ARRAY: {
        const len = varint();
        if (len > n - p) fail();
        const arr: unknown[] = new Array(len);
        objects.push(arr);
        for (let i = 0; i < len; i++) arr[i] = value();
        return arr;
      }
      case T_OBJECT: {
        const id = varint();
        let keys = shapes[id];
        if (keys === undefined) {
          if (id !== shapes.length) fail();
          const k = varint();
          keys = new Array(k);
          for (let i = 0; i < k; i++) keys[i] = string();
          shapes.push(keys);
          const template: Record<string, unknown> = {};
          for (const key of keys) template[key] = null;
          templates.push(template);
        }
        // cloning a per-shape template gives every object of a shape one hidden class up front
        const obj: Record<string, unknown> = { ...templates[id] };
        objects.push(obj);
        for (let i = 0; i < keys.length; i++) obj[keys[i]!] = value();
        return obj;
      }
      case T_POS: {
        const pos = { file: string(), line: varint(), column: varint() };
        objects.push(pos);
        return pos;
      }
      case T_REF: {
        const id = varint();
        if (id >= objects.length) fail();
        return objects[id];
      }
      default:
        return fail();
    }
  };
  const root = value();
  if (p !== n) fail();
  return root;
}
