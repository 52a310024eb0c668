// Residual program -> C: simplification of the residual CFGs (jump
// threading, block merging, constant propagation and folding, copy
// propagation, dead stores to registers and to locals, unused locals), then
// one self-contained translation unit with only the types and declarations
// it uses, each function's control structured (structure.ts) and its types
// written by the front end's printer.
import type { Abi } from "../c/abi.ts";
import type { Symbol } from "../c/ast.ts";
import { BINARY_PREC, P_POSTFIX, P_PRIMARY, P_UNARY, declarationPrinter, stringLiteral } from "../c/printer.ts";
import { integerBinary, wrap } from "../c/consteval.ts";
import { type CType, type Field, type FunctionType, type IntRank, Q_VOLATILE, type RecordDef, TypeKind, conventionAttribute, isInteger } from "../c/types.ts";
import { BespokeError, type SourcePosition } from "../errors.ts";
import { type BinaryOp, type Block, type Expr, type LocalObject, type Stmt, type Terminator, type Var, forEachOperand, operands, stmtDestination, stmtOperands, successorAt, successorCount, termOperands, visitLocals, visitVars } from "./ir.ts";
import type { MemObject } from "./memory.ts";
import { VA_BUILTINS } from "./lower.ts";
import type { ResidualFunction } from "./specialize.ts";
import { type SNode, exprSize, reversePostorder, structure } from "./structure.ts";

/** A global the residual program defines, with its initial contents (null: extern). */
export interface ResidualGlobal {
  sym: Symbol;
  name: string;
  type: CType;
  init: MemObject | null;
  static: boolean;
  /** The symbol an extern declaration links to instead of its name (`__asm__` label), e.g. "export+offset" for firmware statics. */
  linkName?: string;
  /** The initializer as the program writes it, printed instead of `init` (a constant the specializer cannot evaluate). */
  source?: string;
}

export interface ResidualUnit {
  functions: ResidualFunction[];
  globals: ResidualGlobal[];
  /** File-scope objects the specializer created (context data, string literals). */
  fileObjects: { decl: LocalObject; init: MemObject }[];
  /** Functions only declared (external, or defined elsewhere). */
  externs: Symbol[];
  /** The program's top-level asm, kept as written (it may define what the residual calls). */
  asm: string[];
}

// ---------------------------------------------------------------- simplification

/**
 * Thread jumps, merge straight-line blocks, propagate and fold constants,
 * propagate copies, remove dead stores (to registers and to locals), drop
 * unused variables.
 */
export function simplify(f: ResidualFunction, abi: Abi): void {
  f.vars.forEach((v, i) => {
    if (v.id !== i) throw new BespokeError("SPECIALIZER_BUG", `${f.name}: register ${v.name} is numbered ${v.id} but is its function's register ${i}`);
  });
  const sim = new Simplification(f);
  threadJumps(sim);
  mergeBlocks(sim);
  for (let round = 0; ; round++) {
    propagateSingleCopies(sim);
    const forwarded = forwardLocalStores(sim, abi);
    const folded = foldConstants(sim, abi);
    const threaded = threadKnownBranches(sim, abi);
    if (folded || threaded) {
      threadJumps(sim);
      mergeBlocks(sim);
    }
    if (round === CONSTANT_ROUNDS || (!propagateUniformConstants(sim, abi) && !threaded && !forwarded)) break;
  }
  // what is live on exit from each block is the same after copy propagation and coalescing (see propagateCopies)
  const registers = registerUses(sim.flow);
  const live = liveOut(sim, registers);
  propagateCopies(sim, registers, live);
  coalesceCopies(sim, live);
  removeDeadStores(sim);
  // the only statements it removes are stores: assignments to registers can only have lost reads
  if (simplifyLocalStores(sim)) removeDeadStores(sim);
  dropAssignmentCasts(sim);
  // registers named (by Var.id), and objects
  const used = new Uint8Array(f.vars.length);
  const objs = new Set<LocalObject>();
  const visit = (e: Expr): void => {
    visitVars(e, markUsed, used);
    visitLocals(e, addObject, objs);
  };
  for (const b of sim.blocks) {
    for (const s of b.stmts) {
      forEachOperand(s, visit, undefined);
      const dst = stmtDestination(s);
      if (dst) used[dst.id] = 1;
    }
    for (const e of termOperands(b.term)) visit(e);
  }
  const { param } = sim;
  f.vars = f.vars.filter((v) => used[v.id] && !param[v.id]);
  f.locals = f.locals.filter((o) => objs.has(o));
}

function markUsed(v: Var, used: Uint8Array): void {
  used[v.id] = 1;
}

function addObject(o: LocalObject, objs: Set<LocalObject>): void {
  objs.add(o);
}

/**
 * `x = (T)e` and `*p = (T)e` with `x` and `*p` of integer type T and `e` an
 * integer: the assignment converts to T by itself, as the cast would (C11
 * 6.5.16.1), and TinyCC truncates with the store alone where the written
 * cast costs two shifts more. Last, as the other passes expect assignments
 * of values of the destination's type.
 */
function dropAssignmentCasts(sim: Simplification): void {
  const bare = (value: Expr, type: CType): Expr => (value.k === "cast" && type.kind === TypeKind.Int && sameC(value.type, type) && isInteger(value.arg.type) ? value.arg : value);
  for (const b of sim.blocks) {
    for (const s of b.stmts) {
      if (s.k === "set") s.value = bare(s.value, s.dst.type);
      else if (s.k === "store") s.value = bare(s.value, s.type);
    }
  }
}

/** Rounds of constant propagation, folding and threading: a folded or threaded branch can leave a register with one constant value. */
const CONSTANT_ROUNDS = 4;

/** The blocks reachable from the entry, depth first, each block's successors in their order (every pass walks them: no array per block). */
function reachable(f: ResidualFunction): Block[] {
  const seen = new Uint8Array(f.blocks.length);
  const order: Block[] = [];
  const stack = [f.entry];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen[id]) continue;
    seen[id] = 1;
    const b = f.blocks[id]!;
    order.push(b);
    // pushed last to first: the first successor is visited first
    for (let k = successorCount(b.term) - 1; k >= 0; k--) stack.push(successorAt(b.term, k));
  }
  return order;
}

/**
 * A function being simplified: its reachable blocks (their edges, order and
 * predecessors), computed when first asked after the control flow last
 * changed (the passes that change it, a terminator, the entry or a new
 * block, say so); and what the constant rounds know of each block: a version
 * that changes whenever one of their passes changes the block, and what
 * foldConstants, threadKnownBranches and forwardLocalStores made of it at a
 * version (so that a round after the first redoes only what changed).
 */
class Simplification {
  private reachable: Block[] | null = null;
  private edges: Flow | null = null;
  private rpo: number[] | null = null;
  private into: { count: Int32Array; last: Int32Array } | null = null;

  /** Flags by `Var.id`: the parameters that are registers. */
  readonly param: Uint8Array;

  constructor(readonly f: ResidualFunction) {
    this.param = paramRegisters(f);
  }

  get blocks(): Block[] {
    return (this.reachable ??= reachable(this.f));
  }

  get flow(): Flow {
    return (this.edges ??= flowOf(this.f, this.blocks));
  }

  /** Per block id, how many reachable blocks jump to it, and the last. */
  get preds(): { count: Int32Array; last: Int32Array } {
    return (this.into ??= predecessors(this.f, this.blocks));
  }

  /** The reachable blocks' ids in reverse postorder. */
  get order(): number[] {
    return (this.rpo ??= reversePostorder(this.f));
  }

  changed(): void {
    this.reachable = this.edges = this.rpo = this.into = null;
  }

  /** Per block id: a number that changes whenever a pass of the constant rounds changes the block's statements or what its terminator evaluates (0: never). */
  private versions: number[] = [];
  private clock = 0;
  /** Per block id: its version when foldConstants last left it. */
  private foldedVersions: number[] = [];

  touched(b: Block): void {
    this.versions[b.id] = ++this.clock;
  }

  /** Whether foldConstants left `b` as it is. */
  folded(b: Block): boolean {
    return this.foldedVersions[b.id] === (this.versions[b.id] ?? 0);
  }

  foldedNow(b: Block): void {
    this.foldedVersions[b.id] = this.versions[b.id] ?? 0;
  }

  /** Per block id: what forwardLocalStores made of it last, valid while the parameters no statement assigns stay the same. */
  private forwarded: (ForwardMemo | undefined)[] = [];
  private forwardedFixed: Uint8Array | null = null;

  /** forwardLocalStores's memos, given the parameters no statement assigns now. */
  forwardMemos(fixed: Uint8Array): (ForwardMemo | undefined)[] {
    if (!this.forwardedFixed || fixed.some((x, i) => x !== this.forwardedFixed![i])) this.forwarded = [];
    this.forwardedFixed = fixed;
    return this.forwarded;
  }

  version(b: Block): number {
    return this.versions[b.id] ?? 0;
  }

  /** Per block id: the registers its statements and terminator read (or more: see touchedReplacing), at a version. */
  private registerReads: ({ version: number; ids: number[] } | undefined)[] = [];

  /**
   * The registers (by `Var.id`, repeated when read more than once) that
   * `b`'s statements and terminator read, or more, walked again only when
   * the block has changed: a substitution skips the blocks that read none
   * of its registers.
   */
  private registersRead(b: Block): readonly number[] {
    const version = this.version(b);
    const known = this.registerReads[b.id];
    if (known && known.version === version) return known.ids;
    const ids: number[] = [];
    for (const s of b.stmts) forEachOperand(s, pushReads, ids);
    for (const e of termOperands(b.term)) pushReads(e, ids);
    this.registerReads[b.id] = { version, ids };
    return ids;
  }

  /** Whether `b` reads a register that `by` maps. */
  readsAny(b: Block, by: Substitution): boolean {
    return this.registersRead(b).some((id) => by[id] !== undefined);
  }

  /**
   * `b` changed only by reading what `by` maps its registers to instead of
   * them, by folding and by losing statements: what it reads stays known
   * without a walk, as the registers it read with those `by` maps replaced
   * by theirs (folding and removing only drop reads, and a superset is all
   * a substitution's test asks).
   */
  touchedReplacing(b: Block, by: Substitution): void {
    const known = this.registerReads[b.id];
    const current = known !== undefined && known.version === this.version(b);
    this.touched(b);
    if (!current) return;
    known.version = this.version(b);
    if (!known.ids.some((id) => by[id] !== undefined)) return;
    const ids: number[] = [];
    for (const id of known.ids) {
      const e = by[id];
      if (e) pushReads(e, ids);
      else ids.push(id);
    }
    known.ids = ids;
  }

  /** Per block id: the join whose test threadKnownBranches last found undecided after it, with both blocks' versions then. */
  private untested: ({ join: number; version: number; joinVersion: number } | undefined)[] = [];

  /** Whether the test of join `t` after `b` was undecided, and neither block has changed since. */
  undecided(b: Block, t: Block): boolean {
    const u = this.untested[b.id];
    return u !== undefined && u.join === t.id && u.version === (this.versions[b.id] ?? 0) && u.joinVersion === (this.versions[t.id] ?? 0);
  }

  undecidedNow(b: Block, t: Block): void {
    this.untested[b.id] = { join: t.id, version: this.versions[b.id] ?? 0, joinVersion: this.versions[t.id] ?? 0 };
  }
}

function threadJumps(sim: Simplification): void {
  const { f } = sim;
  // the blocks a search has passed, marked with its number
  const seen = new Int32Array(f.blocks.length);
  let search = 0;
  let changed = false;
  const final = (id: number): number => {
    search++;
    let cur = id;
    for (;;) {
      const b = f.blocks[cur]!;
      if (b.stmts.length > 0 || b.term.k !== "goto" || seen[cur] === search) {
        if (cur !== id) changed = true;
        return cur;
      }
      seen[cur] = search;
      cur = b.term.target;
    }
  };
  // an unreachable block stays so: its jumps do not matter
  for (const b of sim.blocks) {
    const t = b.term;
    if (t.k === "goto") t.target = final(t.target);
    else if (t.k === "if") {
      t.then = final(t.then);
      t.else = final(t.else);
    } else if (t.k === "switch") {
      t.default = final(t.default);
      for (const c of t.cases) c.target = final(c.target);
    }
  }
  f.entry = final(f.entry);
  if (changed) sim.changed();
}

function mergeBlocks(sim: Simplification): void {
  const { f, blocks } = sim;
  // a block a goto targets has one predecessor when it has one edge in (counted once per block, as here)
  const preds = sim.preds.count;
  const merged = new Uint8Array(f.blocks.length);
  for (const b of blocks) {
    if (merged[b.id]) continue;
    while (b.term.k === "goto") {
      const t = b.term.target;
      if (t === b.id || t === f.entry || preds[t] !== 1 || merged[t]) break;
      const next = f.blocks[t]!;
      b.stmts.push(...next.stmts);
      b.term = next.term;
      next.stmts = [];
      next.term = { k: "goto", target: next.id };
      merged[t] = 1;
      sim.changed();
      sim.touched(b);
    }
  }
}

/** Per block id, the blocks of `blocks` with an edge into it: how many, and the last. */
function predecessors(f: ResidualFunction, blocks: Block[]): { count: Int32Array; last: Int32Array } {
  const count = new Int32Array(f.blocks.length);
  const last = new Int32Array(f.blocks.length).fill(-1);
  for (const b of blocks) {
    const t = b.term;
    for (let k = 0, n = successorCount(t); k < n; k++) {
      const s = successorAt(t, k);
      if (last[s] === b.id) continue;
      count[s]++;
      last[s] = b.id;
    }
  }
  return { count, last };
}

/** The reachable blocks and their edges, by position in `blocks`, for the dataflow analyses (flat arrays: one allocation per table, not per block). */
interface Flow {
  blocks: Block[];
  /** Position in `blocks` by block id; -1: unreachable. */
  at: Int32Array;
  /** The successors of `blocks[i]` are `succ[succStart[i]]` to `succ[succStart[i + 1] - 1]` (repeated as `successors` repeats them). */
  succStart: Int32Array;
  succ: Int32Array;
  /** The predecessors, alike (one per edge). */
  predStart: Int32Array;
  pred: Int32Array;
}

