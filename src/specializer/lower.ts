// AST -> core IR: each function body becomes a CFG of basic blocks whose
// expressions are side-effect free (see ir.ts). Constructs the IR cannot
// express (inline asm, computed goto, multidimensional VLAs...) make the
// function "unlowered": it is kept as generic code and called, never
// specialized.
// `__attribute__((cleanup(f)))` becomes explicit calls f(&var) on every edge
// that leaves the variable's scope (fall-through, break, continue, goto,
// return after its value is computed), innermost first. A variable-length
// array is storage allocated when its declaration runs (malloc of the size
// computed there, kept in a register for sizeof) and released on every exit
// of its scope the same way (free): the residual allocates it equivalently
// (its lifetime is the scope's; the storage is the heap's, not the stack's).
import type { Abi } from "../c/abi.ts";
import {
  type Attribute,
  type Declaration,
  type Expr as AstExpr,
  type FunctionDef,
  type InitList,
  NodeKind,
  type Program,
  type Stmt as AstStmt,
  type Symbol,
  SymbolKind,
  type BlockItem,
} from "../c/ast.ts";
import { type CType, type Field, type FunctionType, TypeKind, decay, doubleType, intType, isScalar, pointerTo, voidType } from "../c/types.ts";
import type { SourcePosition } from "../errors.ts";
import type { Block, Expr, IrFunction, IrProgram, LocalObject, Stmt, SwitchCase, Terminator, Var } from "./ir.ts";

/** The builtins of <stdarg.h>, lowered to calls of themselves (see FunctionLowerer.vaOperation). */
export type VaBuiltin = "__builtin_va_start" | "__builtin_va_arg" | "__builtin_va_end" | "__builtin_va_copy";
export const VA_BUILTINS: ReadonlySet<string> = new Set<VaBuiltin>(["__builtin_va_start", "__builtin_va_arg", "__builtin_va_end", "__builtin_va_copy"]);

/** Thrown inside the lowering of one function; that function stays generic. */
class Unsupported extends Error {
  constructor(
    message: string,
    readonly pos: SourcePosition,
  ) {
    super(message);
  }
}

type LValue = { k: "var"; v: Var } | { k: "mem"; addr: Expr; type: CType } | { k: "bit"; addr: Expr; field: Field; type: CType };

interface InitCursor {
  items: InitList["items"];
  i: number;
  /** Designator steps of the current item already walked (into nested aggregates). */
  skip: number;
}

type DesignatorStep = { kind: "field"; field: Field } | { kind: "index"; index: AstExpr; end: AstExpr | null };

/** An item's designators as single steps (a field through anonymous members is several). */
function designatorSteps(item: InitList["items"][number]): DesignatorStep[] {
  return item.designators.flatMap((d): DesignatorStep[] => (d.kind === "field" ? d.path.map((field) => ({ kind: "field", field })) : [{ kind: "index", index: d.index, end: d.end }]));
}

interface SwitchContext {
  cases: SwitchCase[];
  default: number | null;
}

/**
 * A variable declared with `__attribute__((cleanup(fn)))`, in scope. The
 * variables in scope at a point form a chain, innermost first: leaving a
 * scope for a point whose chain is shorter calls fn(&var) for each variable
 * left behind.
 */
interface Cleanup {
  fn: Symbol;
  /** What fn is called with: the variable's address (cleanup attribute), or a variable-length array's storage. */
  arg: Expr;
  pos: SourcePosition;
  outer: Cleanup | null;
}

/** How a local is held: a register, an object, or (variable-length array) a register pointing to its storage and one holding its size in bytes. */
type LocalSlot = { k: "var"; v: Var } | { k: "local"; obj: LocalObject } | { k: "vla"; storage: Var; size: Var };

/** What a block scope restores when it ends. */
interface ScopeMark {
  cleanups: Cleanup | null;
  /** How many objects were declared in the enclosing scopes. */
  declared: number;
}

/** Where break or continue goes, and the cleanup chain in scope there. */
interface JumpTarget {
  block: number;
  scope: Cleanup | null;
}

/** A global object's initializer lowered to statements over its address (run statically at specialization start). */
export interface GlobalInit {
  sym: Symbol;
  stmts: Stmt[];
  /** Objects the statements use (compound literals), numbered from 0 for this initializer alone. */
  locals: LocalObject[];
}

export function lowerProgram(program: Program, abi: Abi): IrProgram {
  const out: IrProgram = { functions: new Map(), unlowered: new Map() };
  const fileFunctions = new Map<string, Symbol>();
  for (const d of program.decls) {
    if (d.kind === NodeKind.FunctionDef) fileFunctions.set(d.sym.name, d.sym);
    else if (d.kind === NodeKind.Declaration) for (const dc of d.declarators) if (dc.sym.kind === SymbolKind.Function && !fileFunctions.has(dc.sym.name)) fileFunctions.set(dc.sym.name, dc.sym);
  }
  for (const d of program.decls) {
    if (d.kind !== NodeKind.FunctionDef) continue;
    try {
      out.functions.set(d.sym.name, new FunctionLowerer(abi, d, fileFunctions).lower());
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      out.unlowered.set(d.sym.name, { name: d.sym.name, sym: d.sym, def: d, reason: e.message, pos: e.pos });
    }
  }
  return out;
}

/** Lower the initializer of a global (or static local) object to stores at its address; a reason when it cannot be expressed. */
export function lowerGlobalInit(abi: Abi, sym: Symbol, init: AstExpr | null, pos: SourcePosition): GlobalInit | { reason: string } {
  const lw = new FunctionLowerer(abi, null, new Map());
  try {
    const addr: Expr = { k: "global", type: pointerTo(sym.type), sym };
    lw.beginGlobalInit();
    lw.zeroObject(addr, sym.type, pos);
    if (init) lw.initialize(addr, sym.type, init, pos);
    const done = lw.finishGlobalInit();
    return done ? { sym, ...done } : { reason: "the initializer needs control flow" };
  } catch (e) {
    if (e instanceof Unsupported) return { reason: e.message };
    throw e;
  }
}

class FunctionLowerer {
  private blocks: Block[] = [];
  private cur!: Block;
  private vars: Var[] = [];
  private locals: LocalObject[] = [];
  private bySym = new Map<Symbol, LocalSlot>();
  private inMemory = new Set<Symbol>();
  private labels = new Map<string, number>();
  private breakTarget: JumpTarget[] = [];
  private continueTarget: JumpTarget[] = [];
  private switches: SwitchContext[] = [];
  private nextId = 0;
  /** The innermost cleanup variable in scope (see Cleanup). */
  private cleanups: Cleanup | null = null;
  /** The cleanup chain in scope at each label. */
  private labelScopes = new Map<string, Cleanup | null>();
  /** Objects declared in the scopes open now, in order of declaration. */
  private declared: LocalObject[] = [];
  /**
   * Objects of scopes that have ended: a later declaration of the same type
   * takes one over, as a compiler reuses stack slots (a function of many
   * sibling blocks keeps a few objects, not one per block).
   */
  private freeObjects: LocalObject[] = [];
  /** Gotos leaving cleanup scopes: a block of their own, filled once every label's chain is known. */
  private pendingGotos: { block: Block; from: Cleanup; label: string }[] = [];

  constructor(
    private abi: Abi,
    private def: FunctionDef | null,
    /** File-scope functions by name (what `cleanup(name)` refers to; the C library functions the lowering calls join them). */
    private fileFunctions: Map<string, Symbol>,
  ) {}

