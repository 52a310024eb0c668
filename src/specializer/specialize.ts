// Polyvariant program-point specialization over the core IR (SPECIALIZER.md
// step 3). A worklist of (program point, static state) pairs, each producing
// one residual block, memoized on the live static state at join points.
// Static code is evaluated with the target's C semantics; dynamic code is
// emitted with static operands lifted to constants. Calls on any path are
// unfolded up to the inlining depth; deeper, recursive-dynamic and external
// calls are residual. Limits are enforced by generalizing (making static
// registers dynamic, letting objects escape), never by failing.
//
// Binding times are decided online, from the concrete static values, rather
// than by a separate offline analysis: a value is static exactly when it is
// known; what each statement turned out to be is recorded for the
// binding-time view (btaview.ts). Unfolding and generalization decisions use
// the liveness, control-relevance and register-source facts computed once
// per function below.
import type { Abi } from "../c/abi.ts";
import type { Symbol } from "../c/ast.ts";
import { integerBinary, wrap } from "../c/consteval.ts";
import { type CType, type Field, type FunctionType, type RecordDef, TypeKind, charType, findField, intType, isScalar, pointerTo, ucharType } from "../c/types.ts";
import { BespokeError, type SourcePosition } from "../errors.ts";
import { type Block, type Expr, type IrFunction, type LocalObject, type Stmt, type Terminator, type Var, operands, stmtDestination, stmtOperands, termOperands, visitVars } from "./ir.ts";
import { FROZEN, UNNUMBERED, type FnValue, type MemObject, MemoryStore, type PointerValue, type PtrValue, newObject, readFloat, readInt, writeFloat, writeInt } from "./memory.ts";
import type { Limits } from "./scenario.ts";

export type Value = { k: "int"; v: bigint } | { k: "float"; v: number } | PtrValue | FnValue;
type Dyn = { k: "dyn"; e: Expr };
type Val = Value | Dyn;

/** A residual function under construction (and, finished, what residualize prints). */
export interface ResidualFunction {
  name: string;
  type: FunctionType;
  /** Residual parameters: registers, or objects when the parameter's address is taken. */
  params: (Var | LocalObject)[];
  variadic: boolean;
  vars: Var[];
  locals: LocalObject[];
  blocks: Block[];
  entry: number;
  static: boolean;
  /** GNU attributes the residual function keeps (constructor, destructor). */
  attributes?: string[];
  /** A C99 inline definition, as in the program (the translation unit provides no external definition of it). */
  inline?: boolean;
}

export interface SpecializeStats {
  unfolded: Record<string, number>;
  residualCalls: Record<string, number>;
  generalized: { at: string; registers: string[]; reason: string }[];
  staticBlocks: number;
  residualBlocks: number;
}

/** Everything about the program the specializer needs, built once per (program, scenario). */
export interface ProgramView {
  abi: Abi;
  functions: ReadonlyMap<string, IrFunction>;
  /** Functions defined in the program but not lowered (kept as generic code). */
  unlowered: Set<string>;
  limits: Limits;
  /** Functions the scenario keeps as residual calls (`"dynamic"`). */
  residualOnly: Set<string>;
  /** The program's function at a device address, when the device runs the program (firmware). */
  deviceFunction?: (address: number) => string | undefined;
  /** Registers the binding-time analysis (bta.ts) finds dynamic on entry to a join block of a function's generic version: generic code generalizes them there at once. */
  genericDynamic?: (fn: string, block: number) => readonly number[] | undefined;
  /** Partially static structures in device memory (scenario.staticFields): struct tag -> its static fields. */
  staticFields?: ReadonlyMap<string, ReadonlySet<string>>;
}

interface Frame {
  fn: IrFunction;
  inst: number;
  regs: (Value | null | undefined)[];
  /** `regs` is this frame's alone; else another frame (a copy made by `copyFrame`) holds it too, and it is copied before it changes. */
  ownsRegs: boolean;
  /** Other states hold this frame too (below their top: `cloneState`): it never changes again, and a state changing it changes a copy (`ownFrame`). The top frame is never shared. */
  shared: boolean;
  objs: number[];
  block: number;
  stmt: number;
  /** Where the result goes in the caller. */
  ret: { dst: Var | null; dstAddr: Val | null } | null;
  /** Registers live at entry of each block: 1 at a live register's id. */
  live: Uint8Array[];
  /** The function's numbered source positions, and the binding times observed at them (`Specializer.observedIn`). */
  positions: PositionTable;
  observed: Uint8Array;
  /** The registers' part of memo keys (`Specializer.registersId`), kept until a register changes (every write goes through `setRegister`). */
  regsId: number | undefined;
  /** The sum of `registerHash` over the registers, kept by `setRegister`. */
  regsHash: number;
  /** The point of this frame and those below it as a number (`Run.pointOf`), with what it was made from: kept while they are the same. */
  pointKey: { below: number; block: number; stmt: number; id: number } | undefined;
  /** This frame's and those below it's part of memo keys (`Run.stateKey`), with what it was made from: kept while they are the same. */
  stackKey: { below: number; point: number; regsId: number; id: number } | undefined;
}

/** Change one register of a frame (nothing changes when it keeps its value: values are never changed in place). */
function setRegister(f: Frame, id: number, v: Value | null | undefined): void {
  const old = f.regs[id];
  if (old === v || (old && v && sameValue(old, v))) return;
  if (!f.ownsRegs) {
    f.regs = f.regs.slice();
    f.ownsRegs = true;
  }
  f.regs[id] = v;
  f.regsId = undefined;
  f.regsHash = (f.regsHash - registerHash(id, old) + registerHash(id, v)) | 0;
}

/** A number for register `id` holding `v` (0 when it holds nothing), the same for values `sameValue` finds the same. */
function registerHash(id: number, v: Value | null | undefined): number {
  if (v === undefined) return 0;
  let h: number;
  if (v === null) h = 0x2545f491;
  else {
    switch (v.k) {
      case "int": {
        const x = Number(v.v);
        h = (x | 0) ^ Math.imul((x / 4294967296) | 0, 0x85ebca6b);
        break;
      }
      case "float":
        h = Number.isFinite(v.v) ? Math.imul(v.v | 0, 0x27d4eb2d) ^ ((v.v * 4096) | 0) : 0x3c6ef372;
        break;
      case "ptr":
        h = Math.imul(v.obj, 0x27d4eb2d) ^ v.off;
        break;
      case "fn":
        h = v.sym.name.length;
        for (let i = 0; i < v.sym.name.length; i++) h = Math.imul(h, 31) + v.sym.name.charCodeAt(i);
        break;
    }
  }
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ Math.imul(id + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return h ^ (h >>> 16);
}

/** A key `KeyNumbers` numbered, and the next one with the same hash. */
interface NumberedKey<K> {
  key: K;
  n: number;
  next: NumberedKey<K> | undefined;
}

/** Numbers for keys, the same for equal keys (`same`), found by their hash (the caller's). */
class KeyNumbers<K> {
  /** The keys numbered so far, by hash. */
  private chains = new Map<number, NumberedKey<K>>();
  private count = 0;

  constructor(private same: (a: K, b: K) => boolean) {}

  find(hash: number, key: K): number | undefined {
    for (let e = this.chains.get(hash); e; e = e.next) if (this.same(e.key, key)) return e.n;
    return undefined;
  }

  /** Number a key `find` does not know (it is kept: it must not change). */
  add(hash: number, key: K): number {
    const n = this.count++;
    this.chains.set(hash, { key, n, next: this.chains.get(hash) });
    return n;
  }
}

/** A tuple `TupleNumbers` numbered, and the next one with the same hash. */
interface NumberedTuple {
  a: number;
  b: number;
  c: number;
  d: number;
  n: number;
  next: NumberedTuple | undefined;
}

/** Numbers for tuples of four integers, the same for the same tuple. */
class TupleNumbers {
  /** The tuples numbered so far, by hash. */
  private chains = new Map<number, NumberedTuple>();
  private count = 0;

  number(a: number, b: number, c: number, d: number): number {
    let hash = Math.imul(a, 0x9e3779b1) ^ b;
    hash = Math.imul(hash ^ (hash >>> 15), 0x85ebca6b) ^ c;
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35) ^ d;
    hash ^= hash >>> 16;
    const first = this.chains.get(hash);
    for (let e = first; e; e = e.next) if (e.a === a && e.b === b && e.c === c && e.d === d) return e.n;
    const n = this.count++;
    this.chains.set(hash, { a, b, c, d, n, next: first });
    return n;
  }
}

function sameNumbers(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether two frames' registers hold the same values (registers past the end of one hold nothing). */
function sameRegisterValues(a: Frame["regs"], b: Frame["regs"]): boolean {
  if (a === b) return true;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (!x || !y || !sameValue(x, y)) return false;
  }
  return true;
}

interface State {
  frames: Frame[];
  mem: MemoryStore;
  /** Reached through a dynamic branch: loops from here on may never end statically. */
  dynamicPast: boolean;
}

interface Pending {
  state: State;
  rblock: Block;
}

const NOPOS: SourcePosition = { file: "", line: 0, column: 0 };

/** Static memory shared by the whole specialization (objects are per state; types and residual names are global). */
export class ObjectTable {
  private next = 1;
  readonly types = new Map<number, CType>();
  /** Residual declaration of an object (materialized). */
  readonly residual = new Map<number, LocalObject>();
  /** Where each residual object is declared: in a residual function, or at file scope. */
  readonly fileScope = new Set<number>();
  readonly names = new Set<string>();
  /** Initial contents of file-scope objects the specializer created (context data, string literals). */
  readonly initials = new Map<number, MemObject>();
  fresh(): number {
    return this.next++;
  }
  private nextSuffix = new Map<string, number>();
  uniqueName(base: string): string {
    let name = base;
    let i = this.nextSuffix.get(base) ?? 1;
    while (this.names.has(name)) name = `${base}_${i++}`;
    this.nextSuffix.set(base, i);
    this.names.add(name);
    return name;
  }
}

/** The next `Specializer.numbering` (0 is UNNUMBERED). */
let nextNumbering = UNNUMBERED + 1;

export class Specializer {
  readonly stats: SpecializeStats = { unfolded: {}, residualCalls: {}, generalized: [], staticBlocks: 0, residualBlocks: 0 };
  /** Functions called generically from residual code (their generic versions are needed). */
  readonly genericNeeded = new Set<string>();
  /** Globals the residual code names. */
  readonly globalsUsed = new Set<Symbol>();
  /** Functions (defined or external) the residual code names. */
  readonly functionsUsed = new Set<Symbol>();
  private instances = 0;
  private residualStmts = 0;

  constructor(
    readonly view: ProgramView,
    readonly objects: ObjectTable,
    private globalObjects: (sym: Symbol) => number | undefined,
  ) {}

  // ------------------------------------------------------------ entry points

  /**
   * Specialize `fn` for the static parameter values given (undefined = dynamic)
   * in the static memory `mem`. Returns the residual function.
   */
  specializeFunction(fn: IrFunction, name: string, paramValues: (Value | undefined)[], mem: MemoryStore, generic: boolean): ResidualFunction {
    const rf: ResidualFunction = { name, type: fn.type, params: [], variadic: fn.type.variadic, vars: [], locals: [], blocks: [], entry: 0, static: fn.sym.storage === "static" };
    const run = new Run(this, rf, generic);
    const frame = run.newFrame(fn, mem, null);
    const entryBlock = run.newRBlock();
    fn.params.forEach((p, i) => {
      const value = paramValues[i];
      if (p.k === "var") {
        if (value) setRegister(frame, p.v.id, value);
        else {
          setRegister(frame, p.v.id, null);
          rf.params.push(run.rvar(frame, p.v));
        }
      } else {
        // an address-taken or aggregate parameter: the residual parameter is the object itself
        if (value) throw new BespokeError("SPECIALIZER_BUG", `static aggregate parameter ${p.obj.name}`);
        const id = frame.objs[p.obj.id]!;
        const obj = mem.mutable(id);
        obj.known.fill(0);
        const decl: LocalObject = { id, name: this.objects.uniqueName(p.obj.name), type: p.obj.type, size: p.obj.size, sym: null };
        this.objects.residual.set(id, decl);
        rf.params.push(decl);
      }
    });
    rf.entry = entryBlock.id;
    run.start({ frames: [frame], mem, dynamicPast: false }, entryBlock);
    this.stats.residualBlocks += rf.blocks.length;
    return rf;
  }