function flowOf(f: ResidualFunction, blocks: Block[]): Flow {
  const n = blocks.length;
  const at = new Int32Array(f.blocks.length).fill(-1);
  blocks.forEach((b, i) => (at[b.id] = i));
  const succStart = new Int32Array(n + 1);
  const succ: number[] = [];
  const indegree = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    succStart[i] = succ.length;
    const t = blocks[i]!.term;
    for (let k = 0, m = successorCount(t); k < m; k++) {
      const s = at[successorAt(t, k)]!;
      succ.push(s);
      indegree[s]++;
    }
  }
  succStart[n] = succ.length;
  const predStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) predStart[i + 1] = predStart[i]! + indegree[i]!;
  const pred = new Int32Array(succ.length);
  const fill = predStart.slice(0, n);
  for (let i = 0; i < n; i++) for (let k = succStart[i]!; k < succStart[i + 1]!; k++) pred[fill[succ[k]!]!++] = i;
  return { blocks, at, succStart, succ: Int32Array.from(succ), predStart, pred };
}

/**
 * Solve a backward dataflow problem over bit sets (`words` words per block,
 * flat: block i's bit k is bit `i * words * 32 + k`): `liveIn` of each block
 * is grown by `transfer` (which sets in `into` what the block needs on
 * entry, given `out`, what is needed on exit from it: the union of its
 * successors' `liveIn`), a block visited again whenever what is live into
 * one of its successors grew, so that the sets on exit, returned, are
 * final.
 */
function solveBackward(flow: Flow, words: number, liveIn: Int32Array, transfer: (i: number, out: Int32Array, into: Int32Array) => void): Int32Array {
  const n = flow.blocks.length;
  const out = new Int32Array(n * words);
  const next = new Int32Array(words);
  const work: number[] = [];
  for (let i = 0; i < n; i++) work.push(i);
  const queued = new Uint8Array(n).fill(1);
  while (work.length > 0) {
    const i = work.pop()!;
    queued[i] = 0;
    unionOfSuccessors(flow, i, words, liveIn, out);
    next.fill(0);
    transfer(i, out, next);
    let grew = false;
    for (let w = 0, o = i * words; w < words; w++, o++) {
      const merged = liveIn[o]! | next[w]!;
      if (merged !== liveIn[o]) {
        liveIn[o] = merged;
        grew = true;
      }
    }
    if (!grew) continue;
    for (let k = flow.predStart[i]!; k < flow.predStart[i + 1]!; k++) {
      const p = flow.pred[k]!;
      if (queued[p]) continue;
      queued[p] = 1;
      work.push(p);
    }
  }
  return out;
}

/** `out` of block `i` (flat sets) |= `liveIn` of each of its successors. */
function unionOfSuccessors(flow: Flow, i: number, words: number, liveIn: Int32Array, out: Int32Array): void {
  for (let k = flow.succStart[i]!; k < flow.succStart[i + 1]!; k++) {
    const s = flow.succ[k]! * words;
    for (let w = 0, o = i * words; w < words; w++, o++) out[o]! |= liveIn[s + w]!;
  }
}

/**
 * Registers live on exit from each reachable block, as a test of a register
 * on exit from a block: backward dataflow to a fixpoint over bit sets (one
 * bit per register, by `Var.id`).
 */
function liveOut(sim: Simplification, uses: RegisterUses): (id: number, v: Var) => boolean {
  const { f, flow } = sim;
  const words = (f.vars.length + 31) >>> 5;
  const n = flow.blocks.length;
  const { first, dst, readsFrom, reads, termFrom } = uses;
  // per block: registers read before being assigned in it, and registers it assigns
  const use = new Int32Array(n * words);
  const def = new Int32Array(n * words);
  for (let i = 0; i < n; i++) {
    const base = i * words * 32;
    const readsEnd = readsFrom[first[i + 1]!]!;
    for (let k = first[i]!; k <= first[i + 1]!; k++) {
      // k = first[i + 1]: the terminator
      const from = k < first[i + 1]! ? readsFrom[k]! : termFrom[i]!;
      const to = k < first[i + 1]! ? Math.min(readsFrom[k + 1]!, termFrom[i]!) : readsEnd;
      for (let r = from; r < to; r++) if (!hasBit(def, base + reads[r]!)) setBit(use, base + reads[r]!);
      if (k < first[i + 1]! && dst[k]! >= 0) setBit(def, base + dst[k]!);
    }
  }
  const liveIn = new Int32Array(n * words);
  const out = solveBackward(flow, words, liveIn, (i, out, into) => {
    for (let w = 0, o = i * words; w < words; w++, o++) into[w] = use[o]! | (out[o]! & ~def[o]!);
  });
  return (id, v) => {
    const i = flow.at[id]!;
    return i >= 0 && hasBit(out, i * words * 32 + v.id);
  };
}

/**
 * The registers the statements of the reachable blocks assign and read
 * (by `Var.id`), numbered block after block (block i's statements from
 * `first[i]`): statement k assigns `dst[k]` (-1: none) and reads
 * `reads[readsFrom[k]]` up to the reads of the next statement or of its
 * block's terminator, which start at `termFrom[i]` and end where the next
 * block's start (`readsFrom[first[i + 1]]`, a last entry closing the list).
 */
interface RegisterUses {
  first: number[];
  dst: number[];
  readsFrom: number[];
  reads: number[];
  termFrom: number[];
}

function registerUses(flow: Flow): RegisterUses {
  const uses: RegisterUses = { first: [], dst: [], readsFrom: [], reads: [], termFrom: [] };
  for (const b of flow.blocks) {
    uses.first.push(uses.dst.length);
    for (const s of b.stmts) {
      const d = stmtDestination(s);
      uses.dst.push(d ? d.id : -1);
      uses.readsFrom.push(uses.reads.length);
      forEachOperand(s, pushReads, uses.reads);
    }
    uses.termFrom.push(uses.reads.length);
    for (const e of termOperands(b.term)) pushReads(e, uses.reads);
  }
  uses.first.push(uses.dst.length);
  uses.readsFrom.push(uses.reads.length);
  return uses;
}

/**
 * Copies between registers assigned once: `t = u`, with `t` assigned nowhere
 * else and `u` assigned once (or a parameter never assigned), has every use
 * of `t` read `u` instead — whenever a use reads the copy, `u` has been
 * assigned and can no longer change. Their types may differ in qualifiers
 * (`const void *arg = buff`).
 */
function propagateSingleCopies(sim: Simplification): void {
  const { f, blocks } = sim;
  const n = f.vars.length;
  const defs = new Int32Array(n);
  // the assignments of a register to another, in order (one walk over the statements)
  const candidates: { dst: Var; src: Var }[] = [];
  for (const b of blocks) for (const s of b.stmts) {
    const d = stmtDestination(s);
    if (d) defs[d.id]++;
    if (s.k === "set" && s.value.k === "var") candidates.push({ dst: s.dst, src: s.value.v });
  }
  const { param } = sim;
  const stable = (u: Var): boolean => (param[u.id] ? defs[u.id] === 0 : defs[u.id] === 1);
  const by: (Var | undefined)[] = [];
  const copies: Var[] = [];
  for (const { dst, src } of candidates) {
    if (dst === src || param[dst.id] || defs[dst.id] !== 1) continue;
    if (stable(src) && sameC(dst.type, src.type, false)) {
      by[dst.id] = src;
      copies.push(dst);
    }
  }
  if (copies.length === 0) return;
  // chains: t = u, u = w: t reads w; copies in a cycle (never given a value) stay
  const final: Substitution = [];
  const seen = new Int32Array(n);
  let found = false;
  copies.forEach((t, i) => {
    // marked by the copy whose chain is followed (i + 1)
    seen[t.id] = i + 1;
    let cur = by[t.id]!;
    while (by[cur.id] && seen[cur.id] !== i + 1) (seen[cur.id] = i + 1), (cur = by[cur.id]!);
    if (seen[cur.id] !== i + 1) {
      final[t.id] = { k: "var", type: t.type, v: cur };
      found = true;
    }
  });
  if (!found) return;
  for (const b of blocks) {
    let changed = false;
    if (b.stmts.some((s) => s.k === "set" && final[s.dst.id])) {
      b.stmts = b.stmts.filter((s) => !(s.k === "set" && final[s.dst.id]));
      changed = true;
    }
    if (sim.readsAny(b, final)) {
      for (const s of b.stmts) if (substituteStmt(s, final)) changed = true;
      if (substituteTerm(b, final)) changed = true;
    }
    if (changed) sim.touchedReplacing(b, final);
  }
}

/** Flags by `Var.id`: the function's parameters that are registers. */
function paramRegisters(f: ResidualFunction): Uint8Array {
  const param = new Uint8Array(f.vars.length);
  for (const p of f.params) if (!("size" in p)) param[p.id] = 1;
  return param;
}

/** A value cheap to repeat: copying it to several uses costs nothing. */
function trivial(e: Expr): boolean {
  return e.k === "var" || e.k === "int" || e.k === "float" || e.k === "global" || e.k === "local";
}

/** Reads of `v` in an expression (as `visitVars` walks it, without a callback: the copy passes ask it of every statement after a copy). */
function readsOf(e: Expr, v: Var): number {
  switch (e.k) {
    case "var":
      return e.v === v ? 1 : 0;
    case "load":
    case "bitload":
    case "field":
      return readsOf(e.addr, v);
    case "ptradd":
      return readsOf(e.ptr, v) + readsOf(e.index, v);
    case "ptrdiff":
    case "binary":
      return readsOf(e.left, v) + readsOf(e.right, v);
    case "unary":
    case "cast":
      return readsOf(e.arg, v);
    default:
      return 0;
  }
}

/** Reads of `v` in what a statement evaluates. */
function stmtReadsOf(s: Stmt, v: Var): number {
  switch (s.k) {
    case "set":
      return readsOf(s.value, v);
    case "store":
    case "bitstore":
      return readsOf(s.addr, v) + readsOf(s.value, v);
    case "copy":
      return readsOf(s.dst, v) + readsOf(s.src, v);
    case "zero":
      return readsOf(s.addr, v);
    case "call": {
      let n = readsOf(s.callee, v);
      for (const a of s.args) n += readsOf(a, v);
      return s.dstAddr ? n + readsOf(s.dstAddr, v) : n;
    }
  }
}

/** Reads of `v` in what a terminator evaluates. */
function termReadsOf(t: Terminator, v: Var): number {
  if (t.k === "if") return readsOf(t.cond, v);
  if (t.k === "switch") return readsOf(t.value, v);
  return t.k === "return" && t.value ? readsOf(t.value, v) : 0;
}

/**
 * Copy propagation within blocks: `t = e` is substituted into its uses in the
 * same block and dropped when `t` is dead after them — a single use for any
 * `e`, every use when `e` is a register or a constant. Nothing between the
 * assignment and the last use may change what `e` reads (an assignment to a
 * register it reads; a store or call when it reads memory), and volatile reads
 * are never moved. Values past PROPAGATE_MAX nodes stay where they are, so
 * chains of updates (`s = s + x` unrolled) do not nest without end.
 * What is live on exit from each block stays as it was: `t` goes only where
 * it is dead after its uses or assigned again, and the registers `e` reads
 * are read later in the same block with no assignment to them in between
 * (coalesceCopies keeps it too: the two share one liveness).
 */
const PROPAGATE_MAX = 32;

function propagateCopies(sim: Simplification, registers: RegisterUses, liveOutOf: (id: number, v: Var) => boolean): void {
  const { f } = sim;
  // reads of each register (by Var.id) after the statement at hand: the search for uses ends at the last one
  const ahead = new Int32Array(f.vars.length);
  // the registers the value at hand reads, marked with a number of its own
  const reads: Marks = { marks: new Int32Array(f.vars.length), mark: 0 };
  const sub: Substitution = [];
  // per register, the position of its last assignment in the block at hand, valid where `lastDefIn` names the block
  const lastDef = new Int32Array(f.vars.length);
  const lastDefIn = new Int32Array(f.vars.length).fill(-1);
  sim.flow.blocks.forEach((b, at) => {
    ahead.fill(0);
    for (let r = registers.readsFrom[registers.first[at]!]!; r < registers.readsFrom[registers.first[at + 1]!]!; r++) ahead[registers.reads[r]!]++;
    for (let k = registers.first[at]!; k < registers.first[at + 1]!; k++) {
      const d = registers.dst[k]!;
      if (d >= 0) (lastDef[d] = k - registers.first[at]!), (lastDefIn[d] = b.id);
    }
    // the propagated assignments, dropped at the end (splicing each one out is quadratic in a long block)
    let dropped: Set<Stmt> | null = null;
    for (let i = 0; i < b.stmts.length; i++) {
      const s = b.stmts[i]!;
      forEachOperand(s, uncountReads, ahead);
      if (s.k !== "set") continue;
      const t = s.dst;
      const live = liveOutOf(b.id, t);
      // not read further on, or live out and not assigned again in the block: it stays (what the search below would find)
      if (ahead[t.id] === 0 || (live && (lastDefIn[t.id] !== b.id || lastDef[t.id] <= i))) continue;
      if (readsVolatile(s.value) || exprSize(s.value) > PROPAGATE_MAX) continue;
      // the assignment converted the value to the register's type
      const e: Expr = sameC(s.value.type, t.type) ? s.value : { k: "cast", type: t.type, arg: s.value };
      reads.mark++;
      visitVars(e, markRead, reads);
      const mem = readsMemory(e);
      const once = !trivial(e); // then a second use leaves it
      // uses of t up to its next assignment; `last`: the position of the last one (b.stmts.length: the terminator)
      let uses = 0;
      let last = -1;
      let redefined = false;
      // something ran that may change e's value; a use after it cannot take e
      let blocked = false;
      let cut = false;
      for (let j = i + 1; j <= b.stmts.length && !redefined && !cut; j++) {
        // no read of t further on: where it is assigned again only matters when it is live out
        if (uses === ahead[t.id] && !live) break;
        const n = j < b.stmts.length ? b.stmts[j]! : null;
        const here = n ? stmtReadsOf(n, t) : termReadsOf(b.term, t);
        if (here > 0 && blocked) cut = true;
        else if (here > 0) {
          uses += here;
          last = j;
          if (uses > 1 && once) break;
        }
        if (!n) break;
        const d = stmtDestination(n);
        if (d === t) redefined = true;
        else if ((d && reads.marks[d.id] === reads.mark) || (mem && n.k !== "set")) blocked = true;
      }
      if (cut || uses === 0 || (uses > 1 && once)) continue;
      // t must be dead after its last use: assigned again in this block, or not live out of it
      if (!redefined && live) continue;
      ahead[t.id] -= uses;
      for (let k = 0; k < uses; k++) visitVars(e, addRead, ahead);
      sub[t.id] = e;
      for (let j = i + 1; j <= last; j++) {
        if (j < b.stmts.length) substituteStmt(b.stmts[j]!, sub);
        else substituteTerm(b, sub);
      }
      sub[t.id] = undefined;
      (dropped ??= new Set()).add(s);
    }
    if (dropped) b.stmts = b.stmts.filter((x) => !dropped!.has(x));
  });
}