  lower(): IrFunction {
    const def = this.def!;
    collectAddressTaken(def.body, this.inMemory);
    const entry = this.newBlock();
    this.cur = entry;
    const params: IrFunction["params"] = def.params.map((sym) => {
      if (sym.type.kind === TypeKind.Array && sym.type.vla) throw new Unsupported("variable-length array parameter", sym.pos);
      return this.declareLocal(sym);
    });
    this.statement(def.body);
    // reaching the } that ends main returns 0 (C99 5.1.2.2.3), as tcc compiles it
    const fallOff = def.sym.name === "main" && def.type.ret.kind === TypeKind.Int ? this.intConst(0, def.type.ret) : null;
    this.terminate({ k: "return", value: fallOff, pos: def.body.pos });
    this.lowerPendingGotos();
    return {
      name: def.sym.name,
      sym: def.sym,
      type: def.type,
      params,
      vars: this.vars,
      locals: this.locals,
      blocks: this.blocks,
      entry: entry.id,
      def,
    };
  }

  beginGlobalInit(): void {
    this.cur = this.newBlock();
  }

  finishGlobalInit(): { stmts: Stmt[]; locals: LocalObject[] } | null {
    return this.blocks.length === 1 ? { stmts: this.cur.stmts, locals: this.locals } : null;
  }

  // ---- blocks

  private newBlock(): Block {
    const b: Block = { id: this.blocks.length, stmts: [], term: { k: "return", value: null, pos: { file: "", line: 0, column: 0 } } };
    this.blocks.push(b);
    return b;
  }

  private emit(s: Stmt): void {
    this.cur.stmts.push(s);
  }

  /** End the current block with `term` and continue in a fresh (possibly unreachable) block. */
  private terminate(term: Terminator, next?: Block): void {
    this.cur.term = term;
    this.cur = next ?? this.newBlock();
  }

  private jumpTo(target: Block): void {
    this.terminate({ k: "goto", target: target.id }, target);
  }

  private labelBlock(name: string): number {
    let id = this.labels.get(name);
    if (id === undefined) {
      id = this.newBlock().id;
      this.labels.set(name, id);
    }
    return id;
  }

  // ---- names

  private temp(type: CType, prefix = "t"): Var {
    const v: Var = { id: this.vars.length, name: `${prefix}${this.nextId++}`, type };
    this.vars.push(v);
    return v;
  }

  private tempObject(type: CType, pos: SourcePosition): LocalObject {
    const size = this.sizeOf(type, pos);
    const obj: LocalObject = { id: this.locals.length, name: `tmp${this.nextId++}`, type, size, sym: null };
    this.locals.push(obj);
    return obj;
  }

  private declareLocal(sym: Symbol): { k: "var"; v: Var } | { k: "local"; obj: LocalObject } {
    let slot: { k: "var"; v: Var } | { k: "local"; obj: LocalObject };
    if (isScalar(sym.type) && !this.inMemory.has(sym)) {
      const v: Var = { id: this.vars.length, name: sym.name || `p${this.nextId++}`, type: sym.type, sym };
      this.vars.push(v);
      slot = { k: "var", v };
    } else {
      const size = this.sizeOf(sym.type, sym.pos);
      const obj: LocalObject = { id: this.locals.length, name: sym.name || `p${this.nextId++}`, type: sym.type, size, sym };
      this.locals.push(obj);
      slot = { k: "local", obj };
    }
    this.bySym.set(sym, slot);
    return slot;
  }

  /** A block-scope variable: a register, or an object (one of an ended scope when one of its type is free). */
  private declareBlockLocal(sym: Symbol): { k: "var"; v: Var } | { k: "local"; obj: LocalObject } {
    if (isScalar(sym.type) && !this.inMemory.has(sym)) return this.declareLocal(sym);
    const i = this.freeObjects.findIndex((o) => sameObjectType(o.type, sym.type));
    let slot: { k: "local"; obj: LocalObject };
    if (i >= 0) {
      slot = { k: "local", obj: this.freeObjects.splice(i, 1)[0]! };
      this.bySym.set(sym, slot);
    } else slot = this.declareLocal(sym) as { k: "local"; obj: LocalObject };
    this.declared.push(slot.obj);
    return slot;
  }

  private sizeOf(t: CType, pos: SourcePosition): number {
    if (t.kind === TypeKind.Array && t.vla) throw new Unsupported("variable-length array", pos);
    const n = this.abi.sizeOf(t);
    if (n < 0) throw new Unsupported("object of incomplete type", pos);
    return n;
  }

  // ---- statements

  statement(s: AstStmt | BlockItem): void {
    switch (s.kind) {
      case NodeKind.Compound: {
        const scope = this.enterScope();
        for (const item of s.items) this.statement(item);
        this.leaveScope(scope);
        return;
      }
      case NodeKind.Declaration:
        this.declaration(s);
        return;
      case NodeKind.StaticAssert:
      case NodeKind.Empty:
        return;
      case NodeKind.ExprStmt:
        this.effect(s.expr);
        return;
      case NodeKind.If: {
        const then = this.newBlock();
        const join = this.newBlock();
        const els = s.else ? this.newBlock() : join;
        this.condition(s.cond, then.id, els.id);
        this.cur = then;
        this.statement(s.then);
        this.terminate({ k: "goto", target: join.id }, els);
        if (s.else) {
          this.statement(s.else);
          this.jumpTo(join);
        }
        return;
      }
      case NodeKind.While: {
        const head = this.newBlock();
        const body = this.newBlock();
        const exit = this.newBlock();
        this.jumpTo(head);
        this.condition(s.cond, body.id, exit.id);
        this.loopBody(s.body, body, exit.id, head.id);
        this.jumpTo(head);
        this.cur = exit;
        return;
      }
      case NodeKind.DoWhile: {
        const body = this.newBlock();
        const test = this.newBlock();
        const exit = this.newBlock();
        this.jumpTo(body);
        this.loopBody(s.body, body, exit.id, test.id);
        this.jumpTo(test);
        this.condition(s.cond, body.id, exit.id);
        this.cur = exit;
        return;
      }
      case NodeKind.For: {
        const scope = this.enterScope();
        if (s.init) {
          if (s.init.kind === NodeKind.Declaration) this.declaration(s.init);
          else this.effect(s.init);
        }
        const head = this.newBlock();
        const body = this.newBlock();
        const step = this.newBlock();
        const exit = this.newBlock();
        this.jumpTo(head);
        if (s.cond) this.condition(s.cond, body.id, exit.id);
        else this.jumpTo(body);
        this.loopBody(s.body, body, exit.id, step.id);
        this.jumpTo(step);
        if (s.step) this.effect(s.step);
        this.terminate({ k: "goto", target: head.id });
        this.cur = exit;
        this.leaveScope(scope);
        return;
      }
      case NodeKind.Switch: {
        const value = this.rvalue(s.expr);
        const dispatch = this.cur;
        const exit = this.newBlock();
        const ctx: SwitchContext = { cases: [], default: null };
        this.switches.push(ctx);
        this.breakTarget.push({ block: exit.id, scope: this.cleanups });
        this.cur = this.newBlock();
        this.statement(s.body);
        this.breakTarget.pop();
        this.switches.pop();
        this.jumpTo(exit);
        dispatch.term = { k: "switch", value, cases: ctx.cases, default: ctx.default ?? exit.id, pos: s.pos };
        return;
      }
      case NodeKind.Case:
      case NodeKind.Default: {
        const ctx = this.switches[this.switches.length - 1];
        if (!ctx) throw new Unsupported("case label outside switch", s.pos);
        const b = this.newBlock();
        this.jumpTo(b);
        if (s.kind === NodeKind.Case) ctx.cases.push({ low: s.low, high: s.high ? s.highValue : s.low, target: b.id });
        else ctx.default = b.id;
        this.statement(s.body);
        return;
      }
      case NodeKind.Label: {
        const b = this.blocks[this.labelBlock(s.name)]!;
        this.labelScopes.set(s.name, this.cleanups);
        this.jumpTo(b);
        this.statement(s.body);
        return;
      }
      case NodeKind.Goto: {
        const target = this.labelBlock(s.label);
        if (this.cleanups) {
          const block = this.newBlock();
          this.pendingGotos.push({ block, from: this.cleanups, label: s.label });
          this.terminate({ k: "goto", target: block.id });
        } else this.terminate({ k: "goto", target });
        return;
      }
      case NodeKind.Break: {
        const t = this.breakTarget[this.breakTarget.length - 1];
        if (t === undefined) throw new Unsupported("break outside loop or switch", s.pos);
        this.runCleanups(this.cleanups, t.scope);
        this.terminate({ k: "goto", target: t.block });
        return;
      }
      case NodeKind.Continue: {
        const t = this.continueTarget[this.continueTarget.length - 1];
        if (t === undefined) throw new Unsupported("continue outside loop", s.pos);
        this.runCleanups(this.cleanups, t.scope);
        this.terminate({ k: "goto", target: t.block });
        return;
      }
      case NodeKind.Return: {
        const def = this.def!;
        let value: Expr | null = null;
        if (s.value) {
          if (def.type.ret.kind === TypeKind.Void) this.effect(s.value);
          else value = this.convert(this.rvalue(s.value), def.type.ret);
        }
        // the value is computed before the cleanups run (they may change what it reads)
        if (this.cleanups && value) value = this.snapshot(value, s.pos);
        this.runCleanups(this.cleanups, null);
        this.terminate({ k: "return", value, pos: s.pos });
        return;
      }
      case NodeKind.ComputedGoto:
        throw new Unsupported("computed goto", s.pos);
      case NodeKind.Asm:
        throw new Unsupported("inline assembly", s.pos);
    }
  }

