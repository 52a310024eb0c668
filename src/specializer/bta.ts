// Offline binding-time analysis (SPECIALIZER.md step 2): run once per
// (program, scenario) over the core IR, from the scenario alone — which
// parameters, globals and struct fields are static, never their values — and
// reused by every specialization under that scenario (at build time for the
// firmware, so the edge only specializes).
//
// Abstract interpretation of the specializer's own model of memory:
// - a value is static (S) or dynamic (D); a static pointer carries the
//   abstract locations it may point to: globals `g:NAME`, a function's locals
//   `l:FN:ID`, context data `c:NAME`, objects of initializers `i:ID`, string
//   literals `str`, device memory by absolute address `dev`, functions `f:NAME`;
// - a location is escaped (dynamic for good: dynamic code can reach it) or
//   static with dynamic byte ranges (field-sensitive: partially static
//   structs), and records what the pointers stored in it may point to;
// - flow-sensitive over each CFG; context-sensitive: a function is analysed
//   once per binding-time signature (parameters, the abstract memory it is
//   entered with, whether a dynamic branch came before) — one variant each;
// - a register or location written after a dynamic branch becomes dynamic at
//   the next point where paths meet (a join, or the return from a call);
// - a static pointer that reaches residual code lets its locations escape, a
//   residual call to program code lets every global escape, a static write to
//   device memory makes it dynamic, as the specializer does.
// Sound: a statement marked S is static in every specialization under the
// scenario, up to the scenario's limits (unfolding depth, residual size,
// states per block), which the specializer enforces by generalizing. Where
// the specializer's choice depends on values (unfold or not, which function a
// device pointer calls), every possible outcome is analysed and joined.
// The result is plain data (JSON), indexed by block and statement numbers of
// the prepared IR and checked against its fingerprint.
import type { Abi } from "../c/abi.ts";
import type { Symbol } from "../c/ast.ts";
import { type CType, TypeKind, findField } from "../c/types.ts";
import { BespokeError, type SourcePosition } from "../errors.ts";
import { type Expr, type IrFunction, type Stmt, operands, stmtOperands, termOperands } from "./ir.ts";
import type { BindingSpec, Scenario } from "./scenario.ts";
import { successors, unfoldsForGlobals } from "./specialize.ts";

export const BTA_VERSION = 1;

export type Bt = "S" | "D";

/** One specialization pattern of a function and what the analysis found under it. */
export interface BtaVariant {
  id: number;
  fn: string;
  /** Binding-time signature: per parameter S or D, `+` when entered after a dynamic branch, `#` and a digest of the abstract memory it is entered with. */
  signature: string;
  /** Per block: one letter (S/D) per statement then one for the terminator; "" for a block the variant never reaches. */
  blocks: string[];
  /** Callee variants per call site "BLOCK.STMT" (those the call may unfold). */
  calls: Record<string, number[]>;
  /** Generic variants: registers dynamic on entry to each join block (the specializer generalizes them there). */
  dynamicAt?: Record<string, number[]>;
}

export interface BtaPosition {
  file: string;
  line: number;
  column: number;
  bt: Bt;
}

/** The analysis of one (program, scenario): plain data, serializable. */
export interface BindingTimeAnalysis {
  version: number;
  /** The scenario's binding-time key (`scenarioKey`). */
  scenario: string;
  /** Fingerprint of the IR the block and statement numbers index (`irFingerprint`). */
  ir: string;
  /** The entry's variant. */
  entry: number;
  variants: BtaVariant[];
  /** The all-dynamic variant of each function residual code may call generically. */
  generic: Record<string, number>;
  /** Binding time per source position, dynamic when any variant's code there is. */
  positions: BtaPosition[];
  /** Analysis time. */
  ms: number;
}

/** What the analysis needs of the prepared program. */
export interface BtaProgram {
  abi: Abi;
  functions: ReadonlyMap<string, IrFunction>;
  unlowered: ReadonlyMap<string, unknown>;
  globals: ReadonlyMap<string, { sym: Symbol; defined: boolean }>;
  init: IrFunction | BespokeError;
}

/** The part of a scenario binding times depend on, as a canonical string: runs under equal keys share one analysis. */
export function scenarioKey(s: Scenario): string {
  const sorted = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return JSON.stringify([s.entry, sorted(s.params), sorted(s.globals), [...s.owned].sort(), sorted(s.functions)]);
}

/** A digest of the IR's shape (functions, blocks, statements, registers): analyses of other IR are refused. */
export function irFingerprint(functions: ReadonlyMap<string, IrFunction>): string {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  };
  for (const [name, fn] of [...functions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    mix(`${name}/${fn.vars.length}/${fn.locals.length}/${fn.entry}`);
    for (const b of fn.blocks) mix(`:${b.stmts.map((s) => s.k).join(",")}/${b.term.k}`);
  }
  return `${functions.size}-${h.toString(16)}`;
}

// ------------------------------------------------------------ abstract values

type Loc = string;
type Range = readonly [number, number];

/** A value: dynamic, or static with the locations it may point to. */
interface AVal {
  d: boolean;
  pts: ReadonlySet<string>;
}

interface LocState {
  /** Dynamic for good: dynamic code can reach it. */
  esc: boolean;
  /** Dynamic byte ranges of a static location, sorted, disjoint. */
  dyn: readonly Range[];
  /** What pointers stored in it may point to. */
  pts: ReadonlySet<string>;
}

interface AState {
  regs: (AVal | undefined)[];
  mem: Map<Loc, LocState>;
  /** Reached through a dynamic branch. */
  past: boolean;
  /** Registers and locations written since the dynamic branch (dynamic where paths meet). */
  dirtyRegs: Set<number>;
  dirtyMem: Map<Loc, readonly Range[]>;
}

const NONE: ReadonlySet<string> = new Set();
const STATIC: AVal = { d: false, pts: NONE };
const DYNAMIC: AVal = { d: true, pts: NONE };
const ALL: readonly Range[] = [[0, Infinity]];
const FRESH: LocState = { esc: false, dyn: [], pts: NONE };
const ESCAPED: LocState = { esc: true, dyn: [], pts: NONE };

function union<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): ReadonlySet<T> {
  if (b.size === 0 || a === b) return a;
  if (a.size === 0) return b;
  let out: Set<T> | null = null;
  for (const x of b) if (!a.has(x)) (out ??= new Set(a)).add(x);
  return out ?? a;
}

