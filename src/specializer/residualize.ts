// Residual program -> C: simplification of the residual CFGs (jump
// threading, block merging, copy propagation, dead stores by liveness, unused
// locals), then one self-contained translation unit with only the types and
// declarations it uses, each function's control structured (structure.ts)
// and its types written by the front end's printer.
import type { Abi } from "../c/abi.ts";
import type { Symbol } from "../c/ast.ts";
import { declarationPrinter, stringLiteral } from "../c/printer.ts";
import { type CType, type Field, type FunctionType, Q_VOLATILE, type RecordDef, TypeKind } from "../c/types.ts";
import { BespokeError } from "../errors.ts";
import { type Block, type Expr, type LocalObject, type Stmt, type Var, operands, stmtDestination, stmtOperands, termOperands, visitLocals, visitVars } from "./ir.ts";
import type { MemObject } from "./memory.ts";
import { VA_BUILTINS } from "./lower.ts";
import { type ResidualFunction, successors } from "./specialize.ts";
import { type SNode, exprSize, structure } from "./structure.ts";

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

/** Thread jumps, merge straight-line blocks, propagate copies, remove dead stores, drop unused variables. */
export function simplify(f: ResidualFunction): void {
  threadJumps(f);
  mergeBlocks(f);
  propagateSingleCopies(f);
  propagateCopies(f);
  coalesceCopies(f);
  removeDeadStores(f);
  const used = new Set<Var>();
  const objs = new Set<LocalObject>();
  const visit = (e: Expr): void => {
    visitVars(e, (v) => used.add(v));
    visitLocals(e, (o) => objs.add(o));
  };
  for (const b of reachable(f)) {
    for (const s of b.stmts) {
      stmtOperands(s).forEach(visit);
      const dst = stmtDestination(s);
      if (dst) used.add(dst);
    }
    termOperands(b.term).forEach(visit);
  }
  f.vars = f.vars.filter((v) => used.has(v) && !f.params.includes(v));
  f.locals = f.locals.filter((o) => objs.has(o));
}

function reachable(f: ResidualFunction): Block[] {
  const seen = new Set<number>();
  const order: Block[] = [];
  const stack = [f.entry];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const b = f.blocks[id]!;
    order.push(b);
    for (const s of successors(b.term).reverse()) stack.push(s);
  }
  return order;
}