  private loopBody(body: AstStmt, start: Block, brk: number, cont: number): void {
    this.cur = start;
    this.breakTarget.push({ block: brk, scope: this.cleanups });
    this.continueTarget.push({ block: cont, scope: this.cleanups });
    this.statement(body);
    this.breakTarget.pop();
    this.continueTarget.pop();
  }

  private declaration(d: Declaration): void {
    if (d.storage === "typedef" || d.storage === "extern") return;
    for (const dc of d.declarators) {
      const sym = dc.sym;
      if (sym.kind !== SymbolKind.Object) continue;
      if (sym.global || d.storage === "static") continue; // static locals are globals (initialized once)
      if (dc.type.kind === TypeKind.Array && dc.type.vla) {
        this.declareVla(sym, dc.type, dc.pos);
        continue;
      }
      const cleanup = this.cleanupFunction([...dc.attrs, ...d.attrs], dc.pos);
      // the cleanup function gets the variable's address
      if (cleanup) this.inMemory.add(sym);
      const slot = this.declareBlockLocal(sym);
      if (dc.init) {
        if (slot.k === "var") {
          const init = dc.init.kind === NodeKind.InitList ? firstScalar(dc.init) : dc.init;
          this.emit({ k: "set", dst: slot.v, value: this.convert(this.rvalue(init), sym.type), pos: dc.pos });
        } else {
          const addr: Expr = { k: "local", type: pointerTo(sym.type), obj: slot.obj };
          if (dc.init.kind === NodeKind.InitList || (dc.init.kind === NodeKind.StringLit && sym.type.kind === TypeKind.Array)) {
            this.zeroObject(addr, sym.type, dc.pos);
          }
          this.initialize(addr, sym.type, dc.init, dc.pos);
        }
      }
      if (cleanup && slot.k === "local") this.cleanups = { fn: cleanup, arg: { k: "local", type: pointerTo(slot.obj.type), obj: slot.obj }, pos: dc.pos, outer: this.cleanups };
    }
  }

  /** `T a[n]`: the size computed now, storage allocated for it, released when the scope is left. */
  private declareVla(sym: Symbol, type: CType & { kind: TypeKind.Array }, pos: SourcePosition): void {
    const sizeT = this.abi.sizeType();
    const size = this.temp(sizeT, `${sym.name}_size`);
    this.emit({ k: "set", dst: size, value: this.vlaSize(type, pos), pos });
    const voidPtr = pointerTo(voidType);
    const malloc = this.runtimeFunction("malloc", { kind: TypeKind.Function, ret: voidPtr, params: [{ name: null, type: sizeT }], variadic: false, prototyped: true, quals: 0 });
    const free = this.runtimeFunction("free", { kind: TypeKind.Function, ret: voidType, params: [{ name: null, type: voidPtr }], variadic: false, prototyped: true, quals: 0 });
    const raw = this.temp(voidPtr, "r");
    const sizeRef: Expr = { k: "var", type: sizeT, v: size };
    this.emit({ k: "call", dst: raw, dstAddr: null, callee: { k: "global", type: pointerTo(malloc.type), sym: malloc }, args: [sizeRef], fnType: malloc.type as FunctionType, pos });
    const storage = this.temp(pointerTo(type.of), sym.name);
    this.emit({ k: "set", dst: storage, value: { k: "cast", type: storage.type, arg: { k: "var", type: voidPtr, v: raw } }, pos });
    this.bySym.set(sym, { k: "vla", storage, size });
    this.cleanups = { fn: free, arg: { k: "var", type: storage.type, v: storage }, pos, outer: this.cleanups };
  }

  /** The size in bytes of an array type whose length is computed at run time (its length expressions evaluated here). */
  private vlaSize(t: CType, pos: SourcePosition): Expr {
    const sizeT = this.abi.sizeType();
    if (t.kind !== TypeKind.Array || !t.vla) return this.intConst(this.sizeOf(t, pos), sizeT);
    const n = this.convert(this.rvalue(t.vla), sizeT);
    return { k: "binary", type: sizeT, op: "*", opType: sizeT, left: n, right: this.vlaSize(t.of, pos) };
  }

  /** A C library function the lowering calls: the program's declaration, or one made for it. */
  private runtimeFunction(name: string, type: FunctionType): Symbol {
    const declared = this.fileFunctions.get(name);
    if (declared) return declared;
    const sym: Symbol = { id: -1, kind: SymbolKind.Function, name, type, storage: "extern", global: true, defined: false, attrs: [], inline: false, threadLocal: false, builtin: false, pos: this.def!.pos };
    this.fileFunctions.set(name, sym);
    return sym;
  }

  /** The function a `cleanup(f)` attribute names, if there is one. */
  private cleanupFunction(attrs: readonly Attribute[], pos: SourcePosition): Symbol | null {
    const attr = attrs.find((a) => a.name === "cleanup");
    if (!attr) return null;
    const arg = attr.args[0];
    const name = typeof arg === "string" ? arg : arg?.kind === NodeKind.Ident ? arg.sym.name : null;
    const fn = name === null ? undefined : this.fileFunctions.get(name);
    if (!fn) throw new Unsupported(`cleanup attribute naming ${name ?? "no function"}, which is not a function declared at file scope`, pos);
    return fn;
  }