function addRange(rs: readonly Range[], r: Range): readonly Range[] {
  const out: Range[] = [];
  let [s, e] = r;
  for (const x of rs) {
    if (x[1] < s || x[0] > e) out.push(x);
    else {
      s = Math.min(s, x[0]);
      e = Math.max(e, x[1]);
    }
  }
  out.push([s, e]);
  return out.sort((a, b) => a[0] - b[0]);
}

function unionRanges(a: readonly Range[], b: readonly Range[]): readonly Range[] {
  let out = a;
  for (const r of b) out = addRange(out, r);
  return out;
}

function removeRange(rs: readonly Range[], s: number, e: number): readonly Range[] {
  const out: Range[] = [];
  for (const x of rs) {
    if (x[1] <= s || x[0] >= e) out.push(x);
    else {
      if (x[0] < s) out.push([x[0], s]);
      if (x[1] > e) out.push([e, x[1]]);
    }
  }
  return out;
}

function overlaps(rs: readonly Range[], s: number, e: number): boolean {
  return rs.some((x) => x[0] < e && x[1] > s);
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

function joinVal(a: AVal | undefined, b: AVal | undefined): AVal | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a === b) return a;
  return { d: a.d || b.d, pts: union(a.pts, b.pts) };
}

function joinLoc(a: LocState, b: LocState): LocState {
  if (a === b) return a;
  if (a.esc || b.esc) return ESCAPED;
  return { esc: false, dyn: unionRanges(a.dyn, b.dyn), pts: union(a.pts, b.pts) };
}

function cloneState(s: AState): AState {
  return { regs: s.regs.slice(), mem: new Map(s.mem), past: s.past, dirtyRegs: new Set(s.dirtyRegs), dirtyMem: new Map(s.dirtyMem) };
}

function joinState(a: AState, b: AState): AState {
  const regs: (AVal | undefined)[] = [];
  for (let i = 0; i < Math.max(a.regs.length, b.regs.length); i++) regs.push(joinVal(a.regs[i], b.regs[i]));
  const mem = new Map(a.mem);
  for (const [k, v] of b.mem) {
    const cur = mem.get(k);
    mem.set(k, cur ? joinLoc(cur, v) : v);
  }
  const dirtyMem = new Map(a.dirtyMem);
  for (const [k, v] of b.dirtyMem) dirtyMem.set(k, unionRanges(dirtyMem.get(k) ?? [], v));
  return { regs, mem, past: a.past || b.past, dirtyRegs: new Set([...a.dirtyRegs, ...b.dirtyRegs]), dirtyMem };
}

function valKey(v: AVal | undefined): string {
  if (!v) return "";
  if (v.d) return "D";
  return v.pts.size ? `S{${[...v.pts].sort().join(",")}}` : "S";
}

function locKey(l: LocState): string {
  if (l.esc) return "E";
  return `${l.dyn.map((r) => `${r[0]}-${r[1]}`).join(",")}{${[...l.pts].sort().join(",")}}`;
}

function memKey(mem: Map<Loc, LocState>): string {
  return [...mem.keys()].sort().map((k) => `${k}=${locKey(mem.get(k)!)}`).join(";");
}

function stateKey(s: AState): string {
  return `${s.regs.map(valKey).join(",")}|${memKey(s.mem)}|${s.past ? 1 : 0}|${[...s.dirtyRegs].sort((a, b) => a - b).join(",")}|${[...s.dirtyMem.keys()].sort().map((k) => `${k}:${s.dirtyMem.get(k)!.map((r) => r.join("-")).join(",")}`).join(";")}`;
}

/** A short digest of a string (variant signatures). */
function digest(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x12345;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 + c, 0x5bd1e995) >>> 0;
  }
  return h1.toString(36) + h2.toString(36);
}

// ------------------------------------------------------------ the analysis

/** Variants analysed before further calls are treated as residual (bounds the analysis; residual is always safe). */
const VARIANT_BUDGET = 5000;

interface Exit {
  mem: Map<Loc, LocState>;
  past: boolean;
  dirtyMem: Map<Loc, readonly Range[]>;
  ret: AVal;
}

interface Frame {
  fn: IrFunction;
  generic: boolean;
  root: boolean;
}

type Mode = "root" | "callee" | "generic";

export function analyzeBindingTimes(program: BtaProgram, scenario: Scenario): BindingTimeAnalysis {
  const t0 = performance.now();
  const a = new Analysis(program, scenario);
  const out = a.run();
  out.ms = performance.now() - t0;
  return out;
}

class Analysis {
  private readonly abi: Abi;
  private readonly globalKey = new Map<Symbol, string>();
  private readonly owned = new Set<Loc>();
  private readonly sizes = new Map<Loc, number>();
  private readonly variants: BtaVariant[] = [];
  private readonly memo = new Map<string, { id: number; exit: Exit | null }>();
  private readonly stack: { fn: IrFunction; key: string }[] = [];
  private readonly addressTaken: IrFunction[] = [];
  private readonly residualTargets = new Set<string>();
  private readonly reach = new Map<string, Set<string>>();
  private readonly joins = new Map<IrFunction, Set<number>>();
  private initialMem = new Map<Loc, LocState>();
  private budgetSpent = false;

  constructor(
    private readonly program: BtaProgram,
    private readonly scenario: Scenario,
  ) {
    this.abi = program.abi;
  }

