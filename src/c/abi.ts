// Target ABIs: sizes and alignments of C types, struct/union layout (bit-fields,
// packed, aligned, #pragma pack), and the integer conversions that depend on
// them. The layout algorithm is TinyCC's (tccgen.c struct_layout, PCC/GCC
// bit-field mode), which is the compiler that builds our device code; the
// tests check it against tcc-wasm and against Debian's cross gcc.
import type { Target } from "../compiler/targets.ts";
import {
  type CType,
  type Field,
  type IntRank,
  type IntType,
  type RecordDef,
  TypeKind,
  intRankOrder,
  intType,
  llongType,
  longType,
  uintType,
  ullongType,
  ulongType,
} from "./types.ts";

export interface TargetAbi {
  target: Target;
  /** Plain char is signed. */
  charSigned: boolean;
  intSize: Record<IntRank, number>;
  intAlign: Record<IntRank, number>;
  pointerSize: number;
  floatSize: { float: number; double: number; ldouble: number };
  floatAlign: { float: number; double: number; ldouble: number };
  bigEndian: false;
  /** Alignment of `__attribute__((aligned))` without an argument (tcc's MAX_ALIGN). */
  maxAlign: number;
}

const ILP32 = { char: 1, short: 2, int: 4, long: 4, llong: 8, int128: 16 };
const LP64 = { char: 1, short: 2, int: 4, long: 8, llong: 8, int128: 16 };

export const ABIS: Record<Target, TargetAbi> = {
  arm: {
    target: "arm",
    maxAlign: 8,
    charSigned: false,
    intSize: ILP32,
    intAlign: { ...ILP32, int128: 8 },
    pointerSize: 4,
    floatSize: { float: 4, double: 8, ldouble: 8 },
    floatAlign: { float: 4, double: 8, ldouble: 8 },
    bigEndian: false,
  },
  i386: {
    target: "i386",
    maxAlign: 8,
    charSigned: true,
    intSize: ILP32,
    intAlign: { char: 1, short: 2, int: 4, long: 4, llong: 4, int128: 8 },
    pointerSize: 4,
    floatSize: { float: 4, double: 8, ldouble: 12 },
    floatAlign: { float: 4, double: 4, ldouble: 4 },
    bigEndian: false,
  },
  x86_64: {
    target: "x86_64",
    maxAlign: 16,
    charSigned: true,
    intSize: LP64,
    intAlign: { ...LP64, int128: 8 },
    pointerSize: 8,
    floatSize: { float: 4, double: 8, ldouble: 16 },
    floatAlign: { float: 4, double: 8, ldouble: 16 },
    bigEndian: false,
  },
  riscv64: {
    target: "riscv64",
    maxAlign: 16,
    charSigned: false,
    intSize: LP64,
    intAlign: { ...LP64, int128: 8 },
    pointerSize: 8,
    floatSize: { float: 4, double: 8, ldouble: 16 },
    floatAlign: { float: 4, double: 8, ldouble: 16 },
    bigEndian: false,
  },
  arm64: {
    target: "arm64",
    maxAlign: 16,
    charSigned: false,
    intSize: LP64,
    intAlign: { ...LP64, int128: 8 },
    pointerSize: 8,
    floatSize: { float: 4, double: 8, ldouble: 16 },
    floatAlign: { float: 4, double: 8, ldouble: 16 },
    bigEndian: false,
  },
};

/** Size and alignment queries for one target. */
export class Abi {
  readonly info: TargetAbi;
  constructor(readonly target: Target) {
    this.info = ABIS[target];
  }

  /** sizeof in bytes; -1 for an incomplete type (GNU: 1 for void and functions). */
  sizeOf(t: CType): number {
    switch (t.kind) {
      case TypeKind.Void:
      case TypeKind.Function:
      case TypeKind.Bool:
        return 1;
      case TypeKind.Int:
        return this.info.intSize[t.rank];
      case TypeKind.Float:
        return this.info.floatSize[t.rank];
      case TypeKind.Pointer:
        return this.info.pointerSize;
      case TypeKind.Array: {
        if (t.length === null) return -1;
        const elem = this.sizeOf(t.of);
        return elem < 0 ? -1 : elem * t.length;
      }
      case TypeKind.Record:
        return t.def.layout ? t.def.layout.size : -1;
      case TypeKind.Enum:
        return t.def.constants === null ? -1 : this.sizeOf(t.def.underlying);
    }
  }