  /** Call the cleanups of the variables in scope at `from` and not at `to` (`to` is on `from`'s chain or null), innermost first. */
  private runCleanups(from: Cleanup | null, to: Cleanup | null): void {
    for (let c = from; c && c !== to; c = c.outer) {
      const fnType = c.fn.type as FunctionType;
      const param = fnType.prototyped ? fnType.params[0] : undefined;
      const args = [param ? this.convert(c.arg, decay(param.type)) : c.arg];
      const ret = fnType.ret;
      const dst = ret.kind === TypeKind.Void || ret.kind === TypeKind.Record ? null : this.temp(ret, "r");
      const dstAddr: Expr | null = ret.kind === TypeKind.Record ? { k: "local", type: pointerTo(ret), obj: this.tempObject(ret, c.pos) } : null;
      this.emit({ k: "call", dst, dstAddr, callee: { k: "global", type: pointerTo(c.fn.type), sym: c.fn }, args, fnType, pos: c.pos });
    }
  }

  private enterScope(): ScopeMark {
    return { cleanups: this.cleanups, declared: this.declared.length };
  }

  /** Fall out of a scope: the cleanups of the variables it declared run, and (`release`) its objects are free for later declarations. */
  private leaveScope(scope: ScopeMark, release = true): void {
    this.runCleanups(this.cleanups, scope.cleanups);
    this.cleanups = scope.cleanups;
    const ended = this.declared.splice(scope.declared);
    if (release) this.freeObjects.push(...ended);
  }

  /** Each goto that leaves cleanup scopes: the cleanups of what the label is outside of, then the jump. */
  private lowerPendingGotos(): void {
    for (const g of this.pendingGotos) {
      const at = new Set<Cleanup>();
      for (let c = this.labelScopes.get(g.label) ?? null; c; c = c.outer) at.add(c);
      let common: Cleanup | null = g.from;
      while (common && !at.has(common)) common = common.outer;
      this.cur = g.block;
      this.runCleanups(g.from, common);
      this.terminate({ k: "goto", target: this.labelBlock(g.label) });
    }
  }

  /** `value` held where nothing the statements after it do can change it (a register, or a temporary object for an aggregate). */
  private snapshot(value: Expr, pos: SourcePosition): Expr {
    if (value.type.kind === TypeKind.Record) {
      const obj = this.tempObject(value.type, pos);
      const addr: Expr = { k: "local", type: pointerTo(value.type), obj };
      this.emit({ k: "copy", dst: addr, src: this.aggregateAddress(value, value.type, pos), size: this.sizeOf(value.type, pos), type: value.type, pos });
      return { k: "load", type: value.type, addr };
    }
    const t = this.temp(value.type);
    this.emit({ k: "set", dst: t, value, pos });
    return { k: "var", type: value.type, v: t };
  }

  zeroObject(addr: Expr, type: CType, pos: SourcePosition): void {
    this.emit({ k: "zero", addr, size: this.sizeOf(type, pos), type, pos });
  }

  /** Store `init` into the (already zeroed when aggregate) object of `type` at `addr`. */
  initialize(addr: Expr, type: CType, init: AstExpr, pos: SourcePosition): void {
    if (type.kind === TypeKind.Array && init.kind === NodeKind.StringLit) {
      const elem = type.of;
      const esize = this.sizeOf(elem, pos);
      const n = type.length ?? init.units.length + 1;
      const count = Math.min(n, init.units.length + 1);
      const bytes = stringBytes(init.units, esize);
      this.emit({ k: "copy", dst: addr, src: { k: "string", type: pointerTo(elem), bytes, elem }, size: Math.min(count * esize, bytes.length), type, pos });
      return;
    }
    if (init.kind === NodeKind.InitList) {
      if (type.kind === TypeKind.Array || type.kind === TypeKind.Record) {
        this.initList(addr, type, init, pos);
        return;
      }
      const first = firstScalar(init);
      this.initialize(addr, type, first, pos);
      return;
    }
    if (type.kind === TypeKind.Record) {
      const src = this.addressOfValue(init);
      this.emit({ k: "copy", dst: addr, src, size: this.sizeOf(type, pos), type, pos });
      return;
    }
    if (type.kind === TypeKind.Array) throw new Unsupported("array initialized from a non-list expression", pos);
    this.emit({ k: "store", addr, type, value: this.convert(this.rvalue(init), type), pos });
  }

  /** Brace-enclosed initializer of an array or record, with designators and brace elision. */
  private initList(addr: Expr, type: CType, list: InitList, pos: SourcePosition): void {
    const cursor: InitCursor = { items: list.items, i: 0, skip: 0 };
    this.fillAggregate(cursor, addr, type, "top", pos);
    if (cursor.i < cursor.items.length) throw new Unsupported("initializer items out of order or in excess", pos);
  }

  /**
   * Fill one aggregate from the cursor. "top": the list's own aggregate (any
   * designator applies here); "designated": entered through the current
   * item's designator (which continues here); "nested": entered by brace
   * elision (a designated item ends it).
   */
  private fillAggregate(cursor: InitCursor, base: Expr, t: CType, mode: "top" | "designated" | "nested", pos: SourcePosition): void {
    const items = cursor.items;
    let acceptDesignator = mode !== "nested";
    const afterItem = (): void => {
      if (mode === "designated") acceptDesignator = false;
    };
    if (t.kind === TypeKind.Array) {
      const esize = this.sizeOf(t.of, pos);
      let index = 0;
      while (cursor.i < items.length) {
        const steps = designatorSteps(items[cursor.i]!).slice(cursor.skip);
        if (steps.length > 0) {
          if (!acceptDesignator) return;
          const step = steps[0]!;
          if (step.kind !== "index") throw new Unsupported("field designator in an array initializer", pos);
          index = Number(this.constInt(step.index));
          if (step.end !== null) {
            // GNU range `[lo ... hi] = v`: every element gets v
            if (steps.length > 1) throw new Unsupported("nested designator after a range", pos);
            const high = Number(this.constInt(step.end));
            const value = items[cursor.i++]!.value;
            cursor.skip = 0;
            for (; index <= high && (t.length === null || index < t.length); index++) {
              const at: Expr = { k: "ptradd", type: pointerTo(t.of), ptr: this.retype(base, pointerTo(t.of)), index: this.intConst(index), scale: esize };
              this.initialize(at, t.of, value, pos);
            }
            afterItem();
            continue;
          }
        }
        if (t.length !== null && index >= t.length) return;
        const elemAddr: Expr = { k: "ptradd", type: pointerTo(t.of), ptr: this.retype(base, pointerTo(t.of)), index: this.intConst(index), scale: esize };
        if (steps.length > 1) {
          cursor.skip++;
          this.fillAggregate(cursor, elemAddr, t.of, "designated", pos);
        } else {
          cursor.skip = 0;
          this.initMember(cursor, elemAddr, t.of, pos);
        }
        afterItem();
        index++;
      }
      return;
    }
    if (t.kind === TypeKind.Record) {
      const fields = (t.def.fields ?? []).filter((f) => f.name !== null || f.anonymous);
      let fi = 0;
      while (cursor.i < items.length) {
        const steps = designatorSteps(items[cursor.i]!).slice(cursor.skip);
        if (steps.length > 0) {
          if (!acceptDesignator) return;
          const step = steps[0]!;
          if (step.kind !== "field") throw new Unsupported("index designator in a struct initializer", pos);
          fi = fields.indexOf(step.field);
          if (fi < 0) throw new Unsupported("designator of an unnamed member", pos);
        } else if (fi >= fields.length) return;
        const f = fields[fi]!;
        if (steps.length > 1) {
          cursor.skip++;
          this.fillAggregate(cursor, this.fieldAddr(base, f), f.type, "designated", pos);
        } else if (f.bitWidth !== null) {
          cursor.skip = 0;
          const v = items[cursor.i++]!.value;
          this.emit({ k: "bitstore", addr: base, field: f, value: this.convert(this.rvalue(v), f.type), pos });
        } else {
          cursor.skip = 0;
          this.initMember(cursor, this.fieldAddr(base, f), f.type, pos);
        }
        afterItem();
        fi++;
        // a union takes one member, unless a designator names another one
        const next = items[cursor.i];
        if (t.def.union && !(next && acceptDesignator && designatorSteps(next).length > cursor.skip)) return;
      }
      return;
    }
    throw new Unsupported("initializer list for a scalar", pos);
  }