  run(): BindingTimeAnalysis {
    const { functions, globals } = this.program;
    const entry = functions.get(this.scenario.entry);
    if (!entry) throw new BespokeError("BAD_SCENARIO", `scenario.entry: no function named '${this.scenario.entry}' can be analysed`);
    for (const [key, g] of globals) {
      this.globalKey.set(g.sym, key);
      this.sizes.set(`g:${key}`, Math.max(0, this.abi.sizeOf(g.sym.type)));
      if (this.scenario.owned.includes(g.sym.name) || this.scenario.owned.includes("*")) this.owned.add(`g:${key}`);
    }
    this.collectAddressTaken();
    this.initialMem = this.initialMemory();

    // the entry, as the specializer enters it
    const st = this.enterState(entry, this.initialMem, false);
    entry.params.forEach((p, i) => {
      const name = entry.def.params[i]?.name ?? "";
      const spec = this.scenario.params[name] ?? "D";
      const bt = typeof spec === "string" ? spec : "value" in spec ? spec.value : "S";
      if (p.k === "var") {
        if (bt === "D") st.regs[p.v.id] = DYNAMIC;
        else {
          const pointee: BindingSpec = typeof spec === "object" && "pointee" in spec && spec.pointee ? spec.pointee : "S";
          const ctx = `c:${name}`;
          st.mem.set(ctx, pointee === "D" ? { esc: false, dyn: ALL, pts: NONE } : { esc: false, dyn: [], pts: new Set(["dev", ctx]) });
          st.regs[p.v.id] = p.v.type.kind === TypeKind.Pointer ? { d: false, pts: new Set([ctx, "dev"]) } : STATIC;
        }
      } else st.mem.set(this.localLoc(entry, p.obj.id), { esc: false, dyn: ALL, pts: NONE });
    });
    const root = this.analyze(entry, st, "root");

    // the generic code residual calls reach, all dynamic
    const generic: Record<string, number> = {};
    const work = [...this.residualTargets];
    const seen = new Set(work);
    while (work.length > 0) {
      const name = work.pop()!;
      const fn = functions.get(name);
      if (!fn) continue;
      const before = new Set(this.residualTargets);
      generic[name] = this.analyzeGeneric(fn);
      for (const t of this.residualTargets) if (!before.has(t) && !seen.has(t)) {
        seen.add(t);
        work.push(t);
      }
    }

    // variants reachable from the entry through the final call maps, and the generic ones
    const reachable = new Set<number>();
    const todo = [root.id, ...Object.values(generic)];
    while (todo.length > 0) {
      const id = todo.pop()!;
      if (reachable.has(id)) continue;
      reachable.add(id);
      for (const callees of Object.values(this.variants[id]!.calls)) todo.push(...callees);
    }
    const renumber = new Map([...reachable].sort((x, y) => x - y).map((id, i) => [id, i]));
    const variants = [...renumber.keys()].map((id) => {
      const v = this.variants[id]!;
      const calls: Record<string, number[]> = {};
      for (const [site, callees] of Object.entries(v.calls)) calls[site] = callees.map((c) => renumber.get(c)!);
      return { ...v, id: renumber.get(id)!, calls };
    });
    return {
      version: BTA_VERSION,
      scenario: scenarioKey(this.scenario),
      ir: irFingerprint(functions),
      entry: renumber.get(root.id)!,
      variants,
      generic: Object.fromEntries(Object.entries(generic).map(([n, id]) => [n, renumber.get(id)!])),
      positions: this.positions(variants),
      ms: 0,
    };
  }