/**
 * `u = e; ... d = u` within a block, `u` read nowhere in between and `d`
 * neither read nor assigned there: `d = e` at once, later reads of `u` read
 * `d` (until either is assigned again), and `u` goes when it is dead after.
 * Lowered `x--` leaves `t = x - 1; x = t; if (t < 0)`: this makes it
 * `x = x - 1; if (x < 0)`.
 */
function coalesceCopies(sim: Simplification, liveOutOf: (id: number, v: Var) => boolean): void {
  const reads = (s: Stmt, v: Var): boolean => stmtReadsOf(s, v) > 0;
  const sub: Substitution = [];
  for (const b of sim.blocks) {
    for (let i = 0; i < b.stmts.length; i++) {
      const s = b.stmts[i]!;
      if (s.k !== "set" || s.value.k !== "var" || s.value.v === s.dst || !sameC(s.dst.type, s.value.v.type)) continue;
      const d = s.dst;
      const u = s.value.v;
      let k = i - 1;
      while (k >= 0 && stmtDestination(b.stmts[k]!) !== u) k--;
      const def = b.stmts[k];
      if (!def || (def.k !== "set" && def.k !== "call")) continue;
      let touched = false;
      for (let j = k + 1; j < i && !touched; j++) {
        const n = b.stmts[j]!;
        touched = reads(n, u) || reads(n, d) || stmtDestination(n) === d;
      }
      if (touched) continue;
      // reads of u after the copy take d, up to u's next assignment; none may follow an assignment to d
      const uses: number[] = [];
      let dChanged = false;
      let uChanged = false;
      let ok = true;
      for (let j = i + 1; j <= b.stmts.length && !uChanged; j++) {
        const n = j < b.stmts.length ? b.stmts[j]! : null;
        const reading = n ? reads(n, u) : termReadsOf(b.term, u) > 0;
        if (reading && dChanged) ok = false;
        if (reading) uses.push(j);
        if (!n) break;
        const dst = stmtDestination(n);
        if (dst === u) uChanged = true;
        if (dst === d) dChanged = true;
      }
      if (!ok || (!uChanged && liveOutOf(b.id, u))) continue;
      b.stmts[k] = { ...def, dst: d };
      sub[u.id] = { k: "var", type: d.type, v: d };
      for (const j of uses) {
        if (j < b.stmts.length) substituteStmt(b.stmts[j]!, sub);
        else substituteTerm(b, sub);
      }
      sub[u.id] = undefined;
      b.stmts.splice(i, 1);
      i--;
    }
  }
}

/** Count a read of `v` (counts by `Var.id`). */
function addRead(v: Var, counts: Int32Array): void {
  counts[v.id]++;
}

/** Take the reads of registers in `e` away. */
function uncountReads(e: Expr, counts: Int32Array): void {
  visitVars(e, takeRead, counts);
}

function takeRead(v: Var, counts: Int32Array): void {
  counts[v.id]--;
}

/** Registers marked (by `Var.id`) with the number of what marked them last: a set cleared by taking a new number. */
interface Marks {
  marks: Int32Array;
  mark: number;
}

function markRead(v: Var, m: Marks): void {
  m.marks[v.id] = m.mark;
}

/** Whether `e` reads memory (walked as `visitVars` walks, without building operand arrays). */
function readsMemory(e: Expr): boolean {
  switch (e.k) {
    case "load":
    case "bitload":
      return true;
    case "field":
      return readsMemory(e.addr);
    case "ptradd":
      return readsMemory(e.ptr) || readsMemory(e.index);
    case "ptrdiff":
    case "binary":
      return readsMemory(e.left) || readsMemory(e.right);
    case "unary":
    case "cast":
      return readsMemory(e.arg);
    default:
      return false;
  }
}

/** Whether `e` reads a volatile object. */
function readsVolatile(e: Expr): boolean {
  switch (e.k) {
    case "load":
    case "bitload":
      return (e.type.quals & Q_VOLATILE) !== 0 || readsVolatile(e.addr);
    case "field":
      return readsVolatile(e.addr);
    case "ptradd":
      return readsVolatile(e.ptr) || readsVolatile(e.index);
    case "ptrdiff":
    case "binary":
      return readsVolatile(e.left) || readsVolatile(e.right);
    case "unary":
    case "cast":
      return readsVolatile(e.arg);
    default:
      return false;
  }
}

/** `e` with the registers `by` maps replaced (the same object when none is). */
function substituted(e: Expr, by: Substitution): Expr {
  return replaced(e, by, null);
}

/**
 * `e` with the registers `by` maps replaced and, given `facts`, the loads of
 * what a store into a local wrote (same place, same type) replaced by the
 * value stored (the same object when nothing is). One walk for both, with no
 * callback per node: the passes' most frequent.
 */
function replaced(e: Expr, by: Substitution, facts: Map<LocalObject, StoredValue[]> | null): Expr {
  switch (e.k) {
    case "var":
      return by[e.v.id] ?? e;
    case "load":
    case "field":
    case "bitload": {
      if (facts && e.k === "load") {
        const place = localPlace(e.addr);
        const stored = place && facts.get(place.obj)?.find((x) => x.off === place.off && sameC(x.type, e.type));
        if (stored) return stored.value;
      }
      const addr = replaced(e.addr, by, facts);
      return addr === e.addr ? e : ({ ...e, addr } as Expr);
    }
    case "ptradd": {
      const ptr = replaced(e.ptr, by, facts);
      const index = replaced(e.index, by, facts);
      return ptr === e.ptr && index === e.index ? e : { ...e, ptr, index };
    }
    case "ptrdiff":
    case "binary": {
      const left = replaced(e.left, by, facts);
      const right = replaced(e.right, by, facts);
      return left === e.left && right === e.right ? e : ({ ...e, left, right } as Expr);
    }
    case "unary":
    case "cast": {
      const arg = replaced(e.arg, by, facts);
      return arg === e.arg ? e : ({ ...e, arg } as Expr);
    }
    default:
      return e;
  }
}

/** What registers read as, by `Var.id` (holes: themselves). */
type Substitution = (Expr | undefined)[];

const NO_SUBSTITUTION: Substitution = [];

/** Replace registers in what `s` evaluates (calls evaluate arguments before the call, so substitution there is safe too); whether one was. */
function substituteStmt(s: Stmt, by: Substitution): boolean {
  return mapOperands(s, substituted, by);
}

/** Replace registers in what `b`'s terminator evaluates; whether one was. */
function substituteTerm(b: Block, by: Substitution): boolean {
  return mapTerm(b.term, substituted, by);
}

/** Replace what a terminator evaluates by `map`'s result; whether it changed. */
function mapTerm<A>(t: Terminator, map: (e: Expr, arg: A) => Expr, arg: A): boolean {
  if (t.k === "if") {
    const cond = map(t.cond, arg);
    if (cond === t.cond) return false;
    t.cond = cond;
  } else if (t.k === "switch") {
    const value = map(t.value, arg);
    if (value === t.value) return false;
    t.value = value;
  } else if (t.k === "return" && t.value) {
    const value = map(t.value, arg);
    if (value === t.value) return false;
    t.value = value;
  } else return false;
  return true;
}

/**
 * Dead stores to registers: an assignment whose register is not read before
 * being assigned again or leaving the function goes (its expression has no
 * side effects); a call whose result nobody reads keeps only the call. One
 * analysis finds them all, chains across blocks included: a register is
 * live where an assignment that stays, a call, a store or a terminator may
 * read it (strong liveness: what only dead assignments read is dead too).
 */
function removeDeadStores(sim: Simplification): void {
  const { f, flow } = sim;
  const { blocks } = flow;
  const words = (f.vars.length + 31) >>> 5;
  const { first, dst, readsFrom, reads, termFrom } = registerUses(flow);
  // per statement (numbered as in RegisterUses): whether it stays whatever its register's fate (a call, a store, a volatile read)
  const stays: boolean[] = [];
  for (const b of blocks) for (const s of b.stmts) stays.push(s.k !== "set" || readsVolatile(s.value));
  /** Backward through block `i` from `live` (changed in place); `dead` gets the statements whose register is not live after them. */
  const through = (i: number, live: Int32Array, dead?: Uint8Array): void => {
    for (let r = termFrom[i]!; r < readsFrom[first[i + 1]!]!; r++) setBit(live, reads[r]!);
    for (let k = first[i + 1]! - 1; k >= first[i]!; k--) {
      const x = dst[k]!;
      const needed = x >= 0 && hasBit(live, x);
      if (x >= 0 && !needed && dead) dead[k - first[i]!] = 1;
      if (x >= 0) clearBit(live, x);
      if (stays[k] || needed) for (let r = readsFrom[k]!; r < termFrom[i]! && r < readsFrom[k + 1]!; r++) setBit(live, reads[r]!);
    }
  };
  const exitOf = (i: number, out: Int32Array, live: Int32Array): void => {
    for (let w = 0; w < words; w++) live[w] = out[i * words + w]!;
  };
  const out = solveBackward(flow, words, new Int32Array(blocks.length * words), (i, out, into) => {
    exitOf(i, out, into);
    through(i, into);
  });
  const live = new Int32Array(words);
  const dead = new Uint8Array(Math.max(0, ...blocks.map((b) => b.stmts.length)));
  blocks.forEach((b, i) => {
    exitOf(i, out, live);
    dead.fill(0);
    through(i, live, dead);
    if (!dead.includes(1)) return;
    const kept: Stmt[] = [];
    b.stmts.forEach((s, k) => {
      if (!dead[k]) kept.push(s);
      else if (s.k === "call") kept.push({ ...s, dst: null });
      else if (s.k === "set" && readsVolatile(s.value)) kept.push(s);
    });
    b.stmts = kept;
  });
}

/** Push the registers `e` reads (their `Var.id`s). */
function pushReads(e: Expr, ids: number[]): void {
  // walked as `visitVars` walks, without a callback per register (every register analysis starts here)
  switch (e.k) {
    case "var":
      ids.push(e.v.id);
      return;
    case "load":
    case "bitload":
    case "field":
      pushReads(e.addr, ids);
      return;
    case "ptradd":
      pushReads(e.ptr, ids);
      pushReads(e.index, ids);
      return;
    case "ptrdiff":
    case "binary":
      pushReads(e.left, ids);
      pushReads(e.right, ids);
      return;
    case "unary":
    case "cast":
      pushReads(e.arg, ids);
      return;
  }
}

// ---------------------------------------------------------------- constants

/** An expression of constants only: literals and addresses, no register and no memory read. */
function constant(e: Expr): boolean {
  switch (e.k) {
    case "int":
    case "float":
    case "global":
    case "local":
      return true;
    case "field":
      return constant(e.addr);
    case "ptradd":
      return constant(e.ptr) && constant(e.index);
    case "ptrdiff":
    case "binary":
      return constant(e.left) && constant(e.right);
    case "unary":
    case "cast":
      return constant(e.arg);
    default:
      return false;
  }
}

/** The same expression: same operations, types, registers, objects and literals. */
function sameExpr(a: Expr, b: Expr): boolean {
  if (a === b) return true;
  if (a.k !== b.k || !sameC(a.type, b.type)) return false;
  switch (a.k) {
    case "int":
      return a.value === (b as typeof a).value;
    case "float":
      return Object.is(a.value, (b as typeof a).value);
    case "var":
      return a.v === (b as typeof a).v;
    case "global":
      return a.sym === (b as typeof a).sym;
    case "local":
      return a.obj === (b as typeof a).obj;
    case "string":
      return false;
    case "field":
    case "bitload":
      if (a.field !== (b as typeof a).field) return false;
      break;
    case "ptradd":
    case "ptrdiff":
      if (a.scale !== (b as typeof a).scale) return false;
      break;
    case "unary":
      if (a.op !== (b as typeof a).op) return false;
      break;
    case "binary":
      if (a.op !== (b as typeof a).op || !sameC(a.opType, (b as typeof a).opType)) return false;
      break;
  }
  const x = operands(a);
  const y = operands(b);
  return x.length === y.length && x.every((o, i) => sameExpr(o, y[i]!));
}

/** The value of an integer (or integer-valued pointer) constant, in its type's range; null when `e` is not one. */
function intValue(e: Expr, abi: Abi): bigint | null {
  if (e.k === "int") return isInteger(e.type) || e.type.kind === TypeKind.Pointer ? wrap(e.value, e.type, abi) : null;
  if (e.k === "cast" && (isInteger(e.type) || e.type.kind === TypeKind.Pointer) && (isInteger(e.arg.type) || e.arg.type.kind === TypeKind.Pointer)) {
    const v = intValue(e.arg, abi);
    return v === null ? null : wrap(v, e.type, abi);
  }
  return null;
}

/** Constants a target loads as cheaply as a register from the stack: small integers (an immediate operand) and the addresses of locals (frame pointer + offset). */
function cheapConstant(e: Expr, abi: Abi): boolean {
  const v = intValue(e, abi);
  if (v !== null) return v >= -CHEAP_INT && v <= CHEAP_INT;
  return e.k === "local" || (e.k === "cast" && cheapConstant(e.arg, abi));
}

/** The largest magnitude of an integer constant that is an immediate operand on every target (ARM's 8-bit immediates). */
const CHEAP_INT = 255n;

/** Reads of a register (that cost more with a constant) beyond which a uniform constant is hoisted rather than copied into every use. */
const SUBSTITUTE_USES = 2;

/**
 * Registers to which every assignment gives the same constant (the
 * specializer assigns a static value at each point where it generalizes a
 * register it had known): whatever a read of one sees is that constant, so
 * its assignments go. Reads take the constant itself when it is cheap (a
 * small integer, a local's address: then tests of it fold) or when the
 * reads that would cost more with it are few, or no more than the
 * assignments that go (a large address costs a literal-pool load on ARM, a
 * register a reload from the frame; as the base of a member at a nonzero
 * offset, either also takes an add); otherwise the register keeps it from
 * one assignment at the entry. Returns whether anything changed.
 */