  noteResidualStmt(): void {
    this.residualStmts++;
  }

  get residualCount(): number {
    return this.residualStmts;
  }

  /** Per function: the registers `noteStaticIndexing` found, and the load addresses it has seen (an address notes the same registers every time). */
  private staticIndexing = new Map<IrFunction, { registers: Set<number>; noted: Set<Expr> }>();

  /** Registers of `fn` whose values flowed into the address of a load that read static memory. */
  noteStaticIndexing(fn: IrFunction, addr: Expr): void {
    let found = this.staticIndexing.get(fn);
    if (!found) this.staticIndexing.set(fn, (found = { registers: new Set(), noted: new Set() }));
    if (found.noted.has(addr)) return;
    found.noted.add(addr);
    const set = found.registers;
    const sources = registerSources(fn);
    visitVars(addr, (v) => {
      for (const id of sources[v.id] ?? []) set.add(id);
    });
  }

  indexesStaticData(fn: IrFunction, id: number): boolean {
    return this.staticIndexing.get(fn)?.registers.has(id) ?? false;
  }

  /** Binding times observed per function, by `PositionTable` number: STATIC_SEEN, and DYNAMIC_SEEN when a specialization of the position left residual code. */
  private observed = new Map<IrFunction, Uint8Array>();

  /** `fn`'s array of `observed` binding times. */
  observedIn(fn: IrFunction): Uint8Array {
    let seen = this.observed.get(fn);
    if (!seen) this.observed.set(fn, (seen = new Uint8Array(positionTable(fn).positions.length)));
    return seen;
  }

  /** Binding time observed per source position ("file:line:column"): D when any specialization of it left residual code. */
  get bindingTimes(): Map<string, { pos: SourcePosition; bt: "S" | "D" }> {
    const out = new Map<string, { pos: SourcePosition; bt: "S" | "D" }>();
    for (const [fn, seen] of this.observed) {
      const table = positionTable(fn);
      seen.forEach((bt, i) => {
        if (bt === 0) return;
        const key = table.keys[i]!;
        const cur = out.get(key);
        if (!cur) out.set(key, { pos: table.positions[i]!, bt: bt & DYNAMIC_SEEN ? "D" : "S" });
        else if (bt & DYNAMIC_SEEN) cur.bt = "D";
      });
    }
    return out;
  }

  get overSize(): boolean {
    return this.residualStmts > this.view.limits.residualSize;
  }

  /** `objectContents`' numbers of static contents. */
  private contents = new KeyNumbers<ObjectKey>(sameObjectKey);
  /** This specialization's token in `MemObject.numberedBy`. */
  private readonly numbering = nextNumbering++;

  /** A number for an object's static contents, the same for the same contents (`objectKey`) throughout this specialization (kept in the object until it changes). */
  objectContents(o: MemObject): number {
    if (o.numberedBy === this.numbering) return o.contentsNumber;
    let n: number;
    if (o.escaped) n = -1 - o.id; // nothing in it is static: its id says all (and no static contents have a negative number)
    else {
      const key = objectKey(o);
      n = this.contents.find(key.hash, key) ?? this.contents.add(key.hash, key);
      o.dirtyBytes = key.dirty;
    }
    o.contentsNumber = n;
    o.numberedBy = this.numbering;
    return n;
  }

  /** Whether an object that has not escaped has dirty bytes (`MemObject.dirty`): found when `objectContents` numbers it, so not looked for again while it has its number (memo keys number every object of a state). */
  hasDirtyBytes(o: MemObject): boolean {
    this.objectContents(o);
    return o.dirtyBytes;
  }

  private registerSets = new KeyNumbers<Frame["regs"]>(sameRegisterValues);

  /** A number for a frame's static and dynamic registers, the same for the same registers throughout this specialization. */
  registersId(f: Frame): number {
    const known = this.registerSets.find(f.regsHash, f.regs);
    if (known !== undefined) return known;
    // the table keeps the frame's array: the frame copies it before it changes (`setRegister`)
    f.ownsRegs = false;
    return this.registerSets.add(f.regsHash, f.regs);
  }

  /** `pointId`'s numbers by the frames below, function (numbered in `functionNumbers`), block and statement. */
  private points = new TupleNumbers();
  private functionNumbers = new Map<string, number>();

  /** A number for a program point (a function's block and statement) above the frames numbered `below`, the same throughout this specialization. */
  pointId(below: number, fn: string, block: number, stmt: number): number {
    let f = this.functionNumbers.get(fn);
    if (f === undefined) this.functionNumbers.set(fn, (f = this.functionNumbers.size));
    return this.points.number(below, f, block, stmt);
  }

  /** `stackId`'s numbers by the frames below, point, instance and registers. */
  private stacks = new TupleNumbers();

  /** A number for a frame (its point `pointId`, instance and registers `registersId`) above the frames numbered `below`, the same throughout this specialization. */
  stackId(below: number, point: number, inst: number, regsId: number): number {
    return this.stacks.number(below, point, inst, regsId);
  }

  private memoryKeys = new KeyNumbers<number[]>(sameNumbers);

  /** A number for a memory key (its objects' `objectContents` in order), the same for the same key throughout this specialization. */
  internMemory(key: number[]): number {
    let hash = key.length;
    for (const n of key) hash = Math.imul(hash ^ n, 0x9e3779b1) ^ (hash >>> 15);
    return this.memoryKeys.find(hash, key) ?? this.memoryKeys.add(hash, key);
  }

  /** `stateId`'s numbers by frame stack number (`stackId`) and memory number (`internMemory`). */
  private states = new TupleNumbers();

  /** A number for a specialization state: its frames' `stackId` and its memory's `internMemory`, the same throughout this specialization. */
  stateId(stack: number, memory: number): number {
    return this.states.number(stack, memory, 0, 0);
  }

  /** `dynamicFieldsFact`'s numbers by struct (numbered in `structNumbers`) and address. */
  private dynamicFields = new TupleNumbers();
  private structNumbers = new Map<RecordDef, number>();

  /** A number for "the dynamic fields of the partially static struct `def` at device address `address` are unknown" (`MemoryStore.note`), the same throughout this specialization. */
  dynamicFieldsFact(def: RecordDef, address: number): number {
    let d = this.structNumbers.get(def);
    if (d === undefined) this.structNumbers.set(def, (d = this.structNumbers.size));
    return this.dynamicFields.number(d, address, 0, 0);
  }

  nextInstance(): number {
    return this.instances++;
  }

  globalObject(sym: Symbol): number | undefined {
    return this.globalObjects(sym);
  }
}

/** One residual function's worklist. */
class Run {
  private pending: Pending[] = [];
  private memo = new Map<number, number>();
  /** States memoized per program point (frame stack shape), for generalization. */
  private shapes = new Map<number, State[]>();
  /**
   * Distinct static values per register seen at a point after a dynamic
   * branch, per frame: the registers the first time (their first values),
   * the values of each since where they differ from those, the frame's
   * registers the last time (`registersId`) and the most values of one.
   */
  private distinct = new Map<number, { first: Frame["regs"]; values: DistinctValues[] | undefined; regsId: number; widest: number }[]>();
  /** Residual registers by frame instance and register id. */
  private rvars = new Map<number, Var[]>();
  /** Scratch flags of `generalize`: the bytes of one object that changed. */
  private changed = new Uint8Array(0);
  private forceGeneralize = false;
  /** Numbers device objects as they are first reached (one closure for every device access). */
  private readonly freshId = (): number => this.sp.objects.fresh();
  /** Specialized program points so far; past STATE_BUDGET every new state is fully generalized. */
  private statesCreated = 0;
  private exhausted = false;

  constructor(
    private sp: Specializer,
    private rf: ResidualFunction,
    private generic: boolean,
  ) {}

  private get abi(): Abi {
    return this.sp.view.abi;
  }

  newRBlock(): Block {
    const b: Block = { id: this.rf.blocks.length, stmts: [], term: { k: "return", value: null, pos: NOPOS } };
    this.rf.blocks.push(b);
    return b;
  }

  newFrame(fn: IrFunction, mem: MemoryStore, ret: Frame["ret"]): Frame {
    const frame: Frame = {
      fn,
      inst: this.sp.nextInstance(),
      regs: new Array(fn.vars.length).fill(undefined),
      ownsRegs: true,
      shared: false,
      objs: [],
      block: fn.entry,
      stmt: 0,
      ret,
      live: liveness(fn),
      positions: positionTable(fn),
      observed: this.sp.observedIn(fn),
      regsId: undefined,
      regsHash: 0,
      pointKey: undefined,
      stackKey: undefined,
    };
    for (const l of fn.locals) {
      const id = this.sp.objects.fresh();
      this.sp.objects.types.set(id, l.type);
      mem.add(newObject(id, "local", l.name, l.size, true));
      frame.objs.push(id);
    }
    return frame;
  }

  rvar(frame: Frame, v: Var): Var {
    let byId = this.rvars.get(frame.inst);
    if (!byId) this.rvars.set(frame.inst, (byId = []));
    let r = byId[v.id];
    if (!r) {
      r = { id: this.rf.vars.length, name: this.sp.objects.uniqueName(v.name), type: v.type };
      this.rf.vars.push(r);
      byId[v.id] = r;
    }
    return r;
  }

  start(state: State, block: Block): void {
    this.pending.push({ state, rblock: block });
    while (this.pending.length > 0) {
      const p = this.pending.pop()!;
      this.runFrom(p.state, p.rblock);
    }
  }

  // ------------------------------------------------------------ driving

  private runFrom(st: State, out: Block): void {
    let steps = 0;
    for (;;) {
      const frame = st.frames[st.frames.length - 1]!;
      const block = frame.fn.blocks[frame.block]!;
      // the binding time of each position run: static unless it left residual code
      const positions = frame.positions.at[frame.block]!;
      while (frame.stmt < block.stmts.length) {
        const at = frame.stmt++;
        const before = this.sp.residualCount;
        const pushed = this.execStmt(block.stmts[at]!, st, out);
        if (positions[at]! >= 0) frame.observed[positions[at]!] |= this.sp.residualCount > before ? DYNAMIC_SEEN : STATIC_SEEN;
        if (pushed) break;
      }
      const top = st.frames[st.frames.length - 1]!;
      if (top !== frame) continue; // a call was unfolded: run the callee
      this.sp.stats.staticBlocks++;
      const before = this.sp.residualCount;
      const next = this.terminate(block.term, st, out);
      const termAt = positions[block.stmts.length]!;
      if (termAt >= 0) frame.observed[termAt] |= next === "done" || this.sp.residualCount > before ? DYNAMIC_SEEN : STATIC_SEEN;
      if (next === "done") return;
      // static transfer to `next` within the top frame (possibly after a return)
      const f = st.frames[st.frames.length - 1]!;
      if (next !== "resume") {
        f.block = next;
        f.stmt = 0;
      }
      if (++steps > STATIC_RUN_STEPS || this.sp.overSize) this.forceGeneralize = true;
      if (next === "resume" || this.isJoin(f)) {
        const target = this.memoBlock(st);
        if (target.fresh) {
          out.term = { k: "goto", target: target.block.id };
          out = target.block;
          steps = 0;
        } else {
          out.term = { k: "goto", target: target.block.id };
          return;
        }
      }
    }
  }

  private isJoin(f: Frame): boolean {
    if (f.stmt !== 0) return false;
    return joinBlocks(f.fn).has(f.block);
  }