  /** Initialize one member: directly from the next item, or (brace elision) from the items that follow. */
  private initMember(cursor: InitCursor, addr: Expr, t: CType, pos: SourcePosition): void {
    const v = cursor.items[cursor.i]!.value;
    const direct =
      v.kind === NodeKind.InitList ||
      isScalar(t) ||
      (t.kind === TypeKind.Array && v.kind === NodeKind.StringLit) ||
      (t.kind === TypeKind.Record && v.type.kind === TypeKind.Record);
    if (direct) {
      cursor.i++;
      this.initialize(addr, t, v, pos);
    } else {
      this.fillAggregate(cursor, addr, t, "nested", pos);
    }
  }

  private fieldAddr(base: Expr, f: Field): Expr {
    return { k: "field", type: pointerTo(f.type), addr: base, field: f };
  }

  private retype(e: Expr, type: CType): Expr {
    return { ...e, type } as Expr;
  }

  private constInt(e: AstExpr): bigint {
    const v = this.rvalue(e);
    if (v.k !== "int") throw new Unsupported("non-constant designator", e.pos);
    return v.value;
  }

  // ---- conditions

  private condition(e: AstExpr, then: number, els: number): void {
    if (e.kind === NodeKind.Binary && e.op === "&&") {
      const mid = this.newBlock();
      this.condition(e.left, mid.id, els);
      this.cur = mid;
      this.condition(e.right, then, els);
      return;
    }
    if (e.kind === NodeKind.Binary && e.op === "||") {
      const mid = this.newBlock();
      this.condition(e.left, then, mid.id);
      this.cur = mid;
      this.condition(e.right, then, els);
      return;
    }
    if (e.kind === NodeKind.Unary && e.op === "!") {
      this.condition(e.operand, els, then);
      return;
    }
    const cond = this.rvalue(e);
    this.terminate({ k: "if", cond, then, else: els, pos: e.pos });
  }

  // ---- expressions

  /** Evaluate for side effects only. */
  private effect(e: AstExpr): void {
    switch (e.kind) {
      case NodeKind.Assign:
        this.assign(e, false);
        return;
      case NodeKind.Postfix:
        this.incdec(e.operand, e.op, true, false);
        return;
      case NodeKind.Call:
        this.call(e, false);
        return;
      case NodeKind.Comma:
        this.effect(e.left);
        this.effect(e.right);
        return;
      case NodeKind.Cast:
        this.effect(e.operand);
        return;
      case NodeKind.Generic:
        this.effect(e.assocs[e.selected]!.expr);
        return;
      case NodeKind.Conditional: {
        const then = this.newBlock();
        const els = this.newBlock();
        const join = this.newBlock();
        this.condition(e.cond, then.id, els.id);
        this.cur = then;
        if (e.then) this.effect(e.then);
        this.jumpTo(join);
        this.terminate({ k: "goto", target: join.id }, els);
        this.effect(e.else);
        this.jumpTo(join);
        return;
      }
      default:
        // `*pv` of a void pointer reads nothing: only the pointer is evaluated
        if (e.kind === NodeKind.Unary && e.op === "*" && e.type.kind === TypeKind.Void) {
          this.effect(e.operand);
          return;
        }
        if (e.type.kind === TypeKind.Void && e.kind !== NodeKind.StmtExpr && e.kind !== NodeKind.Builtin) throw new Unsupported("void expression", e.pos);
        this.rvalue(e);
    }
  }

  private intConst(value: bigint | number, type: CType = intType): Expr {
    return { k: "int", type, value: BigInt(value) };
  }

  /** Convert `e` to `type` (no-op when the types already agree). */
  private convert(e: Expr, type: CType): Expr {
    if (sameType(e.type, type)) return e;
    if (type.kind === TypeKind.Record || type.kind === TypeKind.Void) return e;
    return { k: "cast", type, arg: e };
  }

  /** The value of `e`: aggregates as a `load` of aggregate type, arrays/functions decayed to pointers. */
  rvalue(e: AstExpr): Expr {
    switch (e.kind) {
      case NodeKind.IntLit:
        return { k: "int", type: e.type, value: e.value };
      case NodeKind.FloatLit:
        if (e.type.kind === TypeKind.Float && e.type.rank === "ldouble") return { k: "float", type: doubleType, value: e.value };
        return { k: "float", type: e.type, value: e.value };
      case NodeKind.StringLit: {
        const elem = e.type.kind === TypeKind.Array ? e.type.of : intType;
        return { k: "string", type: pointerTo(elem), bytes: stringBytes(e.units, this.sizeOf(elem, e.pos)), elem };
      }
      case NodeKind.Ident: {
        const sym = e.sym;
        if (sym.kind === SymbolKind.EnumConst) return this.intConst(sym.value ?? 0n, e.type);
        if (sym.kind === SymbolKind.Function) return { k: "global", type: pointerTo(sym.type), sym };
        return this.readLValue(this.lvalue(e));
      }
      case NodeKind.Unary:
        return this.unary(e);
      case NodeKind.Postfix:
        return this.incdec(e.operand, e.op, true, true)!;
      case NodeKind.Binary:
        return this.binary(e);
      case NodeKind.Assign:
        return this.assign(e, true)!;
      case NodeKind.Conditional:
        return this.conditional(e);
      case NodeKind.Comma:
        this.effect(e.left);
        return this.rvalue(e.right);
      case NodeKind.Call:
        return this.call(e, true)!;
      case NodeKind.Index:
      case NodeKind.Member:
      case NodeKind.CompoundLiteral:
        return this.readLValue(this.lvalue(e));
      case NodeKind.Cast: {
        if (e.type.kind === TypeKind.Void) {
          this.effect(e.operand);
          return this.intConst(0);
        }
        return this.convert(this.rvalue(e.operand), e.type);
      }
      case NodeKind.SizeofExpr: {
        const t = e.operand.type;
        if (t.kind !== TypeKind.Array || !t.vla) return this.intConst(this.sizeOf(t, e.pos), e.type);
        const slot = e.operand.kind === NodeKind.Ident ? this.bySym.get(e.operand.sym) : undefined;
        if (slot?.k === "vla") return this.convert({ k: "var", type: slot.size.type, v: slot.size }, e.type);
        return this.convert(this.vlaSize(t, e.pos), e.type);
      }
      case NodeKind.SizeofType:
        if (e.of.kind !== TypeKind.Array || !e.of.vla) return this.intConst(this.sizeOf(e.of, e.pos), e.type);
        return this.convert(this.vlaSize(e.of, e.pos), e.type);
      case NodeKind.AlignofExpr:
        return this.intConst(this.abi.alignOf(e.operand.type), e.type);
      case NodeKind.AlignofType:
        return this.intConst(this.abi.alignOf(e.of), e.type);
      case NodeKind.StmtExpr: {
        const scope = this.enterScope();
        const items = e.body.items;
        const last = items[items.length - 1];
        for (const item of items.slice(0, -1)) this.statement(item);
        let value = this.intConst(0);
        if (last && last.kind === NodeKind.ExprStmt && e.type.kind !== TypeKind.Void) value = this.rvalue(last.expr);
        else if (last) this.statement(last);
        if (this.cleanups !== scope.cleanups) value = this.snapshot(value, e.pos);
        // the value may read an object of the statement expression after it ends: its objects are not given to later declarations
        this.leaveScope(scope, false);
        return value;
      }
      case NodeKind.Generic:
        return this.rvalue(e.assocs[e.selected]!.expr);
      case NodeKind.Builtin:
        return this.builtin(e);
      case NodeKind.LabelAddr:
        throw new Unsupported("label address", e.pos);
      case NodeKind.InitList:
        throw new Unsupported("initializer list used as a value", e.pos);
    }
  }