function threadJumps(f: ResidualFunction): void {
  const final = (id: number): number => {
    const seen = new Set<number>();
    let cur = id;
    for (;;) {
      const b = f.blocks[cur]!;
      if (b.stmts.length > 0 || b.term.k !== "goto" || seen.has(cur)) return cur;
      seen.add(cur);
      cur = b.term.target;
    }
  };
  for (const b of f.blocks) {
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
}

function mergeBlocks(f: ResidualFunction): void {
  const blocks = reachable(f);
  const preds = new Map<number, number>();
  for (const b of blocks) for (const s of successors(b.term)) preds.set(s, (preds.get(s) ?? 0) + 1);
  const merged = new Set<number>();
  for (const b of blocks) {
    if (merged.has(b.id)) continue;
    while (b.term.k === "goto") {
      const t = b.term.target;
      if (t === b.id || t === f.entry || preds.get(t) !== 1 || merged.has(t)) break;
      const next = f.blocks[t]!;
      b.stmts.push(...next.stmts);
      b.term = next.term;
      next.stmts = [];
      next.term = { k: "goto", target: next.id };
      merged.add(t);
    }
  }
}

/** Registers read before being assigned in `b` (`use`) and registers `b` assigns (`def`). */
function useDef(b: Block): { use: Set<Var>; def: Set<Var> } {
  const use = new Set<Var>();
  const def = new Set<Var>();
  const read = (e: Expr): void => visitVars(e, (v) => !def.has(v) && use.add(v));
  for (const s of b.stmts) {
    stmtOperands(s).forEach(read);
    const d = stmtDestination(s);
    if (d) def.add(d);
  }
  termOperands(b.term).forEach(read);
  return { use, def };
}

/**
 * Registers live on exit from each reachable block: backward dataflow to a
 * fixpoint over bit sets (one bit per register the reachable blocks name),
 * a block visited again only when what is live into one of its successors
 * grew.
 */
function liveOut(f: ResidualFunction): Map<number, Set<Var>> {
  const blocks = reachable(f);
  const index = new Map<Var, number>();
  const vars: Var[] = [];
  const ud = blocks.map((b) => useDef(b));
  for (const { use, def } of ud) {
    for (const v of use) if (!index.has(v)) index.set(v, vars.push(v) - 1);
    for (const v of def) if (!index.has(v)) index.set(v, vars.push(v) - 1);
  }
  const words = (vars.length + 31) >>> 5;
  const bits = (set: Set<Var>): Int32Array => {
    const a = new Int32Array(words);
    for (const v of set) {
      const i = index.get(v)!;
      a[i >>> 5]! |= 1 << (i & 31);
    }
    return a;
  };
  const use = ud.map((x) => bits(x.use));
  const def = ud.map((x) => bits(x.def));
  const liveIn = blocks.map(() => new Int32Array(words));
  const out = blocks.map(() => new Int32Array(words));
  const pos = new Map(blocks.map((b, i) => [b.id, i]));
  const succ = blocks.map((b) => successors(b.term).map((s) => pos.get(s)!));
  const preds: number[][] = blocks.map(() => []);
  succ.forEach((ss, i) => {
    for (const s of ss) preds[s]!.push(i);
  });
  const work = blocks.map((_, i) => i);
  const queued = new Uint8Array(blocks.length).fill(1);
  while (work.length > 0) {
    const i = work.pop()!;
    queued[i] = 0;
    const o = out[i]!;
    for (const s of succ[i]!) {
      const l = liveIn[s]!;
      for (let w = 0; w < words; w++) o[w]! |= l[w]!;
    }
    const li = liveIn[i]!;
    const u = use[i]!;
    const d = def[i]!;
    let grew = false;
    for (let w = 0; w < words; w++) {
      const next = li[w]! | u[w]! | (o[w]! & ~d[w]!);
      if (next !== li[w]) {
        li[w] = next;
        grew = true;
      }
    }
    if (!grew) continue;
    for (const p of preds[i]!) {
      if (queued[p]) continue;
      queued[p] = 1;
      work.push(p);
    }
  }
  // each block's set in variable order, from its set bits only (not a test of every variable per block)
  return new Map(
    blocks.map((b, k) => {
      const set = new Set<Var>();
      const o = out[k]!;
      for (let w = 0; w < words; w++) {
        for (let x = o[w]!; x !== 0; x &= x - 1) set.add(vars[(w << 5) + 31 - Math.clz32(x & -x)]!);
      }
      return [b.id, set];
    }),
  );
}

/**
 * Copies between registers assigned once: `t = u`, with `t` assigned nowhere
 * else and `u` assigned once (or a parameter never assigned), has every use
 * of `t` read `u` instead — whenever a use reads the copy, `u` has been
 * assigned and can no longer change.
 */
function propagateSingleCopies(f: ResidualFunction): void {
  const blocks = reachable(f);
  const defs = new Map<Var, number>();
  for (const b of blocks) for (const s of b.stmts) {
    const d = stmtDestination(s);
    if (d) defs.set(d, (defs.get(d) ?? 0) + 1);
  }
  const params = new Set(f.params);
  const stable = (u: Var): boolean => (params.has(u) ? !defs.has(u) : defs.get(u) === 1);
  const by = new Map<Var, Var>();
  for (const b of blocks) for (const s of b.stmts) {
    if (s.k !== "set" || s.value.k !== "var" || s.dst === s.value.v || params.has(s.dst) || defs.get(s.dst) !== 1) continue;
    if (stable(s.value.v) && sameC(s.dst.type, s.value.v.type)) by.set(s.dst, s.value.v);
  }
  // chains: t = u, u = w: t reads w; copies in a cycle (never given a value) stay
  const final = new Map<Var, Expr>();
  for (const t of by.keys()) {
    const seen = new Set<Var>([t]);
    let cur = by.get(t)!;
    while (by.has(cur) && !seen.has(cur)) seen.add(cur), (cur = by.get(cur)!);
    if (!seen.has(cur)) final.set(t, { k: "var", type: t.type, v: cur });
  }
  if (final.size === 0) return;
  const sub = (v: Var): Expr | undefined => final.get(v);
  for (const b of blocks) {
    b.stmts = b.stmts.filter((s) => !(s.k === "set" && final.has(s.dst)));
    for (const s of b.stmts) substituteStmt(s, sub);
    substituteTerm(b, sub);
  }
}

/** A value cheap to repeat: copying it to several uses costs nothing. */
function trivial(e: Expr): boolean {
  return e.k === "var" || e.k === "int" || e.k === "float" || e.k === "global" || e.k === "local";
}

/** Reads of `v` in an expression. */
function readsOf(e: Expr, v: Var): number {
  let n = 0;
  visitVars(e, (x) => x === v && n++);
  return n;
}

/**
 * Copy propagation within blocks: `t = e` is substituted into its uses in the
 * same block and dropped when `t` is dead after them — a single use for any
 * `e`, every use when `e` is a register or a constant. Nothing between the
 * assignment and the last use may change what `e` reads (an assignment to a
 * register it reads; a store or call when it reads memory), and volatile reads
 * are never moved. Values past PROPAGATE_MAX nodes stay where they are, so
 * chains of updates (`s = s + x` unrolled) do not nest without end.
 */
const PROPAGATE_MAX = 32;

function propagateCopies(f: ResidualFunction): void {
  const out = liveOut(f);
  for (const b of reachable(f)) {
    // reads of each register after the statement at hand: the search for uses ends at the last one
    const ahead = new Map<Var, number>();
    const count = (e: Expr, by: number): void => visitVars(e, (v) => ahead.set(v, (ahead.get(v) ?? 0) + by));
    for (const s of b.stmts) stmtOperands(s).forEach((x) => count(x, 1));
    termOperands(b.term).forEach((x) => count(x, 1));
    // the propagated assignments, dropped at the end (splicing each one out is quadratic in a long block)
    const dropped = new Set<Stmt>();
    for (let i = 0; i < b.stmts.length; i++) {
      const s = b.stmts[i]!;
      stmtOperands(s).forEach((x) => count(x, -1));
      if (s.k !== "set" || readsVolatile(s.value) || exprSize(s.value) > PROPAGATE_MAX) continue;
      const t = s.dst;
      // the assignment converted the value to the register's type
      const e: Expr = sameC(s.value.type, t.type) ? s.value : { k: "cast", type: t.type, arg: s.value };
      const reads = new Set<Var>();
      visitVars(e, (v) => reads.add(v));
      const mem = readsMemory(e);
      const once = !trivial(e); // then a second use leaves it
      // uses of t up to its next assignment; `last`: the position of the last one (b.stmts.length: the terminator)
      let uses = 0;
      let last = -1;
      let redefined = false;
      // something ran that may change e's value; a use after it cannot take e
      let blocked = false;
      let cut = false;
      const live = out.get(b.id)!.has(t);
      for (let j = i + 1; j <= b.stmts.length && !redefined && !cut; j++) {
        // no read of t further on: where it is assigned again only matters when it is live out
        if (uses === ahead.get(t) && !live) break;
        const n = j < b.stmts.length ? b.stmts[j]! : null;
        const here = (n ? stmtOperands(n) : termOperands(b.term)).reduce((k, x) => k + readsOf(x, t), 0);
        if (here > 0 && blocked) cut = true;
        else if (here > 0) {
          uses += here;
          last = j;
          if (uses > 1 && once) break;
        }
        if (!n) break;
        const d = stmtDestination(n);
        if (d === t) redefined = true;
        else if ((d && reads.has(d)) || (mem && n.k !== "set")) blocked = true;
      }
      if (cut || uses === 0 || (uses > 1 && once)) continue;
      // t must be dead after its last use: assigned again in this block, or not live out of it
      if (!redefined && live) continue;
      ahead.set(t, ahead.get(t)! - uses);
      for (let k = 0; k < uses; k++) count(e, 1);
      const sub = (v: Var): Expr | undefined => (v === t ? e : undefined);
      for (let j = i + 1; j <= last; j++) {
        if (j < b.stmts.length) substituteStmt(b.stmts[j]!, sub);
        else substituteTerm(b, sub);
      }
      dropped.add(s);
    }
    if (dropped.size > 0) b.stmts = b.stmts.filter((x) => !dropped.has(x));
  }
}

/**
 * `u = e; ... d = u` within a block, `u` read nowhere in between and `d`
 * neither read nor assigned there: `d = e` at once, later reads of `u` read
 * `d` (until either is assigned again), and `u` goes when it is dead after.
 * Lowered `x--` leaves `t = x - 1; x = t; if (t < 0)`: this makes it
 * `x = x - 1; if (x < 0)`.
 */
function coalesceCopies(f: ResidualFunction): void {
  const out = liveOut(f);
  const reads = (s: Stmt, v: Var): boolean => stmtOperands(s).some((x) => readsOf(x, v) > 0);
  for (const b of reachable(f)) {
    for (let i = 0; i < b.stmts.length; i++) {
      const s = b.stmts[i]!;
      if (s.k !== "set" || s.value.k !== "var" || s.value.v === s.dst || !sameC(s.dst.type, s.value.v.type)) continue;
      const d = s.dst;
      const u = s.value.v;
      let k = i - 1;
      while (k >= 0 && stmtDestination(b.stmts[k]!) !== u) k--;
      const def = b.stmts[k];
      if (!def || (def.k !== "set" && def.k !== "call")) continue;
      const between = b.stmts.slice(k + 1, i);
      if (between.some((n) => reads(n, u) || reads(n, d) || stmtDestination(n) === d)) continue;
      // reads of u after the copy take d, up to u's next assignment; none may follow an assignment to d
      const uses: number[] = [];
      let dChanged = false;
      let uChanged = false;
      let ok = true;
      for (let j = i + 1; j <= b.stmts.length && !uChanged; j++) {
        const n = j < b.stmts.length ? b.stmts[j]! : null;
        const reading = n ? reads(n, u) : termOperands(b.term).some((x) => readsOf(x, u) > 0);
        if (reading && dChanged) ok = false;
        if (reading) uses.push(j);
        if (!n) break;
        const dst = stmtDestination(n);
        if (dst === u) uChanged = true;
        if (dst === d) dChanged = true;
      }
      if (!ok || (!uChanged && out.get(b.id)!.has(u))) continue;
      b.stmts[k] = { ...def, dst: d };
      const sub = (v: Var): Expr | undefined => (v === u ? { k: "var", type: d.type, v: d } : undefined);
      for (const j of uses) {
        if (j < b.stmts.length) substituteStmt(b.stmts[j]!, sub);
        else substituteTerm(b, sub);
      }
      b.stmts.splice(i, 1);
      i--;
    }
  }
}

function readsMemory(e: Expr): boolean {
  return e.k === "load" || e.k === "bitload" || operands(e).some(readsMemory);
}

function readsVolatile(e: Expr): boolean {
  return ((e.k === "load" || e.k === "bitload") && (e.type.quals & Q_VOLATILE) !== 0) || operands(e).some(readsVolatile);
}

/** `e` with the registers `sub` maps replaced (the same object when none is). */
function replaceIn(e: Expr, sub: (v: Var) => Expr | undefined): Expr {
  switch (e.k) {
    case "var":
      return sub(e.v) ?? e;
    case "load":
    case "field":
    case "bitload": {
      const addr = replaceIn(e.addr, sub);
      return addr === e.addr ? e : ({ ...e, addr } as Expr);
    }
    case "ptradd": {
      const ptr = replaceIn(e.ptr, sub);
      const index = replaceIn(e.index, sub);
      return ptr === e.ptr && index === e.index ? e : { ...e, ptr, index };
    }
    case "ptrdiff":
    case "binary": {
      const left = replaceIn(e.left, sub);
      const right = replaceIn(e.right, sub);
      return left === e.left && right === e.right ? e : ({ ...e, left, right } as Expr);
    }
    case "unary":
    case "cast": {
      const arg = replaceIn(e.arg, sub);
      return arg === e.arg ? e : ({ ...e, arg } as Expr);
    }
    default:
      return e;
  }
}

/** Replace registers in what `s` evaluates. Calls evaluate arguments before the call, so substitution there is safe too. */
function substituteStmt(s: Stmt, sub: (v: Var) => Expr | undefined): void {
  switch (s.k) {
    case "set":
      s.value = replaceIn(s.value, sub);
      break;
    case "store":
    case "bitstore":
      s.addr = replaceIn(s.addr, sub);
      s.value = replaceIn(s.value, sub);
      break;
    case "copy":
      s.dst = replaceIn(s.dst, sub);
      s.src = replaceIn(s.src, sub);
      break;
    case "zero":
      s.addr = replaceIn(s.addr, sub);
      break;
    case "call":
      s.callee = replaceIn(s.callee, sub);
      s.args = s.args.map((a) => replaceIn(a, sub));
      if (s.dstAddr) s.dstAddr = replaceIn(s.dstAddr, sub);
      break;
  }
}

function substituteTerm(b: Block, sub: (v: Var) => Expr | undefined): void {
  const t = b.term;
  if (t.k === "if") t.cond = replaceIn(t.cond, sub);
  else if (t.k === "switch") t.value = replaceIn(t.value, sub);
  else if (t.k === "return" && t.value) t.value = replaceIn(t.value, sub);
}

/**
 * Dead stores to registers: an assignment whose register is not read before
 * being assigned again or leaving the function goes (its expression has no
 * side effects); a call whose result nobody reads keeps only the call.
 */
function removeDeadStores(f: ResidualFunction): void {
  for (;;) {
    const out = liveOut(f);
    let removed = false;
    for (const b of reachable(f)) {
      const live = new Set(out.get(b.id));
      termOperands(b.term).forEach((e) => visitVars(e, (v) => live.add(v)));
      for (let i = b.stmts.length - 1; i >= 0; i--) {
        const s = b.stmts[i]!;
        const d = stmtDestination(s);
        if (d && !live.has(d) && s.k === "set" && !readsVolatile(s.value)) {
          b.stmts.splice(i, 1);
          removed = true;
          continue;
        }
        if (d && !live.has(d) && s.k === "call") {
          b.stmts[i] = { ...s, dst: null };
          removed = true;
        } else if (d) live.delete(d);
        stmtOperands(b.stmts[i]!).forEach((e) => visitVars(e, (v) => live.add(v)));
      }
    }
    if (!removed) return;
  }
}

// ---------------------------------------------------------------- printing

export class CPrinter {
  private records = new Map<RecordDef, string>();
  private recordOrder: RecordDef[] = [];
  private needCopy = false;
  private needZero = false;
  /** The function being printed. */
  private current: ResidualFunction | null = null;

  constructor(
    private abi: Abi,
    /** Residual names of globals that are renamed (static locals). */
    private names: Map<Symbol, string> = new Map(),
  ) {}

  nameOf(sym: Symbol): string {
    return this.names.get(sym) ?? sym.name;
  }

  /** `type` declaring `name` (C declarator syntax); records by their residual names, typedefs and enums spelled out. */
  readonly declare = declarationPrinter({ structural: true, recordName: (def) => this.recordName(def) });

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
      const body = def.fields.map((f) => `    ${this.field(f)};`).join("\n");
      const attrs = [def.packed ? "packed" : "", def.alignAttr ? `aligned(${def.alignAttr})` : ""].filter(Boolean);
      const text = `${this.recordName(def)} {\n${body}\n}${attrs.length ? ` __attribute__((${attrs.join(", ")}))` : ""};`;
      const packed = def.pragmaPack ? `#pragma pack(push, ${def.pragmaPack})\n${text}\n#pragma pack(pop)` : text;
      // tcc lays the record out with MS bit-field rules only while its option is in force
      out.push(def.msBitfields ? `#pragma comment(option, "-mms-bitfields")\n${packed}\n#pragma comment(option, "-mno-ms-bitfields")` : packed);
    };
    for (let i = 0; i < this.recordOrder.length; i++) emit(this.recordOrder[i]!);
    return out.join("\n");
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

  expr(e: Expr): string {
    switch (e.k) {
      case "int":
        return this.intLiteral(e.value, e.type);
      case "float":
        return this.floatLiteral(e.value, e.type);
      case "var":
        return e.v.name;
      case "global":
        return e.sym.type.kind === TypeKind.Function ? e.sym.name : `(&${this.nameOf(e.sym)})`;
      case "local":
        return `(&${e.obj.name})`;
      case "string":
        return `((${this.declare(e.type, "")})${cString(e.bytes)})`;
      case "load":
        if (e.addr.type.kind === TypeKind.Pointer && sameC(e.addr.type.to, e.type)) return `(*${this.expr(e.addr)})`;
        return `(*(${this.declare(e.type, "*")})(${this.expr(e.addr)}))`;
      case "bitload":
        return `((${this.declare(e.addr.type, "")})(${this.expr(e.addr)}))->${e.field.name}`;
      case "field":
        return `((${this.declare(e.type, "")})&((${this.declare(e.addr.type, "")})(${this.expr(e.addr)}))->${e.field.name})`;
      case "ptradd": {
        // C's own pointer arithmetic when the pointer's element is the step; bytes otherwise
        const pt = e.ptr.type;
        const natural = pt.kind === TypeKind.Pointer && pt.to.kind !== TypeKind.Void && pt.to.kind !== TypeKind.Function && this.abi.sizeOf(pt.to) === e.scale;
        const sum = natural
          ? `${this.expr(e.ptr)} + ${this.expr(e.index)}`
          : `(char *)(${this.expr(e.ptr)}) + ${e.scale === 1 ? `(long)(${this.expr(e.index)})` : `(long)(${this.expr(e.index)}) * ${e.scale}`}`;
        return natural && sameC(pt, e.type) ? `(${sum})` : `((${this.declare(e.type, "")})(${sum}))`;
      }
      case "ptrdiff":
        return `((${this.declare(e.type, "")})(((char *)(${this.expr(e.left)}) - (char *)(${this.expr(e.right)})) / ${e.scale}))`;
      case "unary":
        return `(${e.op}(${this.expr(e.arg)}))`;
      case "binary":
        return `((${this.expr(e.left)}) ${e.op} (${this.expr(e.right)}))`;
      case "cast":
        if (sameC(e.arg.type, e.type)) return this.expr(e.arg);
        return `((${this.declare(e.type, "")})(${this.expr(e.arg)}))`;
    }
  }

  private intLiteral(v: bigint, t: CType): string {
    const type = this.declare(t, "");
    const bits = t.kind === TypeKind.Pointer ? this.abi.info.pointerSize * 8 : t.kind === TypeKind.Int ? this.abi.info.intSize[t.rank] * 8 : 32;
    const u = BigInt.asUintN(Math.max(bits, 8), v);
    if (t.kind === TypeKind.Int && t.rank === "int" && t.signed && v >= -(2n ** 31n) + 1n && v < 2n ** 31n) return v < 0n ? `(${v})` : `${v}`;
    return `((${type})0x${u.toString(16)}ull)`;
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
        return `*(${this.declare(s.type, "*")})(${this.expr(s.addr)}) = ${this.expr(s.value)};`;
      case "bitstore":
        return `((${this.declare(s.addr.type, "")})(${this.expr(s.addr)}))->${s.field.name} = ${this.expr(s.value)};`;
      case "copy":
        if (s.type.kind === TypeKind.Record) return `*(${this.declare(s.type, "*")})(${this.expr(s.dst)}) = *(${this.declare(s.type, "*")})(${this.expr(s.src)});`;
        this.needCopy = true;
        return `__bespoke_copy(${this.expr(s.dst)}, ${this.expr(s.src)}, ${s.size});`;
      case "zero":
        this.needZero = true;
        return `__bespoke_zero(${this.expr(s.addr)}, ${s.size});`;
      case "call": {
        const callee = s.callee.k === "global" && s.callee.sym.type.kind === TypeKind.Function ? s.callee.sym.name : `(${this.expr(s.callee)})`;
        const call = isVaBuiltin(s.callee) ? this.vaBuiltin(s) : `${callee}(${s.args.map((a) => this.expr(a)).join(", ")})`;
        if (s.dst) return `${s.dst.name} = ${call};`;
        if (s.dstAddr) return `*(${this.declare(s.fnType.ret, "*")})(${this.expr(s.dstAddr)}) = ${call};`;
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
    const attributes = f.attributes ? `__attribute__((${f.attributes.join(", ")})) ` : "";
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
        return `((${this.declare(type, "")})0x${v.toString(16)}ull)`;
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
        return `((${this.declare(type, "")})0x${v.toString(16)}ull)`;
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
    return out.join("\n");
  }
}

/** Where the front end's prelude comes from (tcc's predefined declarations, parser.ts). */
const BUILTIN_FILE = "<builtin>";

function isVaBuiltin(callee: Expr): boolean {
  return callee.k === "global" && callee.sym.builtin && VA_BUILTINS.has(callee.sym.name);
}

function isJump(n: SNode): boolean {
  return n.k === "break" || n.k === "continue" || n.k === "goto" || n.k === "return";
}

/** The same C type (as printed): pointers compare their pointees. */
function sameC(a: CType, b: CType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.quals !== b.quals) return false;
  switch (a.kind) {
    case TypeKind.Int: {
      const y = b as typeof a;
      return a.rank === y.rank && a.signed === y.signed && a.plainChar === y.plainChar;
    }
    case TypeKind.Float:
      return a.rank === (b as typeof a).rank;
    case TypeKind.Pointer:
      return sameC(a.to, (b as typeof a).to);
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
