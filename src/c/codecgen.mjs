// Generates the AST codec (build/generated/ast-codec.ts) that serialize.ts
// uses: one encoder and one decoder per object class of the AST and type
// declarations (src/c/ast.ts, src/c/types.ts), read with the TypeScript
// checker. A decoder builds its object as one literal with the fields in a
// fixed order, so every loaded node of a kind shares one hidden class and the
// loader runs monomorphic code (workerd forbids eval, so this is generated at
// build time, never at run time). Run by build.mjs; `node src/c/codecgen.mjs`
// prints the module.
//
// Stream encoding (serialize.ts adds the header and the string table):
// a value in a field whose type is a plain string, number, boolean or bigint
// is written bare (string: string-table index; number and bigint: see `n`
// and `big` below). Any other field (objects, arrays, nullable primitives,
// unions) is a tagged value: varint tag 0 null, 1 reference (varint id), 2
// undefined, 3 string, 4 false, 5 true, 6 number, 7 bigint; 8+2k+r an array
// of element coding k (0 tagged, 1 string, 2 number) and 16+2c+r an object of
// class c, followed by its fields. r = 1 registers the array or object under
// the next id (it is referenced again later); classes with optional fields
// start with a varint bit mask of the optional fields present, then come the
// required fields, then the optional ones present. Empty arrays load as one
// shared frozen array.
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Files whose contents determine the generated module (build.mjs hashes them). */
export const CODEC_INPUTS = ["src/c/codecgen.mjs", "src/c/ast.ts", "src/c/types.ts", "src/errors.ts", "src/compiler/targets.ts"];

/** Where build.mjs writes the module, relative to the repository root. */
export const CODEC_OUTPUT = "build/generated/ast-codec.ts";

const ARRAY_TAGGED = 0;
const ARRAY_STRING = 1;
const ARRAY_NUMBER = 2;

function fail(msg) {
  throw new Error(`codecgen: ${msg}`);
}