  private builtin(e: AstExpr & { kind: NodeKind.Builtin }): Expr {
    switch (e.name) {
      case "__builtin_expect":
        return this.convert(this.rvalue(e.args[0]!), e.type);
      case "__builtin_constant_p":
        this.effect(e.args[0]!);
        return this.intConst(0, e.type);
      case "__builtin_va_start":
      case "__builtin_va_arg":
      case "__builtin_va_end":
      case "__builtin_va_copy":
        return this.vaOperation(e.name, e);
      default:
        throw new Unsupported(`builtin ${e.name}`, e.pos);
    }
  }

  /**
   * `va_start`, `va_arg`, `va_end`, `va_copy`: a call of the builtin with
   * the address of each va_list operand (an object in memory, see
   * collectAddressTaken). The va_list is the target's calling-convention
   * state, which the specializer does not model: the call is residual code
   * that may read and write the va_list, and residualize.ts prints the
   * builtin back (va_start with the residual function's last parameter,
   * va_arg with its type from the call's return type).
   */
  private vaOperation(name: VaBuiltin, e: AstExpr & { kind: NodeKind.Builtin }): Expr {
    const operands = name === "__builtin_va_copy" ? e.args : e.args.slice(0, 1);
    const args = operands.map((a) => {
      const lv = this.lvalue(a);
      if (lv.k !== "mem") throw new Unsupported(`${name} of a va_list that is not an object in memory`, a.pos);
      return lv.addr;
    });
    const ret = name === "__builtin_va_arg" ? e.typeArgs[0]! : voidType;
    const fnType: FunctionType = { kind: TypeKind.Function, ret, params: args.map((a) => ({ name: null, type: a.type })), variadic: false, prototyped: true, quals: 0 };
    const sym: Symbol = { id: -1, kind: SymbolKind.Function, name, type: fnType, storage: "extern", global: true, defined: false, attrs: [], inline: false, threadLocal: false, builtin: true, pos: e.pos };
    const callee: Expr = { k: "global", type: pointerTo(fnType), sym };
    if (ret.kind === TypeKind.Void) {
      this.emit({ k: "call", dst: null, dstAddr: null, callee, args, fnType, pos: e.pos });
      return this.intConst(0);
    }
    if (ret.kind === TypeKind.Record) {
      const addr: Expr = { k: "local", type: pointerTo(ret), obj: this.tempObject(ret, e.pos) };
      this.emit({ k: "call", dst: null, dstAddr: addr, callee, args, fnType, pos: e.pos });
      return { k: "load", type: ret, addr };
    }
    const dst = this.temp(ret, "r");
    this.emit({ k: "call", dst, dstAddr: null, callee, args, fnType, pos: e.pos });
    return { k: "var", type: ret, v: dst };
  }

  private readLValue(lv: LValue): Expr {
    if (lv.k === "var") return { k: "var", type: lv.v.type, v: lv.v };
    if (lv.k === "bit") return { k: "bitload", type: lv.type, addr: lv.addr, field: lv.field };
    const t = lv.type;
    if (t.kind === TypeKind.Array) return this.retype(lv.addr, pointerTo(t.of));
    if (t.kind === TypeKind.Function) return this.retype(lv.addr, pointerTo(t));
    return { k: "load", type: t, addr: lv.addr };
  }

  private writeLValue(lv: LValue, value: Expr, pos: SourcePosition): void {
    if (lv.k === "var") this.emit({ k: "set", dst: lv.v, value, pos });
    else if (lv.k === "bit") this.emit({ k: "bitstore", addr: lv.addr, field: lv.field, value, pos });
    else if (lv.type.kind === TypeKind.Record) {
      this.emit({ k: "copy", dst: lv.addr, src: this.aggregateAddress(value, lv.type, pos), size: this.sizeOf(lv.type, pos), type: lv.type, pos });
    } else this.emit({ k: "store", addr: lv.addr, type: lv.type, value, pos });
  }

  /** The address holding an aggregate value (a `load` of aggregate type). */
  private aggregateAddress(value: Expr, type: CType, pos: SourcePosition): Expr {
    if (value.k === "load") return value.addr;
    throw new Unsupported(`aggregate value of type ${TypeKind[type.kind]} not in memory`, pos);
  }

  private addressOfValue(e: AstExpr): Expr {
    return this.aggregateAddress(this.rvalue(e), e.type, e.pos);
  }

  lvalue(e: AstExpr): LValue {
    switch (e.kind) {
      case NodeKind.Ident: {
        const sym = e.sym;
        if (sym.kind === SymbolKind.Function) return { k: "mem", addr: { k: "global", type: pointerTo(sym.type), sym }, type: sym.type };
        const slot = this.bySym.get(sym);
        if (slot?.k === "var") return { k: "var", v: slot.v };
        if (slot?.k === "local") return { k: "mem", addr: { k: "local", type: pointerTo(sym.type), obj: slot.obj }, type: sym.type };
        if (slot?.k === "vla") return { k: "mem", addr: { k: "var", type: pointerTo(sym.type), v: slot.storage }, type: sym.type };
        // `__func__` (the front end's predefined identifier): the function's name, a string literal of the original's
        if (sym.builtin && sym.name === "__func__" && this.def) {
          const elem = (sym.type as CType & { kind: TypeKind.Array }).of;
          return { k: "mem", addr: { k: "string", type: pointerTo(elem), bytes: stringBytes([...new TextEncoder().encode(this.def.sym.name)], 1), elem }, type: sym.type };
        }
        if (!sym.global && sym.storage !== "static" && sym.storage !== "extern") throw new Unsupported(`unknown local ${sym.name}`, e.pos);
        return { k: "mem", addr: { k: "global", type: pointerTo(sym.type), sym }, type: sym.type };
      }
      case NodeKind.Unary:
        if (e.op === "*") {
          const p = this.rvalue(e.operand);
          return { k: "mem", addr: p, type: e.type };
        }
        break;
      case NodeKind.Index: {
        let base = e.base;
        let index = e.index;
        if (decay(base.type).kind !== TypeKind.Pointer) [base, index] = [index, base];
        const p = this.rvalue(base);
        const i = this.rvalue(index);
        const scale = this.sizeOf(e.type, e.pos);
        return { k: "mem", addr: { k: "ptradd", type: pointerTo(e.type), ptr: p, index: i, scale }, type: e.type };
      }
      case NodeKind.Member: {
        let addr: Expr;
        if (e.arrow) addr = this.rvalue(e.base);
        else {
          const lv = this.lvalue(e.base);
          if (lv.k !== "mem") {
            if (lv.k === "var") throw new Unsupported("member of a register", e.pos);
            throw new Unsupported("member of a bit-field", e.pos);
          }
          addr = lv.addr;
        }
        const path = e.path;
        for (const f of path.slice(0, -1)) addr = this.fieldAddr(addr, f);
        const last = path[path.length - 1]!;
        if (last.bitWidth !== null) return { k: "bit", addr, field: last, type: e.type };
        return { k: "mem", addr: this.fieldAddr(addr, last), type: e.type };
      }
      case NodeKind.CompoundLiteral: {
        const obj = this.tempObject(e.type, e.pos);
        const addr: Expr = { k: "local", type: pointerTo(e.type), obj };
        if (!isScalar(e.type)) this.zeroObject(addr, e.type, e.pos);
        this.initialize(addr, e.type, e.init, e.pos);
        return { k: "mem", addr, type: e.type };
      }
      case NodeKind.StringLit: {
        const v = this.rvalue(e);
        return { k: "mem", addr: v, type: e.type };
      }
      case NodeKind.Call:
      case NodeKind.Assign:
      case NodeKind.Conditional:
      case NodeKind.Comma:
      case NodeKind.StmtExpr:
      case NodeKind.Builtin:
        if (e.type.kind === TypeKind.Record) {
          const v = this.rvalue(e);
          return { k: "mem", addr: this.aggregateAddress(v, e.type, e.pos), type: e.type };
        }
        break;
      default:
        break;
    }
    throw new Unsupported(`not an lvalue (${NodeKind[e.kind]})`, e.pos);
  }

