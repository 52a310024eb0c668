// The C type representation shared by every stage of the front end and the
// specializer. Types are plain immutable objects (derive new ones, never
// assign to a type's fields: they are shared); a struct/union/enum is one shared
// definition object (RecordDef/EnumDef) referenced by identity from every type
// that names it, so `a.def === b.def` is "same tagged type". Sizes and
// alignments are the target's: see abi.ts (`Abi.sizeOf`, `Abi.alignOf`) and
// `RecordDef.layout`, filled by the parser when a definition completes.
//
// Stability: the specializer builds on these declarations. Change them only
// additively.
import type { SourcePosition } from "../errors.ts";
import type { Attribute, Expr } from "./ast.ts";

export enum TypeKind {
  Void,
  /** _Bool */
  Bool,
  Int,
  Float,
  Pointer,
  Array,
  Function,
  Record,
  Enum,
}

/** Qualifier bits in `CTypeBase.quals`. */
export const Q_CONST = 1;
export const Q_VOLATILE = 2;
export const Q_RESTRICT = 4;
export const Q_ATOMIC = 8;

interface CTypeBase {
  /** Q_CONST | Q_VOLATILE | Q_RESTRICT | Q_ATOMIC. */
  quals: number;
  /** The typedef name this type was written through (kept for printing). */
  typedefName?: string;
  /** Alignment forced by `__attribute__((aligned(N)))` on a typedef, in bytes. */
  alignAttr?: number;
}

export interface VoidType extends CTypeBase {
  kind: TypeKind.Void;
}

export interface BoolType extends CTypeBase {
  kind: TypeKind.Bool;
}

/** "char" is plain char (its signedness is the target's; see Abi.charSigned). */
export type IntRank = "char" | "short" | "int" | "long" | "llong" | "int128";

export interface IntType extends CTypeBase {
  kind: TypeKind.Int;
  rank: IntRank;
  signed: boolean;
  /** Plain `char` (neither `signed` nor `unsigned` written): a distinct type. */
  plainChar: boolean;
}

export type FloatRank = "float" | "double" | "ldouble";

export interface FloatType extends CTypeBase {
  kind: TypeKind.Float;
  rank: FloatRank;
}

export interface PointerType extends CTypeBase {
  kind: TypeKind.Pointer;
  to: CType;
}

export interface ArrayType extends CTypeBase {
  kind: TypeKind.Array;
  of: CType;
  /** Element count; null when incomplete (`int a[]`, flexible member) or a VLA. */
  length: number | null;
  /** Size expression of a variable-length array. */
  vla?: Expr;
  /** `int a[static 4]`-style qualifiers of an array parameter, kept for printing. */
  paramQuals?: number;
}

export interface ParamType {
  name: string | null;
  /** The adjusted parameter type (arrays and functions become pointers). */
  type: CType;
  /** The type as written, when adjustment changed it (kept for printing). */
  declared?: CType;
}

/**
 * An i386 calling convention other than cdecl, by its GCC attribute
 * (`regparmN` is `regparm(N)`, N = 1..3). Other targets have none: GCC
 * ignores these attributes there, and so does the parser.
 */
export type CallingConvention = "stdcall" | "fastcall" | "thiscall" | "regparm1" | "regparm2" | "regparm3";

export interface FunctionType extends CTypeBase {
  kind: TypeKind.Function;
  ret: CType;
  params: ParamType[];
  variadic: boolean;
  /** False for an old-style `f()` declaration: parameters unknown. */
  prototyped: boolean;
  /** Absent for cdecl; function types with different conventions are incompatible. */
  convention?: CallingConvention;
}

export interface RecordType extends CTypeBase {
  kind: TypeKind.Record;
  def: RecordDef;
}

export interface EnumType extends CTypeBase {
  kind: TypeKind.Enum;
  def: EnumDef;
}

export type CType = VoidType | BoolType | IntType | FloatType | PointerType | ArrayType | FunctionType | RecordType | EnumType;

/** Arithmetic and pointer types (what C calls scalar). */
export type ScalarType = BoolType | IntType | FloatType | PointerType | EnumType;

export interface Field {
  /** null for an unnamed bit-field; "" is never used. */
  name: string | null;
  type: CType;
  /** Bit-field width, null for an ordinary member. */
  bitWidth: number | null;
  /** Byte offset of the member (of its storage unit, for a bit-field). */
  offset: number;
  /** For a bit-field: bit position inside the unit at `offset` (LSB first). */
  bitOffset: number;
  /** An anonymous struct/union member (C11), whose fields are reachable by name. */
  anonymous: boolean;
  /** `aligned(N)`/`_Alignas(N)` on the member, in bytes; 0 if none. */
  alignAttr: number;
  /** `__attribute__((packed))` on the member. */
  packed: boolean;
  attrs: Attribute[];
  pos: SourcePosition;
}