/** The object classes reachable from `Program`, with their fields and codings. */
export function readSchema(root) {
  const astFile = path.join(root, "src", "c", "ast.ts");
  const program = ts.createProgram([astFile], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(astFile) ?? fail(`cannot read ${astFile}`);
  const programDecl = sf.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === "Program") ?? fail("ast.ts declares no interface Program");

  /** @type {Map<ts.Type, object>} */
  const byType = new Map();
  const classes = [];
  /** Union descriptors by the sorted list of what they admit. */
  const unions = new Map();
  const pending = [];

  const members = (t) => (t.isUnion() ? t.types : [t]);
  const isString = (t) => (t.flags & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral)) !== 0;
  const isNumber = (t) => (t.flags & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral | ts.TypeFlags.Enum | ts.TypeFlags.EnumLiteral)) !== 0;
  const isBoolean = (t) => (t.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) !== 0;
  const isBigInt = (t) => (t.flags & (ts.TypeFlags.BigInt | ts.TypeFlags.BigIntLiteral)) !== 0;
  const isNullish = (t) => (t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) !== 0;
  const all = (t, pred) => members(t).every(pred);

  const classOf = (t, hint) => {
    let c = byType.get(t);
    if (c) return c;
    const sym = t.aliasSymbol ?? t.getSymbol();
    const named = sym && sym.name !== "__type" && sym.name !== "__object";
    c = { id: -1, name: named ? sym.name : hint, anonymous: !named, type: t, fields: [] };
    byType.set(t, c);
    pending.push(c);
    return c;
  };

  const unionOf = (t, hint) => {
    // members of a named union (Designator) are named after it
    if (t.aliasSymbol) hint = t.aliasSymbol.name;
    const objects = [];
    let array = null;
    for (const m of members(t)) {
      if (isNullish(m) || isString(m) || isNumber(m) || isBoolean(m) || isBigInt(m)) continue;
      if (checker.isArrayType(m)) {
        if (array) fail(`${hint}: a union of two array types`);
        const elem = checker.getTypeArguments(m)[0];
        if (all(elem, isString)) array = { coding: ARRAY_STRING };
        else if (all(elem, isNumber)) array = { coding: ARRAY_NUMBER };
        else array = { coding: ARRAY_TAGGED, elem: unionOf(elem, `${hint}[]`) };
      } else if (m.flags & ts.TypeFlags.Object) objects.push(classOf(m, hint));
      else fail(`${hint}: cannot encode type ${checker.typeToString(m)}`);
    }
    const key = objects.map((c) => c.name).sort().join("|") + (array ? `;[${array.coding}:${array.elem?.key ?? ""}]` : "");
    let u = unions.get(key);
    if (!u) {
      u = { key, id: unions.size, objects, array };
      unions.set(key, u);
    }
    return u;
  };

  const codingOf = (t, hint) => {
    if (all(t, isString)) return { coding: "str" };
    if (all(t, isNumber)) return { coding: "num" };
    if (all(t, isBoolean)) return { coding: "bool" };
    if (all(t, isBigInt)) return { coding: "big" };
    return { coding: "val", union: unionOf(t, hint) };
  };

  /** Inherited fields first (the root base first), as the parser writes its literals: kind, pos, type, own fields. */
  const depthOf = (prop, cls) => {
    const decl = prop.declarations?.[0];
    const owner = decl?.parent;
    if (!owner || !ts.isInterfaceDeclaration(owner) || owner.name.text === cls.name) return Infinity;
    let depth = 1;
    for (let o = owner; o.heritageClauses?.length; depth++) {
      const base = checker.getTypeAtLocation(o.heritageClauses[0].types[0]);
      const d = base.getSymbol()?.declarations?.[0];
      if (!d || !ts.isInterfaceDeclaration(d)) break;
      o = d;
    }
    return depth;
  };

  const programUnion = unionOf(checker.getTypeAtLocation(programDecl.name), "Program");
  while (pending.length) {
    const cls = pending.shift();
    const props = checker.getPropertiesOfType(cls.type).map((p, i) => ({ p, i, depth: depthOf(p, cls) }));
    props.sort((a, b) => (a.p.name === "kind" ? -1 : b.p.name === "kind" ? 1 : (a.depth === b.depth ? a.i - b.i : a.depth < b.depth ? -1 : 1)));
    const required = [];
    const optional = [];
    for (const { p } of props) {
      const optionalField = (p.flags & ts.SymbolFlags.Optional) !== 0;
      let t = checker.getTypeOfSymbol(p);
      if (optionalField && t.isUnion()) {
        const rest = t.types.filter((m) => !(m.flags & ts.TypeFlags.Undefined));
        t = rest.length === 1 ? rest[0] : checker.getUnionType(rest);
      }
      const hint = `${cls.name}.${p.name}`;
      if (p.name === "kind" && !t.isUnion() && (t.flags & (ts.TypeFlags.NumberLiteral | ts.TypeFlags.StringLiteral)) !== 0) {
        cls.kind = t.value;
        required.push({ name: p.name, coding: "const", value: t.value });
        continue;
      }
      (optionalField ? optional : required).push({ name: p.name, ...codingOf(t, hint) });
    }
    cls.fields = [...required, ...optional.map((f) => ({ ...f, optional: true }))];
  }
  // the most frequent classes (positions, then expressions) get the one-byte tags
  const rank = (c) => (c.name === "SourcePosition" ? 0 : typeof c.kind === "number" && c.fields.some((f) => f.name === "pos") ? 1 : 2);
  const kindOf = (c) => (typeof c.kind === "number" ? c.kind : -1);
  const ordered = [...byType.values()].sort((a, b) => rank(a) - rank(b) || kindOf(a) - kindOf(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  ordered.forEach((c, i) => (c.id = i));
  const names = new Set();
  for (const c of ordered) {
    if (c.anonymous || names.has(c.name)) c.name = `${c.name}_${c.kind ?? c.id}`;
    names.add(c.name);
  }
  // the C types: immutable values (types.ts), which serialize.ts may share when equal
  const typesFile = program.getSourceFile(path.join(root, "src", "c", "types.ts")) ?? fail("cannot read src/c/types.ts");
  const ctypeDecl = typesFile.statements.find((s) => ts.isTypeAliasDeclaration(s) && s.name.text === "CType") ?? fail("types.ts declares no type CType");
  const typeClasses = members(checker.getTypeAtLocation(ctypeDecl.name)).map((t) => byType.get(t) ?? fail(`a CType member is not reachable from Program: ${checker.typeToString(t)}`));
  return { classes: ordered, unions: [...unions.values()], programUnion, typeClasses };
}

/** A JS expression that discriminates an object of union `u` to its class id (or -1). */
function discriminator(u) {
  const cs = u.objects;
  if (cs.length === 0) return "() => -1";
  if (cs.length === 1) return `() => ${cs[0].id}`;
  const kinds = cs.map((c) => c.kind);
  if (kinds.every((k) => k !== undefined) && new Set(kinds).size === kinds.length) {
    return `(o: any): number => { switch (o.kind) { ${cs.map((c) => `case ${JSON.stringify(c.kind)}: return ${c.id};`).join(" ")} default: return -1; } }`;
  }
  const tests = cs.map((c) => {
    const own = c.fields.filter((f) => !f.optional).map((f) => f.name);
    const unique = own.find((n) => cs.every((o) => o === c || !o.fields.some((f) => f.name === n)));
    if (!unique) fail(`cannot tell ${c.name} apart from ${cs.filter((o) => o !== c).map((o) => o.name).join(", ")}`);
    return `if (${JSON.stringify(unique)} in o) return ${c.id};`;
  });
  return `(o: any): number => { ${tests.join(" ")} return -1; }`;
}

const PLACEHOLDER = { str: '""', num: "0", bool: "false", big: "0n", val: "null" };

/**
 * A varint read inline, up to two bytes (string indices, ids and line numbers
 * up to 16,383; a call only for the rare longer ones): fewer calls matter most
 * before the JIT has warmed up, and a continuation function called for most
 * string indices and ids was inlined at every field by the optimizing compiler.
 */
const VARINT = "((t = B[P++]!) < 128 ? t : (w = B[P++]!) < 128 ? (t & 127) + w * 128 : u2(t, w))";

function readExpr(f) {
  switch (f.coding) {
    case "const":
      return JSON.stringify(f.value);
    case "str":
      return `(S[${VARINT}] ?? badString())`;
    case "num":
      return `((t = ${VARINT}) % 2 === 0 ? t / 2 : n1(t))`;
    case "bool":
      return `${VARINT} !== 0`;
    case "big":
      return "big()";
    case "val":
      return "v()";
  }
  return fail(`unknown coding ${f.coding}`);
}

/** Up to this many optional fields, each combination present gets its own literal (no later property additions). */
const MAX_OPTIONAL_VARIANTS = 4;

/**
 * The two decoders of class \`c\`: d<id> builds an object written inline, r<id>
 * one registered under the next id, which is in the table before its fields
 * are read (they may refer back to it). Separate functions keep each small
 * for the optimizing compiler: most classes are only ever one or the other.
 */
function decodersOf(c) {
  const required = c.fields.filter((f) => !f.optional);
  const optional = c.fields.filter((f) => f.optional);
  const literal = (fields, placeholders) => `{ ${fields.map((f) => `${f.name}: ${f.coding === "const" || !placeholders ? readExpr(f) : PLACEHOLDER[f.coding]}`).join(", ")} }`;
  const build = (reg, fields, indent, then = []) =>
    reg
      ? [`${indent}const o: any = ${literal(fields, true)};`, `${indent}T.push(o);`, ...fields.filter((f) => f.coding !== "const").map((f) => `${indent}o.${f.name} = ${readExpr(f)};`), ...then.map((l) => `${indent}${l}`), `${indent}return o;`]
      : then.length
        ? [`${indent}const o: any = ${literal(fields, false)};`, ...then.map((l) => `${indent}${l}`), `${indent}return o;`]
        : [`${indent}return ${literal(fields, false)};`];
  const decoder = (reg) => {
    const body = [];
    if (optional.length === 0) body.push(...build(reg, required, "  "));
    else {
      body.push(`  const m = ${VARINT};`);
      if (optional.length <= MAX_OPTIONAL_VARIANTS) {
        body.push("  switch (m) {");
        for (let m = 0; m < 1 << optional.length; m++) {
          body.push(`    case ${m}: {`, ...build(reg, [...required, ...optional.filter((_, i) => m & (1 << i))], "      "), "    }");
        }
        body.push("  }", "  return corrupt(B0 + P);");
      } else {
        body.push(...build(reg, required, "  ", optional.map((f, i) => `if (m & ${1 << i}) o.${f.name} = ${readExpr(f)};`)));
      }
    }
    const text = body.join("\n");
    return [`/** ${c.name}${reg ? ", registered" : ""} */`, `function ${reg ? "r" : "d"}${c.id}(): any {`, ...(text.includes("(t = ") ? ["  let t = 0;"] : []), ...(text.includes("(w = ") ? ["  let w = 0;"] : []), text, "}"].join("\n");
  };
  return `${decoder(false)}\n\n${decoder(true)}`;
}

function writeStmt(f, u) {
  const x = `o.${f.name}`;
  switch (f.coding) {
    case "const":
      return "";
    case "str":
      return `ws(${x});`;
    case "num":
      return `wn(${x});`;
    case "bool":
      return `wbool(${x});`;
    case "big":
      return `wbig(${x});`;
    case "val":
      return `wv(${x}, U${u});`;
  }
  return fail(`unknown coding ${f.coding}`);
}

function encoderOf(c) {
  const optional = c.fields.filter((f) => f.optional);
  const lines = [`/** ${c.name} */`, `function e${c.id}(o: any): void {`];
  lines.push(`  checkFields(o, ${c.id});`);
  if (optional.length) lines.push(`  wu(${optional.map((f, i) => `(o.${f.name} !== undefined ? ${1 << i} : 0)`).join(" | ")});`);
  for (const f of c.fields) {
    const w = writeStmt(f, f.union?.id);
    if (w) lines.push(f.optional ? `  if (o.${f.name} !== undefined) ${w}` : `  ${w}`);
  }
  lines.push("}");
  return lines.join("\n");
}

/** The generated module's text. */
export function generateAstCodec(root) {
  const { classes, unions, programUnion, typeClasses } = readSchema(root);
  const describe = classes.map((c) => `${c.name}{${c.fields.map((f) => `${f.name}${f.optional ? "?" : ""}:${f.coding === "const" ? JSON.stringify(f.value) : f.coding}`).join(",")}}`).join(";");
  const schemaId = crypto.createHash("sha256").update(describe).digest("hex").slice(0, 16);
  const unionDecls = unions.map((u) => {
    const arr = u.array ? `{ coding: ${u.array.coding}, elem: ${u.array.elem ? `() => U${u.array.elem.id}` : "null"} }` : "null";
    return `const U${u.id}: Union = { cls: ${discriminator(u)}, array: ${arr} };`;
  });
  const keySets = classes.map((c) => `  new Set(${JSON.stringify(c.fields.map((f) => f.name))}),`);
  const programClass = classes.find((c) => c.name === "Program") ?? fail("no Program class");
  return `// Generated by src/c/codecgen.mjs from the declarations in src/c/ast.ts and
// src/c/types.ts: do not edit, run \`node build.mjs\`. Not committed.
import { BespokeError } from "../../src/errors.ts";

/** Fingerprint of the classes and fields this codec encodes: serialized data written by another schema is refused. */
export const SCHEMA_ID = ${JSON.stringify(schemaId)};

/** The classes of C types (the members of types.ts's CType): immutable values. */
export const TYPE_CLASSES: ReadonlySet<number> = new Set(${JSON.stringify(typeClasses.map((c) => c.id))});

/** Classes: ${classes.map((c) => `${c.id} ${c.name}`).join(", ")}. */
const CLASS_NAMES: string[] = ${JSON.stringify(classes.map((c) => c.name))};

export function corrupt(at: number): never {
  throw new BespokeError("BAD_SERIALIZED_AST", \`truncated or corrupt serialized program at byte \${at}\`);
}

// ---- decoding: module state, so the hot loop reads locals of this module, not an object's fields ----
const EMPTY = new Uint8Array(0);
let B: Uint8Array = EMPTY;
let P = 0;
/** Offset of B in the whole input (for error messages). */
let B0 = 0;
let S: string[] = [];
/** Registered objects, by id. */
let T: unknown[] = [];

function u(): number {
  const t = B[P++]!;
  return t < 128 ? t : u1(t);
}

/** The rest of a varint whose first two bytes (the second >= 0x80, or undefined past the end) were read. */
function u2(first: number, second: number): number {
  if (first === undefined || second === undefined) corrupt(B0 + P - 1);
  return varintTail((first & 0x7f) + (second & 0x7f) * 128, 16384);
}

/** The rest of a varint whose first byte (>= 0x80, or undefined past the end) was read. */
function u1(first: number): number {
  if (first === undefined) corrupt(B0 + P - 1);
  return varintTail(first & 0x7f, 128);
}

/** The bytes of a varint after those read, added to result from the weight mul on. */
function varintTail(result: number, mul: number): number {
  for (;;) {
    const b = B[P++];
    if (b === undefined || mul > 2 ** 49) return corrupt(B0 + P - 1);
    result += (b & 0x7f) * mul;
    if (b < 0x80) return result;
    mul *= 128;
  }
}

function badString(): never {
  return corrupt(B0 + P);
}

function s(): string {
  return S[u()] ?? badString();
}

/** Numbers: even 2v for an integer v >= 0; odd 2m+1 (m >= 1) for -m; 1 then 8 bytes of float64 otherwise. */
function n(): number {
  const x = u();
  return x % 2 === 0 ? x / 2 : n1(x);
}

/** A number whose (odd) varint \`x\` was read. */
function n1(x: number): number {
  if (x !== 1) return -(x - 1) / 2;
  if (P + 8 > B.length) corrupt(B0 + P);
  const f = new DataView(B.buffer, B.byteOffset + P, 8).getFloat64(0, true);
  P += 8;
  return f;
}

/** Bigints are immutable values: the small ones are shared. */
const SMALL_BIGINTS: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** Bigints: like numbers, with 1 then a string (hexadecimal, "-" for negative) for large ones. */
function big(): bigint {
  const x = u();
  if (x % 2 === 0) return x < 2048 ? SMALL_BIGINTS[x / 2]! : BigInt(x / 2);
  if (x !== 1) return BigInt(-(x - 1) / 2);
  const h = s();
  return h.startsWith("-") ? -BigInt("0x" + h.slice(1)) : BigInt("0x" + h);
}

/**
 * Every empty array of a loaded program: most arrays of the AST are empty
 * (attributes, definitions in specifiers), and one object per empty array was
 * a seventh of the objects a load made. Frozen: a stage that adds to an array
 * of a loaded program fails at once instead of changing every empty array.
 */
const NONE: unknown[] = Object.freeze([]) as unknown as unknown[];

/**
 * A tagged value. Arrays are decoded here rather than in a function of their
 * own, which keeps this function above V8's inlining size limit (460 bytes of
 * bytecode): the optimizing compiler then compiles each class decoder alone
 * instead of inlining a copy of this function at each of its fields, which
 * multiplied the compile work of a cold start (a cold load took ~40% longer).
 */
function v(): any {
  let t = B[P++]!;
  let w = 0;
  const h = t < 128 ? t : u1(t);
  if (h >= 16) {
    // one call through a table rather than a switch over every class: the optimizing
    // compiler would inline each class's decoder and deoptimize at each class first met later
    const d = (h & 1) === 1 ? REGISTERED[(h - 16) >> 1] : DECODERS[(h - 16) >> 1];
    return d === undefined ? corrupt(B0 + P) : d();
  }
  switch (h) {
    case 0: return null;
    case 1: {
      const x = T[${VARINT}];
      return x === undefined ? corrupt(B0 + P) : x;
    }
    case 2: return undefined;
    case 3: return s();
    case 4: return false;
    case 5: return true;
    case 6: return n();
    case 7: return big();
  }
  if (h > 13) return corrupt(B0 + P);
  const coding = (h - 8) >> 1;
  const reg = (h & 1) === 1;
  const len = ${VARINT};
  if (len > B.length - P) corrupt(B0 + P);
  if (len === 0 && !reg) return NONE;
  // small arrays as literals: packed, and no spare capacity (a push onto [] reserves 16 slots)
  if (!reg && coding === ${ARRAY_TAGGED}) {
    switch (len) {
      case 1: return [v()];
      case 2: return [v(), v()];
      case 3: return [v(), v(), v()];
    }
  }
  const a: unknown[] = new Array(len);
  if (reg) T.push(a);
  if (coding === ${ARRAY_TAGGED}) for (let i = 0; i < len; i++) a[i] = v();
  else if (coding === ${ARRAY_STRING}) for (let i = 0; i < len; i++) a[i] = s();
  else for (let i = 0; i < len; i++) a[i] = n();
  return a;
}

${classes.map(decodersOf).join("\n\n")}

const DECODERS: (() => any)[] = [${classes.map((c) => `d${c.id}`).join(", ")}];
const REGISTERED: (() => any)[] = [${classes.map((c) => `r${c.id}`).join(", ")}];

/** Decode the value that bytes[start, end) of \`input\` hold, with string table \`strings\`. */
export function decodeStream(input: Uint8Array, start: number, end: number, strings: string[]): unknown {
  B = input.subarray(start, end);
  P = 0;
  B0 = start;
  S = strings;
  T = [];
  try {
    const x = v();
    if (P !== B.length) corrupt(B0 + P);
    return x;
  } catch (e) {
    if (e instanceof BespokeError) throw e;
    // deep garbage overflows the stack, or a wrong class meets a field: still only corrupt input
    throw new BespokeError("BAD_SERIALIZED_AST", \`corrupt serialized program near byte \${B0 + P}: \${(e as Error).message}\`);
  } finally {
    // drop the references to the input and the decoded objects
    B = EMPTY;
    S = [];
    T = [];
  }
}

// ---- encoding ----
/** How to write a tagged value of a field: the class of an object, the element coding of an array. */
export interface Union {
  cls: (o: any) => number;
  array: { coding: number; elem: (() => Union) | null } | null;
}

/** What the encoder asks of serialize.ts. */
export interface EncodeContext {
  out: { byte(b: number): void; varint(n: number): void; float(x: number): void };
  /** String-table index of a string. */
  str(s: string): number;
  /** Id of an object or array already written, else -1. */
  ref(o: object): number;
  /** Called on the first write of an object or array, met in a field of coding \`u\`: true if it is referenced again (gets the next id). */
  register(o: object, u: Union): boolean;
}

let C: EncodeContext = null as unknown as EncodeContext;

const wu = (x: number): void => C.out.varint(x);

function ws(x: string): void {
  if (typeof x !== "string") unsupported(\`\${typeof x} \${String(x)} where the declarations have a string\`);
  C.out.varint(C.str(x));
}

function wbool(x: boolean): void {
  if (typeof x !== "boolean") unsupported(\`\${typeof x} \${String(x)} where the declarations have a boolean\`);
  C.out.varint(x ? 1 : 0);
}

function wn(x: number): void {
  if (typeof x !== "number") unsupported(\`\${typeof x} \${String(x)} where the declarations have a number\`);
  if (Number.isInteger(x) && !Object.is(x, -0) && Math.abs(x) < 2 ** 50) C.out.varint(x >= 0 ? x * 2 : -x * 2 + 1);
  else {
    C.out.varint(1);
    C.out.float(x);
  }
}

function wbig(x: bigint): void {
  if (typeof x !== "bigint") unsupported(\`\${typeof x} \${String(x)} where the declarations have a bigint\`);
  if (x >= -(2n ** 50n) && x < 2n ** 50n) {
    const v = Number(x);
    C.out.varint(v >= 0 ? v * 2 : -v * 2 + 1);
  } else {
    C.out.varint(1);
    ws(x < 0n ? "-" + (-x).toString(16) : x.toString(16));
  }
}

function unsupported(what: string): never {
  throw new BespokeError("SERIALIZE_UNSUPPORTED", \`cannot serialize \${what}: the AST codec (src/c/codecgen.mjs over src/c/ast.ts) does not know it; rebuild with 'node build.mjs'\`);
}

const KEYS: Set<string>[] = [
${keySets.join("\n")}
];

function checkFields(o: object, cls: number): void {
  const keys = KEYS[cls]!;
  for (const k in o) if (!keys.has(k) && (o as any)[k] !== undefined) unsupported(\`field '\${k}' of a \${CLASS_NAMES[cls]}\`);
}

function wv(x: unknown, u: Union): void {
  switch (typeof x) {
    case "undefined": return wu(2);
    case "string": wu(3); return ws(x);
    case "boolean": return wu(x ? 5 : 4);
    case "number": wu(6); return wn(x);
    case "bigint": wu(7); return wbig(x);
    case "object": break;
    default: return unsupported(\`a value of type \${typeof x}\`);
  }
  if (x === null) return wu(0);
  const id = C.ref(x);
  if (id >= 0) {
    wu(1);
    return wu(id);
  }
  const reg = C.register(x, u) ? 1 : 0;
  if (Array.isArray(x)) {
    const a = u.array ?? unsupported("an array where the declarations have none");
    wu(8 + 2 * a.coding + reg);
    wu(x.length);
    if (a.coding === ${ARRAY_STRING}) for (const e of x) ws(e);
    else if (a.coding === ${ARRAY_NUMBER}) for (const e of x) wn(e);
    else for (const e of x) wv(e, a.elem!());
    return;
  }
  const cls = u.cls(x);
  if (cls < 0) unsupported(\`an object of kind \${String((x as any).kind)} where the declarations do not allow it\`);
  wu(16 + 2 * cls + reg);
  ENC[cls]!(x);
}

${unionDecls.join("\n")}

${classes.map(encoderOf).join("\n\n")}

const ENC: ((o: any) => void)[] = [${classes.map((c) => `e${c.id}`).join(", ")}];

/** The coding of a whole program. */
export const PROGRAM: Union = U${programUnion.id};

/** Write \`x\` (met in a field of coding \`u\`) through \`ctx\`. */
export function encodeValue(x: unknown, u: Union, ctx: EncodeContext): void {
  const saved = C;
  C = ctx;
  try {
    wv(x, u);
  } finally {
    C = saved;
  }
}
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.stdout.write(generateAstCodec(path.resolve(HERE, "..", "..")));