  /** The residual block for `st` at its current point: an existing one (memo hit) or a new one to fill. */
  private memoBlock(st: State): { block: Block; fresh: boolean } {
    for (const f of st.frames) {
      if (f.stmt !== 0) continue;
      const live = f.live[f.block]!;
      const regs = f.regs;
      for (let id = 0; id < regs.length; id++) if (regs[id] !== undefined && live[id] === 0) setRegister(f, id, undefined);
    }
    const top = st.frames[st.frames.length - 1]!;
    const dynamic = this.generic && top.stmt === 0 ? this.sp.view.genericDynamic?.(top.fn.name, top.block) : undefined;
    if (dynamic?.some((id) => top.regs[id])) {
      // dynamic in every run (offline analysis): generic code gains nothing from unrolling over them
      const pre = this.newRBlock();
      for (const id of dynamic) {
        const v = top.regs[id];
        if (!v) continue;
        const reg = top.fn.vars[id]!;
        this.emit(pre, { k: "set", dst: this.rvar(top, reg), value: this.lift(v, reg.type, st, pre), pos: NOPOS });
        setRegister(top, id, null);
      }
      const shape = this.shapeKey(st);
      return this.continueAfter(pre, st, shape, this.shapes.get(shape) ?? []);
    }
    const shape = this.shapeKey(st);
    const key = this.stateKey(st);
    const existing = this.memo.get(key);
    if (existing !== undefined) return { block: this.rf.blocks[existing]!, fresh: false };
    const seen = this.shapes.get(shape) ?? [];
    if (this.exhausted) this.forceGeneralize = true;
    if (st.dynamicPast && !this.forceGeneralize) {
      const varying = this.varyingRegisters(st, shape);
      if (varying.length === 0) varying.push(...this.siblingRegisters(st, seen));
      if (varying.length > 0) {
        const pre = this.newRBlock();
        for (const [fi, id] of varying) {
          const f = ownFrame(st, fi);
          const reg = f.fn.vars[id]!;
          this.emit(pre, { k: "set", dst: this.rvar(f, reg), value: this.lift(f.regs[id]!, reg.type, st, pre), pos: NOPOS });
          setRegister(f, id, null);
          this.sp.stats.generalized.push({ at: `${f.fn.name}:${f.block}`, registers: [reg.name], reason: "varies under dynamic control" });
        }
        return this.continueAfter(pre, st, shape, seen);
      }
    }
    const sameControl = this.forceGeneralize ? [] : seen.filter((o) => this.sameRegisters(o, st));
    const limit = this.sp.view.limits.statesPerBlock;
    if (this.forceGeneralize || sameControl.length >= SAME_CONTROL_STATES || seen.length >= limit) {
      // generalize against the most similar earlier state: with the same static
      // registers only the memory that keeps changing becomes dynamic
      const all = this.forceGeneralize || seen.length >= 2 * limit;
      const similar = all ? null : mostSimilar(seen, st);
      const against = sameControl.length > 0 ? sameControl : similar ? [similar] : [];
      const pre = this.newRBlock();
      this.generalize(st, against, pre, all);
      this.forceGeneralize = false;
      return this.continueAfter(pre, st, shape, seen);
    }
    seen.push(cloneState(st));
    this.shapes.set(shape, seen);
    if (++this.statesCreated > STATE_BUDGET) this.exhausted = true;
    const b = this.newRBlock();
    this.memo.set(key, b.id);
    return { block: b, fresh: true };
  }

  /** After generalizing `st` into `pre`: jump on to its memoized block, or a new one the worklist fills. */
  private continueAfter(pre: Block, st: State, shape: number, seen: State[]): { block: Block; fresh: boolean } {
    const key = this.stateKey(st);
    const hit = this.memo.get(key);
    if (hit !== undefined) {
      pre.term = { k: "goto", target: hit };
      return { block: pre, fresh: false };
    }
    const b = this.newRBlock();
    pre.term = { k: "goto", target: b.id };
    this.memo.set(key, b.id);
    seen.push(cloneState(st));
    this.shapes.set(shape, seen);
    this.pending.push({ state: st, rblock: b });
    return { block: pre, fresh: false };
  }

  /**
   * Registers in which `st` differs from a state already specialized at this
   * point whose memory is the same: two dynamic paths met again with different
   * static data (e.g. an output position advanced by one of them). Merging
   * them keeps the continuation from being specialized once per path.
   */
  private siblingRegisters(st: State, seen: State[]): [number, number][] {
    const memKey = this.memoryKey(st);
    for (const o of seen) {
      if (o.frames.length !== st.frames.length) continue;
      if (this.memoryKey(o) !== memKey) continue;
      if (o.frames.some((g, fi) => g.inst !== st.frames[fi]!.inst)) continue;
      const diff: [number, number][] = [];
      for (let fi = 0; fi < st.frames.length; fi++) {
        const f = st.frames[fi]!;
        const other = o.frames[fi]!.regs;
        if (other === f.regs) continue; // shared: the same registers
        const control = controlRelevant(f.fn);
        for (let id = 0; id < f.regs.length; id++) {
          const v = f.regs[id];
          const w = other[id];
          if (v && w && v.k === "int" && w.k === "int" && v.v !== w.v && !control.has(id)) diff.push([fi, id]);
          else if (v && w === null && !control.has(id)) diff.push([fi, id]);
        }
      }
      if (diff.length > 0) return diff;
    }
    return [];
  }

  /** A frame's `registersId`. */
  private registers(f: Frame): number {
    return (f.regsId ??= this.sp.registersId(f));
  }

  /** Whether two states at the same point (`shapeKey`: the same functions in their frames) have the same static and dynamic registers. */
  private sameRegisters(a: State, b: State): boolean {
    if (a.frames.length !== b.frames.length) return false;
    for (let i = 0; i < a.frames.length; i++) if (this.registers(a.frames[i]!) !== this.registers(b.frames[i]!)) return false;
    return true;
  }

  /**
   * Registers that took more than `limits.unroll` distinct values at this
   * point under dynamic control: counters of loops only a dynamic test ends.
   */
  private varyingRegisters(st: State, shape: number): [number, number][] {
    let perFrame = this.distinct.get(shape);
    if (!perFrame) this.distinct.set(shape, (perFrame = []));
    const varying: [number, number][] = [];
    const lowest = Math.min(this.sp.view.limits.unroll, DATA_REGISTER_VALUES);
    for (let fi = 0; fi < st.frames.length; fi++) {
      const f = st.frames[fi]!;
      let d = perFrame[fi];
      if (!d) {
        // kept as it is: the frame copies its registers before they change (`setRegister`)
        f.ownsRegs = false;
        d = perFrame[fi] = { first: f.regs, values: undefined, regsId: -1, widest: 0 };
      }
      const regsId = this.registers(f);
      // the registers this frame had the last time here: no new values, and none took more than any limit allows
      if (regsId === d.regsId && d.widest <= lowest) continue;
      d.regsId = regsId;
      const regs = f.regs;
      for (let id = 0; id < regs.length; id++) {
        const v = regs[id];
        if (v === null || v === undefined) continue;
        const seen = d.values?.[id] ?? d.first[id] ?? undefined;
        let size = 1;
        if (seen === undefined) (d.values ??= [])[id] = v;
        else if (seen instanceof Set) size = seen.add(distinctKey(v)).size;
        else if (seen !== v && !sameValue(seen, v)) {
          (d.values ??= [])[id] = new Set([distinctKey(seen), distinctKey(v)]);
          size = 2;
        }
        if (size > d.widest) d.widest = size;
        if (size <= lowest) continue;
        const limit = this.sp.indexesStaticData(f.fn, id) ? this.sp.view.limits.unroll : DATA_REGISTER_VALUES;
        if (size > limit) varying.push([fi, id]);
      }
    }
    return varying;
  }

  /** Make static registers that changed since `first` (or all, when `all`) dynamic, and let changed objects escape. */
  private generalize(st: State, against: State[], out: Block, all: boolean): void {
    const names: string[] = [];
    const keepStable = !all && against.length > 0;
    for (let fi = 0; fi < st.frames.length; fi++) {
      let f = st.frames[fi]!;
      const regs = f.regs;
      for (let id = 0; id < regs.length; id++) {
        const v = regs[id];
        if (v === null || v === undefined) continue;
        if (keepStable && stableRegister(against, fi, id, v)) continue;
        f = ownFrame(st, fi);
        const reg = f.fn.vars[id]!;
        const r = this.rvar(f, reg);
        this.emit(out, { k: "set", dst: r, value: this.lift(v, reg.type, st, out), pos: NOPOS });
        setRegister(f, id, null);
        names.push(reg.name);
      }
    }
    const ps = this.abi.info.pointerSize;
    // the static objects as they are now (escaping one may escape others, which are then passed over)
    const statics: MemObject[] = [];
    for (const o of st.mem.objects.values()) if (!o.escaped && o.kind !== "string") statics.push(o);
    for (const o of statics) {
      if (o.escaped) continue;
      let earlier = 0; // against's states holding this very object: they have its contents (objects change only through copies: MemoryStore.mutable)
      let gone = false;
      for (const a of against) {
        const b = a.mem.objects.get(o.id);
        if (!b || b.escaped) gone = true;
        else if (b === o) earlier++;
      }
      if (all || against.length === 0 || gone) {
        this.escape(st, o.id, out);
        names.push(o.name);
        continue;
      }
      if (earlier === against.length) continue;
      if (this.changed.length < o.size + ps) this.changed = new Uint8Array(2 * (o.size + ps));
      const changed = this.changed;
      changed.fill(0, 0, o.size + ps);
      let any = false;
      for (const a of against) {
        const b = a.mem.objects.get(o.id)!;
        if (b !== o && markChangedBytes(b, o, ps, changed)) any = true;
      }
      if (!any) continue;
      // only the bytes that keep changing become dynamic
      this.flushObject(st, o.id, out);
      const m = st.mem.mutable(o.id);
      for (let i = 0; i < m.size; i++) {
        if (changed[i] === 0) continue;
        m.known[i] = 0;
        m.dirty[i] = 0;
      }
      for (const k of m.ptrs.keys()) if (changed[k] === 1) m.ptrs.delete(k);
      names.push(o.name);
    }
    // states that differ only in what the residual copies already hold become one
    for (const o of st.mem.objects.values()) if (!o.escaped && o.kind !== "string" && this.sp.hasDirtyBytes(o)) this.flushObject(st, o.id, out);
    const f = st.frames[st.frames.length - 1]!;
    this.sp.stats.generalized.push({ at: `${f.fn.name}:${f.block}`, registers: names, reason: all ? "limit" : "states per block" });
  }

  /** The memo key of a state (`Specializer.stateId`): its frames' points, instances and registers (dead ones are cleared at memo points: `memoBlock`), and its memory. Frames keep their part while it is the same (callers' frames, while a callee runs). */
  private stateKey(st: State): number {
    let point = -1;
    let stack = -1;
    for (const f of st.frames) {
      point = this.pointOf(f, point);
      const regsId = this.registers(f);
      const c = f.stackKey;
      if (c && c.below === stack && c.point === point && c.regsId === regsId) {
        stack = c.id;
        continue;
      }
      const id = this.sp.stackId(stack, point, f.inst, regsId);
      f.stackKey = { below: stack, point, regsId, id };
      stack = id;
    }
    return this.sp.stateId(stack, this.memoryKey(st));
  }

  /** The number of a frame's point above the frames whose points are numbered `below` (`Specializer.pointId`). */
  private pointOf(f: Frame, below: number): number {
    const c = f.pointKey;
    if (c && c.below === below && c.block === f.block && c.stmt === f.stmt) return c.id;
    const id = this.sp.pointId(below, f.fn.name, f.block, f.stmt);
    f.pointKey = { below, block: f.block, stmt: f.stmt, id };
    return id;
  }

  /** The state's static memory as a number: the same for equal contents (interned per specialization). */
  private memoryKey(st: State): number {
    if (st.mem.contentKey !== undefined) return st.mem.contentKey;
    const parts: number[] = [];
    for (const id of st.mem.sortedIds()) {
      const o = st.mem.objects.get(id)!;
      if (o.kind === "string") continue; // constant
      parts.push(this.sp.objectContents(o));
    }
    return (st.mem.contentKey = this.sp.internMemory(parts));
  }

  /** The program point of a state: the points of its frames, as a number. */
  private shapeKey(st: State): number {
    let point = -1;
    for (const f of st.frames) point = this.pointOf(f, point);
    return point;
  }

  // ------------------------------------------------------------ terminators