export interface RecordLayout {
  size: number;
  align: number;
}

export interface RecordDef {
  /** Unique within one parsed program; stable across serialization. */
  id: number;
  tag: string | null;
  union: boolean;
  /** null while incomplete (only declared). */
  fields: Field[] | null;
  /** null while incomplete. */
  layout: RecordLayout | null;
  /** `__attribute__((packed))` on the record. */
  packed: boolean;
  /** `__attribute__((aligned(N)))` on the record (bytes), 0 if none. */
  alignAttr: number;
  /** `#pragma pack` value in force at the definition, 0 if none. */
  pragmaPack: number;
  /** Laid out with MS bit-field rules (tcc's `#pragma comment(option, "-mms-bitfields")` in force). */
  msBitfields?: boolean;
  /** First typedef name given to this record (names anonymous records in `bespoke layout`). */
  typedefName: string | null;
  attrs: Attribute[];
  pos: SourcePosition;
}

export interface EnumConstant {
  name: string;
  value: bigint;
  pos: SourcePosition;
}

export interface EnumDef {
  id: number;
  tag: string | null;
  /** null while incomplete (forward-declared). */
  constants: EnumConstant[] | null;
  /** The integer type the enum is compatible with (int, unsigned int, or wider). */
  underlying: IntType;
  typedefName: string | null;
  pos: SourcePosition;
}

const base = { quals: 0 };

export const voidType: VoidType = { kind: TypeKind.Void, ...base };
export const boolType: BoolType = { kind: TypeKind.Bool, ...base };
export const charType: IntType = { kind: TypeKind.Int, rank: "char", signed: true, plainChar: true, ...base };
export const scharType: IntType = { kind: TypeKind.Int, rank: "char", signed: true, plainChar: false, ...base };
export const ucharType: IntType = { kind: TypeKind.Int, rank: "char", signed: false, plainChar: false, ...base };
export const shortType: IntType = { kind: TypeKind.Int, rank: "short", signed: true, plainChar: false, ...base };
export const ushortType: IntType = { kind: TypeKind.Int, rank: "short", signed: false, plainChar: false, ...base };
export const intType: IntType = { kind: TypeKind.Int, rank: "int", signed: true, plainChar: false, ...base };
export const uintType: IntType = { kind: TypeKind.Int, rank: "int", signed: false, plainChar: false, ...base };
export const longType: IntType = { kind: TypeKind.Int, rank: "long", signed: true, plainChar: false, ...base };
export const ulongType: IntType = { kind: TypeKind.Int, rank: "long", signed: false, plainChar: false, ...base };
export const llongType: IntType = { kind: TypeKind.Int, rank: "llong", signed: true, plainChar: false, ...base };
export const ullongType: IntType = { kind: TypeKind.Int, rank: "llong", signed: false, plainChar: false, ...base };
export const int128Type: IntType = { kind: TypeKind.Int, rank: "int128", signed: true, plainChar: false, ...base };
export const uint128Type: IntType = { kind: TypeKind.Int, rank: "int128", signed: false, plainChar: false, ...base };
export const floatType: FloatType = { kind: TypeKind.Float, rank: "float", ...base };
export const doubleType: FloatType = { kind: TypeKind.Float, rank: "double", ...base };
export const ldoubleType: FloatType = { kind: TypeKind.Float, rank: "ldouble", ...base };

/** Memo of the unqualified pointer to a type: a non-enumerable property, so spreads and serialization skip it. */
const POINTER = Symbol("pointerTo");

/** The unqualified pointer to `to`, one shared object per target type (types are never mutated otherwise). */
export function pointerTo(to: CType): PointerType {
  const memo = (to as { [POINTER]?: PointerType })[POINTER];
  if (memo) return memo;
  const p: PointerType = { kind: TypeKind.Pointer, to, quals: 0 };
  Object.defineProperty(to, POINTER, { value: p });
  return p;
}

export function arrayOf(of: CType, length: number | null): ArrayType {
  return { kind: TypeKind.Array, of, length, quals: 0 };
}

/** The same type with other qualifiers (keeps the typedef spelling). */
export function withQuals<T extends CType>(t: T, quals: number): T {
  if (t.quals === quals) return t;
  return { ...t, quals };
}

