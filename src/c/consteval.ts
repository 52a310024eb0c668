// Integer constant expressions (C11 6.6) over the typed AST, with the target's
// integer widths: sizeof/_Alignof, enum constants, casts, and the address
// arithmetic of `&((T *)0)->member` that offsetof expands to.
import { type Expr, NodeKind, SymbolKind } from "./ast.ts";
import type { Abi } from "./abi.ts";
import { type CType, TypeKind, compatible, isInteger } from "./types.ts";

/** Value of `e` as an integer constant, or null if it is not one. */
export function evalConst(e: Expr, abi: Abi): bigint | null {
  switch (e.kind) {
    case NodeKind.IntLit:
      return e.value;
    case NodeKind.FloatLit:
      return null;
    case NodeKind.Ident:
      return e.sym.kind === SymbolKind.EnumConst && e.sym.value !== undefined ? e.sym.value : null;
    case NodeKind.Unary: {
      if (e.op === "&") return evalAddress(e.operand, abi);
      const v = e.op === "!" ? evalCondition(e.operand, abi) : evalConst(e.operand, abi);
      if (v === null) return null;
      switch (e.op) {
        case "-":
          return wrap(-v, e.type, abi);
        case "+":
          return wrap(v, e.type, abi);
        case "~":
          return wrap(~v, e.type, abi);
        case "!":
          return v === 0n ? 1n : 0n;
        default:
          return null;
      }
    }
    case NodeKind.Binary:
      return evalBinary(e, abi);
    case NodeKind.Conditional: {
      const c = evalCondition(e.cond, abi);
      if (c === null) return null;
      if (c !== 0n) return e.then === null ? c : convert(e.then, e.type, abi);
      return convert(e.else, e.type, abi);
    }
    case NodeKind.Comma:
      return evalConst(e.left, abi) === null ? null : evalConst(e.right, abi);
    case NodeKind.Cast:
      return convert(e.operand, e.type, abi);
    case NodeKind.SizeofType:
      return sizeValue(e.of, abi);
    case NodeKind.SizeofExpr:
      return sizeValue(e.operand.type, abi);
    case NodeKind.AlignofType:
      return BigInt(abi.alignOf(e.of));
    case NodeKind.AlignofExpr:
      return BigInt(abi.alignOf(e.operand.type));
    case NodeKind.Generic:
      return evalConst(e.assocs[e.selected]!.expr, abi);
    case NodeKind.Builtin:
      switch (e.name) {
        case "__builtin_expect":
          return evalConst(e.args[0]!, abi);
        case "__builtin_constant_p":
          return isConstant(e.args[0]!, abi) ? 1n : 0n;
        case "__builtin_types_compatible_p":
          return compatible(e.typeArgs[0]!, e.typeArgs[1]!, true) ? 1n : 0n;
        case "__builtin_choose_expr": {
          const c = evalConst(e.args[0]!, abi);
          return c === null ? null : evalConst(c !== 0n ? e.args[1]! : e.args[2]!, abi);
        }
        default:
          return null;
      }
    default:
      return null;
  }
}

/** An arithmetic constant (integer or floating) usable in a static initializer or `__builtin_constant_p`. */
export function isConstant(e: Expr, abi: Abi): boolean {
  if (e.kind === NodeKind.FloatLit || e.kind === NodeKind.StringLit) return true;
  if (e.kind === NodeKind.Cast || (e.kind === NodeKind.Unary && e.op !== "&" && e.op !== "*")) return isConstant(e.operand, abi);
  return evalConst(e, abi) !== null;
}

/** Truthiness of a scalar constant (floating constants allowed). */
function evalCondition(e: Expr, abi: Abi): bigint | null {
  if (e.kind === NodeKind.FloatLit) return e.value !== 0 ? 1n : 0n;
  return evalConst(e, abi);
}

function sizeValue(t: CType, abi: Abi): bigint | null {
  if (t.kind === TypeKind.Array && t.vla !== undefined) return null;
  const s = abi.sizeOf(t);
  return s < 0 ? null : BigInt(s);
}

/** Value of `e` converted to type `to`. */
function convert(e: Expr, to: CType, abi: Abi): bigint | null {
  if (e.kind === NodeKind.FloatLit && (isInteger(to) || to.kind === TypeKind.Pointer)) {
    if (!Number.isFinite(e.value)) return null;
    return wrap(BigInt(Math.trunc(e.value)), to, abi);
  }
  const v = evalConst(e, abi);
  if (v === null) return null;
  if (to.kind === TypeKind.Void) return 0n;
  return wrap(v, to, abi);
}

/**
 * C's integer binary operator `op` on operands already converted to its
 * operation type of `bits` bits (a shift's count keeps its own value): the
 * exact result, to be reduced to the type by `wrap` (a comparison: 1 or 0),
 * or null where C gives none (division by zero, a shift count outside the
 * type).
 */