  private unary(e: AstExpr & { kind: NodeKind.Unary }): Expr {
    switch (e.op) {
      case "&": {
        const op = e.operand;
        if (op.kind === NodeKind.Ident && op.sym.kind === SymbolKind.Function) return { k: "global", type: e.type, sym: op.sym };
        const lv = this.lvalue(op);
        if (lv.k !== "mem") throw new Unsupported("address of a register or bit-field", e.pos);
        return this.retype(lv.addr, e.type);
      }
      case "*": {
        const lv = this.lvalue(e);
        return this.readLValue(lv);
      }
      case "+":
        return this.convert(this.rvalue(e.operand), e.type);
      case "-":
      case "~":
        return { k: "unary", type: e.type, op: e.op, arg: this.convert(this.rvalue(e.operand), e.type) };
      case "!": {
        const v = this.rvalue(e.operand);
        return { k: "binary", type: e.type, op: "==", opType: v.type, left: v, right: this.zeroOf(v.type) };
      }
      case "++":
      case "--":
        return this.incdec(e.operand, e.op, false, true)!;
      default:
        throw new Unsupported(`operator ${e.op}`, e.pos);
    }
  }

  private zeroOf(t: CType): Expr {
    if (t.kind === TypeKind.Float) return { k: "float", type: t, value: 0 };
    if (t.kind === TypeKind.Pointer) return { k: "cast", type: t, arg: this.intConst(0) };
    return { k: "int", type: t, value: 0n };
  }

  private incdec(target: AstExpr, op: "++" | "--", postfix: boolean, wantValue: boolean): Expr | null {
    const lv = this.lvalue(target);
    const t = target.type;
    const old = this.readLValue(lv);
    const oldVar = this.temp(t);
    this.emit({ k: "set", dst: oldVar, value: old, pos: target.pos });
    const oldRef: Expr = { k: "var", type: t, v: oldVar };
    let next: Expr;
    if (t.kind === TypeKind.Pointer) {
      next = { k: "ptradd", type: t, ptr: oldRef, index: this.intConst(op === "++" ? 1 : -1), scale: this.sizeOf(t.to, target.pos) };
    } else {
      const ot = t.kind === TypeKind.Float ? t : this.abi.promote(t);
      const one: Expr = t.kind === TypeKind.Float ? { k: "float", type: t, value: 1 } : { k: "int", type: ot, value: 1n };
      next = this.convert({ k: "binary", type: ot, op: op === "++" ? "+" : "-", opType: ot, left: this.convert(oldRef, ot), right: one }, t);
    }
    if (postfix || !wantValue) {
      this.writeLValue(lv, next, target.pos);
      return wantValue ? oldRef : null;
    }
    const nv = this.temp(t);
    this.emit({ k: "set", dst: nv, value: next, pos: target.pos });
    this.writeLValue(lv, { k: "var", type: t, v: nv }, target.pos);
    return { k: "var", type: t, v: nv };
  }

  private binary(e: AstExpr & { kind: NodeKind.Binary }): Expr {
    if (e.op === "&&" || e.op === "||") {
      const r = this.temp(intType);
      const then = this.newBlock();
      const els = this.newBlock();
      const join = this.newBlock();
      this.condition(e, then.id, els.id);
      this.cur = then;
      this.emit({ k: "set", dst: r, value: this.intConst(1), pos: e.pos });
      this.jumpTo(join);
      this.terminate({ k: "goto", target: join.id }, els);
      this.emit({ k: "set", dst: r, value: this.intConst(0), pos: e.pos });
      this.jumpTo(join);
      return this.convert({ k: "var", type: intType, v: r }, e.type);
    }
    const left = this.rvalue(e.left);
    const right = this.rvalue(e.right);
    return this.arith(e.op, left, right, e.opType, e.type, e.pos);
  }

  private arith(op: string, left: Expr, right: Expr, opType: CType, type: CType, pos: SourcePosition): Expr {
    const lp = left.type.kind === TypeKind.Pointer;
    const rp = right.type.kind === TypeKind.Pointer;
    if ((op === "+" || op === "-") && (lp || rp)) {
      if (lp && rp) {
        const pt = left.type as CType & { kind: TypeKind.Pointer };
        return this.convert({ k: "ptrdiff", type: this.abi.ptrdiffType(), left, right, scale: Math.max(1, this.sizeOf(pt.to, pos)) }, type);
      }
      const [p, i] = lp ? [left, right] : [right, left];
      const pt = p.type as CType & { kind: TypeKind.Pointer };
      const scale = pt.to.kind === TypeKind.Void || pt.to.kind === TypeKind.Function ? 1 : this.sizeOf(pt.to, pos);
      const index = op === "-" ? ({ k: "unary", type: this.promoteIndex(i.type), op: "-", arg: this.convert(i, this.promoteIndex(i.type)) } as Expr) : i;
      return this.retype({ k: "ptradd", type: p.type, ptr: p, index, scale }, type);
    }
    const bop = op as Expr & { k: "binary" } extends { op: infer O } ? O : never;
    const comparison = op === "<" || op === ">" || op === "<=" || op === ">=" || op === "==" || op === "!=";
    const shift = op === "<<" || op === ">>";
    const l = this.convert(left, opType);
    const r = shift ? this.convert(right, this.abi.promote(right.type)) : this.convert(right, opType);
    const result: Expr = { k: "binary", type: comparison ? intType : opType, op: bop, opType, left: l, right: r };
    return this.convert(result, type);
  }

  private promoteIndex(t: CType): CType {
    const p = this.abi.promote(t);
    return p.kind === TypeKind.Int && p.rank === "int" && !p.signed ? this.abi.ptrdiffType() : p;
  }

  private assign(e: AstExpr & { kind: NodeKind.Assign }, wantValue: boolean): Expr | null {
    const t = e.target.type;
    if (t.kind === TypeKind.Record) {
      const src = this.addressOfValue(e.value);
      const lv = this.lvalue(e.target);
      if (lv.k !== "mem") throw new Unsupported("aggregate assignment to a register", e.pos);
      this.emit({ k: "copy", dst: lv.addr, src, size: this.sizeOf(t, e.pos), type: t, pos: e.pos });
      return wantValue ? { k: "load", type: t, addr: lv.addr } : null;
    }
    const lv = this.lvalue(e.target);
    let value: Expr;
    if (e.op === "=") value = this.convert(this.rvalue(e.value), t);
    else {
      const rhs = this.rvalue(e.value);
      const cur = this.readLValue(lv);
      value = this.convert(this.arith(e.op.slice(0, -1), cur, rhs, e.opType, e.opType, e.pos), t);
    }
    if (!wantValue && lv.k !== "bit") {
      this.writeLValue(lv, value, e.pos);
      return null;
    }
    const tmp = this.temp(t);
    this.emit({ k: "set", dst: tmp, value, pos: e.pos });
    const ref: Expr = { k: "var", type: t, v: tmp };
    this.writeLValue(lv, ref, e.pos);
    if (lv.k === "bit") return wantValue ? this.readLValue(lv) : null;
    return ref;
  }