  /** Alignment in bytes (as a struct member; this is what tcc's `_Alignof` reports). */
  alignOf(t: CType): number {
    if (t.alignAttr) return t.alignAttr;
    switch (t.kind) {
      case TypeKind.Void:
      case TypeKind.Function:
      case TypeKind.Bool:
        return 1;
      case TypeKind.Int:
        return this.info.intAlign[t.rank];
      case TypeKind.Float:
        return this.info.floatAlign[t.rank];
      case TypeKind.Pointer:
        return this.info.pointerSize;
      case TypeKind.Array:
        return this.alignOf(t.of);
      case TypeKind.Record:
        return t.def.layout ? t.def.layout.align : 1;
      case TypeKind.Enum:
        return this.alignOf(t.def.underlying);
    }
  }

  /** The unsigned integer type of `sizeof` (size_t). */
  sizeType(): IntType {
    return this.info.pointerSize === 8 ? ulongType : uintType;
  }

  /** The signed integer type of a pointer difference (ptrdiff_t). */
  ptrdiffType(): IntType {
    return this.info.pointerSize === 8 ? longType : intType;
  }

  /** Integer promotion (C11 6.3.1.1). */
  promote(t: CType): CType {
    if (t.kind === TypeKind.Bool) return intType;
    if (t.kind === TypeKind.Enum) return this.promote(t.def.underlying);
    if (t.kind === TypeKind.Int && (t.rank === "char" || t.rank === "short")) return intType;
    if (t.kind === TypeKind.Int && (t.quals || t.typedefName !== undefined)) return canonicalInt(t);
    return t;
  }

  /** Usual arithmetic conversions (C11 6.3.1.8) of two arithmetic types. */
  usualArithmetic(a: CType, b: CType): CType {
    if (a.kind === TypeKind.Float || b.kind === TypeKind.Float) {
      const ra = a.kind === TypeKind.Float ? FLOAT_ORDER[a.rank] : 0;
      const rb = b.kind === TypeKind.Float ? FLOAT_ORDER[b.rank] : 0;
      const f = (ra >= rb ? a : b) as CType & { kind: TypeKind.Float };
      return { kind: TypeKind.Float, rank: f.rank, quals: 0 };
    }
    const x = this.promote(a) as IntType;
    const y = this.promote(b) as IntType;
    if (x.signed === y.signed) return intRankOrder(x) >= intRankOrder(y) ? x : y;
    const [s, u] = x.signed ? [x, y] : [y, x];
    if (intRankOrder(u) >= intRankOrder(s)) return u;
    if (this.info.intSize[s.rank] > this.info.intSize[u.rank]) return s;
    return canonicalInt({ ...s, signed: false });
  }

  /** Lay out a completed struct/union: sets every field's offset/bitOffset and def.layout. */
  layoutRecord(def: RecordDef): void {
    layoutRecord(this, def);
  }
}

const FLOAT_ORDER = { float: 1, double: 2, ldouble: 3 };

function canonicalInt(t: IntType): IntType {
  return { kind: TypeKind.Int, rank: t.rank, signed: t.signed, plainChar: t.plainChar, quals: 0 };
}

/**
 * tcc's enum rule: without negative values the enum is unsigned (int, or a
 * 64-bit type when a value needs it), else int or a signed 64-bit type (long
 * on LP64 targets, long long on ILP32).
 */
export function enumUnderlying(min: bigint, max: bigint, abi: Abi): IntType {
  const wide = abi.info.intSize.long === 8;
  if (min >= 0n) return max < 1n << 32n ? uintType : wide ? ulongType : ullongType;
  if (min >= -(1n << 31n) && max < 1n << 31n) return intType;
  return wide ? longType : llongType;
}

/** The type of an enum constant of `value` in an enum of type `underlying` (int when it fits, as tcc). */
export function enumConstantType(value: bigint, underlying: IntType): IntType {
  if (value >= -(1n << 31n) && value < 1n << 31n) return intType;
  if (!underlying.signed && value >= 0n && value < 1n << 32n) return uintType;
  return underlying;
}