function propagateUniformConstants(sim: Simplification, abi: Abi): boolean {
  const { f, blocks } = sim;
  const { param } = sim;
  // by Var.id; null: assigned something else (or by a call) somewhere
  const value: ({ e: Expr; defs: number; pos: SourcePosition } | null | undefined)[] = [];
  // the registers assigned, in the order of their first assignment
  const assigned: Var[] = [];
  for (const b of blocks) {
    for (const s of b.stmts) {
      const d = stmtDestination(s);
      if (!d) continue;
      const prev = value[d.id];
      if (prev === null) continue;
      if (prev === undefined) assigned.push(d);
      if (s.k !== "set" || !constant(s.value) || (d.type.quals & Q_VOLATILE) !== 0 || param[d.id] || (prev && !sameExpr(prev.e, s.value))) value[d.id] = null;
      else if (prev) prev.defs++;
      else value[d.id] = { e: s.value, defs: 1, pos: s.pos };
    }
  }
  // the constants, as the registers' types; their reads are counted only when one is not cheap
  const constants = assigned.flatMap((v) => {
    const u = value[v.id];
    if (!u) return [];
    const e: Expr = sameC(u.e.type, v.type) ? u.e : { k: "cast", type: v.type, arg: u.e };
    return [{ v, u, e, cheap: cheapConstant(e, abi) }];
  });
  if (constants.length === 0) return false;
  const uses = new Int32Array(f.vars.length);
  if (constants.some((c) => !c.cheap)) {
    for (const b of blocks) {
      for (const s of b.stmts) forEachOperand(s, countCostlyReads, uses);
      const t = b.term;
      if (t.k === "if") countCostlyReads(t.cond, uses);
      else if (t.k === "switch") countCostlyReads(t.value, uses);
      else if (t.k === "return" && t.value) countCostlyReads(t.value, uses);
    }
  }
  const substitute: Substitution = [];
  // registers whose assignments go: substituted or hoisted
  const gone = new Uint8Array(f.vars.length);
  const hoist: Stmt[] = [];
  for (const { v, u, e, cheap } of constants) {
    if (cheap || uses[v.id]! <= Math.max(SUBSTITUTE_USES, u.defs)) substitute[v.id] = e;
    else if (u.defs > 1) hoist.push({ k: "set", dst: v, value: u.e, pos: u.pos });
    else continue;
    gone[v.id] = 1;
  }
  if (substitute.length === 0 && hoist.length === 0) return false;
  const goes = (s: Stmt): boolean => s.k === "set" && gone[s.dst.id] === 1;
  for (const b of blocks) {
    let changed = false;
    if (b.stmts.some(goes)) {
      b.stmts = b.stmts.filter((s) => !goes(s));
      changed = true;
    }
    if (sim.readsAny(b, substitute)) {
      for (const s of b.stmts) if (substituteStmt(s, substitute)) changed = true;
      if (substituteTerm(b, substitute)) changed = true;
    }
    if (changed) sim.touchedReplacing(b, substitute);
  }
  const entry = f.blocks[f.entry]!;
  entry.stmts = [...hoist, ...entry.stmts];
  sim.touched(entry);
  return true;
}

/** A register, or one cast. */
function registerBase(e: Expr): boolean {
  return e.k === "var" || (e.k === "cast" && e.arg.k === "var");
}

/**
 * Count (by `Var.id`) the reads of registers in `e` that cost more with a
 * constant in place of the register: all but the base of a member or index
 * step at a nonzero offset, which takes the offset either way.
 */
function countCostlyReads(e: Expr, uses: Int32Array): void {
  switch (e.k) {
    case "var":
      uses[e.v.id]++;
      return;
    case "field":
      if (e.field.offset !== 0 && registerBase(e.addr)) return;
      countCostlyReads(e.addr, uses);
      return;
    case "load":
    case "bitload":
      countCostlyReads(e.addr, uses);
      return;
    case "ptradd":
      if (e.index.k === "int" && e.index.value !== 0n && registerBase(e.ptr)) return;
      countCostlyReads(e.ptr, uses);
      countCostlyReads(e.index, uses);
      return;
    case "ptrdiff":
    case "binary":
      countCostlyReads(e.left, uses);
      countCostlyReads(e.right, uses);
      return;
    case "unary":
    case "cast":
      countCostlyReads(e.arg, uses);
      return;
  }
}

/**
 * Fold operations on integer constants (with the target's widths and C's
 * conversions) and comparisons of an expression with itself; a register a
 * block has just given a constant reads as that constant further in the
 * block (a large one only in a test it decides); a branch or switch on a
 * constant becomes a jump. Returns whether a branch became one.
 */
function foldConstants(sim: Simplification, abi: Abi): boolean {
  const { f } = sim;
  let jumps = false;
  // registers the block has given a constant so far (by Var.id): cheap ones read as the constant, any when that decides the block's branch
  const known = new KnownConstants(f.vars.length, abi);
  const fold = (e: Expr): Expr => foldExpr(e, abi, known.size > 0 ? known.cheap : undefined);
  for (const b of sim.blocks) {
    // folding a block again changes nothing
    if (sim.folded(b)) continue;
    known.clear();
    let changed = false;
    for (const s of b.stmts) {
      if (mapOperands(s, fold, undefined)) changed = true;
      const d = stmtDestination(s);
      if (d) known.note(d, s.k === "set" ? s.value : null);
    }
    const t = b.term;
    const decide = (e: Expr): Expr => {
      if (known.size === 0) return fold(e);
      const all = foldExpr(e, abi, known.all);
      return intValue(all, abi) !== null ? all : fold(e);
    };
    if (mapTerm(t, t.k === "return" ? fold : decide, undefined)) changed = true;
    if (t.k === "if" || t.k === "switch") {
      const decided = intValue(t.k === "if" ? t.cond : t.value, abi);
      if (decided !== null) {
        b.term = { k: "goto", target: branchTarget(t, decided) };
        jumps = changed = true;
      }
    }
    // folding only replaces registers by constants and drops operands
    if (changed) sim.touchedReplacing(b, NO_SUBSTITUTION);
    sim.foldedNow(b);
  }
  if (jumps) sim.changed();
  return jumps;
}

/** Where a branch or switch on `value` goes. */
function branchTarget(t: Terminator & { k: "if" | "switch" }, value: bigint): number {
  if (t.k === "if") return value !== 0n ? t.then : t.else;
  return t.cases.find((c) => c.low <= value && value <= c.high)?.target ?? t.default;
}

/** Statements of a join that jump threading copies into a predecessor. */
const THREAD_MAX = 4;

/**
 * Jump threading over constants: a block that jumps to a small join (not a
 * loop header) whose test, given the constants the block assigned last, is
 * decided, takes a copy of the join's statements and jumps where the test
 * goes. The specializer leaves such joins where it merged states, e.g. an
 * error code set to 0 on one path and to -1 on another, tested right after.
 * Returns whether a jump was threaded.
 */
function threadKnownBranches(sim: Simplification, abi: Abi): boolean {
  const { f, blocks } = sim;
  // loop headers, found when a join is first a candidate (before any jump changes)
  let header: Uint8Array | null = null;
  const loopHeader = (id: number): boolean => {
    if (!header) {
      const rpo = new Int32Array(f.blocks.length);
      sim.order.forEach((id, i) => (rpo[id] = i));
      header = new Uint8Array(f.blocks.length);
      for (const b of blocks) {
        for (let k = 0, n = successorCount(b.term); k < n; k++) {
          const s = successorAt(b.term, k);
          if (rpo[s]! <= rpo[b.id]!) header[s] = 1;
        }
      }
    }
    return header[id] === 1;
  };
  let threaded = false;
  const known = new KnownConstants(f.vars.length, abi);
  for (const b of blocks) {
    if (b.term.k !== "goto") continue;
    const t = f.blocks[b.term.target]!;
    // undecided before, and neither block has changed since (whether the join heads a loop does not decide the test)
    if (t === b || (t.term.k !== "if" && t.term.k !== "switch") || t.stmts.length > THREAD_MAX || sim.undecided(b, t) || loopHeader(t.id)) continue;
    known.clear();
    for (const s of b.stmts) {
      const d = stmtDestination(s);
      if (d) known.note(d, s.k === "set" ? s.value : null);
    }
    for (const s of known.size > 0 ? t.stmts : []) {
      const d = stmtDestination(s);
      if (d) known.note(d, s.k === "set" ? foldExpr(s.value, abi, known.all) : null);
    }
    const decided = known.size > 0 ? intValue(foldExpr(t.term.k === "if" ? t.term.cond : t.term.value, abi, known.all), abi) : null;
    if (decided === null) {
      sim.undecidedNow(b, t);
      continue;
    }
    const target = branchTarget(t.term, decided);
    b.stmts.push(...t.stmts.map((s) => ({ ...s })));
    b.term = { k: "goto", target };
    sim.touched(b);
    threaded = true;
  }
  if (threaded) sim.changed();
  return threaded;
}

/** The constants a block has assigned registers so far, by `Var.id`, as substitutions: all of them, and the cheap ones (cheapConstant). */
class KnownConstants {
  readonly all: Substitution = [];
  readonly cheap: Substitution = [];
  /** How many registers have one. */
  size = 0;
  /** The registers given one since the last `clear` (some since forgotten). */
  private noted: number[] = [];

  constructor(
    registers: number,
    private abi: Abi,
  ) {
    this.all.length = registers;
    this.cheap.length = registers;
  }

  /** `d` was assigned `value` (null: by a call), a constant or not. */
  note(d: Var, value: Expr | null): void {
    const had = this.all[d.id] !== undefined;
    if (value && constant(value)) {
      const e: Expr = sameC(value.type, d.type) ? value : { k: "cast", type: d.type, arg: value };
      this.all[d.id] = e;
      this.cheap[d.id] = cheapConstant(e, this.abi) ? e : undefined;
      if (!had) {
        this.size++;
        this.noted.push(d.id);
      }
    } else if (had) {
      this.all[d.id] = this.cheap[d.id] = undefined;
      this.size--;
    }
  }

  clear(): void {
    for (const id of this.noted) this.all[id] = this.cheap[id] = undefined;
    this.noted.length = 0;
    this.size = 0;
  }
}

function isComparison(op: BinaryOp): boolean {
  return op === "==" || op === "!=" || op === "<" || op === ">" || op === "<=" || op === ">=";
}

/** `e` with the registers `by` maps replaced and its constant operations folded (the same object when nothing changes). */
function foldExpr(e: Expr, abi: Abi, by?: Substitution): Expr {
  switch (e.k) {
    case "var": {
      const r = by?.[e.v.id];
      return r ? foldExpr(r, abi) : e;
    }
    case "load":
    case "field":
    case "bitload": {
      const addr = foldExpr(e.addr, abi, by);
      return addr === e.addr ? e : ({ ...e, addr } as Expr);
    }
    case "ptradd": {
      const ptr = foldExpr(e.ptr, abi, by);
      const index = foldExpr(e.index, abi, by);
      return ptr === e.ptr && index === e.index ? e : { ...e, ptr, index };
    }
    case "ptrdiff": {
      const left = foldExpr(e.left, abi, by);
      const right = foldExpr(e.right, abi, by);
      return left === e.left && right === e.right ? e : { ...e, left, right };
    }
    case "unary": {
      const arg = foldExpr(e.arg, abi, by);
      const x = isInteger(e.type) ? intValue(arg, abi) : null;
      if (x !== null) return { k: "int", type: e.type, value: wrap(e.op === "-" ? -x : e.op === "~" ? ~x : x === 0n ? 1n : 0n, e.type, abi) };
      return arg === e.arg ? e : { ...e, arg };
    }
    case "cast": {
      const arg = foldExpr(e.arg, abi, by);
      const x = isInteger(e.type) ? intValue(arg, abi) : null;
      if (x !== null) return { k: "int", type: e.type, value: wrap(x, e.type, abi) };
      return arg === e.arg ? e : { ...e, arg };
    }
    case "binary": {
      const left = foldExpr(e.left, abi, by);
      const right = foldExpr(e.right, abi, by);
      const v = foldBinary(e, left, right, abi);
      if (v !== null) return { k: "int", type: e.type, value: wrap(v, e.type, abi) };
      return left === e.left && right === e.right ? e : { ...e, left, right };
    }
    default:
      return e;
  }
}

/** The value of a binary operation on folded operands, or null when it is not a constant (or C leaves it undefined). */
function foldBinary(e: Expr & { k: "binary" }, left: Expr, right: Expr, abi: Abi): bigint | null {
  const t = e.opType;
  if (!isInteger(t) && t.kind !== TypeKind.Pointer) return null;
  const compare = isComparison(e.op);
  if (t.kind === TypeKind.Pointer && !compare) return null;
  // an expression compared with itself (no side effects, a volatile read aside)
  if (compare && sameExpr(left, right) && !readsVolatile(left)) return e.op === "==" || e.op === "<=" || e.op === ">=" ? 1n : 0n;
  const l = intValue(left, abi);
  const r = intValue(right, abi);
  if (l === null || r === null) return null;
  const shift = e.op === "<<" || e.op === ">>";
  // operands convert to the operation's type; a shift's count keeps its own
  const x = wrap(l, t, abi);
  const y = shift ? r : wrap(r, t, abi);
  const bits = BigInt(abi.sizeOf(t) * 8);
  const signed = wrap(-1n, t, abi) < 0n;
  // what C leaves undefined stays for the compiler: the most negative value over -1, a signed shift out of range
  if ((e.op === "/" || e.op === "%") && signed && y === -1n && x === wrap(1n << (bits - 1n), t, abi)) return null;
  if (e.op === "<<" && signed && y >= 0n && y < bits && (x < 0n || wrap(x << y, t, abi) !== x << y)) return null;
  return integerBinary(e.op, x, y, bits);
}

// ---------------------------------------------------------------- stores to locals

/**
 * Where an address points: into a local object (the object itself: no
 * allocation for the most frequent answer), somewhere no local can be (a
 * global, a string, a constant address), or anywhere.
 */
type Root = LocalObject | typeof ELSEWHERE | typeof UNKNOWN;

const ELSEWHERE = "elsewhere";
const UNKNOWN = "unknown";

function inLocal(root: Root): root is LocalObject {
  return root !== ELSEWHERE && root !== UNKNOWN;
}

/**
 * The root of an address through casts, member and index steps. A constant
 * address is a device address from before the call, which the frame of the
 * call cannot be.
 */
function rootOf(e: Expr): Root {
  switch (e.k) {
    case "local":
      return e.obj;
    case "global":
    case "string":
    case "int":
      return ELSEWHERE;
    case "cast":
      return rootOf(e.arg);
    case "field":
      return rootOf(e.addr);
    case "ptradd":
      return rootOf(e.ptr);
    default:
      return UNKNOWN;
  }
}