  private positions(variants: BtaVariant[]): BtaPosition[] {
    const out = new Map<string, BtaPosition>();
    const note = (pos: SourcePosition, bt: string): void => {
      if (!pos.file || pos.line === 0) return;
      const key = `${pos.file}:${pos.line}:${pos.column}`;
      const cur = out.get(key);
      if (!cur) out.set(key, { file: pos.file, line: pos.line, column: pos.column, bt: bt === "D" ? "D" : "S" });
      else if (bt === "D") cur.bt = "D";
    };
    for (const v of variants) {
      const fn = this.program.functions.get(v.fn)!;
      v.blocks.forEach((marks, b) => {
        if (!marks) return;
        const block = fn.blocks[b]!;
        block.stmts.forEach((s, i) => note(s.pos, marks[i]!));
        if (block.term.k !== "goto") note(block.term.pos, marks[block.stmts.length]!);
      });
    }
    return [...out.values()].sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : x.line - y.line || x.column - y.column));
  }

  // ---------------------------------------------------------- initial memory

  /** What the program's initializers store where, then the scenario's binding times of globals. */
  private initialMemory(): Map<Loc, LocState> {
    const mem = new Map<Loc, LocState>();
    const pts = new Map<Loc, ReadonlySet<string>>();
    const init = this.program.init;
    if (!(init instanceof BespokeError)) {
      const rootOf = (e: Expr): Loc | null => {
        if (e.k === "global") return e.sym.type.kind === TypeKind.Function ? null : this.globalLoc(e.sym);
        if (e.k === "local") return `i:${e.obj.id}`;
        if (e.k === "field" || e.k === "cast") return rootOf(e.k === "field" ? e.addr : e.arg);
        if (e.k === "ptradd") return rootOf(e.ptr);
        return null;
      };
      const valuePts = (e: Expr): ReadonlySet<string> => {
        if (e.k === "global") return new Set([e.sym.type.kind === TypeKind.Function ? `f:${e.sym.name}` : (this.globalLoc(e.sym) ?? "dev")]);
        if (e.k === "local") return new Set([`i:${e.obj.id}`]);
        if (e.k === "string") return new Set(["str"]);
        if (e.k === "cast") return e.arg.k === "int" ? (e.arg.value !== 0n && e.type.kind === TypeKind.Pointer ? new Set(["dev"]) : NONE) : valuePts(e.arg);
        if (e.k === "field") return valuePts(e.addr);
        if (e.k === "ptradd") return valuePts(e.ptr);
        if (e.k === "binary") return union(valuePts(e.left), valuePts(e.right));
        return NONE;
      };
      for (const l of init.locals) {
        mem.set(`i:${l.id}`, FRESH);
        this.sizes.set(`i:${l.id}`, l.size);
        if (this.scenario.owned.includes("*")) this.owned.add(`i:${l.id}`);
      }
      for (let changed = true; changed; ) {
        changed = false;
        for (const s of init.blocks[0]!.stmts) {
          let target: Loc | null = null;
          let from: ReadonlySet<string> = NONE;
          if (s.k === "store") [target, from] = [rootOf(s.addr), valuePts(s.value)];
          else if (s.k === "copy") {
            target = rootOf(s.dst);
            const src = rootOf(s.src);
            from = src ? (pts.get(src) ?? NONE) : valuePts(s.src);
          }
          if (!target || from.size === 0) continue;
          const cur = pts.get(target) ?? NONE;
          const next = union(cur, from);
          if (next !== cur) {
            pts.set(target, next);
            changed = true;
          }
        }
      }
      for (const [loc, p] of pts) if (loc.startsWith("i:")) mem.set(loc, { ...FRESH, pts: p });
    }
    const escapeLater: Loc[] = [];
    for (const [key, g] of this.program.globals) {
      const loc = `g:${key}`;
      const spec = this.scenario.globals[g.sym.name] ?? this.scenario.globals["*"] ?? "D";
      const initPts = pts.get(loc) ?? NONE;
      if (spec === "D" || !g.defined || (g.sym.type.quals & 2) !== 0) {
        mem.set(loc, ESCAPED);
        // residual code naming it gets its initial contents, with the functions they point to
        for (const p of initPts) if (p.startsWith("f:")) this.residualTargets.add(p.slice(2));
        escapeLater.push(...[...initPts].filter((p) => !p.startsWith("f:")));
        continue;
      }
      // a static global's value may come from the context: data the specializer builds, or device memory
      const ctx = `c:g:${key}`;
      mem.set(ctx, { esc: false, dyn: [], pts: new Set([ctx, "dev"]) });
      mem.set(loc, { esc: false, dyn: this.fieldRanges(g.sym.type, spec, 0, []), pts: union(initPts, new Set([ctx, "dev"])) });
    }
    mem.set("str", FRESH);
    mem.set("dev", FRESH);
    for (const l of escapeLater) this.escapeIn(mem, l);
    return mem;
  }

  /** Dynamic byte ranges of a partially static value (a `{ fields }` spec). */
  private fieldRanges(type: CType, spec: BindingSpec, off: number, acc: readonly Range[]): readonly Range[] {
    if (typeof spec === "string") return spec === "D" ? addRange(acc, [off, off + Math.max(1, this.abi.sizeOf(type))]) : acc;
    if ("value" in spec || type.kind !== TypeKind.Record) return acc;
    let out = acc;
    for (const [name, fspec] of Object.entries(spec.fields)) {
      const path = findField(type.def, name);
      if (!path) continue;
      const f = path[path.length - 1]!;
      out = this.fieldRanges(f.type, fspec, off + path.reduce((x, p) => x + p.offset, 0), out);
    }
    return out;
  }

  private collectAddressTaken(): void {
    const taken = new Set<string>();
    const walk = (e: Expr): void => {
      if (e.k === "global" && e.sym.type.kind === TypeKind.Function) taken.add(e.sym.name);
      for (const o of operands(e)) walk(o);
    };
    const fns = [...this.program.functions.values()];
    if (!(this.program.init instanceof BespokeError)) fns.push(this.program.init);
    for (const fn of fns) {
      const calls = new Set<string>();
      for (const b of fn.blocks) {
        for (const s of b.stmts) {
          if (s.k === "call") {
            if (s.callee.k === "global" && s.callee.sym.type.kind === TypeKind.Function) calls.add(s.callee.sym.name);
            else walk(s.callee);
            s.args.forEach(walk);
            if (s.dstAddr) walk(s.dstAddr);
          } else for (const e of stmtOperands(s)) walk(e);
        }
        for (const e of termOperands(b.term)) walk(e);
      }
      this.reach.set(fn.name, calls);
    }
    for (const name of taken) {
      const fn = this.program.functions.get(name);
      if (fn) this.addressTaken.push(fn);
    }
    // the functions each one may call (through pointers: any whose address is taken)
    const closure = new Map<string, Set<string>>();
    for (const name of this.reach.keys()) {
      const out = new Set<string>();
      const work = [name];
      while (work.length) {
        const n = work.pop()!;
        const direct = this.reach.get(n) ?? new Set<string>();
        for (const c of [...direct, ...taken]) if (!out.has(c)) {
          out.add(c);
          work.push(c);
        }
      }
      closure.set(name, out);
    }
    for (const [n, s] of closure) this.reach.set(n, s);
  }

  private globalLoc(sym: Symbol): Loc | null {
    const key = this.globalKey.get(sym) ?? (sym.global && this.program.globals.has(sym.name) ? sym.name : undefined);
    return key === undefined ? null : `g:${key}`;
  }

  private localLoc(fn: IrFunction, id: number): Loc {
    return `l:${fn.name}:${id}`;
  }

  private enterState(fn: IrFunction, mem: Map<Loc, LocState>, past: boolean): AState {
    const m = new Map(mem);
    for (const l of fn.locals) {
      const loc = this.localLoc(fn, l.id);
      m.set(loc, FRESH);
      this.sizes.set(loc, l.size);
      this.owned.add(loc);
    }
    return { regs: new Array(fn.vars.length).fill(undefined), mem: m, past, dirtyRegs: new Set(), dirtyMem: new Map() };
  }

  // ---------------------------------------------------------- variants

  private analyzeGeneric(fn: IrFunction): number {
    const mem = new Map<Loc, LocState>();
    for (const loc of this.initialMem.keys()) if (loc.startsWith("g:") || loc.startsWith("i:")) mem.set(loc, ESCAPED);
    mem.set("str", FRESH);
    mem.set("dev", FRESH);
    const st = this.enterState(fn, mem, false);
    fn.params.forEach((p) => {
      if (p.k === "var") st.regs[p.v.id] = DYNAMIC;
      else st.mem.set(this.localLoc(fn, p.obj.id), { esc: false, dyn: ALL, pts: NONE });
    });
    return this.analyze(fn, st, "generic").id;
  }

  /** Analyse `fn` entered in `entry` (memoized on its signature); its exit, or null when it never returns. */
  private analyze(fn: IrFunction, entry: AState, mode: Mode): { id: number; exit: Exit | null; busy: boolean } {
    const onStack = [...new Set(this.stack.filter((f) => this.reach.get(fn.name)?.has(f.fn.name) || f.fn === fn).map((f) => f.fn.name))];
    const params = fn.params.map((p) => (p.k === "var" ? valKey(entry.regs[p.v.id]) : "o")).join(",");
    const key = `${fn.name}|${mode}|${params}|${entry.past ? "+" : ""}|${memKey(entry.mem)}|${onStack.sort().join(",")}`;
    const known = this.memo.get(key);
    if (known) return { ...known, busy: this.stack.some((f) => f.key === key) };
    const id = this.variants.length;
    const variant: BtaVariant = {
      id,
      fn: fn.name,
      signature: `${fn.params.map((p) => (p.k === "var" ? (entry.regs[p.v.id]?.d ? "D" : "S") : "D")).join("")}${entry.past ? "+" : ""}#${digest(memKey(entry.mem))}`,
      blocks: fn.blocks.map(() => ""),
      calls: {},
    };
    this.variants.push(variant);
    const result = { id, exit: null as Exit | null };
    this.memo.set(key, result);
    this.stack.push({ fn, key });
    try {
      result.exit = this.body(fn, entry, mode, variant);
    } finally {
      this.stack.pop();
    }
    return { ...result, busy: false };
  }

  private joinBlocks(fn: IrFunction): Set<number> {
    let s = this.joins.get(fn);
    if (s) return s;
    const preds = new Array<number>(fn.blocks.length).fill(0);
    for (const b of fn.blocks) for (const t of successors(b.term)) preds[t]!++;
    s = new Set(preds.flatMap((n, i) => (n > 1 ? [i] : [])));
    this.joins.set(fn, s);
    return s;
  }

  /** The fixpoint over one function's CFG. */
  private body(fn: IrFunction, entry: AState, mode: Mode, variant: BtaVariant): Exit | null {
    const frame: Frame = { fn, generic: mode === "generic", root: mode !== "callee" };
    const states: (AState | undefined)[] = new Array(fn.blocks.length);
    const stateKeys: string[] = new Array(fn.blocks.length);
    const joins = this.joinBlocks(fn);
    const order = rpo(fn);
    const rank = new Map(order.map((b, i) => [b, i]));
    const pending = new Set<number>([fn.entry]);
    states[fn.entry] = entry;
    let exit: Exit | null = null;
    const propagate = (target: number, s: AState): void => {
      if (joins.has(target)) meet(s);
      const cur = states[target];
      const next = cur ? joinState(cur, s) : s;
      const k = stateKey(next);
      if (k === stateKeys[target]) return;
      states[target] = next;
      stateKeys[target] = k;
      pending.add(target);
    };
    while (pending.size > 0) {
      let b = -1;
      for (const x of pending) if (b < 0 || (rank.get(x) ?? 0) < (rank.get(b) ?? 0)) b = x;
      pending.delete(b);
      const st = cloneState(states[b]!);
      const block = fn.blocks[b]!;
      let marks = "";
      block.stmts.forEach((s, i) => {
        marks += this.stmt(s, st, frame, variant, `${b}.${i}`) ? "D" : "S";
      });
      const t = block.term;
      switch (t.k) {
        case "goto":
          marks += "S";
          propagate(t.target, st);
          break;
        case "if":
        case "switch": {
          const e = new Effects();
          const c = this.eval(t.k === "if" ? t.cond : t.value, st, frame, e);
          const dyn = c.d || e.dyn;
          marks += dyn ? "D" : "S";
          const targets = t.k === "if" ? [t.then, t.else] : [...new Set([...t.cases.map((x) => x.target), t.default])];
          for (const target of targets) {
            const s = cloneState(st);
            if (dyn) s.past = true;
            propagate(target, s);
          }
          break;
        }
        case "return": {
          const e = new Effects();
          let ret: AVal = STATIC;
          if (t.value) {
            if (t.value.k === "load" && t.value.type.kind === TypeKind.Record) {
              this.eval(t.value.addr, st, frame, e);
              ret = DYNAMIC;
            } else ret = this.eval(t.value, st, frame, e);
            if (frame.root) this.lift(ret, st, e);
          }
          marks += frame.root || ret.d || e.dyn ? "D" : "S";
          const here: Exit = { mem: st.mem, past: st.past, dirtyMem: st.dirtyMem, ret };
          exit = exit ? joinExit(exit, here) : here;
          break;
        }
      }
      variant.blocks[b] = marks;
    }
    if (mode === "generic") {
      variant.dynamicAt = {};
      for (const b of joins) {
        const s = states[b];
        if (!s) continue;
        const dyn = s.regs.flatMap((v, id) => (v?.d ? [id] : []));
        if (dyn.length) variant.dynamicAt[b] = dyn;
      }
    }
    return exit;
  }

  // ---------------------------------------------------------- statements

  /** Abstract execution of one statement; true when it is dynamic (leaves residual code). */
  private stmt(s: Stmt, st: AState, frame: Frame, variant: BtaVariant, site: string): boolean {
    const e = new Effects();
    switch (s.k) {
      case "set": {
        const v = this.eval(s.value, st, frame, e);
        this.setReg(st, s.dst.id, v);
        return v.d || e.dyn;
      }
      case "store": {
        const addr = this.eval(s.addr, st, frame, e);
        const value = this.eval(s.value, st, frame, e);
        const ldouble = s.type.kind === TypeKind.Float && s.type.rank === "ldouble";
        this.write(addr, staticOffset(s.addr), this.abi.sizeOf(s.type), ldouble ? DYNAMIC : value, st, e);
        if (ldouble || value.d) this.lift(value, st, e);
        return e.dyn;
      }
      case "bitstore": {
        const addr = this.eval(s.addr, st, frame, e);
        const value = this.eval(s.value, st, frame, e);
        const off = staticOffset(s.addr);
        const span = Math.ceil((s.field.bitOffset + s.field.bitWidth!) / 8);
        // a static bit-field write needs the rest of its bytes static
        const whole = this.read(addr, off === null ? null : off + s.field.offset, span, st, e, false);
        this.write(addr, off === null ? null : off + s.field.offset, span, whole.d || value.d ? DYNAMIC : STATIC, st, e);
        return e.dyn;
      }
      case "copy": {
        const dst = this.eval(s.dst, st, frame, e);
        const src = this.eval(s.src, st, frame, e);
        this.copy(dst, staticOffset(s.dst), src, staticOffset(s.src), s.size, st, e);
        return e.dyn;
      }
      case "zero": {
        const addr = this.eval(s.addr, st, frame, e);
        this.write(addr, staticOffset(s.addr), s.size, STATIC, st, e);
        return e.dyn;
      }
      case "call":
        return this.call(s, st, frame, variant, site);
    }
  }

  private setReg(st: AState, id: number, v: AVal): void {
    st.regs[id] = v;
    if (st.past) st.dirtyRegs.add(id);
  }

  /** The static locations a static pointer designates (none for a dynamic one). */
  private targets(addr: AVal): Loc[] {
    if (addr.d) return [];
    return [...addr.pts].filter((p) => !p.startsWith("f:"));
  }

  /**
   * A read of `size` bytes at `addr` (+ `off` when known): dynamic unless
   * every location it may read is static there. Only a pointer read (or a
   * bytewise copy) carries what the location's pointers point to: the
   * analysis takes programs to be well typed, an integer is never read from
   * where a pointer to an object was stored.
   */
  private read(addr: AVal, off: number | null, size: number, st: AState, e: Effects, pointers = true): AVal {
    if (addr.d) {
      e.dyn = true;
      return DYNAMIC;
    }
    const locs = this.targets(addr);
    if (locs.length === 0) {
      e.dyn = true;
      return DYNAMIC;
    }
    let pts: ReadonlySet<string> = NONE;
    for (const loc of locs) {
      const l = st.mem.get(loc);
      if (!l || l.esc || (off === null ? l.dyn.length > 0 : overlaps(l.dyn, off, off + size))) {
        e.dyn = true;
        return DYNAMIC;
      }
      if (!pointers) continue;
      pts = union(pts, l.pts);
      if (loc === "dev") pts = union(pts, DEV);
    }
    return pointers ? { d: false, pts } : STATIC;
  }

  /** A write of `value` to `size` bytes at `addr`. */
  private write(addr: AVal, off: number | null, size: number, value: AVal, st: AState, e: Effects): void {
    if (addr.d) {
      e.dyn = true;
      this.lift(value, st, e);
      return;
    }
    const locs = this.targets(addr);
    if (locs.length === 0) {
      e.dyn = true;
      return;
    }
    const strong = locs.length === 1 && off !== null;
    for (const loc of locs) {
      const l = st.mem.get(loc);
      if (!l) continue;
      if (l.esc) {
        e.dyn = true;
        this.lift(value, st, e);
        continue;
      }
      if (loc === "dev" || loc === "str") {
        // device memory and string literals are never written statically: the write is residual and they escape
        e.dyn = true;
        this.escapeIn(st.mem, loc);
        this.lift(value, st, e);
        continue;
      }
      const range: Range = off === null ? [0, Infinity] : [off, off + size];
      if (value.d) {
        e.dyn = true;
        st.mem.set(loc, { ...l, dyn: addRange(l.dyn, range) });
      } else {
        if (!this.owned.has(loc)) e.dyn = true;
        st.mem.set(loc, { ...l, dyn: strong ? removeRange(l.dyn, range[0], range[1]) : l.dyn, pts: union(l.pts, value.pts) });
      }
      if (st.past) st.dirtyMem.set(loc, unionRanges(st.dirtyMem.get(loc) ?? [], [range]));
    }
  }

  private copy(dst: AVal, dstOff: number | null, src: AVal, srcOff: number | null, size: number, st: AState, e: Effects): void {
    const v = this.read(src, srcOff, size, st, e);
    if (v.d) {
      // a residual copy: the source's static bytes go to its residual copy first
      this.write(dst, dstOff, size, DYNAMIC, st, e);
      return;
    }
    this.write(dst, dstOff, size, v, st, e);
  }

  /** A static value reaches residual code: the locations it points to escape. */
  private lift(v: AVal, st: AState, e: Effects): void {
    if (v.d || v.pts.size === 0) return;
    for (const p of v.pts) {
      if (p.startsWith("f:")) this.residualTargets.add(p.slice(2));
      else if (p !== "dev") {
        const l = st.mem.get(p);
        if (l && !l.esc) {
          e.dyn = true;
          this.escapeIn(st.mem, p);
        }
      }
    }
  }

  private escapeIn(mem: Map<Loc, LocState>, loc: Loc): void {
    const work = [loc];
    while (work.length > 0) {
      const l = work.pop()!;
      const cur = mem.get(l);
      if (!cur || cur.esc) continue;
      mem.set(l, ESCAPED);
      for (const p of cur.pts) {
        if (p.startsWith("f:")) this.residualTargets.add(p.slice(2));
        else if (p !== "dev") work.push(p);
      }
    }
  }

  /** Memory as a recursive call may find it: everything but string literals escaped (the analysis does not follow recursion). */
  private topMemory(mem: Map<Loc, LocState>): Map<Loc, LocState> {
    const m = new Map(mem);
    for (const loc of [...m.keys()]) if (loc !== "str") this.escapeIn(m, loc);
    return m;
  }

  private escapeGlobals(st: AState): void {
    for (const loc of [...st.mem.keys()]) if (loc.startsWith("g:")) this.escapeIn(st.mem, loc);
  }

  // ---------------------------------------------------------- calls

  private call(s: Stmt & { k: "call" }, st: AState, frame: Frame, variant: BtaVariant, site: string): boolean {
    const e = new Effects();
    const callee = this.eval(s.callee, st, frame, e);
    const args = s.args.map((a) => (a.k === "load" && a.type.kind === TypeKind.Record ? { addr: this.eval(a.addr, st, frame, e), agg: true, off: staticOffset(a.addr) } : { addr: this.eval(a, st, frame, e), agg: false, off: null }));
    // what the call may run: program functions it may unfold, and whether it may stay residual
    const candidates: IrFunction[] = [];
    let mayResidual = false;
    let residualProgram = false;
    if (callee.d) [mayResidual, residualProgram] = [true, true];
    else {
      for (const p of callee.pts) {
        if (p.startsWith("f:")) {
          const fn = this.program.functions.get(p.slice(2));
          if (fn) candidates.push(fn);
          else {
            mayResidual = true;
            if (this.program.unlowered.has(p.slice(2))) residualProgram = true;
          }
        } else if (p === "dev") {
          // a device code address: whichever program function is there, or none
          for (const fn of this.addressTaken) if (fn.params.length === s.args.length || fn.type.variadic) candidates.push(fn);
          [mayResidual, residualProgram] = [true, true];
        } else [mayResidual, residualProgram] = [true, true];
      }
      if (callee.pts.size === 0) [mayResidual, residualProgram] = [true, true];
    }
    const outcomes: AState[] = [];
    let dyn = e.dyn;
    const calls: number[] = [];
    const staticGlobal = [...st.mem].some(([loc, l]) => loc.startsWith("g:") && !l.esc);
    for (const fn of new Set(candidates)) {
      const recursive = this.stack.some((f) => f.fn === fn);
      const unfoldable = !frame.generic && this.scenario.functions[fn.name] !== "dynamic" && !fn.type.variadic && !this.budgetSpent;
      if (!unfoldable) {
        [mayResidual, residualProgram] = [true, true];
        this.residualTargets.add(fn.name);
        continue;
      }
      const anyStatic = args.some((a) => !a.addr.d);
      // the specializer unfolds when a static argument flows in, or static globals into a callee that reads globals or has no loop (recursion: only fully static)
      if (recursive || !(anyStatic || (staticGlobal && unfoldsForGlobals(fn, this.program.functions)))) {
        [mayResidual, residualProgram] = [true, true];
        this.residualTargets.add(fn.name);
      }
      const out = cloneState(st);
      const ue = new Effects();
      const entryMem = recursive ? this.topMemory(out.mem) : out.mem;
      const inner = this.enterState(fn, entryMem, out.past);
      fn.params.forEach((p, i) => {
        const a = args[i] ?? { addr: STATIC, agg: false, off: null };
        if (p.k === "var") {
          inner.regs[p.v.id] = a.addr;
          if (a.addr.d) ue.dyn = true;
        } else {
          const loc: AVal = { d: false, pts: new Set([this.localLoc(fn, p.obj.id)]) };
          if (a.agg) this.copy(loc, 0, a.addr, a.off, p.obj.size, inner, ue);
          else this.write(loc, 0, p.obj.size, a.addr, inner, ue);
        }
      });
      if (this.variants.length > VARIANT_BUDGET) this.budgetSpent = true;
      const r = this.analyze(fn, inner, "callee");
      calls.push(r.id);
      if (ue.dyn) dyn = true;
      if (r.busy) {
        // recursion into a variant still being analysed: assume the worst of it
        out.mem = this.topMemory(out.mem);
        out.past = true;
        if (s.dst) this.setReg(out, s.dst.id, DYNAMIC);
        outcomes.push(out);
        continue;
      }
      if (!r.exit) continue; // never returns: nothing follows this outcome
      // back in the caller: its locals die, the result lands, and paths meet
      const mem = new Map(r.exit.mem);
      for (const loc of [...mem.keys()]) if (loc.startsWith(`l:${fn.name}:`)) mem.delete(loc);
      out.mem = mem;
      out.past = r.exit.past;
      for (const [loc, rs] of r.exit.dirtyMem) if (!loc.startsWith(`l:${fn.name}:`)) out.dirtyMem.set(loc, unionRanges(out.dirtyMem.get(loc) ?? [], rs));
      if (s.dst) this.setReg(out, s.dst.id, r.exit.ret);
      if (s.dstAddr) this.write(this.eval(s.dstAddr, out, frame, new Effects()), staticOffset(s.dstAddr), this.abi.sizeOf(s.fnType.ret), DYNAMIC, out, new Effects());
      if (recursive) {
        out.mem = this.topMemory(out.mem);
        if (s.dst) this.setReg(out, s.dst.id, DYNAMIC);
      }
      meet(out);
      outcomes.push(out);
    }
    if (calls.length > 0) variant.calls[site] = calls;
    else delete variant.calls[site];
    if (mayResidual || candidates.length === 0) {
      dyn = true;
      const out = cloneState(st);
      const re = new Effects();
      for (const a of args) {
        if (a.agg) this.lift(a.addr, out, re);
        else {
          if ([...a.addr.pts].some((p) => p.startsWith("f:") && this.program.functions.has(p.slice(2)))) this.escapeGlobals(out);
          this.lift(a.addr, out, re);
        }
      }
      if (residualProgram) this.escapeGlobals(out);
      if (!callee.d) this.lift({ d: false, pts: new Set([...callee.pts].filter((p) => p.startsWith("f:"))) }, out, re);
      if (s.dst) this.setReg(out, s.dst.id, DYNAMIC);
      if (s.dstAddr) {
        const a = this.eval(s.dstAddr, out, frame, re);
        this.lift(a, out, re);
      }
      outcomes.push(out);
    }
    if (outcomes.length === 0) {
      // no outcome returns: what follows is unreachable; keep the state as is
      return dyn;
    }
    let joined = outcomes[0]!;
    for (const o of outcomes.slice(1)) joined = joinState(joined, o);
    st.regs = joined.regs;
    st.mem = joined.mem;
    st.past = joined.past;
    st.dirtyRegs = joined.dirtyRegs;
    st.dirtyMem = joined.dirtyMem;
    return dyn;
  }

  // ---------------------------------------------------------- expressions

  private eval(e: Expr, st: AState, frame: Frame, fx: Effects): AVal {
    switch (e.k) {
      case "int":
      case "float":
        return STATIC;
      case "var":
        return st.regs[e.v.id] ?? STATIC;
      case "global": {
        if (e.sym.type.kind === TypeKind.Function) return { d: false, pts: new Set([`f:${e.sym.name}`]) };
        const loc = this.globalLoc(e.sym);
        return loc && st.mem.has(loc) ? { d: false, pts: new Set([loc]) } : DYNAMIC;
      }
      case "local":
        return { d: false, pts: new Set([this.localLoc(frame.fn, e.obj.id)]) };
      case "string":
        return { d: false, pts: STR };
      case "load": {
        const addr = this.eval(e.addr, st, frame, fx);
        const scalar = e.type.kind !== TypeKind.Record && e.type.kind !== TypeKind.Array && !(e.type.kind === TypeKind.Float && e.type.rank === "ldouble");
        const v = this.read(addr, staticOffset(e.addr), Math.max(1, this.abi.sizeOf(e.type)), st, fx, e.type.kind === TypeKind.Pointer || !scalar);
        if (!scalar && !v.d) {
          fx.dyn = true;
          return DYNAMIC;
        }
        return v;
      }
      case "bitload": {
        const addr = this.eval(e.addr, st, frame, fx);
        const off = staticOffset(e.addr);
        return this.read(addr, off === null ? null : off + e.field.offset, Math.ceil((e.field.bitOffset + e.field.bitWidth!) / 8), st, fx, false);
      }
      case "field":
        return this.eval(e.addr, st, frame, fx);
      case "ptradd": {
        const p = this.eval(e.ptr, st, frame, fx);
        const i = this.eval(e.index, st, frame, fx);
        if (!p.d && !i.d) return p;
        this.lift(p, st, fx);
        return DYNAMIC;
      }
      case "ptrdiff": {
        const l = this.eval(e.left, st, frame, fx);
        const r = this.eval(e.right, st, frame, fx);
        if (!l.d && !r.d && l.pts.size === 1 && sameSet(l.pts, r.pts) && !l.pts.has("dev")) return STATIC;
        this.lift(l, st, fx);
        this.lift(r, st, fx);
        return DYNAMIC;
      }
      case "unary": {
        const a = this.eval(e.arg, st, frame, fx);
        if (!a.d && a.pts.size === 0 && e.arg.type.kind !== TypeKind.Pointer && !(e.op !== "-" && e.arg.type.kind === TypeKind.Float)) return STATIC;
        this.lift(a, st, fx);
        return DYNAMIC;
      }
      case "binary": {
        const l = this.eval(e.left, st, frame, fx);
        const r = this.eval(e.right, st, frame, fx);
        if (!l.d && !r.d && staticBinary(e, l, r)) return STATIC;
        this.lift(l, st, fx);
        this.lift(r, st, fx);
        return DYNAMIC;
      }
      case "cast": {
        const a = this.eval(e.arg, st, frame, fx);
        if (!a.d) {
          const v = staticCast(a, e.arg.type, e.type);
          if (v) return v;
        }
        this.lift(a, st, fx);
        return DYNAMIC;
      }
    }
  }
}