  /** Returns the next block of the top frame (static), "resume" after a return into a caller, or "done". */
  private terminate(t: Terminator, st: State, out: Block): number | "resume" | "done" {
    const frame = st.frames[st.frames.length - 1]!;
    switch (t.k) {
      case "goto":
        return t.target;
      case "if": {
        const c = this.eval(t.cond, st, out);
        if (c.k !== "dyn") return truthy(c) ? t.then : t.else;
        const thenB = this.branchTo(st, t.then, true);
        const elseB = this.branchTo(st, t.else, false);
        out.term = { k: "if", cond: c.e, then: thenB, else: elseB, pos: t.pos };
        return "done";
      }
      case "switch": {
        const v = this.eval(t.value, st, out);
        if (v.k === "int") {
          for (const c of t.cases) if (v.v >= c.low && v.v <= c.high) return c.target;
          return t.default;
        }
        if (v.k !== "dyn") throw new BespokeError("SPECIALIZER_BUG", "switch on a non-integer");
        const targets = new Map<number, number>();
        const all = [...new Set([...t.cases.map((c) => c.target), t.default])];
        all.forEach((target, i) => targets.set(target, this.branchTo(st, target, i !== all.length - 1)));
        out.term = { k: "switch", value: v.e, cases: t.cases.map((c) => ({ low: c.low, high: c.high, target: targets.get(c.target)! })), default: targets.get(t.default)!, pos: t.pos };
        return "done";
      }
      case "return": {
        let value: Val | null = null;
        let aggAddr: Val | null = null;
        if (t.value) {
          if (t.value.k === "load" && t.value.type.kind === TypeKind.Record) aggAddr = this.eval(t.value.addr, st, out);
          else value = this.eval(t.value, st, out);
        }
        if (st.frames.length === 1) {
          let rv: Expr | null = null;
          const ret = frame.fn.type.ret;
          if (aggAddr) {
            // the residual returns the object's contents: its static bytes are written to it first
            this.materializeTarget(aggAddr, st, out);
            rv = { k: "load", type: ret, addr: this.address(aggAddr, pointerTo(ret), st, out) };
          }
          else if (value && ret.kind !== TypeKind.Void) rv = this.residualExpr(value, ret, st, out);
          out.term = { k: "return", value: rv, pos: t.pos };
          return "done";
        }
        st.frames.pop();
        const caller = ownFrame(st, st.frames.length - 1);
        const ret = frame.ret!;
        if (ret.dst && value) this.setReg(caller, ret.dst, value, st, out);
        else if (ret.dst) this.setReg(caller, ret.dst, { k: "int", v: 0n }, st, out);
        // an aggregate result may be one of the callee's locals: copied out before they go
        if (ret.dstAddr && aggAddr) this.copy(ret.dstAddr, aggAddr, this.abi.sizeOf(frame.fn.type.ret), frame.fn.type.ret, st, out);
        // the callee's locals end with it (pointers to them dangle, as in C)
        for (const id of frame.objs) st.mem.remove(id);
        return "resume";
      }
    }
  }

  /** The residual block to jump to for a dynamic branch to `target` (forking the state when `fork`). */
  private branchTo(st: State, target: number, fork: boolean): number {
    const s = fork ? cloneState(st) : st;
    const f = s.frames[s.frames.length - 1]!;
    f.block = target;
    f.stmt = 0;
    s.dynamicPast = true;
    const m = this.memoBlock(s);
    if (m.fresh) this.pending.push({ state: s, rblock: m.block });
    return m.block.id;
  }

  // ------------------------------------------------------------ statements

  private emit(out: Block, s: Stmt): void {
    out.stmts.push(s);
    this.sp.noteResidualStmt();
  }

  /** Execute one statement; true when a callee frame was pushed. */
  private execStmt(s: Stmt, st: State, out: Block): boolean {
    const frame = st.frames[st.frames.length - 1]!;
    switch (s.k) {
      case "set":
        this.setReg(frame, s.dst, this.eval(s.value, st, out), st, out);
        return false;
      case "store": {
        const addr = this.eval(s.addr, st, out);
        const value = this.eval(s.value, st, out);
        this.store(addr, s.type, value, st, out, s.pos);
        return false;
      }
      case "bitstore": {
        const addr = this.eval(s.addr, st, out);
        const value = this.eval(s.value, st, out);
        this.bitstore(addr, s.field, value, s.addr.type, st, out, s.pos);
        return false;
      }
      case "copy": {
        const dst = this.eval(s.dst, st, out);
        const src = this.eval(s.src, st, out);
        this.copy(dst, src, s.size, s.type, st, out);
        return false;
      }
      case "zero": {
        const addr = this.eval(s.addr, st, out);
        const p = this.staticTarget(addr, s.size, st);
        if (p) {
          const o = this.writable(st, p.obj, out);
          if (o) {
            for (let i = 0; i < s.size; i++) this.writeByte(o, p.off + i, 0);
            this.clearPtrs(o, p.off, s.size);
            if (!o.owned) this.flushRange(st, o, p.off, s.size, out);
            return false;
          }
        }
        this.materializeTarget(addr, st, out);
        this.emit(out, { k: "zero", addr: this.address(addr, pointerTo(s.type), st, out), size: s.size, type: s.type, pos: s.pos });
        this.forgetTarget(addr, s.size, st);
        return false;
      }
      case "call":
        return this.call(s, st, out);
    }
  }

  private setReg(frame: Frame, v: Var, value: Val, _st: State, out: Block): void {
    if (value.k !== "dyn") {
      setRegister(frame, v.id, value);
      return;
    }
    const r = this.rvar(frame, v);
    setRegister(frame, v.id, null);
    if (value.e.k === "var" && value.e.v === r) return;
    this.emit(out, { k: "set", dst: r, value: value.e, pos: NOPOS });
  }

  private call(s: Stmt & { k: "call" }, st: State, out: Block): boolean {
    const frame = st.frames[st.frames.length - 1]!;
    const callee = this.deviceCallee(this.eval(s.callee, st, out));
    const fnName = callee.k === "fn" ? callee.sym.name : null;
    const fn = fnName !== null ? this.sp.view.functions.get(fnName) : undefined;
    const depth = st.frames.length;
    const args = fn && !this.generic ? s.args.map((a) => (a.k === "load" && a.type.kind === TypeKind.Record ? this.eval(a.addr, st, out) : this.eval(a, st, out))) : [];
    // unfold when something static flows in (an argument, or static globals the callee may read)
    // recursion is unfolded only when fully static (it then ends as the original does)
    if (fnName === "memcpy" && !fn && !this.generic && this.staticMemcpy(s, st, out)) return false;
    const recursive = fn !== undefined && st.frames.some((f) => f.fn === fn);
    const worthIt = recursive
      ? args.every((a) => a.k !== "dyn")
      : args.some((a) => a.k !== "dyn") || (fn !== undefined && unfoldsForGlobals(fn, this.sp.view.functions) && hasStaticGlobal(st.mem));
    if (fn && !this.generic && worthIt && !this.sp.view.residualOnly.has(fn.name) && !fn.type.variadic && depth < this.sp.view.limits.inlineDepth && !this.sp.overSize) {
      const dstAddr = s.dstAddr ? this.eval(s.dstAddr, st, out) : null;
      const callee = this.newFrame(fn, st.mem, { dst: s.dst, dstAddr });
      fn.params.forEach((p, i) => {
        const a = args[i] ?? { k: "int", v: 0n };
        if (p.k === "var") this.setReg(callee, p.v, a, st, out);
        else if (p.obj.type.kind === TypeKind.Record) this.copy({ k: "ptr", obj: callee.objs[p.obj.id]!, off: 0 }, a, p.obj.size, p.obj.type, st, out);
        else this.store({ k: "ptr", obj: callee.objs[p.obj.id]!, off: 0 }, p.obj.type, a, st, out, s.pos);
      });
      st.frames.push(callee);
      this.sp.stats.unfolded[fn.name] = (this.sp.stats.unfolded[fn.name] ?? 0) + 1;
      return true;
    }
    // residual call: everything it may touch becomes dynamic
    const program = fnName === null || fn !== undefined || this.sp.view.unlowered.has(fnName);
    const residualArgs = s.args.map((a, i) => {
      if (a.k === "load" && a.type.kind === TypeKind.Record) {
        const addr = args[i] ?? this.eval(a.addr, st, out);
        this.materializeTarget(addr, st, out);
        return { k: "load", type: a.type, addr: this.address(addr, a.addr.type, st, out) } as Expr;
      }
      const v = args[i] ?? this.eval(a, st, out);
      if (v.k === "fn" && this.sp.view.functions.has(v.sym.name)) this.escapeGlobals(st, out);
      return this.residualExpr(v, a.type, st, out);
    });
    if (program && !(fn && !writesGlobals(fn, this.sp.view.functions))) this.escapeGlobals(st, out);
    const calleeExpr = callee.k === "fn" ? this.fnRef(callee) : this.residualExpr(callee, s.callee.type, st, out);
    let dst: Var | null = null;
    if (s.dst) {
      dst = this.rvar(frame, s.dst);
      setRegister(frame, s.dst.id, null);
    }
    let dstAddr: Expr | null = null;
    if (s.dstAddr) {
      const a = this.eval(s.dstAddr, st, out);
      this.materializeTarget(a, st, out);
      dstAddr = this.address(a, s.dstAddr.type, st, out);
      this.forgetTarget(a, this.abi.sizeOf(s.fnType.ret), st);
    }
    const name = fnName ?? "(pointer)";
    this.sp.stats.residualCalls[name] = (this.sp.stats.residualCalls[name] ?? 0) + 1;
    this.emit(out, { k: "call", dst, dstAddr, callee: calleeExpr, args: residualArgs, fnType: s.fnType, pos: s.pos });
    return false;
  }

  /**
   * The C library's memcpy between static objects with a static size copies
   * at specialization time (like a compiler's builtin), so what it copies
   * stays static: e.g. move_addr_to_kernel's copy of a static socket address.
   * False (nothing done) when any part is dynamic: the call stays residual.
   */
  private staticMemcpy(s: Stmt & { k: "call" }, st: State, out: Block): boolean {
    if (s.args.length !== 3 || s.dstAddr) return false;
    const [dst, src, n] = s.args.map((a) => this.eval(a, st, out)) as [Val, Val, Val];
    if (n.k !== "int" || n.v <= 0n || n.v > 4096n) return false;
    const size = Number(n.v);
    const from = this.staticTarget(src, size, st);
    const to = this.staticTarget(dst, size, st);
    if (!from || !to || !rangeKnown(st.mem.get(from.obj), from.off, size) || st.mem.get(to.obj).kind === "string") return false;
    this.copy(dst, src, size, { kind: TypeKind.Array, of: ucharType, length: size, quals: 0 }, st, out);
    if (s.dst) this.setReg(st.frames[st.frames.length - 1]!, s.dst, dst, st, out);
    return true;
  }

  /**
   * A call through a static device address of one of the program's functions
   * (read from device memory, e.g. `sock->ops->sendmsg`) calls that function:
   * the device runs this program, so it can be unfolded like a direct call.
   */
  private deviceCallee(v: Val): Val {
    if (v.k !== "ptr" || v.obj >= 0 || !this.sp.view.deviceFunction) return v;
    const name = this.sp.view.deviceFunction(v.off);
    const fn = name !== undefined ? this.sp.view.functions.get(name) : undefined;
    return fn ? { k: "fn", sym: fn.sym } : v;
  }

  private fnRef(f: FnValue): Expr {
    this.sp.functionsUsed.add(f.sym);
    if (this.sp.view.functions.has(f.sym.name) || this.sp.view.unlowered.has(f.sym.name)) this.sp.genericNeeded.add(f.sym.name);
    return { k: "global", type: pointerTo(f.sym.type), sym: f.sym };
  }

  // ------------------------------------------------------------ memory

  /** The static object and offset `addr` points to when `size` bytes there are in one static, non-escaped object. */
  private staticTarget(addr: Val, size: number, st: State): PtrValue | null {
    if (addr.k !== "ptr" || addr.obj < 0) return null;
    const o = st.mem.objects.get(addr.obj);
    if (!o || o.escaped || addr.off < 0 || addr.off + size > o.size) return null;
    return addr;
  }

  private writable(st: State, id: number, out: Block): MemObject | null {
    const o = st.mem.mutable(id);
    if (o.kind === "string") return null;
    if (o.kind === "device") {
      this.escape(st, id, out);
      return null;
    }
    return o;
  }

  private writeByte(o: MemObject, i: number, b: number): void {
    o.bytes[i] = b;
    o.known[i] = 1;
    o.dirty[i] = 1;
  }

  private clearPtrs(o: MemObject, off: number, size: number): void {
    const ps = this.abi.info.pointerSize;
    if (o.ptrs.size === 0) return;
    for (const k of o.ptrs.keys()) if (k < off + size && k + ps > off) o.ptrs.delete(k);
  }

