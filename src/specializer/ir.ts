// The core IR the specializer works on: per function, a control-flow graph
// of basic blocks. Expressions are side-effect free; side effects are
// statements (register assignment, store, block copy, call); `&&`, `||`,
// `?:`, `,`, `++` and friends are lowered to control flow and temporaries.
// Locals whose address is taken, and every aggregate, live in memory; the
// rest are registers (`Var`).
import type { FunctionDef, Symbol } from "../c/ast.ts";
import { BespokeError, type SourcePosition } from "../errors.ts";
import type { CType, Field, FunctionType } from "../c/types.ts";

/** A register: a scalar local, parameter or temporary whose address is never taken. */
export interface Var {
  /** Its index in its function's `vars` (residual functions alike, until simplified): the passes keep per-register tables as arrays indexed by it. */
  id: number;
  name: string;
  type: CType;
  /** The source declaration, absent for temporaries. */
  sym?: Symbol;
}

/** A local object in memory (address taken, array or aggregate), allocated when the function is entered. */
export interface LocalObject {
  id: number;
  name: string;
  type: CType;
  size: number;
  /** The source declaration; null for compiler temporaries (compound literals, call results). */
  sym: Symbol | null;
}

export type BinaryOp = "*" | "/" | "%" | "+" | "-" | "<<" | ">>" | "<" | ">" | "<=" | ">=" | "==" | "!=" | "&" | "^" | "|";

export type Expr =
  | { k: "int"; type: CType; value: bigint }
  | { k: "float"; type: CType; value: number }
  | { k: "var"; type: CType; v: Var }
  /** Address of a global object or function (by symbol). */
  | { k: "global"; type: CType; sym: Symbol }
  /** Address of a local object of the current function. */
  | { k: "local"; type: CType; obj: LocalObject }
  /** Address of a string literal's array. */
  | { k: "string"; type: CType; bytes: Uint8Array; elem: CType }
  /** Value of type `type` read from `addr`. */
  | { k: "load"; type: CType; addr: Expr }
  /** Bit-field read from the record at `addr`. */
  | { k: "bitload"; type: CType; addr: Expr; field: Field }
  /** Address of a member: `&addr->field` (byte offset `field.offset`). */
  | { k: "field"; type: CType; addr: Expr; field: Field }
  /** `ptr + index` in units of the pointee size `scale` (type is the pointer type). */
  | { k: "ptradd"; type: CType; ptr: Expr; index: Expr; scale: number }
  /** Pointer difference in elements of size `scale`. */
  | { k: "ptrdiff"; type: CType; left: Expr; right: Expr; scale: number }
  | { k: "unary"; type: CType; op: "-" | "~" | "!"; arg: Expr }
  /** `opType` is the type the operation is computed in; `type` the result (int for comparisons). */
  | { k: "binary"; type: CType; op: BinaryOp; opType: CType; left: Expr; right: Expr }
  | { k: "cast"; type: CType; arg: Expr };

export type Stmt =
  | { k: "set"; dst: Var; value: Expr; pos: SourcePosition }
  | { k: "store"; addr: Expr; type: CType; value: Expr; pos: SourcePosition }
  | { k: "bitstore"; addr: Expr; field: Field; value: Expr; pos: SourcePosition }
  /** Aggregate assignment: `size` bytes from `src` to `dst`. */
  | { k: "copy"; dst: Expr; src: Expr; size: number; type: CType; pos: SourcePosition }
  /** Zero `size` bytes at `addr` (aggregate initialization). */
  | { k: "zero"; addr: Expr; size: number; type: CType; pos: SourcePosition }
  /**
   * A call. A scalar result goes to `dst`; an aggregate result is copied to
   * `dstAddr`. Aggregate arguments are `load`s of aggregate type.
   */
  | { k: "call"; dst: Var | null; dstAddr: Expr | null; callee: Expr; args: Expr[]; fnType: FunctionType; pos: SourcePosition };

export interface SwitchCase {
  low: bigint;
  high: bigint;
  target: number;
}

export type Terminator =
  | { k: "goto"; target: number }
  | { k: "if"; cond: Expr; then: number; else: number; pos: SourcePosition }
  | { k: "switch"; value: Expr; cases: SwitchCase[]; default: number; pos: SourcePosition }
  | { k: "return"; value: Expr | null; pos: SourcePosition };

export interface Block {
  id: number;
  stmts: Stmt[];
  term: Terminator;
}

export interface IrFunction {
  name: string;
  sym: Symbol;
  type: FunctionType;
  /** One per parameter, in order: a register, or (address taken / aggregate) a local object initialized from it. */
  params: ({ k: "var"; v: Var } | { k: "local"; obj: LocalObject })[];
  vars: Var[];
  locals: LocalObject[];
  blocks: Block[];
  entry: number;
  /** Where it came from (the generic version is printed from here). */
  def: FunctionDef;
}

/** A function the lowering cannot express in the IR; it is kept as generic code and never specialized. */
export interface UnloweredFunction {
  name: string;
  sym: Symbol;
  def: FunctionDef;
  reason: string;
  pos: SourcePosition;
}

export interface IrProgram {
  functions: Map<string, IrFunction>;
  unlowered: Map<string, UnloweredFunction>;
}