/** Locals whose address `e` lets out: every mention that is not the root of an address `e` reads through (`direct`: `e` is such an address). */
function escapesIn(e: Expr, direct: boolean, out: LocalObject[]): void {
  switch (e.k) {
    case "local":
      if (!direct) out.push(e.obj);
      return;
    case "load":
    case "bitload":
      escapesIn(e.addr, true, out);
      return;
    case "cast":
      escapesIn(e.arg, direct, out);
      return;
    case "field":
      escapesIn(e.addr, direct, out);
      return;
    case "ptradd":
      escapesIn(e.ptr, direct, out);
      escapesIn(e.index, false, out);
      return;
    case "ptrdiff":
    case "binary":
      escapesIn(e.left, false, out);
      escapesIn(e.right, false, out);
      return;
    case "unary":
      escapesIn(e.arg, false, out);
      return;
  }
}

/** Locals whose address a statement lets out (into a register, memory or a call), added to `out`. */
function stmtEscapes(s: Stmt, out: LocalObject[]): void {
  switch (s.k) {
    case "set":
      escapesIn(s.value, false, out);
      break;
    case "store":
    case "bitstore":
      escapesIn(s.addr, true, out);
      escapesIn(s.value, false, out);
      break;
    case "copy":
      escapesIn(s.dst, true, out);
      escapesIn(s.src, true, out);
      break;
    case "zero":
      escapesIn(s.addr, true, out);
      break;
    case "call":
      escapesIn(s.callee, false, out);
      for (const a of s.args) escapesIn(a, false, out);
      if (s.dstAddr) escapesIn(s.dstAddr, true, out);
      break;
  }
}

/** What an evaluation may read of the locals: the ones it reads directly, and whether it reads through an address that may point into any whose address is out. */
interface LocalReads {
  direct: LocalObject[];
  any: boolean;
}

function readsIn(e: Expr, r: LocalReads): void {
  switch (e.k) {
    case "load":
    case "bitload": {
      const root = rootOf(e.addr);
      if (inLocal(root)) r.direct.push(root);
      else if (root === UNKNOWN) r.any = true;
      readsIn(e.addr, r);
      return;
    }
    case "field":
      readsIn(e.addr, r);
      return;
    case "ptradd":
      readsIn(e.ptr, r);
      readsIn(e.index, r);
      return;
    case "ptrdiff":
    case "binary":
      readsIn(e.left, r);
      readsIn(e.right, r);
      return;
    case "unary":
    case "cast":
      readsIn(e.arg, r);
      return;
  }
}

/** What a statement reads of the locals, into `r` (emptied first). */
function stmtReads(s: Stmt, r: LocalReads): void {
  r.direct.length = 0;
  r.any = s.k === "call";
  forEachOperand(s, readsIn, r);
  if (s.k === "copy") readsIn({ k: "load", type: s.type, addr: s.src }, r);
}

/** What a statement or terminator that reads `r`, lets `escapes` out and writes `stored` does with the locals, numbered (shared when it names none). */
function stmtLocals(r: LocalReads, escapes: readonly LocalObject[], stored: LocalObject | null, numbers: LocalNumbers): StmtLocals {
  if (escapes.length === 0 && r.direct.length === 0 && !stored) return r.any ? READS_ANY : NAMES_NONE;
  return { escapes: numbers.all(escapes), direct: numbers.all(r.direct), any: r.any, stored: stored ? numbers.of(stored) : -1 };
}


/** The local a statement writes without side effects (a store, bit-field store, zeroing or copy into it), if any. */
function storedLocal(s: Stmt): LocalObject | null {
  if (s.k !== "store" && s.k !== "bitstore" && s.k !== "zero" && s.k !== "copy") return null;
  const addr = s.k === "copy" ? s.dst : s.addr;
  const type = s.k === "bitstore" ? s.field.type : s.type;
  if ((type.quals & Q_VOLATILE) !== 0) return null;
  const root = rootOf(addr);
  return inLocal(root) && (root.type.quals & Q_VOLATILE) === 0 ? root : null;
}

/** The locals a statement lets out and reads, by their numbers in a `LocalNumbers` (kept across rounds over statements no pass changes in between). */
interface StmtLocals {
  escapes: readonly number[];
  direct: readonly number[];
  /** It may read through an address that may point into any local whose address is out (or it calls). */
  any: boolean;
  /** The local it writes without side effects (storedLocal), -1: none. */
  stored: number;
}

/** The numbers of no local (shared: most statements name none). */
const NO_LOCALS: readonly number[] = [];

/** What a statement that names no local does with them, reading through an unknown address or calling (`READS_ANY`) or not. */
const NAMES_NONE: StmtLocals = { escapes: NO_LOCALS, direct: NO_LOCALS, any: false, stored: -1 };
const READS_ANY: StmtLocals = { escapes: NO_LOCALS, direct: NO_LOCALS, any: true, stored: -1 };

/** A number per local, its bit in the sets of locals (`Int32Array` words) of one run of simplifyLocalStores. */
class LocalNumbers {
  readonly index = new Map<LocalObject, number>();
  of(o: LocalObject): number {
    let i = this.index.get(o);
    if (i === undefined) this.index.set(o, (i = this.index.size));
    return i;
  }
  all(os: readonly LocalObject[]): readonly number[] {
    if (os.length === 0) return NO_LOCALS;
    const out: number[] = [];
    for (const o of os) out.push(this.of(o));
    return out;
  }
  /** Words of a set of every local numbered so far. */
  get words(): number {
    return (this.index.size + 31) >>> 5;
  }
}

function hasBit(a: Int32Array, i: number): boolean {
  return (a[i >>> 5]! & (1 << (i & 31))) !== 0;
}

function setBit(a: Int32Array, i: number): void {
  a[i >>> 5]! |= 1 << (i & 31);
}

function clearBit(a: Int32Array, i: number): void {
  a[i >>> 5]! &= ~(1 << (i & 31));
}

/** What the statements and terminators of the reachable blocks read and let out of the locals, and which locals may be read after each block's start (flat sets of local numbers, `words` words per block). */
interface LocalLiveness {
  flow: Flow;
  /** Per block: per statement, then for the terminator, what it reads and lets out. */
  info: StmtLocals[][];
  /** Per block: whether a statement writes a local without side effects (storedLocal). */
  writes: Uint8Array;
  /** Per block: the locals whose address is out on entry. */
  escIn: Int32Array;
  liveIn: Int32Array;
  words: number;
  /** Room for a set (blockReads). */
  out: Int32Array;
}

/**
 * Whether an address is out is followed forward along the control flow (a
 * load through an unknown address, or a call, may read only the locals whose
 * address is out by then); which locals a later statement may read, backward.
 * Stores do not end a local's liveness (they may write part of it). A
 * function's locals die when it returns.
 */
function localLiveness(flow: Flow, known: (StmtLocals[] | undefined)[], numbers: LocalNumbers): LocalLiveness {
  const { blocks } = flow;
  const n = blocks.length;
  const writes = new Uint8Array(n);
  // room for what one statement reads and lets out
  const r: LocalReads = { direct: [], any: false };
  const escapes: LocalObject[] = [];
  const info = blocks.map((b, i) => {
    let xs = known[b.id];
    if (!xs) {
      xs = b.stmts.map((s) => {
        stmtReads(s, r);
        escapes.length = 0;
        stmtEscapes(s, escapes);
        return stmtLocals(r, escapes, storedLocal(s), numbers);
      });
      r.direct.length = 0;
      r.any = false;
      escapes.length = 0;
      for (const e of termOperands(b.term)) {
        readsIn(e, r);
        escapesIn(e, false, escapes);
      }
      xs.push(stmtLocals(r, escapes, null, numbers));
      known[b.id] = xs;
    }
    for (const x of xs) if (x.stored >= 0) writes[i] = 1;
    return xs;
  });
  const words = numbers.words;
  // what a block lets out itself, then the fixpoint of what is out on entry
  const gen = new Int32Array(n * words);
  info.forEach((xs, i) => {
    for (const x of xs) for (const o of x.escapes) setBit(gen, i * words * 32 + o);
  });
  const escIn = new Int32Array(n * words);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < n; i++) {
      for (let k = flow.succStart[i]!; k < flow.succStart[i + 1]!; k++) {
        const s = flow.succ[k]!;
        for (let w = 0; w < words; w++) {
          const next = escIn[s * words + w]! | escIn[i * words + w]! | gen[i * words + w]!;
          if (next !== escIn[s * words + w]) {
            escIn[s * words + w] = next;
            changed = true;
          }
        }
      }
    }
  }
  const L = { flow, info, writes, escIn, liveIn: new Int32Array(n * words), words, out: new Int32Array(words) };
  let reads: Int32Array = new Int32Array(0);
  for (let i = 0; i < n; i++) {
    reads = blockReads(L, i, reads);
    for (let r = 0; r < info[i]!.length * words; r++) L.liveIn[i * words + (r % words)]! |= reads[r]!;
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      for (let k = flow.succStart[i]!; k < flow.succStart[i + 1]!; k++) {
        const s = flow.succ[k]!;
        for (let w = 0; w < words; w++) {
          const next = L.liveIn[i * words + w]! | L.liveIn[s * words + w]!;
          if (next !== L.liveIn[i * words + w]) {
            L.liveIn[i * words + w] = next;
            changed = true;
          }
        }
      }
    }
  }
  return L;
}

/**
 * What each statement of block `i` and its terminator may read of the
 * locals, as sets of `words` words one after the other in `rows` (grown
 * when too small; returned): those it reads directly and, when it calls or
 * reads through an address that may point anywhere, every local whose
 * address is out by then.
 */
function blockReads(L: LocalLiveness, i: number, rows: Int32Array): Int32Array {
  const { words, out } = L;
  const xs = L.info[i]!;
  if (rows.length < xs.length * words) rows = new Int32Array(2 * xs.length * words);
  rows.fill(0, 0, xs.length * words);
  // what is out so far
  for (let w = 0; w < words; w++) out[w] = L.escIn[i * words + w]!;
  xs.forEach((x, k) => {
    for (const o of x.escapes) setBit(out, o);
    if (x.any) for (let w = 0; w < words; w++) rows[k * words + w] = out[w]!;
    for (const o of x.direct) setBit(rows, k * words * 32 + o);
  });
  return rows;
}

/**
 * Stores into locals, in rounds over one analysis each:
 * - a store into a local that nothing reads afterwards goes: no later load
 *   from the object and, once its address is out (in a register, in memory,
 *   passed to a call), no later call or load through an address that may
 *   point into it;
 * - stores of constants (and parameters) into a local at the end of a block
 *   that branches, with no read of the local after them in the block, move
 *   to the branch targets where the local may still be read, and go from
 *   those where it cannot be (partial dead stores: the specializer
 *   materializes a `struct msghdr` that only a fallback call reads at each
 *   exit of the code that builds it); a target with other predecessors gets
 *   them on a block of its own on that edge;
 * - the same such stores ending every predecessor of a join move into it.
 * Returns whether a statement that went (or moved) read a register: only
 * then can an assignment to one have become dead.
 */
function simplifyLocalStores(sim: Simplification): boolean {
  const { f } = sim;
  if (f.locals.length === 0 && f.params.every((p) => !("size" in p))) return false;
  // a statement that went read a register
  const freed = { read: false };
  const fixed = fixedRegisters(sim);
  // per block id: what its statements, then its terminator, read and let out (until a round changes its statements; no pass changes their operands in between)
  const known: (StmtLocals[] | undefined)[] = [];
  const numbers = new LocalNumbers();
  let rows: Int32Array = new Int32Array(0);
  for (let round = 0; round < LOCAL_STORE_ROUNDS; round++) {
    const { flow } = sim;
    const merged = mergeTrailingStores(f, flow, fixed, known);
    const L = localLiveness(flow, known, numbers);
    const { blocks } = flow;
    const { liveIn, words } = L;
    const live = new Int32Array(words);
    const stopped = new Int32Array(words);
    const livesIn = (t: number, o: number): boolean => hasBit(liveIn, t * words * 32 + o);
    const preds = sim.preds.count;
    let changed = false;
    // blocks given statements this round (their read sets no longer line up)
    const touched = new Uint8Array(f.blocks.length);
    blocks.forEach((b, i) => {
      // a block that writes no local has no store to remove or move
      if (!L.writes[i] || touched[b.id]) return;
      const xs = L.info[i]!;
      rows = blockReads(L, i, rows);
      const targets: number[] = [];
      for (let k = flow.succStart[i]!; k < flow.succStart[i + 1]!; k++) if (!targets.includes(flow.succ[k]!)) targets.push(flow.succ[k]!);
      const term = b.stmts.length * words;
      for (let w = 0; w < words; w++) live[w] = stopped[w] = rows[term + w]!;
      for (const t of targets) for (let w = 0; w < words; w++) live[w]! |= liveIn[t * words + w]!;
      // per local: its constant stores after the last statement that may read it, and after any write through an address that may point anywhere
      const sinking = new Map<number, Stmt[]>();
      let barrier = targets.length < 2;
      const gone = new Set<Stmt>();
      for (let k = b.stmts.length - 1; k >= 0; k--) {
        const s = b.stmts[k]!;
        const target = xs[k]!.stored;
        if (target >= 0 && !hasBit(live, target)) {
          gone.add(s);
          continue;
        }
        if (writesAnywhere(s)) barrier = true;
        if (!barrier && target >= 0 && !hasBit(stopped, target) && sinkable(s, fixed)) {
          let group = sinking.get(target);
          if (!group) sinking.set(target, (group = []));
          group.unshift(s);
        } else if (target >= 0) setBit(stopped, target);
        for (let w = 0; w < words; w++) {
          live[w]! |= rows[k * words + w]!;
          stopped[w]! |= rows[k * words + w]!;
        }
      }
      for (const [o, group] of sinking) {
        // only where some target does not read the local: otherwise moving them copies them
        if (targets.every((t) => livesIn(t, o))) continue;
        for (const s of group) gone.add(s);
        for (const t of targets) {
          if (!livesIn(t, o)) continue;
          const tb = blocks[t]!;
          const copies = group.map((s) => ({ ...s }));
          if (preds[tb.id] === 1) {
            tb.stmts.unshift(...copies);
            touched[tb.id] = 1;
            known[tb.id] = undefined;
          } else {
            retarget(b, tb.id, newBlock(f, copies, tb.id));
            sim.changed();
          }
        }
      }
      if (gone.size > 0) {
        b.stmts = b.stmts.filter((s) => !gone.has(s));
        known[b.id] = undefined;
        changed = true;
        for (const s of gone) forEachOperand(s, noteRegisterReads, freed);
      }
    });
    if (!changed && !merged) break;
  }
  return freed.read;
}

