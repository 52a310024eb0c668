// Compact binary form of a parsed, typed program (the edge worker ships
// pre-parsed firmware and loads it instead of re-parsing). The encoding is
// schema-driven: build.mjs generates a codec (src/c/codecgen.mjs ->
// build/generated/ast-codec.ts) from the AST and type declarations, with one
// decoder per class (node kind, type kind, symbol, ...) that builds the object
// as one literal, fields in the parser's order, so loaded nodes of a kind share
// one hidden class; scalar fields are written bare, other fields as tagged
// values (see codecgen.mjs). Objects referenced more than once (types,
// records, symbols, ..., with cycles) are written once and referenced by id
// after; everything else is written inline, without an id. Equal C types
// (immutable values) are written once: the loaded program shares them.
//
// The whole program is decoded at once: decoding is a few milliseconds per
// lwIP unit, and per-object lazy accessors on function bodies cost more in
// garbage collection than they saved (a getter closure per function keeps
// the half-loaded graph reachable from old space). Every empty array of a
// loaded program is one shared frozen array (most arrays of the AST are
// empty): adding to an array of a loaded program throws.
//
// Layout: magic "BSPKAST", format version byte, the codec's schema id (16
// ASCII hex digits: data written for other AST declarations is refused);
// varints: string count, UTF-16 length of each string, byte length of the
// UTF-8 string data, then that data; then the program's stream to the end.
import { corrupt, decodeStream, encodeValue, PROGRAM, SCHEMA_ID, TYPE_CLASSES, type EncodeContext } from "../../build/generated/ast-codec.ts";
import { BespokeError } from "../errors.ts";
import type { Program } from "./ast.ts";

const MAGIC = [0x42, 0x53, 0x50, 0x4b, 0x41, 0x53, 0x54]; // "BSPKAST"
const VERSION = 3;

/** The serialized format this build writes and reads (version and AST schema): caches of serialized programs can key on it. */
export const SERIALIZED_FORMAT = `${VERSION}-${SCHEMA_ID}`;
const utf8 = new TextDecoder();

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

/** Output of the walk that only looks at the graph. */
const NOWHERE: EncodeContext["out"] = { byte() {}, varint() {}, float() {} };

/** How many references there are to each object and array of the program, and its C type objects. */
function countReferences(program: Program): { refs: Map<object, number>; types: object[] } {
  const refs = new Map<object, number>();
  const types: object[] = [];
  encodeValue(program, PROGRAM, {
    out: NOWHERE,
    str: () => 0,
    ref(o) {
      const n = refs.get(o);
      if (n === undefined) return -1;
      refs.set(o, n + 1);
      return 0;
    },
    register(o, u) {
      refs.set(o, 1);
      if (!Array.isArray(o) && TYPE_CLASSES.has(u.cls(o))) types.push(o);
      return false;
    },
  });
  return { refs, types };
}

/**
 * Structurally equal C types, to be written once: types are immutable values
 * (types.ts), and a parser makes many equal ones (each declaration of an
 * `int *`, each spread with other qualifiers). Returns each type's
 * representative. Within a type, objects referenced elsewhere too (records,
 * enums) compare by identity, the type's own parts (parameter lists) by value.
 */