/** The direct operands of an expression. */
export function operands(e: Expr): Expr[] {
  switch (e.k) {
    case "load":
    case "bitload":
    case "field":
      return [e.addr];
    case "ptradd":
      return [e.ptr, e.index];
    case "ptrdiff":
    case "binary":
      return [e.left, e.right];
    case "unary":
    case "cast":
      return [e.arg];
    default:
      return [];
  }
}

/** Every expression a statement evaluates (its register destination aside). */
export function stmtOperands(s: Stmt): Expr[] {
  switch (s.k) {
    case "set":
      return [s.value];
    case "store":
    case "bitstore":
      return [s.addr, s.value];
    case "copy":
      return [s.dst, s.src];
    case "zero":
      return [s.addr];
    case "call":
      return s.dstAddr ? [s.callee, ...s.args, s.dstAddr] : [s.callee, ...s.args];
  }
}

/** Call `visit` on each expression a statement evaluates, in the order of `stmtOperands` (given `arg`, so that callers need no closure per statement, and without building the array). */
export function forEachOperand<A>(s: Stmt, visit: (e: Expr, arg: A) => void, arg: A): void {
  switch (s.k) {
    case "set":
      visit(s.value, arg);
      break;
    case "store":
    case "bitstore":
      visit(s.addr, arg);
      visit(s.value, arg);
      break;
    case "copy":
      visit(s.dst, arg);
      visit(s.src, arg);
      break;
    case "zero":
      visit(s.addr, arg);
      break;
    case "call":
      visit(s.callee, arg);
      for (const a of s.args) visit(a, arg);
      if (s.dstAddr) visit(s.dstAddr, arg);
      break;
  }
}

/** The register a statement assigns, if any. */
export function stmtDestination(s: Stmt): Var | null {
  return s.k === "set" ? s.dst : s.k === "call" ? s.dst : null;
}

/** How many edges leave a terminator (a branch to one block twice counts twice). */
export function successorCount(t: Terminator): number {
  switch (t.k) {
    case "goto":
      return 1;
    case "if":
      return 2;
    case "switch":
      return t.cases.length + 1;
    case "return":
      return 0;
  }
}

/** The target of a terminator's `k`th edge: a goto's target; an if's then, else; a switch's cases in order, then its default. */
export function successorAt(t: Terminator, k: number): number {
  switch (t.k) {
    case "goto":
      return t.target;
    case "if":
      return k === 0 ? t.then : t.else;
    case "switch":
      return k < t.cases.length ? t.cases[k]!.target : t.default;
    case "return":
      throw new BespokeError("SPECIALIZER_BUG", "a return has no successor");
  }
}

/** Every expression a terminator evaluates. */
export function termOperands(t: Terminator): Expr[] {
  if (t.k === "if") return [t.cond];
  if (t.k === "switch") return [t.value];
  if (t.k === "return" && t.value) return [t.value];
  return [];
}

/**
 * Call `f` on every register an expression reads, in the order of `operands`
 * (without building their arrays: the passes call it on every expression),
 * with `arg` (so that a caller's callback need not be a closure).
 */
export function visitVars<A>(e: Expr, f: (v: Var, arg: A) => void, arg?: A): void {
  switch (e.k) {
    case "var":
      f(e.v, arg as A);
      return;
    case "load":
    case "bitload":
    case "field":
      visitVars(e.addr, f, arg);
      return;
    case "ptradd":
      visitVars(e.ptr, f, arg);
      visitVars(e.index, f, arg);
      return;
    case "ptrdiff":
    case "binary":
      visitVars(e.left, f, arg);
      visitVars(e.right, f, arg);
      return;
    case "unary":
    case "cast":
      visitVars(e.arg, f, arg);
      return;
  }
}

/** Call `f` on every local object an expression names (in the order of `operands`, as `visitVars`, and like it with `arg`). */
export function visitLocals<A>(e: Expr, f: (o: LocalObject, arg: A) => void, arg?: A): void {
  switch (e.k) {
    case "local":
      f(e.obj, arg as A);
      return;
    case "load":
    case "bitload":
    case "field":
      visitLocals(e.addr, f, arg);
      return;
    case "ptradd":
      visitLocals(e.ptr, f, arg);
      visitLocals(e.index, f, arg);
      return;
    case "ptrdiff":
    case "binary":
      visitLocals(e.left, f, arg);
      visitLocals(e.right, f, arg);
      return;
    case "unary":
    case "cast":
      visitLocals(e.arg, f, arg);
      return;
  }
}

/** What IR nodes refer to that is not theirs (the AST's types, symbols, fields, positions and source; a string literal's bytes, which cannot be frozen and are only copied). */
const NOT_IR = new Set(["type", "elem", "opType", "fnType", "sym", "def", "field", "pos", "bytes"]);

/**
 * Freeze a function's IR (blocks, statements, terminators, expressions,
 * registers, local objects): a run that tried to change IR shared with other
 * runs throws instead of corrupting them.
 */
export function freezeFunction(fn: IrFunction): void {
  const freeze = (node: object): void => {
    if (Object.isFrozen(node)) return;
    Object.freeze(node);
    for (const [key, value] of Object.entries(node)) if (value !== null && typeof value === "object" && !NOT_IR.has(key)) freeze(value);
  };
  freeze(fn);
}