function noteRegisterReads(e: Expr, freed: { read: boolean }): void {
  visitVars(e, noteRegisterRead, freed);
}

function noteRegisterRead(_v: Var, freed: { read: boolean }): void {
  freed.read = true;
}

/** A store into a local of constants and registers no statement assigns (parameters): nothing it reads changes where it moves. */
function sinkable(s: Stmt, fixed: Uint8Array): boolean {
  if (storedLocal(s) === null) return false;
  const unchanging = (e: Expr): boolean => (e.k === "var" ? fixed[e.v.id] === 1 : e.k !== "load" && e.k !== "bitload" && e.k !== "string" && operands(e).every(unchanging));
  return stmtOperands(s).every(unchanging);
}

/** Flags by `Var.id`: the parameters no statement assigns. */
function fixedRegisters(sim: Simplification): Uint8Array {
  const fixed = sim.param.slice();
  for (const b of sim.blocks) for (const s of b.stmts) {
    const d = stmtDestination(s);
    if (d) fixed[d.id] = 0;
  }
  return fixed;
}

/** The same store, copy or zeroing. */
function sameStore(a: Stmt, b: Stmt): boolean {
  switch (a.k) {
    case "store":
      return b.k === a.k && sameC(a.type, b.type) && sameExpr(a.addr, b.addr) && sameExpr(a.value, b.value);
    case "bitstore":
      return b.k === a.k && a.field === b.field && sameExpr(a.addr, b.addr) && sameExpr(a.value, b.value);
    case "zero":
      return b.k === a.k && a.size === b.size && sameC(a.type, b.type) && sameExpr(a.addr, b.addr);
    case "copy":
      return b.k === a.k && a.size === b.size && sameC(a.type, b.type) && sameExpr(a.dst, b.dst) && sameExpr(a.src, b.src);
    default:
      return false;
  }
}

/**
 * Constant stores into locals that end every predecessor of a join alike
 * (each jumping only there) move into the join, once; from there, if it
 * branches, sinking takes them on. Returns whether any moved.
 */
function mergeTrailingStores(f: ResidualFunction, flow: Flow, fixed: Uint8Array, known: (StmtLocals[] | undefined)[]): boolean {
  let moved = false;
  flow.blocks.forEach((j, i) => {
    const from = flow.predStart[i]!;
    const to = flow.predStart[i + 1]!;
    if (j.id === f.entry || to - from < 2) return;
    // a predecessor with more than one edge here branches: then nothing moves
    for (let k = from; k < to; k++) {
      const p = flow.blocks[flow.pred[k]!]!;
      if (p.term.k !== "goto" || p === j) return;
    }
    const ps: Block[] = [];
    for (let k = from; k < to; k++) ps.push(flow.blocks[flow.pred[k]!]!);
    const first = ps[0]!;
    let n = 0;
    for (;;) {
      const s = first.stmts[first.stmts.length - 1 - n];
      if (!s || !sinkable(s, fixed) || ps.some((p) => p.stmts.length - 1 - n < 0 || !sameStore(p.stmts[p.stmts.length - 1 - n]!, s))) break;
      n++;
    }
    if (n === 0) return;
    const group = first.stmts.slice(-n);
    for (const p of ps) {
      p.stmts = p.stmts.slice(0, -n);
      known[p.id] = undefined;
    }
    j.stmts = [...group, ...j.stmts];
    known[j.id] = undefined;
    moved = true;
  });
  return moved;
}

/** A store (or copy, or zeroing) through an address that may point into a local, or a call: either may write any local whose address is out. */
function writesAnywhere(s: Stmt): boolean {
  if (s.k === "call") return true;
  if (s.k === "set") return false;
  return rootOf(s.k === "copy" ? s.dst : s.addr) === UNKNOWN;
}


/** A new block of `stmts` that jumps to `target`; its id. */
function newBlock(f: ResidualFunction, stmts: Stmt[], target: number): number {
  const id = f.blocks.length;
  f.blocks.push({ id, stmts, term: { k: "goto", target } });
  return id;
}

/** `b`'s edges to `from` go to `to` instead. */
function retarget(b: Block, from: number, to: number): void {
  const t = b.term;
  if (t.k === "goto") {
    if (t.target === from) t.target = to;
  } else if (t.k === "if") {
    if (t.then === from) t.then = to;
    if (t.else === from) t.else = to;
  } else if (t.k === "switch") {
    if (t.default === from) t.default = to;
    for (const c of t.cases) if (c.target === from) c.target = to;
  }
}

/** A place in a local object: the object and a constant byte offset. */
function localPlace(e: Expr): { obj: LocalObject; off: number } | null {
  switch (e.k) {
    case "local":
      return { obj: e.obj, off: 0 };
    case "cast":
      return localPlace(e.arg);
    case "field": {
      const p = localPlace(e.addr);
      return p && { obj: p.obj, off: p.off + e.field.offset };
    }
    case "ptradd": {
      const p = localPlace(e.ptr);
      return p && e.index.k === "int" ? { obj: p.obj, off: p.off + Number(e.index.value) * e.scale } : null;
    }
    default:
      return null;
  }
}

/** A value stored into a local, to be read back from it: the store's type, its offset, and the value converted to that type. */
interface StoredValue {
  off: number;
  type: CType;
  value: Expr;
}

/**
 * Store-to-load forwarding for locals along chains of blocks with one
 * predecessor each: a load of what a store into a local wrote (same place,
 * same type) reads the stored value instead when that is a constant or a
 * parameter no statement assigns (a temporary would only trade the load for
 * a reload, and keep a single-use temporary from folding into its use) and
 * nothing in between may have changed the object: another store into it
 * and, for an object whose address is out anywhere in the function, a call
 * or a store through an address that may point into it. (Lowered
 * `iov.iov_len = len; ... if (len <= iov.iov_len)`: then the test folds.)
 * Returns whether a load went.
 */
function forwardLocalStores(sim: Simplification, abi: Abi): boolean {
  const { f } = sim;
  if (f.locals.length === 0 && f.params.every((p) => !("size" in p))) return false;
  const fixed = fixedRegisters(sim);
  const { blocks } = sim;
  const memos = sim.forwardMemos(fixed);
  const forwardable = (s: Stmt): s is Stmt & { k: "store" } => s.k === "store" && storedLocal(s) !== null && localPlace(s.addr) !== null && (constant(s.value) || (s.value.k === "var" && fixed[s.value.v.id] === 1));
  if (!blocks.some((b) => b.stmts.some(forwardable))) return false;
  // the locals whose address is out somewhere: the blocks are searched as far as a question needs (the first block not searched yet: `searched`)
  const out: LocalObject[] = [];
  let searched = 0;
  const escaped = (o: LocalObject): boolean => {
    if (out.includes(o)) return true;
    for (; searched < blocks.length; ) {
      const b = blocks[searched++]!;
      const from = out.length;
      for (const s of b.stmts) stmtEscapes(s, out);
      for (const e of termOperands(b.term)) escapesIn(e, false, out);
      if (out.indexOf(o, from) >= 0) return true;
    }
    return false;
  };
  const { preds } = sim;
  // what each block ends knowing, by block id (shared with its successors until one learns or forgets something: the lists are never changed in place)
  const atEnd: (Map<LocalObject, StoredValue[]> | undefined)[] = [];
  const nothing = new Map<LocalObject, StoredValue[]>();
  let forwarded = false;
  let facts = nothing;
  let own = false;
  // a load went in the block at hand
  let here = false;
  const read = (e: Expr): Expr => {
    const out = replaced(e, NO_SUBSTITUTION, facts);
    if (out !== e) here = true;
    return out;
  };
  for (const id of sim.order) {
    const b = f.blocks[id]!;
    // what the block's only predecessor ends knowing
    const known = (id !== f.entry && preds.count[id] === 1 ? atEnd[preds.last[id]!] : undefined) ?? nothing;
    // the block as this pass left it last time, knowing the same on entry and asking the same of escapes: this pass again would leave it alike
    const memo = memos[id];
    if (memo && memo.version === sim.version(b) && sameFacts(memo.known, known) && memo.asked.every(([o, out]) => escaped(o) === out)) {
      atEnd[id] = memo.atEnd;
      continue;
    }
    const asked: [LocalObject, boolean][] = [];
    facts = known;
    own = false;
    here = false;
    const change = (): void => {
      if (!own) (facts = new Map(facts)), (own = true);
    };
    for (const s of b.stmts) {
      // with nothing known, only a store can teach something
      if (facts.size === 0 && s.k !== "store") continue;
      mapOperands(s, read, undefined);
      if (facts.size > 0 && writesAnywhere(s)) {
        for (const o of facts.keys()) {
          const out = escaped(o);
          asked.push([o, out]);
          if (!out) continue;
          change();
          facts.delete(o);
        }
      }
      const written = writtenAddress(s);
      const target = written && rootOf(written);
      if (!target || !inLocal(target)) continue;
      const place = localPlace(written!);
      const size = s.k === "store" ? abi.sizeOf(s.type) : 0;
      // what the write may overlap goes (all of the object unless it is a plain store at a known place)
      const kept = place && s.k === "store" ? (facts.get(target) ?? []).filter((x) => x.off + abi.sizeOf(x.type) <= place.off || place.off + size <= x.off) : [];
      if (place && forwardable(s)) {
        kept.push({ off: place.off, type: s.type, value: sameC(s.value.type, s.type) ? s.value : { k: "cast", type: s.type, arg: s.value } });
      }
      change();
      facts.set(target, kept);
    }
    if (facts.size > 0) mapTerm(b.term, read, undefined);
    if (here) {
      forwarded = true;
      sim.touched(b);
    }
    atEnd[id] = facts;
    memos[id] = { version: sim.version(b), known, asked, atEnd: facts };
  }
  return forwarded;
}

/** The same facts about stores into locals (the same stores, values alike). */
function sameFacts(a: Map<LocalObject, StoredValue[]>, b: Map<LocalObject, StoredValue[]>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [o, xs] of a) {
    const ys = b.get(o);
    if (!ys || ys.length !== xs.length || xs.some((x, i) => x.off !== ys[i]!.off || !sameC(x.type, ys[i]!.type) || !sameExpr(x.value, ys[i]!.value))) return false;
  }
  return true;
}

/** What forwardLocalStores made of a block: the block's version after, what it knew on entry, the escapes it asked about, what it knew at the end. */
interface ForwardMemo {
  version: number;
  known: Map<LocalObject, StoredValue[]>;
  asked: [LocalObject, boolean][];
  atEnd: Map<LocalObject, StoredValue[]>;
}

/** The address a statement writes memory at (a call: where its aggregate result goes), if any. */
function writtenAddress(s: Stmt): Expr | null {
  switch (s.k) {
    case "store":
    case "bitstore":
    case "zero":
      return s.addr;
    case "copy":
      return s.dst;
    case "call":
      return s.dstAddr;
    default:
      return null;
  }
}

/** Replace each expression a statement evaluates by `map`'s result (given `arg`, so that callers need no closure per statement); whether one changed. */
function mapOperands<A>(s: Stmt, map: (e: Expr, arg: A) => Expr, arg: A): boolean {
  switch (s.k) {
    case "set": {
      const value = map(s.value, arg);
      if (value === s.value) return false;
      s.value = value;
      return true;
    }
    case "store":
    case "bitstore": {
      const addr = map(s.addr, arg);
      const value = map(s.value, arg);
      if (addr === s.addr && value === s.value) return false;
      s.addr = addr;
      s.value = value;
      return true;
    }
    case "copy": {
      const dst = map(s.dst, arg);
      const src = map(s.src, arg);
      if (dst === s.dst && src === s.src) return false;
      s.dst = dst;
      s.src = src;
      return true;
    }
    case "zero": {
      const addr = map(s.addr, arg);
      if (addr === s.addr) return false;
      s.addr = addr;
      return true;
    }
    case "call": {
      const callee = map(s.callee, arg);
      // a new array only when an argument changes (the statement may share its array)
      let args: Expr[] | null = null;
      for (let i = 0; i < s.args.length; i++) {
        const a = map(s.args[i]!, arg);
        if (a !== s.args[i]) (args ??= s.args.slice())[i] = a;
      }
      const dstAddr = s.dstAddr && map(s.dstAddr, arg);
      if (callee === s.callee && !args && dstAddr === s.dstAddr) return false;
      s.callee = callee;
      if (args) s.args = args;
      s.dstAddr = dstAddr;
      return true;
    }
  }
}

/** Rounds over stores into locals: each moves stores one branch further; removing some can keep an address from leaving, which frees more. */
const LOCAL_STORE_ROUNDS = 8;

// ---------------------------------------------------------------- printing

export class CPrinter {
  private records = new Map<RecordDef, string>();
  private recordOrder: RecordDef[] = [];
  private needCopy = false;
  private needZero = false;
  /** The function being printed. */
  private current: ResidualFunction | null = null;
  /** A <stdarg.h> builtin was printed. */
  private needVaList = false;

  constructor(
    private abi: Abi,
    /** Residual names of globals that are renamed (static locals). */
    private names: Map<Symbol, string> = new Map(),
  ) {}

  nameOf(sym: Symbol): string {
    return this.names.get(sym) ?? sym.name;
  }

  private readonly declarator = declarationPrinter({ structural: true, recordName: (def) => this.recordName(def) });
  /** What each type was printed as (casts, loads and lifted constants repeat a few types thousands of times). */
  private readonly spellings = new Map<CType, Spellings>();

  private spelling(type: CType): Spellings {
    let known = this.spellings.get(type);
    if (!known) this.spellings.set(type, (known = {}));
    return known;
  }

  /** `type` declaring `name` (C declarator syntax); records by their residual names, typedefs and enums spelled out. */
  readonly declare = (type: CType, name: string): string => {
    const known = this.spelling(type);
    if (name === "") return (known.name ??= this.declarator(type, name));
    if (name === "*") return (known.pointer ??= this.declarator(type, name));
    // the name goes where the type's declarator puts any name (spacing only depends on whether there is one)
    const around = (known.around ??= this.declarator(type, NAME_HOLE).split(NAME_HOLE) as [string, string]);
    return around[0] + name + around[1];
  };

  /** `(type)`, a cast. */
  private castOpen(type: CType): string {
    const known = this.spelling(type);
    return (known.cast ??= `(${this.declare(type, "")})`);
  }

  /** `*(type *)`, an access through an address converted to point to `type`. */
  private derefOpen(type: CType): string {
    const known = this.spelling(type);
    return (known.deref ??= `*(${this.declare(type, "*")})`);
  }