  private load(addr: Val, type: CType, st: State, out: Block): Val {
    const size = this.abi.sizeOf(type);
    // an absolute address outside the device memory provided (one the program made up, memory-mapped I/O): the access is left to run time
    const dev = addr.k === "ptr" && addr.obj < 0 && addr.off !== 0 ? st.mem.deviceObjectAt(addr.off, this.freshId) : null;
    if (dev && addr.k === "ptr") {
      return this.load({ k: "ptr", obj: dev.id, off: addr.off - dev.base! }, type, st, out);
    }
    const p = this.staticTarget(addr, size, st);
    if (p && isScalar(type) && !(type.kind === TypeKind.Float && type.rank === "ldouble")) {
      const o = st.mem.get(p.obj);
      let known = true;
      for (let i = 0; i < size; i++) if (!o.known[p.off + i]) known = false;
      const ptr = o.ptrs.get(p.off);
      const overlapsPtr = o.ptrs.size > 0 && pointerOverlaps(o, p.off, size, this.abi.info.pointerSize, p.off);
      if (known && !overlapsPtr) {
        if (ptr) {
          if (size === this.abi.info.pointerSize && (type.kind === TypeKind.Pointer || isIntegerType(type))) {
            if (type.kind === TypeKind.Pointer) return ptr;
          }
        } else {
          const v = this.decode(o.bytes, p.off, type);
          this.partiallyStatic(type, v, st);
          return v;
        }
      }
      // part dynamic: the residual copy must hold the static bytes too
      this.flushObject(st, o.id, out);
      return this.toDyn({ k: "load", type, addr: this.address(addr, pointerTo(type), st, out) }, type, st, out);
    }
    this.materializeTarget(addr, st, out);
    return this.toDyn({ k: "load", type, addr: this.address(addr, pointerTo(type), st, out) }, type, st, out);
  }

  /**
   * A pointer to a struct the scenario declares partially static
   * (scenario.staticFields), at a device address: in this state's view of
   * device memory the struct's other fields become unknown, so every access
   * to them, through whatever pointer, is residual code.
   */
  private partiallyStatic(type: CType, v: Val, st: State): void {
    const tags = this.sp.view.staticFields;
    if (!tags || v.k !== "ptr" || v.obj >= 0 || v.off === 0 || type.kind !== TypeKind.Pointer || type.to.kind !== TypeKind.Record) return;
    const def = type.to.def;
    const ranges = this.dynamicFieldRanges(def, tags);
    if (!ranges) return;
    // once per store: the fields stay unknown in it and its forks (device objects are never written statically, nor removed)
    const fact = this.sp.dynamicFieldsFact(def, v.off);
    if (st.mem.holds(fact)) return;
    for (const [offset, size] of ranges) {
      // the struct may span several objects of device memory (the mirror's lines): each gets its part
      for (let at = v.off + offset, end = at + size; at < end; ) {
        // the error's message is made only when there is no object (this runs on every load of such a pointer)
        const dev = st.mem.deviceObjectAt(at, this.freshId) ?? st.mem.deviceObject(at, this.freshId, `struct ${def.tag}`);
        const from = at - dev.base!;
        const to = Math.min(dev.size, end - dev.base!);
        at = dev.base! + to;
        if (dev.escaped || dynamicDeviceRange(dev, from, to - from)) continue;
        const m = st.mem.mutable(dev.id);
        this.clearPtrs(m, from, to - from);
        for (let i = from; i < to; i++) m.known[i] = 0;
      }
    }
    st.mem.note(fact);
  }

  private fieldRanges = new Map<RecordDef, [number, number][] | null>();