export function integerBinary(op: string, x: bigint, y: bigint, bits: bigint): bigint | null {
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    case "/":
      return y === 0n ? null : x / y;
    case "%":
      return y === 0n ? null : x % y;
    case "&":
      return x & y;
    case "|":
      return x | y;
    case "^":
      return x ^ y;
    case "<<":
      return y < 0n || y >= bits ? null : x << y;
    case ">>":
      return y < 0n || y >= bits ? null : x >> y;
    case "==":
      return x === y ? 1n : 0n;
    case "!=":
      return x !== y ? 1n : 0n;
    case "<":
      return x < y ? 1n : 0n;
    case ">":
      return x > y ? 1n : 0n;
    case "<=":
      return x <= y ? 1n : 0n;
    case ">=":
      return x >= y ? 1n : 0n;
    default:
      return null;
  }
}

/** Reduce `v` to the range of integer (or pointer) type `t`. */
export function wrap(v: bigint, t: CType, abi: Abi): bigint {
  switch (t.kind) {
    case TypeKind.Bool:
      return v !== 0n ? 1n : 0n;
    case TypeKind.Int: {
      const bits = abi.info.intSize[t.rank] * 8;
      const signed = t.plainChar ? abi.info.charSigned : t.signed;
      return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
    }
    case TypeKind.Enum:
      return wrap(v, t.def.underlying, abi);
    case TypeKind.Pointer:
      return BigInt.asUintN(abi.info.pointerSize * 8, v);
    default:
      return v;
  }
}

function evalBinary(e: Expr & { kind: NodeKind.Binary }, abi: Abi): bigint | null {
  if (e.op === "&&" || e.op === "||") {
    const l = evalCondition(e.left, abi);
    if (l === null) return null;
    if (e.op === "&&" && l === 0n) return 0n;
    if (e.op === "||" && l !== 0n) return 1n;
    const r = evalCondition(e.right, abi);
    return r === null ? null : r !== 0n ? 1n : 0n;
  }
  const lt = e.left.type;
  const rt = e.right.type;
  const ptrL = lt.kind === TypeKind.Pointer || lt.kind === TypeKind.Array;
  const ptrR = rt.kind === TypeKind.Pointer || rt.kind === TypeKind.Array;
  let l = evalConst(e.left, abi);
  let r = evalConst(e.right, abi);
  if (l === null || r === null) return null;
  if ((e.op === "+" || e.op === "-") && (ptrL || ptrR)) {
    if (ptrL && ptrR) {
      const size = BigInt(Math.max(1, abi.sizeOf(pointee(lt))));
      return wrap((l - r) / size, e.type, abi);
    }
    const size = BigInt(Math.max(1, abi.sizeOf(pointee(ptrL ? lt : rt))));
    if (ptrL) r *= size;
    else l *= size;
    return wrap(e.op === "+" ? l + r : l - r, e.type, abi);
  }
  // a shift's left operand is in the result's type and its count keeps its value (any count below 256 folds, whatever the width); other operands convert to the operation type
  const shift = e.op === "<<" || e.op === ">>";
  if (shift) l = wrap(l, e.type, abi);
  else {
    l = wrap(l, e.opType, abi);
    r = wrap(r, e.opType, abi);
  }
  const v = integerBinary(e.op, l, r, 256n);
  return v === null ? null : wrap(v, e.type, abi);
}

function pointee(t: CType): CType {
  return t.kind === TypeKind.Pointer ? t.to : t.kind === TypeKind.Array ? t.of : t;
}

/** Address of an lvalue rooted at a constant pointer: `((T *)0)->a.b[2]`. */
function evalAddress(e: Expr, abi: Abi): bigint | null {
  switch (e.kind) {
    case NodeKind.Member: {
      const base = e.arrow ? evalConst(e.base, abi) : evalAddress(e.base, abi);
      if (base === null) return null;
      let off = 0;
      for (const f of e.path) off += f.offset;
      return base + BigInt(off);
    }
    case NodeKind.Index: {
      const arrayFirst = e.base.type.kind === TypeKind.Array || e.base.type.kind === TypeKind.Pointer;
      const [b, i] = arrayFirst ? [e.base, e.index] : [e.index, e.base];
      const base = b.type.kind === TypeKind.Array ? evalAddress(b, abi) : evalConst(b, abi);
      const idx = evalConst(i, abi);
      if (base === null || idx === null) return null;
      return base + idx * BigInt(Math.max(1, abi.sizeOf(e.type)));
    }
    case NodeKind.Unary:
      return e.op === "*" ? evalConst(e.operand, abi) : null;
    default:
      return null;
  }
}