/** TinyCC's struct_layout: PCC (gcc-compatible) mode, or MS mode under `-mms-bitfields`. */
function layoutRecord(abi: Abi, def: RecordDef): void {
  const fields = def.fields ?? [];
  const pragmaPack = def.pragmaPack;
  const pcc = !def.msBitfields;
  let maxAlign = 1;
  let offset = 0;
  let c = 0;
  let bitPos = 0;
  let prevBt = "";
  let prevBitSize = 0;
  for (const f of fields) {
    const bitSize = f.bitWidth ?? -1;
    let size = abi.sizeOf(f.type);
    let align = baseAlign(abi, f.type);
    let a = fieldAlignAttr(f);
    let packed = false;
    if (!(pcc && bitSize === 0)) {
      if (pcc && (f.packed || def.packed)) {
        align = 1;
        packed = true;
      }
      if (pragmaPack) {
        packed = true;
        if (pragmaPack < align) align = pragmaPack;
        if (pcc && pragmaPack < a) a = 0;
      }
    }
    if (a) align = a;

    if (def.union) {
      if (pcc && bitSize >= 0) size = (bitSize + 7) >> 3;
      offset = 0;
      if (size > c) c = size;
    } else if (bitSize < 0) {
      if (pcc) c += (bitPos + 7) >> 3;
      c = (c + align - 1) & -align;
      offset = c;
      if (size > 0) c += size;
      bitPos = 0;
      prevBt = "";
      prevBitSize = 0;
    } else if (!pcc) {
      // MS layout: a run of bit-fields of one basic type shares a unit of that type
      const bt = basicType(abi, f.type);
      if (bitPos + bitSize > size * 8 || bitSize > 0 === (bt !== prevBt)) {
        c = (c + align - 1) & -align;
        offset = c;
        bitPos = 0;
        if (bitSize || prevBitSize) c += size;
      }
      if (bitSize === 0 && prevBt !== bt) align = 1;
      prevBt = bt;
      prevBitSize = bitSize;
    } else {
      let newField = bitSize === 0 || fieldAlignAttr(f) !== 0;
      if (!newField && !packed) {
        const a8 = align * 8;
        const ofs = Math.floor((((c * 8 + bitPos) % a8) + bitSize + a8 - 1) / a8);
        if (ofs > Math.floor(size / align)) newField = true;
      }
      if (newField) {
        c = (c + ((bitPos + 7) >> 3) + align - 1) & -align;
        bitPos = 0;
      }
      if (size === 8 && bitSize <= 32) size = 4;
      while (bitPos >= align * 8) {
        c += align;
        bitPos -= align * 8;
      }
      offset = c;
      // unnamed bit-fields do not raise the record's alignment
      if (f.name === null) align = 1;
    }
    if (align > maxAlign) maxAlign = align;
    f.offset = offset;
    if (bitSize >= 0 && !def.union) {
      f.bitOffset = bitPos;
      bitPos += bitSize;
    } else {
      f.bitOffset = 0;
    }
  }
  if (pcc) c += (bitPos + 7) >> 3;
  const attrAlign = def.alignAttr || 1;
  let a = Math.max(attrAlign, maxAlign);
  const align = a;
  if (pragmaPack && pragmaPack < maxAlign && !pcc) {
    // MSVC ignores member alignments beyond the pack when rounding the size
    a = Math.max(pragmaPack, attrAlign);
  }
  def.layout = { size: (c + a - 1) & -a, align };
}

/** tcc's basic type of a bit-field's declared type (signedness aside), for MS runs. */
function basicType(abi: Abi, t: CType): string {
  if (t.kind === TypeKind.Bool) return "bool";
  return `int${abi.sizeOf(t)}`;
}

/** Alignment of a type ignoring an aligned attribute on the type itself. */
function baseAlign(abi: Abi, t: CType): number {
  const u = { ...t };
  delete u.alignAttr;
  return abi.alignOf(u as CType);
}

/** Field alignment forced by `aligned`/`_Alignas` on the member or by its typedef. */
function fieldAlignAttr(f: Field): number {
  return Math.max(f.alignAttr, f.type.alignAttr ?? 0);
}