/** Effects of evaluating one statement. */
class Effects {
  /** Residual code is emitted. */
  dyn = false;
}

const DEV: ReadonlySet<string> = new Set(["dev"]);
const STR: ReadonlySet<string> = new Set(["str"]);

/** Where paths meet after a dynamic branch: registers and memory written since become dynamic. */
function meet(st: AState): void {
  for (const id of st.dirtyRegs) {
    const v = st.regs[id];
    if (v && !v.d) st.regs[id] = DYNAMIC;
  }
  for (const [loc, rs] of st.dirtyMem) {
    const l = st.mem.get(loc);
    if (l && !l.esc) st.mem.set(loc, { ...l, dyn: unionRanges(l.dyn, rs) });
  }
  st.dirtyRegs = new Set();
  st.dirtyMem = new Map();
}

function joinExit(a: Exit, b: Exit): Exit {
  const s = joinState({ regs: [], mem: a.mem, past: a.past, dirtyRegs: new Set(), dirtyMem: a.dirtyMem }, { regs: [], mem: b.mem, past: b.past, dirtyRegs: new Set(), dirtyMem: b.dirtyMem });
  return { mem: s.mem, past: s.past, dirtyMem: s.dirtyMem, ret: joinVal(a.ret, b.ret)! };
}

/** Whether the specializer evaluates a binary operation on these static operands (pointer operations only between comparable pointers). */
function staticBinary(e: Expr & { k: "binary" }, l: AVal, r: AVal): boolean {
  const ptrs = l.pts.size > 0 || r.pts.size > 0 || e.left.type.kind === TypeKind.Pointer || e.right.type.kind === TypeKind.Pointer;
  if (!ptrs) return !(e.opType.kind === TypeKind.Float && e.opType.rank === "ldouble");
  const cmp = e.op === "==" || e.op === "!=" || e.op === "<" || e.op === ">" || e.op === "<=" || e.op === ">=";
  if (!cmp) return false;
  // anything compares for equality with null
  if ((e.op === "==" || e.op === "!=") && (isNull(e.left) || isNull(e.right))) return true;
  // absolute addresses compare with each other and with null; objects and functions with each other and with null
  const absolute = (v: AVal): boolean => v.pts.has("dev");
  const objects = (v: AVal): boolean => [...v.pts].some((p) => p !== "dev");
  if ((absolute(l) && objects(r)) || (objects(l) && absolute(r)) || (absolute(l) && objects(l)) || (absolute(r) && objects(r))) return false;
  if (e.op === "==" || e.op === "!=") return true;
  // order: within one object, or between absolute addresses
  return (absolute(l) || l.pts.size === 0) && (absolute(r) || r.pts.size === 0) ? true : l.pts.size === 1 && sameSet(l.pts, r.pts);
}