  private recordName(def: RecordDef): string {
    // the target's va_list record is the compiler's own (tcc predefines it): named through its typedef, never defined here
    if (def.pos.file === BUILTIN_FILE) return this.abi.target === "x86_64" ? "__typeof__(**(__builtin_va_list *)0)" : "__builtin_va_list";
    let name = this.records.get(def);
    if (!name) {
      name = `${def.union ? "union" : "struct"} ${def.tag ? `${def.tag}_${def.id}` : `anon_${def.id}`}`;
      this.records.set(def, name);
      this.recordOrder.push(def);
      for (const f of def.fields ?? []) this.touch(f.type);
    }
    return name;
  }

  private touch(t: CType): void {
    if (t.kind === TypeKind.Pointer) this.touch(t.to);
    else if (t.kind === TypeKind.Array) this.touch(t.of);
    else if (t.kind === TypeKind.Function) {
      this.touch(t.ret);
      t.params.forEach((p) => this.touch(p.type));
    } else if (t.kind === TypeKind.Record) this.recordName(t.def);
  }

  /** Record definitions in an order where by-value members come first. */
  recordDefinitions(): string {
    const done = new Set<RecordDef>();
    const out: string[] = [];
    for (const def of this.recordOrder) out.push(`${this.recordName(def)};`);
    const emit = (def: RecordDef): void => {
      if (done.has(def)) return;
      done.add(def);
      for (const f of def.fields ?? []) for (const r of valueRecords(f.type)) emit(r);
      if (!def.fields) return;
      let byTarget = printedDefinitions.get(def);
      if (!byTarget) printedDefinitions.set(def, (byTarget = new Map()));
      let text = byTarget.get(this.abi.target);
      if (text === undefined) byTarget.set(this.abi.target, (text = this.definition(def, def.fields)));
      out.push(text);
    };
    for (let i = 0; i < this.recordOrder.length; i++) emit(this.recordOrder[i]!);
    return out.join("\n");
  }

  /** A record's definition (the records its members name are declared already: their names were taken with its own). */
  private definition(def: RecordDef, fields: Field[]): string {
    const body = fields.map((f) => `    ${this.field(f)};`).join("\n");
    const attrs = [def.packed ? "packed" : "", def.alignAttr ? `aligned(${def.alignAttr})` : ""].filter(Boolean);
    const text = `${this.recordName(def)} {\n${body}\n}${attrs.length ? ` __attribute__((${attrs.join(", ")}))` : ""};`;
    const packed = def.pragmaPack ? `#pragma pack(push, ${def.pragmaPack})\n${text}\n#pragma pack(pop)` : text;
    // tcc lays the record out with MS bit-field rules only while its option is in force
    return def.msBitfields ? `#pragma comment(option, "-mms-bitfields")\n${packed}\n#pragma comment(option, "-mno-ms-bitfields")` : packed;
  }

  private field(f: Field): string {
    const { type, name, bitWidth: bits } = f;
    if (f.anonymous && type.kind === TypeKind.Record) {
      const def = type.def;
      const body = (def.fields ?? []).map((f) => `${this.field(f)};`).join(" ");
      return `${def.union ? "union" : "struct"} { ${body} }`;
    }
    const d = this.declare(type, name ?? "");
    // a member's own alignment moves it (and, in MS layout, starts a new bit-field unit)
    const aligned = f.alignAttr ? ` __attribute__((aligned(${f.alignAttr})))` : "";
    return bits !== null ? `${d} : ${bits}${aligned}` : `${d}${aligned}`;
  }

  // ---- expressions

  /** `e` as a full expression (a condition, a value assigned, an argument). */
  expr(e: Expr): string {
    return this.print(e, ANY);
  }

  /** `e` where the context needs an operand binding at least as tightly as `min`: parenthesized when it binds looser. */
  private print(e: Expr, min: number): string {
    switch (e.k) {
      case "int": {
        const text = this.intLiteral(e.value, e.type);
        // a negative number or a cast binds as a unary operator
        const c = text.charCodeAt(0);
        return parenthesized(text, c === MINUS || c === OPEN ? UNARY : PRIMARY, min);
      }
      case "float":
        return this.floatLiteral(e.value, e.type);
      case "var":
        return e.v.name;
      case "global":
        return e.sym.type.kind === TypeKind.Function ? e.sym.name : parenthesized(`&${this.nameOf(e.sym)}`, UNARY, min);
      case "local":
        return parenthesized(`&${e.obj.name}`, UNARY, min);
      case "string":
        return parenthesized(`(${this.declare(e.type, "")})${cString(e.bytes)}`, UNARY, min);
      case "load":
        return parenthesized(this.deref(e.type, e.addr), UNARY, min);
      case "bitload":
        return parenthesized(`${this.print(e.addr, POSTFIX)}->${e.field.name}`, POSTFIX, min);
      case "field": {
        // `&p->f` points to the member's type with the record's qualifiers added: the cast only stays when it changes that
        const member = `&${this.print(e.addr, POSTFIX)}->${e.field.name}`;
        return parenthesized(this.plainMember(e) ? member : `${this.castOpen(e.type)}${member}`, UNARY, min);
      }
      case "ptradd":
        return this.ptradd(e, min);
      case "ptrdiff":
        return parenthesized(`${this.castOpen(e.type)}(((char *)${this.print(e.left, UNARY)} - (char *)${this.print(e.right, UNARY)}) / ${e.scale})`, UNARY, min);
      case "unary": {
        const arg = this.print(e.arg, UNARY);
        // `- -x`, not the decrement `--x`
        return parenthesized(e.op === "-" && arg.charCodeAt(0) === MINUS ? `-(${arg})` : `${e.op}${arg}`, UNARY, min);
      }
      case "binary": {
        const op = BINARY[e.op];
        // gcc's -Wlogical-not-parentheses: `!a == b` reads as if `!` applied to the comparison
        const notLeft = (op.prec === RELATIONAL || op.prec === EQUALITY) && e.left.k === "unary" && e.left.op === "!";
        return parenthesized(`${this.print(e.left, notLeft ? PRIMARY : op.left)} ${e.op} ${this.print(e.right, op.right)}`, op.prec, min);
      }
      case "cast":
        if (sameC(e.arg.type, e.type)) return this.print(e.arg, min);
        return parenthesized(`${this.castOpen(e.type)}${this.print(e.arg, UNARY)}`, UNARY, min);
    }
  }

  /** `&p->f` has the member address's type: it points to the member's type, and the record's qualifiers add none. */
  private plainMember(e: Expr & { k: "field" }): boolean {
    const pt = e.addr.type;
    return e.type.kind === TypeKind.Pointer && pt.kind === TypeKind.Pointer && pt.to.quals === 0 && sameC(e.type.to, e.field.type);
  }

  /** The value of type `type` at `addr`, through `addr` as it is when it already points to that type. */
  private deref(type: CType, addr: Expr): string {
    if (addr.type.kind === TypeKind.Pointer && sameC(addr.type.to, type)) {
      // `*&p->f` is `p->f` (but for a packed record's member, kept an access through a plain pointer, as before)
      if (addr.k === "field" && this.plainMember(addr) && !packed(addr.addr.type)) return `${this.print(addr.addr, POSTFIX)}->${addr.field.name}`;
      return `*${this.print(addr, UNARY)}`;
    }
    return `${this.derefOpen(type)}${this.print(addr, UNARY)}`;
  }

  private ptradd(e: Expr & { k: "ptradd" }, min: number): string {
    // C's own pointer arithmetic when the pointer's element is the step; bytes otherwise
    const pt = e.ptr.type;
    if (pt.kind === TypeKind.Pointer && pt.to.kind !== TypeKind.Void && pt.to.kind !== TypeKind.Function && this.abi.sizeOf(pt.to) === e.scale) {
      const sum = `${this.print(e.ptr, ADDITIVE)} + ${this.print(e.index, MULTIPLICATIVE)}`;
      return sameC(pt, e.type) ? parenthesized(sum, ADDITIVE, min) : parenthesized(`${this.castOpen(e.type)}(${sum})`, UNARY, min);
    }
    const index = isLong(e.index.type) ? this.print(e.index, MULTIPLICATIVE) : `(long)${this.print(e.index, UNARY)}`;
    const sum = `${isCharPointer(pt) ? this.print(e.ptr, ADDITIVE) : `(char *)${this.print(e.ptr, UNARY)}`} + ${e.scale === 1 ? index : `${index} * ${e.scale}`}`;
    return isCharPointer(e.type) ? parenthesized(sum, ADDITIVE, min) : parenthesized(`${this.castOpen(e.type)}(${sum})`, UNARY, min);
  }

  private intLiteral(v: bigint, t: CType): string {
    const known = this.spelling(t);
    const literals = (known.literals ??= new Map());
    let text = literals.get(v);
    if (text === undefined) literals.set(v, (text = this.spellInt(v, t)));
    return text;
  }

  /** An integer constant of type `t`: a plain literal where one has that type (a suffix says unsigned and long), a cast otherwise. */
  private spellInt(v: bigint, t: CType): string {
    const bits = t.kind === TypeKind.Pointer ? this.abi.info.pointerSize * 8 : t.kind === TypeKind.Int ? this.abi.info.intSize[t.rank] * 8 : 32;
    const u = BigInt.asUintN(Math.max(bits, 8), v);
    if (t.kind === TypeKind.Int && !t.plainChar) {
      const suffix = LITERAL_SUFFIX[t.rank];
      // large unsigned values are mostly addresses and masks, read in hexadecimal (the suffix gives either spelling the same type)
      if (suffix !== undefined && !t.signed) return `${u > 0xffffn ? `0x${u.toString(16)}` : u}${suffix.unsigned}`;
      // the most negative value has no literal (its magnitude is the type's overflow)
      const s = BigInt.asIntN(bits, v);
      if (suffix !== undefined && s > -(1n << BigInt(bits - 1))) return `${s}${suffix.signed}`;
    }
    // addresses in hexadecimal; a value an int holds needs no suffix under the cast
    const value = u > INT_MAX ? `0x${u.toString(16)}ull` : t.kind === TypeKind.Pointer ? `0x${u.toString(16)}` : `${u}`;
    return `(${this.declare(t, "")})${value}`;
  }

  private floatLiteral(v: number, t: CType): string {
    const isFloat = t.kind === TypeKind.Float && t.rank === "float";
    let text: string;
    if (Number.isNaN(v)) text = "(0.0/0.0)";
    else if (!Number.isFinite(v)) text = v > 0 ? "(1.0/0.0)" : "(-1.0/0.0)";
    else if (Object.is(v, -0)) text = "(-0.0)";
    else {
      text = v.toPrecision(17);
      if (!/[.e]/.test(text)) text += ".0";
      if (v < 0) text = `(${text})`;
    }
    return isFloat ? `((float)${text})` : text;
  }

  // ---- statements and functions

  stmt(s: Stmt): string {
    switch (s.k) {
      case "set":
        return `${s.dst.name} = ${this.expr(s.value)};`;
      case "store":
        return `${this.deref(s.type, s.addr)} = ${this.expr(s.value)};`;
      case "bitstore":
        return `${this.print(s.addr, POSTFIX)}->${s.field.name} = ${this.expr(s.value)};`;
      case "copy":
        if (s.type.kind === TypeKind.Record) return `${this.deref(s.type, s.dst)} = ${this.deref(s.type, s.src)};`;
        this.needCopy = true;
        return `__bespoke_copy(${this.expr(s.dst)}, ${this.expr(s.src)}, ${s.size});`;
      case "zero":
        this.needZero = true;
        return `__bespoke_zero(${this.expr(s.addr)}, ${s.size});`;
      case "call": {
        const call = isVaBuiltin(s.callee) ? this.vaBuiltin(s) : `${this.print(s.callee, POSTFIX)}(${s.args.map((a) => this.expr(a)).join(", ")})`;
        if (s.dst) return `${s.dst.name} = ${call};`;
        if (s.dstAddr) return `${this.deref(s.fnType.ret, s.dstAddr)} = ${call};`;
        return `${call};`;
      }
    }
  }

  /**
   * A <stdarg.h> builtin as lower.ts calls it (the addresses of its va_list
   * operands): written back as the builtin, va_start naming the residual
   * function's last parameter, va_arg its type (the call's return type).
   */
  private vaBuiltin(s: Stmt & { k: "call" }): string {
    const name = (s.callee as Expr & { k: "global" }).sym.name;
    this.needVaList = true;
    const args = s.args.map((a) => this.expr({ k: "load", type: (a.type as CType & { kind: TypeKind.Pointer }).to, addr: a }));
    if (name === "__builtin_va_arg") args.push(this.declare(s.fnType.ret, ""));
    if (name === "__builtin_va_start") {
      const last = this.current?.params[this.current.params.length - 1];
      if (!last) throw new BespokeError("UNSUPPORTED", `${this.current?.name ?? "a residual function"} calls va_start but has no named parameter left (they were all static): keep its parameters dynamic`, s.pos);
      args.push(last.name);
    }
    return `${name}(${args.join(", ")})`;
  }

  prototype(f: ResidualFunction): string {
    const params = f.params.map((p) => this.declare(p.type, p.name));
    if (f.variadic) params.push("...");
    // an i386 calling convention is the function type's: defined and called as declared
    const names = [...(f.attributes ?? []), ...(f.type.convention ? [conventionAttribute(f.type.convention)] : [])];
    const attributes = names.length ? `__attribute__((${names.join(", ")})) ` : "";
    return `${attributes}${f.static ? "static " : ""}${f.inline ? "inline " : ""}${this.declare(f.type.ret, `${f.name}(${params.length ? params.join(", ") : "void"})`)}`;
  }

  /** A function's definition, its CFG structured (see structure.ts); `gotos` counts what stayed unstructured. */
  function(f: ResidualFunction): { text: string; gotos: number; irreducibleEdges: number } {
    this.current = f;
    const lines: string[] = [`${this.prototype(f)}`, "{"];
    for (const v of f.vars) lines.push(`    ${this.declare(v.type, v.name)};`);
    for (const o of f.locals) lines.push(`    ${this.declare(o.type, o.name)};`);
    const s = structure(f);
    this.nodes(s.body, "    ", lines);
    lines.push("}");
    return { text: lines.join("\n"), gotos: s.gotos, irreducibleEdges: s.irreducibleEdges };
  }

  private nodes(nodes: SNode[], ind: string, out: string[]): void {
    for (const n of nodes) this.node(n, ind, out);
  }