  private conditional(e: AstExpr & { kind: NodeKind.Conditional }): Expr {
    if (e.type.kind === TypeKind.Record) return this.aggregateConditional(e);
    const isVoid = e.type.kind === TypeKind.Void;
    const r = isVoid ? null : this.temp(decay(e.type));
    const then = this.newBlock();
    const els = this.newBlock();
    const join = this.newBlock();
    if (e.then === null) {
      const c = this.temp(decay(e.cond.type));
      this.emit({ k: "set", dst: c, value: this.rvalue(e.cond), pos: e.pos });
      const cref: Expr = { k: "var", type: c.type, v: c };
      this.terminate({ k: "if", cond: cref, then: then.id, else: els.id, pos: e.pos }, then);
      if (r) this.emit({ k: "set", dst: r, value: this.convert(cref, r.type), pos: e.pos });
    } else {
      this.condition(e.cond, then.id, els.id);
      this.cur = then;
      if (r) this.emit({ k: "set", dst: r, value: this.convert(this.rvalue(e.then), r.type), pos: e.pos });
      else this.effect(e.then);
    }
    this.jumpTo(join);
    this.terminate({ k: "goto", target: join.id }, els);
    if (r) this.emit({ k: "set", dst: r, value: this.convert(this.rvalue(e.else), r.type), pos: e.pos });
    else this.effect(e.else);
    this.jumpTo(join);
    return r ? { k: "var", type: r.type, v: r } : this.intConst(0);
  }

  /** `c ? a : b` of struct type: each branch copies its operand into one temporary. */
  private aggregateConditional(e: AstExpr & { kind: NodeKind.Conditional }): Expr {
    const obj = this.tempObject(e.type, e.pos);
    const addr: Expr = { k: "local", type: pointerTo(e.type), obj };
    const size = this.sizeOf(e.type, e.pos);
    const then = this.newBlock();
    const els = this.newBlock();
    const join = this.newBlock();
    if (e.then === null) throw new Unsupported("GNU ?: of aggregate type", e.pos);
    this.condition(e.cond, then.id, els.id);
    this.cur = then;
    this.emit({ k: "copy", dst: addr, src: this.addressOfValue(e.then), size, type: e.type, pos: e.pos });
    this.terminate({ k: "goto", target: join.id }, els);
    this.emit({ k: "copy", dst: addr, src: this.addressOfValue(e.else), size, type: e.type, pos: e.pos });
    this.jumpTo(join);
    return { k: "load", type: e.type, addr };
  }

  private call(e: AstExpr & { kind: NodeKind.Call }, wantValue: boolean): Expr | null {
    let callee: Expr;
    const c = e.callee;
    if (c.kind === NodeKind.Ident && c.sym.kind === SymbolKind.Function) callee = { k: "global", type: pointerTo(c.sym.type), sym: c.sym };
    else callee = this.rvalue(c);
    const fnType: FunctionType = e.fnType;
    const args = e.args.map((a, i) => {
      const v = this.rvalue(a);
      if (a.type.kind === TypeKind.Record) return v;
      const p = fnType.prototyped ? fnType.params[i] : undefined;
      if (p) return this.convert(v, decay(p.type));
      return this.convert(v, this.defaultPromotion(v.type));
    });
    const ret = fnType.ret;
    if (ret.kind === TypeKind.Void) {
      this.emit({ k: "call", dst: null, dstAddr: null, callee, args, fnType, pos: e.pos });
      return wantValue ? this.intConst(0) : null;
    }
    if (ret.kind === TypeKind.Record) {
      const obj = this.tempObject(ret, e.pos);
      const addr: Expr = { k: "local", type: pointerTo(ret), obj };
      this.emit({ k: "call", dst: null, dstAddr: addr, callee, args, fnType, pos: e.pos });
      return { k: "load", type: ret, addr };
    }
    const dst = this.temp(ret, "r");
    this.emit({ k: "call", dst, dstAddr: null, callee, args, fnType, pos: e.pos });
    return { k: "var", type: ret, v: dst };
  }

  private defaultPromotion(t: CType): CType {
    if (t.kind === TypeKind.Float && t.rank === "float") return doubleType;
    if (t.kind === TypeKind.Float) return t;
    if (t.kind === TypeKind.Pointer) return t;
    return this.abi.promote(t);
  }
}

function firstScalar(list: InitList): AstExpr {
  const first = list.items[0];
  if (!first) return { kind: NodeKind.IntLit, value: 0n, type: intType, pos: list.pos };
  return first.value.kind === NodeKind.InitList ? firstScalar(first.value) : first.value;
}

function stringBytes(units: number[], esize: number): Uint8Array {
  const out = new Uint8Array((units.length + 1) * esize);
  units.forEach((u, i) => {
    for (let b = 0; b < esize; b++) out[i * esize + b] = (u >>> (8 * b)) & 0xff;
  });
  return out;
}

function sameType(a: CType, b: CType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case TypeKind.Int: {
      const y = b as typeof a;
      return a.rank === y.rank && a.signed === y.signed;
    }
    case TypeKind.Float:
      return a.rank === (b as typeof a).rank;
    case TypeKind.Pointer:
      // `(u8_t *)p + 16` steps in bytes: a conversion to another pointee is kept
      return sameType(a.to, (b as typeof a).to);
    case TypeKind.Record:
      return a.def === (b as typeof a).def;
    case TypeKind.Enum:
      return a.def === (b as typeof a).def;
    case TypeKind.Bool:
    case TypeKind.Void:
      return true;
    default:
      return false;
  }
}

/** Two object types one object can hold in turn (same type, arrays of the same length of it). */
function sameObjectType(a: CType, b: CType): boolean {
  if (a.kind === TypeKind.Array && b.kind === TypeKind.Array) return a.length !== null && a.length === b.length && !a.vla && !b.vla && sameObjectType(a.of, b.of);
  // the residual declares the object with the first declaration's type: qualifiers must agree too
  return a.kind !== TypeKind.Array && a.kind !== TypeKind.Function && a.quals === b.quals && sameType(a, b);
}

/** Symbols whose address is taken somewhere in the body: by `&x`, or as a va_list operand of a <stdarg.h> builtin (lowered to a call with its address). */
function collectAddressTaken(node: unknown, out: Set<Symbol>): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const n of node) collectAddressTaken(n, out);
    return;
  }
  const n = node as AstExpr;
  const addressed = n.kind === NodeKind.Unary && n.op === "&" ? [n.operand] : n.kind === NodeKind.Builtin && VA_BUILTINS.has(n.name) ? n.args.slice(0, n.name === "__builtin_va_copy" ? 2 : 1) : [];
  for (let target of addressed) {
    while (target.kind === NodeKind.Member && !target.arrow) target = target.base;
    while (target.kind === NodeKind.Index && decay(target.base.type).kind !== TypeKind.Pointer) target = target.base;
    if (target.kind === NodeKind.Ident) out.add(target.sym);
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === "type" || key === "sym" || key === "pos" || key === "fnType" || key === "opType" || key === "path") continue;
    if (value && typeof value === "object") collectAddressTaken(value, out);
  }
}