/** A null pointer constant: 0, or 0 cast. */
function isNull(e: Expr): boolean {
  return e.k === "int" ? e.value === 0n : e.k === "cast" && isNull(e.arg);
}

/** A static cast the specializer evaluates, or null when it leaves it residual. */
function staticCast(a: AVal, from: CType, to: CType): AVal | null {
  const fromLdouble = from.kind === TypeKind.Float && from.rank === "ldouble";
  const real = [...a.pts].some((p) => p !== "dev");
  switch (to.kind) {
    case TypeKind.Void:
    case TypeKind.Bool:
      return STATIC;
    case TypeKind.Pointer:
      return a.pts.size > 0 ? a : from.kind === TypeKind.Float ? null : { d: false, pts: DEV };
    case TypeKind.Int:
    case TypeKind.Enum:
      if (real || fromLdouble) return null;
      return STATIC;
    case TypeKind.Float:
      if (to.rank === "ldouble" || fromLdouble || a.pts.size > 0 || from.kind === TypeKind.Pointer) return null;
      return STATIC;
    default:
      return null;
  }
}

/** Byte offset of an address within the object it names directly (`&object.field[3]`), or null. */
function staticOffset(e: Expr): number | null {
  switch (e.k) {
    case "global":
    case "local":
    case "string":
      return 0;
    case "field": {
      const o = staticOffset(e.addr);
      return o === null ? null : o + e.field.offset;
    }
    case "ptradd": {
      const o = staticOffset(e.ptr);
      return o === null || e.index.k !== "int" ? null : o + Number(e.index.value) * e.scale;
    }
    case "cast":
      return staticOffset(e.arg);
    default:
      return null;
  }
}

/** Blocks in reverse postorder (the fixpoint visits them in this order). */
function rpo(fn: IrFunction): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  const stack: [number, number][] = [[fn.entry, 0]];
  seen.add(fn.entry);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const succ = successors(fn.blocks[top[0]]!.term);
    if (top[1] < succ.length) {
      const n = succ[top[1]++]!;
      if (!seen.has(n)) {
        seen.add(n);
        stack.push([n, 0]);
      }
    } else {
      out.push(top[0]);
      stack.pop();
    }
  }
  return out.reverse();
}