/** Add qualifiers; qualifying an array type qualifies its elements (C11 6.7.3p9). */
export function qualify(t: CType, quals: number): CType {
  // the array keeps the qualifiers too, so a typedef'd array prints as `const A`
  if (t.kind === TypeKind.Array) return { ...t, quals: t.quals | quals, of: qualify(t.of, quals) };
  return withQuals(t, t.quals | quals);
}

/** The type without qualifiers or typedef spelling, for comparisons. */
export function unqualified<T extends CType>(t: T): T {
  if (t.quals === 0 && t.typedefName === undefined) return t;
  const u = { ...t, quals: 0 };
  delete u.typedefName;
  return u;
}

export function isInteger(t: CType): t is IntType | BoolType | EnumType {
  return t.kind === TypeKind.Int || t.kind === TypeKind.Bool || t.kind === TypeKind.Enum;
}

export function isArithmetic(t: CType): t is IntType | BoolType | EnumType | FloatType {
  return isInteger(t) || t.kind === TypeKind.Float;
}

export function isScalar(t: CType): t is ScalarType {
  return isArithmetic(t) || t.kind === TypeKind.Pointer;
}

/** Complete object type: known size (arrays need a length or VLA size and complete elements). */
export function isComplete(t: CType): boolean {
  switch (t.kind) {
    case TypeKind.Void:
    case TypeKind.Function:
      return false;
    case TypeKind.Array:
      return (t.length !== null || t.vla !== undefined) && isComplete(t.of);
    case TypeKind.Record:
      return t.def.fields !== null;
    case TypeKind.Enum:
      return t.def.constants !== null;
    default:
      return true;
  }
}

/** Array-to-pointer and function-to-pointer decay (the type of an rvalue). */
export function decay(t: CType): CType {
  if (t.kind === TypeKind.Array) return pointerTo(t.of);
  if (t.kind === TypeKind.Function) return pointerTo(t);
  return t;
}

/** The attribute text of a convention: `fastcall`, `regparm(2)`. */
export function conventionAttribute(c: CallingConvention): string {
  return c.startsWith("regparm") ? `regparm(${c.slice(7)})` : c;
}

const RANK_ORDER: Record<IntRank, number> = { char: 1, short: 2, int: 3, long: 4, llong: 5, int128: 6 };

export function intRankOrder(t: IntType): number {
  return RANK_ORDER[t.rank];
}

/** Find a member by name, through anonymous members; returns the access path (outermost first). */
export function findField(def: RecordDef, name: string): Field[] | null {
  for (const f of def.fields ?? []) {
    if (f.name === name) return [f];
    if (f.anonymous && f.type.kind === TypeKind.Record) {
      const inner = findField(f.type.def, name);
      if (inner) return [f, ...inner];
    }
  }
  return null;
}

/** Structural compatibility (C11 6.2.7), ignoring top-level qualifiers when `ignoreQuals`. */
export function compatible(a: CType, b: CType, ignoreQuals = false): boolean {
  // an array's own qualifiers are its elements' (C11 6.7.3p9): compared there
  if (!ignoreQuals && a.quals !== b.quals && a.kind !== TypeKind.Array) return false;
  if (a.kind === TypeKind.Enum && b.kind === TypeKind.Int) return compatible(a.def.underlying, b, true);
  if (a.kind === TypeKind.Int && b.kind === TypeKind.Enum) return compatible(a, b.def.underlying, true);
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case TypeKind.Void:
    case TypeKind.Bool:
      return true;
    case TypeKind.Int: {
      const y = b as IntType;
      return a.rank === y.rank && a.signed === y.signed && a.plainChar === y.plainChar;
    }
    case TypeKind.Float:
      return a.rank === (b as FloatType).rank;
    case TypeKind.Pointer:
      return compatible(a.to, (b as PointerType).to);
    case TypeKind.Array: {
      const y = b as ArrayType;
      return compatible(a.of, y.of) && (a.length === null || y.length === null || a.length === y.length);
    }
    case TypeKind.Function: {
      const y = b as FunctionType;
      if (a.convention !== y.convention) return false;
      if (!compatible(a.ret, y.ret)) return false;
      if (!a.prototyped || !y.prototyped) return true;
      if (a.variadic !== y.variadic || a.params.length !== y.params.length) return false;
      return a.params.every((p, i) => compatible(decay(p.type), decay(y.params[i]!.type), true));
    }
    case TypeKind.Record:
      return a.def === (b as RecordType).def;
    case TypeKind.Enum:
      return a.def === (b as EnumType).def;
  }
}