  /** `head {`, the body one level in, `}tail`. */
  private braced(head: string, body: SNode[], ind: string, out: string[], tail = ""): void {
    out.push(`${ind}${head} {`);
    this.nodes(body, `${ind}    `, out);
    out.push(`${ind}}${tail}`);
  }

  private node(n: SNode, ind: string, out: string[]): void {
    switch (n.k) {
      case "stmts":
        for (const s of n.stmts) out.push(`${ind}${this.stmt(s)}`);
        break;
      case "if":
        if (n.else.length === 0 && n.then.length === 1 && isJump(n.then[0]!)) {
          out.push(`${ind}if (${this.expr(n.cond)}) ${this.jump(n.then[0]!)}`);
          break;
        }
        out.push(`${ind}if (${this.expr(n.cond)}) {`);
        this.nodes(n.then, `${ind}    `, out);
        if (n.else.length) this.braced("} else", n.else, ind, out);
        else out.push(`${ind}}`);
        break;
      case "loop":
        this.braced("for (;;)", n.body, ind, out);
        break;
      case "while":
        this.braced(`while (${this.expr(n.cond)})`, n.body, ind, out);
        break;
      case "dowhile":
        this.braced("do", n.body, ind, out, ` while (${this.expr(n.cond)});`);
        break;
      case "block":
        this.braced("do", n.body, ind, out, " while (0);");
        break;
      case "switch":
        out.push(`${ind}switch (${this.expr(n.value)}) {`);
        for (const a of n.arms) {
          for (const c of a.cases) out.push(`${ind}case ${c.low}${c.high !== c.low ? ` ... ${c.high}` : ""}:`);
          if (a.default) out.push(`${ind}default:`);
          if (a.body.length === 0) out.push(`${ind}    break;`);
          this.nodes(a.body, `${ind}    `, out);
        }
        out.push(`${ind}}`);
        break;
      case "label":
        out.push(`L${n.label}:;`);
        break;
      case "return":
        out.push(n.value ? `${ind}return ${this.expr(n.value)};` : `${ind}return;`);
        break;
      default:
        out.push(`${ind}${this.jump(n)}`);
    }
  }

  private jump(n: SNode): string {
    switch (n.k) {
      case "break":
        return "break;";
      case "continue":
        return "continue;";
      case "goto":
        return `goto L${n.label};`;
      case "return":
        return n.value ? `return ${this.expr(n.value)};` : "return;";
      default:
        throw new BespokeError("SPECIALIZER_BUG", `not a jump: ${n.k}`);
    }
  }

  /** Typed initializer of an object from its static bytes. */
  initializer(type: CType, o: MemObject, off: number, pointerExpr: (p: MemObject["ptrs"] extends Map<number, infer P> ? P : never, t: CType) => string): string {
    switch (type.kind) {
      case TypeKind.Array: {
        const n = type.length ?? 0;
        const es = this.abi.sizeOf(type.of);
        if (type.of.kind === TypeKind.Int && es === 1 && n > 0 && ![...o.ptrs.keys()].some((k) => k >= off && k < off + n)) {
          // char arrays as string literals (a literal of exactly n characters leaves out the NUL, as C allows)
          const bytes = o.bytes.subarray(off, off + n);
          return cString(bytes[n - 1] === 0 ? bytes : Uint8Array.from([...bytes, 0]));
        }
        const items: string[] = [];
        for (let i = 0; i < n; i++) items.push(this.initializer(type.of, o, off + i * es, pointerExpr));
        return `{ ${items.join(", ")} }`;
      }
      case TypeKind.Record:
        return `{ ${this.memberInitializers(type.def, o, off, pointerExpr).join(", ")} }`;
      case TypeKind.Pointer: {
        const p = o.ptrs.get(off);
        if (p) return pointerExpr(p, type);
        let v = 0n;
        for (let i = this.abi.info.pointerSize - 1; i >= 0; i--) v = (v << 8n) | BigInt(o.bytes[off + i]!);
        return this.intLiteral(v, type);
      }
      case TypeKind.Float: {
        const size = this.abi.sizeOf(type);
        if (type.rank === "ldouble") return "0";
        const view = new DataView(o.bytes.buffer, o.bytes.byteOffset + off, size);
        return this.floatLiteral(size === 4 ? view.getFloat32(0, true) : view.getFloat64(0, true), type);
      }
      default: {
        const size = this.abi.sizeOf(type);
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(o.bytes[off + i]!);
        return this.intLiteral(v, type);
      }
    }
  }

  /** `.field = value` items of a record; members of anonymous structs and unions are designated by their own names. */
  private memberInitializers(def: RecordDef, o: MemObject, off: number, pointerExpr: Parameters<CPrinter["initializer"]>[3]): string[] {
    const fields = (def.fields ?? []).filter((f) => f.name !== null || f.anonymous);
    // a union is written through its largest member, which covers every byte
    const bySize = (a: (typeof fields)[number], b: (typeof fields)[number]): number => this.abi.sizeOf(b.type) - this.abi.sizeOf(a.type) || Number(a.type.kind === TypeKind.Float) - Number(b.type.kind === TypeKind.Float);
    const chosen = def.union ? fields.slice().sort(bySize).slice(0, 1) : fields;
    return chosen.flatMap((f) => {
      if (f.anonymous && f.type.kind === TypeKind.Record) return this.memberInitializers(f.type.def, o, off + f.offset, pointerExpr);
      if (f.bitWidth !== null) {
        const span = Math.ceil((f.bitOffset + f.bitWidth) / 8);
        let w = 0n;
        for (let i = span - 1; i >= 0; i--) w = (w << 8n) | BigInt(o.bytes[off + f.offset + i]!);
        return [`.${f.name} = ${BigInt.asUintN(f.bitWidth, w >> BigInt(f.bitOffset))}`];
      }
      // a flexible array member holds what the object has after the struct
      const ft = f.type.kind === TypeKind.Array && f.type.length === null ? { ...f.type, length: Math.floor((o.size - off - f.offset) / Math.max(1, this.abi.sizeOf(f.type.of))) } : f.type;
      return [`.${f.name} = ${this.initializer(ft, o, off + f.offset, pointerExpr)}`];
    });
  }

  helpers(): string {
    const out: string[] = [];
    if (this.needCopy) out.push("static void __bespoke_copy(void *d, const void *s, unsigned long n)\n{\n    char *a = d;\n    const char *b = s;\n    while (n--)\n        *a++ = *b++;\n}");
    if (this.needZero) out.push("static void __bespoke_zero(void *d, unsigned long n)\n{\n    char *a = d;\n    while (n--)\n        *a++ = 0;\n}");
    // <stdarg.h>'s typedef, which tcc's va_arg macro for riscv64 names
    if (this.needVaList) out.push("typedef __builtin_va_list va_list;");
    return out.join("\n");
  }
}

/** A type as CPrinter printed it, in the forms a residual repeats. */
interface Spellings {
  name?: string;
  pointer?: string;
  /** What a declaration of the type writes before and after the name declared. */
  around?: [string, string];
  cast?: string;
  deref?: string;
  /** Integer literals of the type, by value. */
  literals?: Map<bigint, string>;
}

/**
 * Record definitions as printed, by target: a program's residuals (one per
 * request on the same prepared firmware) define the same few dozen records,
 * whose text depends only on the record and the target.
 */
const printedDefinitions = new WeakMap<RecordDef, Map<string, string>>();

/** Stands for the name in a declarator (no C text contains it). */
const NAME_HOLE = "\u0001";

/** Where the front end's prelude comes from (tcc's predefined declarations, parser.ts). */
const BUILTIN_FILE = "<builtin>";

function isVaBuiltin(callee: Expr): boolean {
  return callee.k === "global" && callee.sym.builtin && VA_BUILTINS.has(callee.sym.name);
}

/** A full expression: the residual has no comma or assignment operators inside expressions. */
const ANY = 0;
const UNARY = P_UNARY;
const POSTFIX = P_POSTFIX;
const PRIMARY = P_PRIMARY;
const MULTIPLICATIVE = BINARY_PREC["*"]!;
const ADDITIVE = BINARY_PREC["+"]!;
const SHIFT = BINARY_PREC["<<"]!;
const RELATIONAL = BINARY_PREC["<"]!;
const EQUALITY = BINARY_PREC["=="]!;

/**
 * The least binding strength the operands of a binary operator of strength
 * `prec` must have to go without parentheses: arithmetic is left-associative
 * (the right operand binds tighter); beyond what C needs, the binary operands
 * of shifts and bitwise operators, and comparisons inside comparisons, keep
 * theirs, as gcc's -Wparentheses asks.
 */
function operandLevels(prec: number): { prec: number; left: number; right: number } {
  if (prec >= ADDITIVE) return { prec, left: prec, right: prec + 1 };
  if (prec === SHIFT || (prec >= BINARY_PREC["|"]! && prec <= BINARY_PREC["&"]!)) return { prec, left: UNARY, right: UNARY };
  if (prec >= EQUALITY) return { prec, left: SHIFT, right: SHIFT };
  return { prec, left: prec, right: prec + 1 };
}

const BINARY = Object.fromEntries(Object.entries(BINARY_PREC).map(([op, prec]) => [op, operandLevels(prec)])) as Record<BinaryOp, { prec: number; left: number; right: number }>;

const INT_MAX = 0x7fffffffn;

const MINUS = 0x2d;
const OPEN = 0x28;

/** `text`, which binds with strength `prec`, where `min` is needed. */
function parenthesized(text: string, prec: number, min: number): string {
  return prec < min ? `(${text})` : text;
}

/** The suffixes that give a decimal literal each integer type (short and char have none). */
const LITERAL_SUFFIX: Partial<Record<IntRank, { signed: string; unsigned: string }>> = {
  int: { signed: "", unsigned: "u" },
  long: { signed: "l", unsigned: "ul" },
  llong: { signed: "ll", unsigned: "ull" },
};

/** A pointer to a record laid out packed (a member may be misaligned). */
function packed(t: CType): boolean {
  return t.kind === TypeKind.Pointer && t.to.kind === TypeKind.Record && (t.to.def.packed || t.to.def.pragmaPack !== 0 || (t.to.def.fields ?? []).some((f) => f.packed));
}

/** `long`, the type the byte offsets of pointer arithmetic are computed in. */
function isLong(t: CType): boolean {
  return t.kind === TypeKind.Int && t.rank === "long" && t.signed && t.quals === 0;
}

/** `char *`, the type byte-wise pointer arithmetic is done in. */
function isCharPointer(t: CType): boolean {
  return t.kind === TypeKind.Pointer && t.to.kind === TypeKind.Int && t.to.rank === "char" && t.to.plainChar && t.to.quals === 0;
}

function isJump(n: SNode): boolean {
  return n.k === "break" || n.k === "continue" || n.k === "goto" || n.k === "return";
}

/** The same C type (as printed): pointers compare their pointees; `quals` false: up to qualifiers at every level (the same values, read alike). */
function sameC(a: CType, b: CType, quals = true): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || (quals && a.quals !== b.quals)) return false;
  switch (a.kind) {
    case TypeKind.Int: {
      const y = b as typeof a;
      return a.rank === y.rank && a.signed === y.signed && a.plainChar === y.plainChar;
    }
    case TypeKind.Float:
      return a.rank === (b as typeof a).rank;
    case TypeKind.Pointer:
      return sameC(a.to, (b as typeof a).to, quals);
    case TypeKind.Record:
      return a.def === (b as typeof a).def;
    case TypeKind.Enum:
      return a.def === (b as typeof a).def;
    case TypeKind.Void:
    case TypeKind.Bool:
      return true;
    default:
      return false;
  }
}

/** Records a type contains by value (whose definitions must come first). */
function valueRecords(t: CType): RecordDef[] {
  if (t.kind === TypeKind.Record) return [t.def];
  if (t.kind === TypeKind.Array) return valueRecords(t.of);
  return [];
}

function cString(bytes: Uint8Array): string {
  let s = '"';
  for (const b of bytes.slice(0, Math.max(0, bytes.length - 1))) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f && b !== 0x3f) s += String.fromCharCode(b);
    else s += `\\${b.toString(8).padStart(3, "0")}`;
  }
  return `${s}"`;
}

/** What structuring left unstructured over a residual unit (see structure.ts). */
export interface StructureReport {
  /** `goto`s in the residual code: irreducible control, and exits `break`/`continue` cannot express. */
  gotos: number;
  /** CFG edges that make a function's control irreducible. */
  irreducibleEdges: number;
}

/** The whole residual translation unit. */
export function printUnit(unit: ResidualUnit, abi: Abi, ptrInit: (p: Parameters<CPrinter["initializer"]>[3] extends (p: infer P, t: CType) => string ? P : never, t: CType) => string, names: Map<Symbol, string>): { code: string; structure: StructureReport } {
  const pr = new CPrinter(abi, names);
  const parts: string[] = [];
  const fnProtos = unit.externs.filter((s) => !(s.builtin && VA_BUILTINS.has(s.name))).map((s) => `${s.storage === "static" ? "static " : ""}${pr.declare(s.type as FunctionType, s.name)};`);
  const protos = unit.functions.map((f) => `${pr.prototype(f)};`);
  const globals = unit.globals.map((g) => {
    const decl = pr.declare(g.type, g.name);
    if (!g.init) return `extern ${decl}${g.linkName ? ` __asm__("${g.linkName}")` : ""};`;
    return `${g.static ? "static " : ""}${decl} = ${g.source ?? pr.initializer(g.type, g.init, 0, ptrInit)};`;
  });
  const fileObjs = unit.fileObjects.map((f) => `static ${pr.declare(f.decl.type, f.decl.name)} = ${pr.initializer(f.decl.type, f.init, 0, ptrInit)};`);
  const printed = unit.functions.map((f) => pr.function(f));
  const bodies = printed.map((p) => p.text);
  const records = pr.recordDefinitions();
  const helpers = pr.helpers();
  if (records) parts.push(records);
  parts.push(...fnProtos, ...protos);
  parts.push(...fileObjs, ...globals);
  // after the globals: an assembler reference to a symbol before its C definition makes it an assembler symbol, which tcc then refuses as an lvalue
  parts.push(...unit.asm.map((text) => `__asm__(${stringLiteral(text, "")});`));
  if (helpers) parts.push(helpers);
  parts.push(...bodies);
  const structure = { gotos: printed.reduce((n, p) => n + p.gotos, 0), irreducibleEdges: printed.reduce((n, p) => n + p.irreducibleEdges, 0) };
  return { code: `/* residual program generated by bespoke specialize */\n${parts.join("\n")}\n`, structure };
}