function equalTypes(types: object[], refs: Map<object, number>): Map<object, object> {
  const identity = new Map<object, number>();
  const idOf = (o: object): string => {
    let i = identity.get(o);
    if (i === undefined) identity.set(o, (i = identity.size));
    return `#${i}`;
  };
  const isType = new Set(types);
  const keys = new Map<object, string>();
  const representative = new Map<object, object>();
  const byKey = new Map<string, object>();
  const keyOf = (v: unknown): string => {
    switch (typeof v) {
      case "string":
        return JSON.stringify(v);
      case "number":
        return Object.is(v, -0) ? "-0" : String(v);
      case "bigint":
        return `${v}n`;
      case "boolean":
      case "undefined":
        return String(v);
      case "object":
        if (v === null) return "null";
        if (isType.has(v)) return typeKey(v);
        if ((refs.get(v) ?? 0) >= 2) return idOf(v);
        if (Array.isArray(v)) return `[${v.map(keyOf).join(",")}]`;
        return fieldsKey(v);
      default:
        return unsupportedValue(v);
    }
  };
  const fieldsKey = (o: object): string =>
    `{${Object.keys(o)
      .filter((k) => (o as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${k}:${keyOf((o as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  const typeKey = (t: object): string => {
    const known = keys.get(t);
    if (known !== undefined) return known;
    keys.set(t, idOf(t)); // a type reached again while keying itself (through a VLA size) is itself
    const key = fieldsKey(t);
    keys.set(t, key);
    const first = byKey.get(key);
    if (first === undefined) byKey.set(key, t);
    representative.set(t, first ?? t);
    return key;
  };
  for (const t of types) typeKey(t);
  return representative;
}

function unsupportedValue(v: unknown): never {
  throw new BespokeError("SERIALIZE_UNSUPPORTED", `cannot serialize a value of type ${typeof v}`);
}

/** Encode a program. */
export function serializeProgram(program: Program): Uint8Array {
  const { refs, types } = countReferences(program);
  const same = equalTypes(types, refs);
  const canonical = (o: object): object => same.get(o) ?? o;
  // references to a type count for its representative
  const merged = new Map<object, number>();
  for (const [t, rep] of same) merged.set(rep, (merged.get(rep) ?? 0) + refs.get(t)!);
  const strings = new Map<string, number>();
  const ids = new Map<object, number>();
  const out = new Writer();
  encodeValue(program, PROGRAM, {
    out,
    str(s) {
      let i = strings.get(s);
      if (i === undefined) {
        i = strings.size;
        strings.set(s, i);
      }
      return i;
    },
    ref: (o) => ids.get(canonical(o)) ?? -1,
    register(o) {
      const c = canonical(o);
      if ((merged.get(c) ?? refs.get(c)!) < 2) return false;
      ids.set(c, ids.size);
      return true;
    },
  });

  const head = new Writer();
  head.bytes(Uint8Array.from(MAGIC));
  head.byte(VERSION);
  head.bytes(new TextEncoder().encode(SCHEMA_ID));
  head.varint(strings.size);
  for (const s of strings.keys()) head.varint(s.length);
  const text = new TextEncoder().encode([...strings.keys()].join(""));
  head.varint(text.length);
  head.bytes(text);
  head.bytes(out.take());
  return head.take();
}

/** Reads the header: varints and byte ranges. */
class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public p: number,
  ) {}

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.p >= this.bytes.length || mul > 2 ** 49) corrupt(this.p);
      const b = this.bytes[this.p++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
  }

  /** A count of items of at least one byte each still to come. */
  count(): number {
    const n = this.varint();
    if (n > this.bytes.length - this.p) corrupt(this.p);
    return n;
  }

  slice(len: number): Uint8Array {
    if (this.p + len > this.bytes.length) corrupt(this.p);
    const s = this.bytes.subarray(this.p, this.p + len);
    this.p += len;
    return s;
  }
}

/** Decode what serializeProgram wrote. */
export function deserializeProgram(bytes: Uint8Array): Program {
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new BespokeError("BAD_SERIALIZED_AST", "not a serialized bespoke program (bad magic)");
  }
  if (bytes[MAGIC.length] !== VERSION) {
    throw new BespokeError("BAD_SERIALIZED_AST", `serialized program format ${bytes[MAGIC.length]} is not the supported version ${VERSION}: re-serialize it`);
  }
  const reader = new Reader(bytes, MAGIC.length + 1);
  const schema = utf8.decode(reader.slice(SCHEMA_ID.length));
  if (schema !== SCHEMA_ID) {
    throw new BespokeError("BAD_SERIALIZED_AST", `serialized program written for other AST declarations (schema ${schema}, this build reads ${SCHEMA_ID}): re-serialize it`);
  }
  const lengths = readLengths(reader);
  const strings = cutStrings(utf8.decode(reader.slice(reader.varint())), lengths, reader.p);
  return decodeStream(bytes, reader.p, bytes.length, strings) as Program;
}

// The loops over the string table are functions of their own: a loop in
// deserializeProgram made the optimizing compiler compile all of it (with the
// inlined TextDecoder), which cost more than the loop, once per process.

function readLengths(reader: Reader): number[] {
  const lengths: number[] = new Array(reader.count());
  for (let i = 0; i < lengths.length; i++) lengths[i] = reader.varint();
  return lengths;
}

/** The strings of the table: one decode of all string data, then cut at the UTF-16 lengths. */
function cutStrings(text: string, lengths: number[], end: number): string[] {
  const strings: string[] = new Array(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    strings[i] = text.slice(at, at + lengths[i]!);
    at += lengths[i]!;
  }
  if (at !== text.length) corrupt(end);
  return strings;
}