  /** The bytes of the fields a partially static struct does not declare static, as ascending disjoint [offset, size] ranges; null when the struct is not partially static. */
  private dynamicFieldRanges(def: RecordDef, tags: ReadonlyMap<string, ReadonlySet<string>>): [number, number][] | null {
    const known = this.fieldRanges.get(def);
    if (known !== undefined) return known;
    const statics = def.tag !== null ? tags.get(def.tag) : undefined;
    if (!statics || !def.fields) {
      this.fieldRanges.set(def, null);
      return null;
    }
    for (const name of statics) {
      if (!findField(def, name)) throw new BespokeError("BAD_SCENARIO", `scenario.staticFields.${def.tag}: struct ${def.tag} has no field '${name}'`);
    }
    const spans: [number, number][] = [];
    for (const f of def.fields) {
      if (f.name !== null && statics.has(f.name)) continue;
      const size = f.bitWidth !== null ? Math.ceil((f.bitOffset + f.bitWidth) / 8) : this.abi.sizeOf(f.type);
      if (size > 0) spans.push([f.offset, f.offset + size]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    const ranges: [number, number][] = [];
    let last: [number, number] | undefined;
    for (const [from, to] of spans) {
      if (last && from <= last[0] + last[1]) last[1] = Math.max(last[1], to - last[0]);
      else ranges.push((last = [from, to - from]));
    }
    this.fieldRanges.set(def, ranges);
    return ranges;
  }

  /** A dynamic value: residual loads are captured in a temporary so later stores cannot change them. */
  private toDyn(e: Expr, type: CType, _st: State, out: Block): Dyn {
    const v: Var = { id: this.rf.vars.length, name: this.sp.objects.uniqueName("ld"), type };
    this.rf.vars.push(v);
    this.emit(out, { k: "set", dst: v, value: e, pos: NOPOS });
    return { k: "dyn", e: { k: "var", type, v } };
  }

  private decode(bytes: Uint8Array, off: number, type: CType): Value {
    const size = this.abi.sizeOf(type);
    if (type.kind === TypeKind.Float) return { k: "float", v: readFloat(bytes, off, size) };
    const raw = readInt(bytes, off, size);
    if (type.kind === TypeKind.Pointer) return { k: "ptr", obj: -1, off: Number(raw) };
    return { k: "int", v: wrap(raw, type, this.abi) };
  }

  private store(addr: Val, type: CType, value: Val, st: State, out: Block, pos: SourcePosition): void {
    const size = this.abi.sizeOf(type);
    // an absolute address outside the device memory provided (one the program made up, memory-mapped I/O): the access is left to run time
    const dev = addr.k === "ptr" && addr.obj < 0 && addr.off !== 0 ? st.mem.deviceObjectAt(addr.off, this.freshId) : null;
    if (dev && addr.k === "ptr") {
      this.store({ k: "ptr", obj: dev.id, off: addr.off - dev.base! }, type, value, st, out, pos);
      return;
    }
    const p = this.staticTarget(addr, size, st);
    if (p && dynamicDeviceRange(st.mem.get(p.obj), p.off, size)) {
      // a dynamic field of a partially static struct: the residual code's own state, nothing static to update
      this.emit(out, { k: "store", addr: this.address(addr, pointerTo(type), st, out), type, value: this.residualExpr(value, type, st, out), pos });
      return;
    }
    const o = p ? this.writable(st, p.obj, out) : null;
    if (p && o && value.k !== "dyn" && !(type.kind === TypeKind.Float && type.rank === "ldouble")) {
      this.clearPtrs(o, p.off, size);
      if (value.k === "ptr" && value.obj >= 0) {
        for (let i = 0; i < size; i++) this.writeByte(o, p.off + i, 0);
        o.ptrs.set(p.off, value);
      } else if (value.k === "fn") {
        for (let i = 0; i < size; i++) this.writeByte(o, p.off + i, 0);
        o.ptrs.set(p.off, value);
      } else {
        this.encode(o.bytes, p.off, type, value);
        for (let i = 0; i < size; i++) {
          o.known[p.off + i] = 1;
          o.dirty[p.off + i] = 1;
        }
      }
      if (!o.owned) this.flushRange(st, o, p.off, size, out);
      return;
    }
    if (p && o) {
      this.ensureResidual(st, o.id, out);
      this.clearPtrs(o, p.off, size);
      for (let i = 0; i < size; i++) {
        o.known[p.off + i] = 0;
        o.dirty[p.off + i] = 0;
      }
    } else this.materializeTarget(addr, st, out);
    this.emit(out, { k: "store", addr: this.address(addr, pointerTo(type), st, out), type, value: this.residualExpr(value, type, st, out), pos });
  }

  private encode(bytes: Uint8Array, off: number, type: CType, value: Value): void {
    const size = this.abi.sizeOf(type);
    if (type.kind === TypeKind.Float) writeFloat(bytes, off, size, value.k === "float" ? value.v : Number(value.k === "int" ? value.v : 0n));
    else if (value.k === "int") writeInt(bytes, off, size, value.v);
    else if (value.k === "float") writeInt(bytes, off, size, BigInt(Math.trunc(value.v)));
    else if (value.k === "ptr") writeInt(bytes, off, size, BigInt(value.off));
  }

  private bitstore(addr: Val, f: Field, value: Val, recType: CType, st: State, out: Block, pos: SourcePosition): void {
    const span = Math.ceil((f.bitOffset + f.bitWidth!) / 8);
    const p = addr.k === "ptr" ? this.staticTarget({ ...addr, off: addr.off + f.offset }, span, st) : null;
    const o = p ? this.writable(st, p.obj, out) : null;
    if (p && o && value.k === "int" && rangeKnown(o, p.off, span)) {
      let word = readInt(o.bytes, p.off, span);
      const mask = ((1n << BigInt(f.bitWidth!)) - 1n) << BigInt(f.bitOffset);
      word = (word & ~mask) | ((BigInt.asUintN(f.bitWidth!, value.v) << BigInt(f.bitOffset)) & mask);
      writeInt(o.bytes, p.off, span, word);
      for (let i = 0; i < span; i++) o.dirty[p.off + i] = 1;
      if (!o.owned) this.flushRange(st, o, p.off, span, out);
      return;
    }
    if (p && o) {
      this.flushObject(st, o.id, out);
      for (let i = 0; i < span; i++) o.known[p.off + i] = 0;
    } else this.materializeTarget(addr, st, out);
    this.emit(out, { k: "bitstore", addr: this.address(addr, recType, st, out), field: f, value: this.residualExpr(value, f.type, st, out), pos });
  }

  private bitload(addr: Val, f: Field, type: CType, recType: CType, st: State, out: Block): Val {
    const span = Math.ceil((f.bitOffset + f.bitWidth!) / 8);
    const p = addr.k === "ptr" ? this.staticTarget({ ...addr, off: addr.off + f.offset }, span, st) : null;
    if (p) {
      const o = st.mem.get(p.obj);
      if (rangeKnown(o, p.off, span) && !pointerOverlaps(o, p.off, span, this.abi.info.pointerSize, -1)) {
        const word = readInt(o.bytes, p.off, span) >> BigInt(f.bitOffset);
        const bits = BigInt.asUintN(f.bitWidth!, word);
        const signed = isSignedType(f.type, this.abi);
        return { k: "int", v: wrap(signed ? BigInt.asIntN(f.bitWidth!, bits) : bits, type, this.abi) };
      }
      this.flushObject(st, o.id, out);
    } else this.materializeTarget(addr, st, out);
    return this.toDyn({ k: "bitload", type, addr: this.address(addr, recType, st, out), field: f }, type, st, out);
  }

  private copy(dst: Val, src: Val, size: number, type: CType, st: State, out: Block): void {
    const s = this.staticTarget(src, size, st);
    const d = this.staticTarget(dst, size, st);
    const so = s ? st.mem.get(s.obj) : null;
    const dobj = d ? this.writable(st, d.obj, out) : null;
    if (s && so && d && dobj && rangeKnown(so, s.off, size)) {
      const bytes = so.bytes.slice(s.off, s.off + size);
      const ptrs = [...so.ptrs].filter(([k]) => k >= s.off && k < s.off + size);
      this.clearPtrs(dobj, d.off, size);
      for (let i = 0; i < size; i++) this.writeByte(dobj, d.off + i, bytes[i]!);
      for (const [k, p] of ptrs) dobj.ptrs.set(k - s.off + d.off, p);
      if (!dobj.owned) this.flushRange(st, dobj, d.off, size, out);
      return;
    }
    if (s && so) this.flushObject(st, so.id, out);
    else this.materializeTarget(src, st, out);
    if (d && dobj) {
      this.flushObject(st, dobj.id, out);
      this.clearPtrs(dobj, d.off, size);
      for (let i = 0; i < size; i++) dobj.known[d.off + i] = 0;
    } else this.materializeTarget(dst, st, out);
    this.emit(out, { k: "copy", dst: this.address(dst, pointerTo(type), st, out), src: this.address(src, pointerTo(type), st, out), size, type, pos: NOPOS });
  }

  /** Before residual code accesses memory at a dynamic (or escaped) address, nothing static may hide behind it. */
  private materializeTarget(addr: Val, st: State, out: Block): void {
    if (addr.k === "ptr" && addr.obj >= 0) {
      const o = st.mem.objects.get(addr.obj);
      if (o && !o.escaped) this.escape(st, o.id, out);
    }
  }

  /** After residual code wrote `size` bytes at `addr`, forget static knowledge there. */
  private forgetTarget(addr: Val, size: number, st: State): void {
    if (addr.k !== "ptr" || addr.obj < 0) return;
    const o = st.mem.objects.get(addr.obj);
    if (!o || o.escaped) return;
    const m = st.mem.mutable(o.id);
    for (let i = Math.max(0, addr.off); i < Math.min(m.size, addr.off + size); i++) m.known[i] = 0;
  }

  /** Declare the residual copy of an object (not escaping it). */
  private ensureResidual(st: State, id: number, _out: Block): LocalObject | null {
    const table = this.sp.objects;
    const existing = table.residual.get(id);
    if (existing) return existing;
    const o = st.mem.get(id);
    if (o.kind === "global") {
      this.sp.globalsUsed.add(o.sym!);
      return null;
    }
    if (o.kind === "device") return null;
    const type = table.types.get(id) ?? { kind: TypeKind.Array, of: ucharType, length: o.size, quals: 0 };
    const decl: LocalObject = { id, name: table.uniqueName(o.name), type, size: o.size, sym: null };
    table.residual.set(id, decl);
    if (o.kind === "local") this.rf.locals.push(decl);
    else table.fileScope.add(id);
    return decl;
  }

  /** Write the object's dirty static bytes into its residual copy. */
  private flushObject(st: State, id: number, out: Block): void {
    const o = st.mem.get(id);
    this.ensureResidual(st, id, out);
    if (o.escaped || !o.dirty.includes(1)) return;
    this.flushRange(st, st.mem.mutable(id), 0, o.size, out);
  }

  private flushRange(st: State, o: MemObject, from: number, size: number, out: Block): void {
    this.ensureResidual(st, o.id, out);
    const ps = this.abi.info.pointerSize;
    const base: Val = { k: "ptr", obj: o.id, off: 0 };
    let i = from;
    while (i < from + size) {
      if (!o.dirty[i] || !o.known[i]) {
        i++;
        continue;
      }
      const ptr = o.ptrs.get(i);
      if (ptr) {
        const type = pointerTo(charType);
        const e = this.lift(ptr, type, st, out);
        this.emit(out, { k: "store", addr: this.rawAddress(base, i, pointerTo(type), st, out), type, value: e, pos: NOPOS });
        for (let j = 0; j < ps; j++) o.dirty[i + j] = 0;
        i += ps;
        continue;
      }
      let w = 1;
      for (const cand of [8, 4, 2]) {
        if (i % cand !== 0 || i + cand > from + size) continue;
        let ok = true;
        for (let j = 0; j < cand; j++) if (!o.dirty[i + j] || !o.known[i + j] || o.ptrs.has(i + j)) ok = false;
        if (ok) {
          w = cand;
          break;
        }
      }
      const type = unsignedOfSize(w, this.abi);
      this.emit(out, { k: "store", addr: this.rawAddress(base, i, pointerTo(type), st, out), type, value: { k: "int", type, value: readInt(o.bytes, i, w) }, pos: NOPOS });
      for (let j = 0; j < w; j++) o.dirty[i + j] = 0;
      i += w;
    }
  }

  /** Flush and make dynamic for good: dynamic code can reach the object. */
  private escape(st: State, id: number, out: Block): void {
    const o0 = st.mem.get(id);
    if (o0.escaped) return;
    this.flushObject(st, id, out);
    const held = st.mem.get(id).ptrs;
    const ptrs = held.size > 0 ? [...held.values()] : [];
    st.mem.escape(id);
    for (const p of ptrs) {
      if (p.k === "ptr" && p.obj >= 0 && st.mem.objects.has(p.obj)) this.escape(st, p.obj, out);
      else if (p.k === "fn") this.fnRef(p);
    }
  }

  /** A residual call may run program code, which may touch any global. */
  private escapeGlobals(st: State, out: Block): void {
    for (const o of [...st.mem.objects.values()]) if (o.kind === "global" && !o.escaped) this.escape(st, o.id, out);
  }

  // ------------------------------------------------------------ expressions

  /** Residual address expression for `addr` (typed `type`), without letting the object escape. */
  private address(addr: Val, type: CType, st: State, out: Block): Expr {
    if (addr.k === "dyn") return addr.e;
    if (addr.k === "ptr" && addr.obj >= 0) return this.rawAddress({ k: "ptr", obj: addr.obj, off: 0 }, addr.off, type, st, out);
    return this.lift(addr, type, st, out);
  }

  private rawAddress(base: PtrValue, off: number, type: CType, st: State, out: Block): Expr {
    const o = st.mem.get(base.obj);
    const start = this.objectAddress(o, pointerTo(ucharType), st, out);
    const at: Expr = off === 0 ? start : { k: "ptradd", type: pointerTo(ucharType), ptr: start, index: { k: "int", type: intType, value: BigInt(off) }, scale: 1 };
    return { k: "cast", type, arg: at };
  }

  /** Address of an object in residual code (declaring it). */
  private objectAddress(o: MemObject, type: CType, st: State, out: Block): Expr {
    if (o.kind === "global") {
      this.sp.globalsUsed.add(o.sym!);
      return { k: "cast", type, arg: { k: "global", type: pointerTo(o.sym!.type), sym: o.sym! } };
    }
    if (o.kind === "device") return { k: "cast", type, arg: { k: "int", type: this.abi.sizeType(), value: BigInt(o.base!) } };
    const decl = this.ensureResidual(st, o.id, out)!;
    return { k: "cast", type, arg: { k: "local", type: pointerTo(decl.type), obj: decl } };
  }

  /** A static value as a residual constant expression; pointers let their object escape. */
  private lift(v: Value, type: CType, st: State, out?: Block): Expr {
    switch (v.k) {
      case "int":
        if (type.kind === TypeKind.Pointer) return { k: "cast", type, arg: { k: "int", type: this.abi.sizeType(), value: BigInt.asUintN(64, v.v) } };
        return { k: "int", type: isScalar(type) && type.kind !== TypeKind.Float ? type : intType, value: v.v };
      case "float":
        return { k: "float", type: type.kind === TypeKind.Float ? type : { kind: TypeKind.Float, rank: "double", quals: 0 }, value: v.v };
      case "fn":
        return { k: "cast", type, arg: this.fnRef(v) };
      case "ptr": {
        if (v.obj < 0) return { k: "cast", type, arg: { k: "int", type: this.abi.sizeType(), value: BigInt(v.off) } };
        const o = st.mem.objects.get(v.obj);
        if (!o) throw new BespokeError("DANGLING_POINTER", "a static pointer to an object that no longer exists reaches residual code");
        if (out) this.escape(st, o.id, out);
        else if (!o.escaped) throw new BespokeError("SPECIALIZER_BUG", `lifting a pointer to ${o.name} without a block`);
        return this.rawAddress({ k: "ptr", obj: v.obj, off: 0 }, v.off, type, st, out ?? this.rf.blocks[0]!);
      }
    }
  }

  private residualExpr(v: Val, type: CType, st: State, out?: Block): Expr {
    return v.k === "dyn" ? v.e : this.lift(v, type, st, out);
  }

  eval(e: Expr, st: State, out: Block): Val {
    const frame = st.frames[st.frames.length - 1]!;
    switch (e.k) {
      case "int":
        return { k: "int", v: wrap(e.value, e.type, this.abi) };
      case "float":
        return { k: "float", v: e.type.kind === TypeKind.Float && e.type.rank === "float" ? Math.fround(e.value) : e.value };
      case "var": {
        const v = frame.regs[e.v.id];
        if (v === null) return { k: "dyn", e: { k: "var", type: e.type, v: this.rvar(frame, e.v) } };
        return v ?? { k: "int", v: 0n };
      }
      case "global": {
        if (e.sym.type.kind === TypeKind.Function) return { k: "fn", sym: e.sym };
        const id = this.sp.globalObject(e.sym);
        if (id !== undefined && st.mem.objects.has(id)) return { k: "ptr", obj: id, off: 0 };
        this.sp.globalsUsed.add(e.sym);
        return { k: "dyn", e };
      }
      case "local":
        return { k: "ptr", obj: frame.objs[e.obj.id]!, off: 0 };
      case "string": {
        const id = this.stringObject(e.bytes, e.elem, st);
        return { k: "ptr", obj: id, off: 0 };
      }
      case "load": {
        const addr = this.eval(e.addr, st, out);
        const v = this.load(addr, e.type, st, out);
        if (v.k !== "dyn" && addr.k === "ptr") this.sp.noteStaticIndexing(frame.fn, e.addr);
        return v;
      }
      case "bitload":
        return this.bitload(this.eval(e.addr, st, out), e.field, e.type, e.addr.type, st, out);
      case "field": {
        const a = this.eval(e.addr, st, out);
        this.partiallyStatic(e.addr.type, a, st);
        if (a.k === "ptr") return { ...a, off: a.off + e.field.offset };
        if (a.k === "dyn") return { k: "dyn", e: { ...e, addr: a.e } };
        return { k: "dyn", e: { ...e, addr: this.lift(a, e.addr.type, st, out) } };
      }
      case "ptradd": {
        const p = this.eval(e.ptr, st, out);
        const i = this.eval(e.index, st, out);
        if (p.k === "ptr" && i.k === "int") return { k: "ptr", obj: p.obj, off: p.off + Number(i.v) * e.scale };
        return { k: "dyn", e: { ...e, ptr: this.residualExpr(p, e.ptr.type, st, out), index: this.residualExpr(i, e.index.type, st, out) } };
      }
      case "ptrdiff": {
        const l = this.eval(e.left, st, out);
        const r = this.eval(e.right, st, out);
        if (l.k === "ptr" && r.k === "ptr" && l.obj === r.obj) return { k: "int", v: wrap(BigInt(Math.trunc((l.off - r.off) / e.scale)), e.type, this.abi) };
        return { k: "dyn", e: { ...e, left: this.residualExpr(l, e.left.type, st, out), right: this.residualExpr(r, e.right.type, st, out) } };
      }
      case "unary": {
        const a = this.eval(e.arg, st, out);
        if (a.k === "int") {
          const v = e.op === "-" ? -a.v : e.op === "~" ? ~a.v : a.v === 0n ? 1n : 0n;
          return { k: "int", v: wrap(v, e.type, this.abi) };
        }
        if (a.k === "float" && e.op === "-") return { k: "float", v: -a.v };
        return { k: "dyn", e: { ...e, arg: this.residualExpr(a, e.arg.type, st, out) } };
      }
      case "binary": {
        const l = this.eval(e.left, st, out);
        const r = this.eval(e.right, st, out);
        const v = l.k !== "dyn" && r.k !== "dyn" ? this.binary(e, l, r) : null;
        if (v) return v;
        const left = this.residualExpr(l, e.left.type, st, out);
        return { k: "dyn", e: this.strengthReduced(e, left, r) ?? { ...e, left, right: this.residualExpr(r, e.right.type, st, out) } };
      }
      case "cast": {
        const a = this.eval(e.arg, st, out);
        const v = a.k !== "dyn" ? this.cast(a, e.arg.type, e.type) : null;
        if (v) return v;
        return { k: "dyn", e: { ...e, arg: this.residualExpr(a, e.arg.type, st, out) } };
      }
    }
  }

  /**
   * `x / 2^k` and `x % 2^k` over a value that cannot be negative, as the
   * shift and mask they equal: TinyCC calls a library routine for every
   * division (the board has no divide instruction), e.g. lwIP's
   * `q->len % 2` in the checksum of every packet.
   */
  private strengthReduced(e: Expr & { k: "binary" }, left: Expr, r: Val): Expr | null {
    if ((e.op !== "/" && e.op !== "%") || r.k !== "int" || r.v <= 0n || (r.v & (r.v - 1n)) !== 0n || e.opType.kind !== TypeKind.Int) return null;
    const zeroExtended = left.k === "cast" && left.arg.type.kind === TypeKind.Int && !left.arg.type.signed && this.abi.sizeOf(left.arg.type) < this.abi.sizeOf(e.opType);
    if (e.opType.signed && !zeroExtended) return null;
    const k = BigInt(r.v.toString(2).length - 1);
    const op = e.op === "/" ? ">>" : "&";
    return { ...e, op, left, right: { k: "int", type: e.opType, value: e.op === "/" ? k : r.v - 1n } };
  }

  private stringObject(bytes: Uint8Array, elem: CType, st: State): number {
    const key = bytesKey(bytes);
    let id = stringIds.get(this.sp)?.get(key);
    if (id === undefined) {
      id = this.sp.objects.fresh();
      this.sp.objects.types.set(id, { kind: TypeKind.Array, of: elem, length: bytes.length / Math.max(1, this.abi.sizeOf(elem)), quals: 0 });
      let m = stringIds.get(this.sp);
      if (!m) stringIds.set(this.sp, (m = new Map()));
      m.set(key, id);
    }
    if (!st.mem.objects.has(id)) {
      const o = newObject(id, "string", "str", bytes.length, false);
      o.bytes.set(bytes);
      st.mem.add(o);
      if (!this.sp.objects.initials.has(id)) this.sp.objects.initials.set(id, { ...o, bytes: o.bytes.slice(), known: o.known.slice(), dirty: o.dirty.slice(), ptrs: new Map(), owner: FROZEN });
    }
    return id;
  }

  private binary(e: Expr & { k: "binary" }, l: Value, r: Value): Value | null {
    const t = e.opType;
    const cmp = (c: boolean): Value => ({ k: "int", v: c ? 1n : 0n });
    if (l.k === "ptr" || r.k === "ptr" || l.k === "fn" || r.k === "fn") {
      if (e.op !== "==" && e.op !== "!=" && e.op !== "<" && e.op !== ">" && e.op !== "<=" && e.op !== ">=") return null;
      const key = (v: Value): [number | string, number] | null =>
        v.k === "ptr" ? [v.obj, v.off] : v.k === "fn" ? [`f${v.sym.name}`, 0] : v.k === "int" ? [-1, Number(v.v)] : null;
      const a = key(l);
      const b = key(r);
      if (!a || !b) return null;
      if (a[0] !== b[0]) {
        // distinct objects are unequal (and non-null); order between them is unknown
        const nullA = a[0] === -1 && a[1] === 0;
        const nullB = b[0] === -1 && b[1] === 0;
        if ((e.op === "==" || e.op === "!=") && (nullA || nullB || (a[0] !== -1 && b[0] !== -1))) return cmp(e.op === "!=");
        return null;
      }
      const x = a[1];
      const y = b[1];
      switch (e.op) {
        case "==": return cmp(x === y);
        case "!=": return cmp(x !== y);
        case "<": return cmp(x < y);
        case ">": return cmp(x > y);
        case "<=": return cmp(x <= y);
        case ">=": return cmp(x >= y);
      }
    }
    if (t.kind === TypeKind.Float) {
      if (t.rank === "ldouble") return null;
      const x = l.k === "float" ? l.v : Number((l as { v: bigint }).v);
      const y = r.k === "float" ? r.v : Number((r as { v: bigint }).v);
      const f = (v: number): Value => ({ k: "float", v: t.rank === "float" ? Math.fround(v) : v });
      switch (e.op) {
        case "+": return f(x + y);
        case "-": return f(x - y);
        case "*": return f(x * y);
        case "/": return f(x / y);
        case "==": return cmp(x === y);
        case "!=": return cmp(x !== y);
        case "<": return cmp(x < y);
        case ">": return cmp(x > y);
        case "<=": return cmp(x <= y);
        case ">=": return cmp(x >= y);
        default: return null;
      }
    }
    if (l.k !== "int" || r.k !== "int") return null;
    const x = l.v;
    const y = r.v;
    const v = integerBinary(e.op, x, y, BigInt(this.abi.sizeOf(t) * 8));
    return v === null ? null : { k: "int", v: wrap(v, t, this.abi) };
  }

  private cast(a: Value, from: CType, to: CType): Value | null {
    if (to.kind === TypeKind.Void) return { k: "int", v: 0n };
    if (to.kind === TypeKind.Float) {
      if (to.rank === "ldouble") return null;
      if (from.kind === TypeKind.Float && from.rank === "ldouble") return null;
      const v = a.k === "float" ? a.v : a.k === "int" ? Number(a.v) : null;
      if (v === null) return null;
      return { k: "float", v: to.rank === "float" ? Math.fround(v) : v };
    }
    if (to.kind === TypeKind.Pointer) {
      if (a.k === "ptr" || a.k === "fn") return a;
      if (a.k === "int") {
        // the address modulo the pointer's size; one a double cannot hold exactly (the top of a 64-bit space: (void *)-1) as its negative, which it can
        const bits = this.abi.info.pointerSize * 8;
        const u = BigInt.asUintN(bits, a.v);
        return { k: "ptr", obj: -1, off: Number(u > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt.asIntN(bits, a.v) : u) };
      }
      return null;
    }
    if (to.kind === TypeKind.Bool) {
      if (a.k === "int") return { k: "int", v: a.v !== 0n ? 1n : 0n };
      if (a.k === "float") return { k: "int", v: a.v !== 0 ? 1n : 0n };
      if (a.k === "ptr") return a.obj >= 0 ? { k: "int", v: 1n } : { k: "int", v: a.off !== 0 ? 1n : 0n };
      return { k: "int", v: 1n };
    }
    if (to.kind === TypeKind.Int || to.kind === TypeKind.Enum) {
      if (a.k === "int") return { k: "int", v: wrap(a.v, to, this.abi) };
      if (a.k === "float") {
        if (from.kind === TypeKind.Float && from.rank === "ldouble") return null;
        if (!Number.isFinite(a.v)) return null;
        return { k: "int", v: wrap(BigInt(Math.trunc(a.v)), to, this.abi) };
      }
      if (a.k === "ptr" && a.obj < 0) return { k: "int", v: wrap(BigInt(a.off), to, this.abi) };
      return null;
    }
    return null;
  }
}

const stringIds = new WeakMap<Specializer, Map<string, number>>();

/** Binding times in `Specializer.observed`. */
const STATIC_SEEN = 1;
const DYNAMIC_SEEN = 2;

/**
 * A function's source positions, numbered once for every specialization of
 * the program: per block, the number of each statement's position and last
 * the terminator's (-1 where there is no position); equal positions share a
 * number, with their "file:line:column" key.
 */
interface PositionTable {
  at: Int32Array[];
  positions: SourcePosition[];
  keys: string[];
}

const positionTables = new WeakMap<IrFunction, PositionTable>();

function positionTable(fn: IrFunction): PositionTable {
  let table = positionTables.get(fn);
  if (table) return table;
  const numbers = new Map<string, number>();
  const positions: SourcePosition[] = [];
  const keys: string[] = [];
  const number = (pos: SourcePosition): number => {
    if (!pos.file || pos.line === 0) return -1;
    const key = `${pos.file}:${pos.line}:${pos.column}`;
    let n = numbers.get(key);
    if (n === undefined) {
      numbers.set(key, (n = positions.length));
      positions.push(pos);
      keys.push(key);
    }
    return n;
  };
  const at = fn.blocks.map((b) => Int32Array.from([...b.stmts.map((s) => number(s.pos)), b.term.k === "goto" ? -1 : number(b.term.pos)]));
  positionTables.set(fn, (table = { at, positions, keys }));
  return table;
}

/** Specialized program points of one function before everything static is generalized (bounds time and code size). */
const STATE_BUDGET = 4000;

/**
 * Distinct values a static register that never indexed static data (a count
 * of dynamic items, like digits produced from a dynamic number) may take at
 * one point under dynamic control before it is generalized; registers that
 * index static data (a bytecode pc, a pattern position) get `limits.unroll`.
 */
const DATA_REGISTER_VALUES = 4;

/** Blocks one static run may execute before its state is generalized (a static infinite loop). */
const STATIC_RUN_STEPS = 5_000_000;

/** Distinct states with the same static registers at one point before their changing memory is generalized. */
const SAME_CONTROL_STATES = 4;

/** The earlier state differing from `st` in the fewest registers. */
function mostSimilar(states: State[], st: State): State | null {
  let best: State | null = null;
  let bestScore = Infinity;
  for (const o of states) {
    let score = 0;
    for (let i = 0; i < o.frames.length && score < bestScore; i++) {
      const regs = o.frames[i]!.regs;
      const other = st.frames[i]?.regs;
      if (other === regs) continue; // shared: the same registers
      for (let id = 0; id < regs.length; id++) {
        const v = regs[id];
        const w = other?.[id];
        if (v !== w && (!v || !w || !sameValue(v, w))) score++;
      }
    }
    if (score < bestScore) {
      bestScore = score;
      best = o;
    }
  }
  return best;
}

/** The static values one register took at one point (`Run.varyingRegisters`): the first alone until there is another. */
type DistinctValues = Value | Set<bigint | string>;

/** A value as a member of `DistinctValues`' sets: integers by value (a bigint is never equal to a key string), others by `valueKey`. */
function distinctKey(v: Value): bigint | string {
  return v.k === "int" ? v.v : valueKey(v);
}

function truthy(v: Value): boolean {
  if (v.k === "int") return v.v !== 0n;
  if (v.k === "float") return v.v !== 0;
  if (v.k === "ptr") return v.obj >= 0 || v.off !== 0;
  return true;
}

function valueKey(v: Value): string {
  switch (v.k) {
    case "int":
      return `i${v.v}`;
    case "float":
      return `f${Object.is(v.v, -0) ? "-0" : v.v}`;
    case "ptr":
      return `p${v.obj}+${v.off}`;
    case "fn":
      return `F${v.sym.name}`;
  }
}

/** Whether two values have the same `valueKey`, without making the keys. */
function sameValue(a: Value, b: Value): boolean {
  switch (a.k) {
    case "int":
      return b.k === "int" && a.v === b.v;
    case "float":
      return b.k === "float" && Object.is(a.v, b.v);
    case "ptr":
      return b.k === "ptr" && a.obj === b.obj && a.off === b.off;
    case "fn":
      return b.k === "fn" && a.sym.name === b.sym.name;
  }
}

/** Key of the static contents of one object that has not escaped. */
function objectKey(o: MemObject): ObjectKey {
  // one unit per byte: 256 x (0 unknown, 1 static, 2 static and dirty) + the static value
  const units = new Uint16Array(o.size);
  let hash = o.id;
  let dirty = false;
  for (let i = 0; i < o.size; i++) {
    if (o.dirty[i]) dirty = true;
    if (o.known[i]) units[i] = (o.dirty[i] ? 512 : 256) + o.bytes[i]!;
    hash = Math.imul(hash ^ units[i]!, 0x9e3779b1) ^ (hash >>> 15);
  }
  const ptrs: [number, PointerValue][] = [];
  for (const entry of o.ptrs) {
    ptrs.push(entry);
    hash = Math.imul(hash ^ entry[0], 0x85ebca6b) ^ registerHash(entry[0], entry[1]);
  }
  return { id: o.id, units, ptrs, hash, dirty };
}

/** The static contents of an object that has not escaped, as `Specializer.objectContents` numbers them (`hash` finds equal ones). */
interface ObjectKey {
  id: number;
  units: Uint16Array;
  /** Its pointers in the order the object holds them. */
  ptrs: [number, PointerValue][];
  hash: number;
  /** Some byte of the object is dirty (`MemObject.dirty`, even where not static: not part of the key, as such bytes are never written out). */
  dirty: boolean;
}

function sameObjectKey(a: ObjectKey, b: ObjectKey): boolean {
  if (a.id !== b.id || a.units.length !== b.units.length || a.ptrs.length !== b.ptrs.length) return false;
  for (let i = 0; i < a.units.length; i++) if (a.units[i] !== b.units[i]) return false;
  for (let i = 0; i < a.ptrs.length; i++) if (a.ptrs[i]![0] !== b.ptrs[i]![0] || !sameValue(a.ptrs[i]![1], b.ptrs[i]![1])) return false;
  return true;
}

/** Mark in `changed` the static bytes of `now` that differ from `before` (whole pointers when a pointer differs); whether there are any. */
function markChangedBytes(before: MemObject, now: MemObject, ptrSize: number, changed: Uint8Array): boolean {
  let any = false;
  for (let i = 0; i < now.size; i++) {
    if (now.known[i] && (!before.known[i] || before.bytes[i] !== now.bytes[i])) {
      changed[i] = 1;
      any = true;
    }
  }
  for (const [k, p] of now.ptrs) {
    const q = before.ptrs.get(k);
    if (q && sameValue(p, q)) continue;
    for (let j = 0; j < ptrSize; j++) changed[k + j] = 1;
    any = true;
  }
  return any;
}

/** Whether register `id` of frame `fi` has the value `v` in every state of `against`. */
function stableRegister(against: State[], fi: number, id: number, v: Value): boolean {
  for (const a of against) {
    const before = a.frames[fi]?.regs[id];
    if (before === undefined || before === null || !sameValue(before, v)) return false;
  }
  return true;
}

/** A copy of `st` that changes apart from it (both share their registers and memory until either changes them). */
function cloneState(st: State): State {
  const frames = st.frames.slice();
  const top = frames.length - 1;
  for (let i = 0; i < top; i++) frames[i]!.shared = true;
  frames[top] = copyFrame(frames[top]!);
  return { frames, mem: st.mem.fork(), dynamicPast: st.dynamicPast };
}

/** A copy of a frame that changes apart from it (both share their registers until either changes them). */
function copyFrame(f: Frame): Frame {
  f.ownsRegs = false;
  return { fn: f.fn, inst: f.inst, regs: f.regs, ownsRegs: false, shared: false, objs: f.objs, block: f.block, stmt: f.stmt, ret: f.ret, live: f.live, positions: f.positions, observed: f.observed, regsId: f.regsId, regsHash: f.regsHash, pointKey: f.pointKey, stackKey: f.stackKey };
}

/** Frame `fi` of `st`, to be changed: a copy of it when other states hold it too. */
function ownFrame(st: State, fi: number): Frame {
  const f = st.frames[fi]!;
  return f.shared ? (st.frames[fi] = copyFrame(f)) : f;
}

const loops = new WeakMap<IrFunction, boolean>();

/** Whether `fn`'s control-flow graph has a cycle (a loop, or a backward goto). */
/** Whether a call with no static argument is unfolded when static globals exist: the callee reads globals, or has no loop. The binding-time analysis (bta.ts) decides as the specializer does. */
export function unfoldsForGlobals(fn: IrFunction, functions: ReadonlyMap<string, IrFunction>): boolean {
  return readsGlobals(fn, functions) || !hasLoop(fn);
}

function hasLoop(fn: IrFunction): boolean {
  const known = loops.get(fn);
  if (known !== undefined) return known;
  const state = new Map<number, 1 | 2>(); // 1: on the DFS path, 2: done
  const visit = (id: number): boolean => {
    state.set(id, 1);
    for (const next of successors(fn.blocks[id]!.term)) {
      const s = state.get(next);
      if (s === 1 || (s === undefined && visit(next))) return true;
    }
    state.set(id, 2);
    return false;
  };
  const found = visit(fn.entry);
  loops.set(fn, found);
  return found;
}

const globalReaders = new WeakMap<IrFunction, boolean>();

/** Whether `fn` may read a global of the program: it names one, calls through a pointer, or calls a program function that may. */
function readsGlobals(fn: IrFunction, functions: ReadonlyMap<string, IrFunction>): boolean {
  const known = globalReaders.get(fn);
  if (known !== undefined) return known;
  globalReaders.set(fn, true); // recursion: assume the worst until proven otherwise
  const names = (e: Expr): boolean => (e.k === "global" && e.sym.type.kind !== TypeKind.Function) || operands(e).some(names);
  const reads = fn.blocks.some(
    (b) =>
      termOperands(b.term).some(names) ||
      b.stmts.some((s) => {
        if (stmtOperands(s).some(names)) return true;
        if (s.k !== "call") return false;
        if (s.callee.k !== "global") return true;
        const callee = functions.get(s.callee.sym.name);
        return callee !== undefined && readsGlobals(callee, functions);
      }),
  );
  globalReaders.set(fn, reads);
  return reads;
}

const globalWriters = new WeakMap<IrFunction, boolean>();

/**
 * Whether calling `fn` may write a global of the program: it stores, copies
 * or zeroes anywhere but its own locals, calls through a pointer, or calls a
 * program function that may (functions outside the program, as everywhere
 * here, do not touch the program's globals). Pure helpers such as
 * lwip_htons or a checksum loop then leave static globals static.
 */
function writesGlobals(fn: IrFunction, functions: ReadonlyMap<string, IrFunction>): boolean {
  const known = globalWriters.get(fn);
  if (known !== undefined) return known;
  globalWriters.set(fn, true); // recursion: assume the worst until proven otherwise
  const local = (e: Expr): boolean => {
    for (;;) {
      if (e.k === "local") return true;
      if (e.k === "field" || e.k === "cast") e = e.k === "field" ? e.addr : e.arg;
      else if (e.k === "ptradd") e = e.ptr;
      else return false;
    }
  };
  const writes = fn.blocks.some((b) =>
    b.stmts.some((s) => {
      if (s.k === "store" || s.k === "bitstore" || s.k === "zero") return !local(s.addr);
      if (s.k === "copy") return !local(s.dst);
      if (s.k !== "call") return false;
      if (s.dstAddr && !local(s.dstAddr)) return true;
      if (s.callee.k !== "global") return true;
      const callee = functions.get(s.callee.sym.name);
      return callee !== undefined && writesGlobals(callee, functions);
    }),
  );
  globalWriters.set(fn, writes);
  return writes;
}

/** Bytes of device memory that are dynamic fields of a partially static struct (never read statically, so written by residual code alone). */
function dynamicDeviceRange(o: MemObject, off: number, size: number): boolean {
  if (o.kind !== "device" || o.escaped) return false;
  for (let i = 0; i < size; i++) if (o.known[off + i]) return false;
  return true;
}

/** Whether a pointer stored in `o` (but one at `except`) overlaps the `size` bytes at `off`. */
function pointerOverlaps(o: MemObject, off: number, size: number, ptrSize: number, except: number): boolean {
  for (const k of o.ptrs.keys()) if (k !== except && k < off + size && k + ptrSize > off) return true;
  return false;
}

/** Whether some global of the program is static (not escaped) in `mem`. */
function hasStaticGlobal(mem: MemoryStore): boolean {
  for (const o of mem.objects.values()) if (o.kind === "global" && !o.escaped) return true;
  return false;
}

function rangeKnown(o: MemObject, off: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (!o.known[off + i]) return false;
  return true;
}

function isIntegerType(t: CType): boolean {
  return t.kind === TypeKind.Int || t.kind === TypeKind.Enum || t.kind === TypeKind.Bool;
}

function isSignedType(t: CType, abi: Abi): boolean {
  if (t.kind === TypeKind.Int) return t.plainChar ? abi.info.charSigned : t.signed;
  if (t.kind === TypeKind.Enum) return t.def.underlying.signed;
  return false;
}

function unsignedOfSize(size: number, abi: Abi): CType {
  const rank = size === 1 ? "char" : size === 2 ? "short" : size === 4 ? "int" : abi.info.intSize.long === 8 ? "long" : "llong";
  return { kind: TypeKind.Int, rank, signed: false, plainChar: false, quals: 0 };
}

const joinCache = new WeakMap<IrFunction, Set<number>>();

/** Blocks with more than one predecessor (or targets of back edges): where states are memoized. */
function joinBlocks(fn: IrFunction): Set<number> {
  let s = joinCache.get(fn);
  if (s) return s;
  const preds = new Array<number>(fn.blocks.length).fill(0);
  for (const b of fn.blocks) for (const t of successors(b.term)) preds[t]!++;
  s = new Set();
  preds.forEach((n, i) => {
    if (n > 1) s!.add(i);
  });
  joinCache.set(fn, s);
  return s;
}

export function successors(t: Terminator): number[] {
  switch (t.k) {
    case "goto":
      return [t.target];
    case "if":
      return [t.then, t.else];
    case "switch":
      return [...t.cases.map((c) => c.target), t.default];
    case "return":
      return [];
  }
}

const sourcesCache = new WeakMap<IrFunction, Set<number>[]>();

/** For each register, the registers its value may come from through assignments (itself included). */
function registerSources(fn: IrFunction): Set<number>[] {
  const cached = sourcesCache.get(fn);
  if (cached) return cached;
  const direct: Set<number>[] = fn.vars.map(() => new Set<number>());
  for (const b of fn.blocks) for (const st of b.stmts) if (st.k === "set") visitVars(st.value, (v) => direct[st.dst.id]!.add(v.id));
  const out = fn.vars.map((v) => {
    const seen = new Set<number>([v.id]);
    const work = [v.id];
    while (work.length) for (const s of direct[work.pop()!]!) if (!seen.has(s)) {
      seen.add(s);
      work.push(s);
    }
    return seen;
  });
  sourcesCache.set(fn, out);
  return out;
}

const controlCache = new WeakMap<IrFunction, Set<number>>();

/**
 * Registers whose value decides control or what is read from memory (they
 * flow into a branch, a switch, a callee or a load address). Generalizing
 * them would turn static dispatch into residual code, so merging paths never
 * generalizes them.
 */
function controlRelevant(fn: IrFunction): Set<number> {
  const cached = controlCache.get(fn);
  if (cached) return cached;
  const out = new Set<number>();
  const addAll = (e: Expr): void => visitVars(e, (v) => out.add(v.id));
  const addresses = (e: Expr): void => {
    if (e.k === "load" || e.k === "bitload") addAll(e.addr);
    else operands(e).forEach(addresses);
  };
  for (const b of fn.blocks) {
    for (const st of b.stmts) {
      if (st.k === "set") addresses(st.value);
      else if (st.k === "store" || st.k === "bitstore") {
        addresses(st.addr);
        addresses(st.value);
      } else if (st.k === "copy") {
        addAll(st.src);
      } else if (st.k === "call") {
        addAll(st.callee);
        st.args.forEach(addresses);
      }
    }
    const t = b.term;
    if (t.k === "if") addAll(t.cond);
    else if (t.k === "switch") addAll(t.value);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const b of fn.blocks) {
      for (const st of b.stmts) {
        if (st.k !== "set" || !out.has(st.dst.id)) continue;
        visitVars(st.value, (v) => {
          if (!out.has(v.id)) {
            out.add(v.id);
            changed = true;
          }
        });
      }
    }
  }
  controlCache.set(fn, out);
  return out;
}

const liveCache = new WeakMap<IrFunction, Uint8Array[]>();

/** Registers live at entry of each block, 1 at a live register's id (so memo keys ignore dead values). */
function liveness(fn: IrFunction): Uint8Array[] {
  const cached = liveCache.get(fn);
  if (cached) return cached;
  const n = fn.blocks.length;
  const use: Set<number>[] = [];
  const def: Set<number>[] = [];
  for (const b of fn.blocks) {
    const u = new Set<number>();
    const d = new Set<number>();
    const read = (e: Expr): void =>
      visitVars(e, (v) => {
        if (!d.has(v.id)) u.add(v.id);
      });
    for (const s of b.stmts) {
      stmtOperands(s).forEach(read);
      const dst = stmtDestination(s);
      if (dst) d.add(dst.id);
    }
    termOperands(b.term).forEach(read);
    use.push(u);
    def.push(d);
  }
  const liveIn: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      const out = new Set<number>();
      for (const s of successors(fn.blocks[i]!.term)) for (const v of liveIn[s]!) out.add(v);
      const inn = new Set(use[i]);
      for (const v of out) if (!def[i]!.has(v)) inn.add(v);
      if (inn.size !== liveIn[i]!.size) {
        liveIn[i] = inn;
        changed = true;
      }
    }
  }
  const flags = liveIn.map((set) => {
    const f = new Uint8Array(fn.vars.length);
    for (const id of set) f[id] = 1;
    return f;
  });
  liveCache.set(fn, flags);
  return flags;
}


/** Bytes as a string key, one character per byte (runtime-independent: no Node Buffer in workerd). */
function bytesKey(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}
