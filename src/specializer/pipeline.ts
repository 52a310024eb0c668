// The specializer end to end: program + scenario + context -> residual C and
// a report. Checks the scenario against the program (unknown names, static
// values of the wrong type, pointers outside the memory provided) first.
// What depends on the program alone (its IR, its globals, their
// initializers) is prepared once per program and target and shared, frozen,
// by every run: a server specializes the same firmware for every request,
// several times per request (once more after each device-memory miss).
import { Abi } from "../c/abi.ts";
import { type Expr as AstExpr, type Declaration, NodeKind, type Program, type Symbol, SymbolKind } from "../c/ast.ts";
import { printExpr } from "../c/printer.ts";
import { type CType, TypeKind, findField, isScalar } from "../c/types.ts";
import type { Target } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import { BTA_VERSION, type BindingTimeAnalysis, analyzeBindingTimes, irFingerprint, scenarioKey } from "./bta.ts";
import { type Block, type Expr, type IrFunction, type UnloweredFunction, freezeFunction, operands, stmtOperands, termOperands } from "./ir.ts";
import { lowerGlobalInit, lowerProgram } from "./lower.ts";
import { type DeviceMemory, FROZEN, ImageMemory, type MemObject, MemoryStore, NO_OWNER, type PointerValue, newObject, writeFloat, writeInt } from "./memory.ts";
import { CPrinter, type ResidualGlobal, type StructureReport, printUnit, simplify } from "./residualize.ts";
import { type BindingSpec, type Context, type FirmwareObject, type Scenario, type StaticValue, emptyContext } from "./scenario.ts";
import { ObjectTable, type ResidualFunction, Specializer, type SpecializeStats, type Value } from "./specialize.ts";

export interface SpecializeInput {
  program: Program;
  target: Target;
  scenario: Scenario;
  context?: Context;
  /** Device memory behind static pointers given by address; the context's regions when absent. */
  device?: DeviceMemory;
  /** The program is the device's firmware: residual code declares its globals extern (never defines copies) and calls its functions with external linkage instead of printing generic copies. */
  deviceGlobals?: boolean;
  /** The program's function at a device address (the firmware's symbol table): calls through such addresses unfold. */
  deviceFunction?: (address: number) => string | undefined;
}

export interface SpecializeReport {
  entry: string;
  residualName: string;
  analysisMs: number;
  specializationMs: number;
  residualBytes: number;
  functions: { specialized: string[]; generic: string[]; unlowered: { name: string; reason: string }[] };
  stats: SpecializeStats;
  /** What of the residual control flow stayed labels and gotos. */
  structure: StructureReport;
  guards: Scenario["guards"];
}

export interface SpecializeResult {
  code: string;
  report: SpecializeReport;
  /** Binding time per source position from the offline analysis of the scenario: the same for every context (see btaview.ts). */
  bindingTimes: { pos: import("../errors.ts").SourcePosition; bt: "S" | "D" }[];
  /** What this specialization did per source position: dynamic where it left residual code. */
  observed: { pos: import("../errors.ts").SourcePosition; bt: "S" | "D" }[];
}

const now = (): number => performance.now();

function fail(path: string, message: string): never {
  throw new BespokeError("BAD_SCENARIO", `${path}: ${message}`);
}

/** What specializing a program needs that depends on neither the scenario nor the context. Read-only: every run of the program shares it. */
export interface PreparedProgram {
  abi: Abi;
  /** The lowered functions, frozen (specialize.ts computes liveness, control relevance and register sources once per IrFunction). */
  functions: ReadonlyMap<string, IrFunction>;
  unlowered: ReadonlyMap<string, UnloweredFunction>;
  /** Global objects (and static locals) by name, with their initializers. */
  globals: ReadonlyMap<string, GlobalInfo>;
  /** Every defined global's initializer as one function, run statically at the start of each specialization; or the error of the first that cannot be. */
  init: IrFunction | BespokeError;
  /**
   * Globals whose initializer the specializer cannot evaluate (a long double
   * constant: it computes in doubles), with that initializer: they are
   * dynamic in every scenario and the residual defines them with the
   * initializer as written.
   */
  opaque: ReadonlyMap<string, AstExpr>;
  /** The functions that call a returns-twice function (setjmp...): they are never unfolded (`specializeProgram`). */
  returnsTwice: ReadonlySet<string>;
  /** The functions the program defines by C99 inline definitions only (`inlineDefinitions`). */
  inlineOnly: ReadonlySet<string>;
}

const preparedPrograms = new WeakMap<Program, Map<Target, PreparedProgram>>();

/** The program prepared for specialization on `target`: built on first use, then the same object for as long as the program lives. The program must not change afterwards. */
export function prepareProgram(program: Program, target: Target): PreparedProgram {
  let byTarget = preparedPrograms.get(program);
  if (!byTarget) preparedPrograms.set(program, (byTarget = new Map()));
  let prepared = byTarget.get(target);
  if (!prepared) {
    const abi = new Abi(target);
    const ir = lowerProgram(program, abi);
    const globals = collectGlobals(program);
    let init = globalInitializer(abi, globals, new Set());
    let opaque = new Map<string, AstExpr>();
    if (!(init instanceof BespokeError)) {
      const found = opaqueGlobals(abi, globals, init);
      if (found instanceof BespokeError) init = found;
      else if (found.size > 0) {
        opaque = found;
        init = globalInitializer(abi, globals, new Set(found.keys()));
      }
    }
    for (const fn of ir.functions.values()) freezeFunction(fn);
    if (!(init instanceof BespokeError)) freezeFunction(init);
    prepared = { abi, functions: ir.functions, unlowered: ir.unlowered, globals, init, opaque, returnsTwice: returnsTwiceCallers(ir.functions), inlineOnly: inlineDefinitions(program) };
    byTarget.set(target, prepared);
  }
  return prepared;
}

const analyses = new WeakMap<Program, Map<string, BindingTimeAnalysis>>();
const fingerprints = new WeakMap<PreparedProgram, string>();

function analysesOf(program: Program): Map<string, BindingTimeAnalysis> {
  let byKey = analyses.get(program);
  if (!byKey) analyses.set(program, (byKey = new Map()));
  return byKey;
}

function fingerprintOf(prepared: PreparedProgram): string {
  let f = fingerprints.get(prepared);
  if (f === undefined) fingerprints.set(prepared, (f = irFingerprint(prepared.functions)));
  return f;
}

/**
 * The binding-time analysis of `program` on `target` under `scenario` (bta.ts):
 * computed on first use, then the same object for every context of the
 * scenario (and every scenario with the same binding times).
 */
export function bindingTimeAnalysis(program: Program, target: Target, scenario: Scenario): BindingTimeAnalysis {
  const byKey = analysesOf(program);
  const key = `${target}|${scenarioKey(scenario)}`;
  let bta = byKey.get(key);
  if (!bta) byKey.set(key, (bta = analyzeBindingTimes(prepareProgram(program, target), scenario)));
  return bta;
}

/** Give the analyses made at build time (src/device/prepare.ts) to the runs on `program`; an analysis of another IR or format is left out (and made again when needed). */
export function provideBindingTimes(program: Program, target: Target, given: BindingTimeAnalysis[]): void {
  const fingerprint = fingerprintOf(prepareProgram(program, target));
  const byKey = analysesOf(program);
  for (const bta of given) if (bta.version === BTA_VERSION && bta.ir === fingerprint) byKey.set(`${target}|${bta.scenario}`, bta);
}

const views = new WeakMap<BindingTimeAnalysis, SpecializeResult["bindingTimes"]>();

/** The binding-time view of a (program, scenario): what every specialization under it reports as `bindingTimes`, without running one. */
export function bindingTimesOf(program: Program, target: Target, scenario: Scenario): SpecializeResult["bindingTimes"] {
  return bindingTimeView(bindingTimeAnalysis(program, target, scenario));
}

/** The binding-time view of an analysis (one array per analysis: runs do not copy it). */
function bindingTimeView(bta: BindingTimeAnalysis): SpecializeResult["bindingTimes"] {
  let view = views.get(bta);
  if (!view) views.set(bta, (view = bta.positions.map((p) => ({ pos: { file: p.file, line: p.line, column: p.column }, bt: p.bt }))));
  return view;
}

const genericLookups = new WeakMap<BindingTimeAnalysis, (fn: string, block: number) => readonly number[] | undefined>();

/** For each function with a generic (all-dynamic) variant: registers dynamic on entry to its join blocks. */
function genericDynamics(bta: BindingTimeAnalysis): (fn: string, block: number) => readonly number[] | undefined {
  let lookup = genericLookups.get(bta);
  if (!lookup) {
    const byFn = new Map<string, Record<string, number[]>>();
    for (const [name, id] of Object.entries(bta.generic)) {
      const at = bta.variants[id]?.dynamicAt;
      if (at) byFn.set(name, at);
    }
    genericLookups.set(bta, (lookup = (fn, block) => byFn.get(fn)?.[block]));
  }
  return lookup;
}

export function specializeProgram(input: SpecializeInput): SpecializeResult {
  const t0 = now();
  const { program } = input;
  const context = input.context ?? emptyContext();
  const ir = prepareProgram(program, input.target);
  const { abi, globals } = ir;
  const around = input.scenario.entry === "main" ? runAroundMain(ir) : new Map<string, string>();
  const aroundScenario = around.size > 0 ? withDynamicGlobals(input.scenario, globalsReached(ir, [...around.keys()])) : input.scenario;
  const opaqueScenario = ir.opaque.size > 0 ? withDynamicGlobals(aroundScenario, new Set([...ir.opaque.keys()].map((key) => globals.get(key)!.sym.name))) : aroundScenario;
  // what the program's top-level asm names (the firmware's is on the device already): the assembler reads and writes those globals behind the C code
  const asmNamed = input.deviceGlobals ? new Set<string>() : namedByAsm(program);
  const asmGlobals = new Set([...asmNamed].filter((name) => globals.has(name)));
  const asmScenario = asmGlobals.size > 0 ? withDynamicGlobals(opaqueScenario, asmGlobals) : opaqueScenario;
  // a function that calls setjmp is resumed by longjmp with whatever memory holds then: it is never unfolded and runs generic (the entry: every global dynamic)
  const twice = ir.returnsTwice;
  const twiceScenario = twice.size > 0 ? { ...asmScenario, functions: { ...asmScenario.functions, ...Object.fromEntries([...twice].map((name) => [name, "dynamic" as const])) } } : asmScenario;
  const scenario = twice.has(twiceScenario.entry) ? withDynamicGlobals(twiceScenario, null) : twiceScenario;

  const entry = ir.functions.get(scenario.entry);
  if (!entry) {
    const un = ir.unlowered.get(scenario.entry);
    if (un) throw new BespokeError("UNSUPPORTED", `cannot specialize ${un.name}: ${un.reason}`, un.pos);
    const names = [...ir.functions.keys()].slice(0, 12).join(", ");
    fail("scenario.entry", `no function named '${scenario.entry}' is defined in the program (defined: ${names})`);
  }
  const paramNames = entry.def.params.map((p) => p.name);
  for (const name of Object.keys(scenario.params)) {
    if (!paramNames.includes(name)) fail(`scenario.params.${name}`, `function ${entry.name} has no parameter '${name}' (it has: ${paramNames.join(", ")})`);
  }
  for (const name of Object.keys(context.params)) {
    if (!paramNames.includes(name)) fail(`context.params.${name}`, `function ${entry.name} has no parameter '${name}'`);
  }
  const bta = bindingTimeAnalysis(program, input.target, scenario);
  const t1 = now();

  // every global object of the program, with its initial contents
  const device = input.device ?? new ImageMemory(context.memory);
  const { objects, globalIds, globalsById, residualNames, lookupGlobal } = globalTable(ir);
  const initials = initialState(ir);
  const initial = initials.startTable(objects);

  for (const name of Object.keys(scenario.functions)) {
    if (!ir.functions.has(name) && !ir.unlowered.has(name)) fail(`scenario.functions.${name}`, `no function named '${name}' is defined in the program`);
    if (scenario.functions[name] === "device") fail(`scenario.functions.${name}`, "device callbacks are not supported by this specializer yet (use \"static\" or \"dynamic\")");
  }
  const residualOnly = new Set(Object.entries(scenario.functions).filter(([, m]) => m === "dynamic").map(([n]) => n));
  const view = { abi, functions: ir.functions, unlowered: new Set(ir.unlowered.keys()), limits: scenario.limits, residualOnly, genericDynamic: genericDynamics(bta), ...(input.deviceFunction ? { deviceFunction: input.deviceFunction } : {}), ...(scenario.staticFields ? { staticFields: new Map(Object.entries(scenario.staticFields).map(([tag, fs]) => [tag, new Set(fs)])) } : {}) };
  const sp = new Specializer(view, objects, lookupGlobal);

  // binding times of globals
  for (const name of Object.keys(scenario.globals)) {
    if (name !== "*" && !globals.has(name)) fail(`scenario.globals.${name}`, `no global variable named '${name}'`);
  }
  for (const name of Object.keys(context.globals)) {
    if (!globals.has(name)) fail(`context.globals.${name}`, `no global variable named '${name}'`);
  }
  for (const name of scenario.owned) if (name !== "*" && !globals.has(name)) fail("scenario.owned", `no global variable named '${name}'`);
  const store = MemoryStore.empty(device);
  for (const g of globals.values()) {
    const id = globalIds.get(g.sym)!;
    const spec = scenario.globals[g.sym.name] ?? scenario.globals["*"] ?? "D";
    const owned = scenario.owned.includes(g.sym.name) || scenario.owned.includes("*");
    // globals defined elsewhere (the C library's stdout...) and volatile ones are never static
    if (spec === "D" || !g.defined || (g.sym.type.quals & 2) !== 0) {
      store.add(initials.dynamicGlobals(owned).get(id)!);
      continue;
    }
    const o = cloneObject(initial.get(id)!);
    o.owned = owned;
    const value = context.globals[g.sym.name];
    const at = input.deviceGlobals ? scenario.firmwareObjects?.[g.sym.name] : undefined;
    // the device's firmware: a static global holds what the device holds now
    if (value === undefined && at) readDeviceGlobal(o, device, at.address, `scenario.globals.${g.sym.name}`);
    applyFieldSpec(abi, o, g.sym.type, spec, 0, `scenario.globals.${g.sym.name}`);
    if (value !== undefined) encodeStatic(abi, objects, store, o, 0, g.sym.type, value, `context.globals.${g.sym.name}`);
    store.add(o);
  }
  // the objects of initializers' compound literals (`static int *p = (int[]){1, 2, 3};`): file-scope data static globals may point to
  for (const o of initial.values()) {
    if (o.kind !== "local") continue;
    const c = cloneObject(o);
    c.kind = "context";
    c.owned = scenario.owned.includes("*");
    store.add(c);
  }
  // what dynamic globals point to, dynamic code can reach
  for (const o of store.objects.values()) {
    if (!o.escaped) continue;
    for (const p of initial.get(o.id)!.ptrs.values()) {
      if (p.k === "ptr" && p.obj >= 0) {
        const target = store.objects.get(p.obj);
        if (target && !target.escaped) {
          target.escaped = true;
          target.known.fill(0);
          target.ptrs.clear();
        }
      }
    }
  }

  // static parameters
  const values: (Value | undefined)[] = entry.def.params.map((p, i) => {
    const spec = scenario.params[p.name] ?? "D";
    const bt = typeof spec === "string" ? spec : "value" in spec ? spec.value : "S";
    if (bt === "D") return undefined;
    const v = context.params[p.name];
    if (v === undefined) fail(`context.params.${p.name}`, `parameter '${p.name}' is static in the scenario but the context gives no value for it`);
    const slot = entry.params[i]!;
    if (slot.k !== "var") fail(`scenario.params.${p.name}`, "only scalar parameters whose address is not taken can be static");
    return staticScalar(abi, objects, store, p.type, v, `context.params.${p.name}`, typeof spec === "object" && "pointee" in spec && spec.pointee ? spec.pointee : "S");
  });

  const residualName = scenario.residualName ?? scenario.entry;
  const functions: ResidualFunction[] = [sp.specializeFunction(entry, residualName, values, store, false)];
  for (const name of around.keys()) sp.genericNeeded.add(name);
  // a residual that replaces the program's translation unit in a link with other units keeps every external function the unit defines
  const inlineOnly = ir.inlineOnly;
  if (scenario.keepExternal && !input.deviceGlobals) {
    for (const fn of ir.functions.values()) if (fn.name !== "main" && fn.sym.storage !== "static" && !inlineOnly.has(fn.name)) sp.genericNeeded.add(fn.name);
  }
  const genericDone = new Set<string>();
  // the firmware's own top-level asm is on the device already
  const asm = input.deviceGlobals ? [] : program.decls.flatMap((d) => (d.kind === NodeKind.TopAsm ? [d.template] : []));
  // the residual keeps what the asm names, as the asm refers to it by name
  for (const name of asmGlobals) sp.globalsUsed.add(globals.get(name)!.sym);
  for (const name of asmNamed) if (ir.functions.has(name) || ir.unlowered.has(name)) sp.genericNeeded.add(name);
  const unit = { functions, globals: [] as ResidualGlobal[], fileObjects: [] as { decl: import("./ir.ts").LocalObject; init: MemObject }[], externs: [] as Symbol[], asm };
  const fileDone = new Set<number>();
  const globalDone = new Set<Symbol>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of [...sp.genericNeeded]) {
      if (genericDone.has(name)) continue;
      genericDone.add(name);
      changed = true;
      if (name === residualName) fail("scenario.residualName", `the residual code also calls the generic ${name}: give the specialized function another name`);
      const fn = ir.functions.get(name);
      // firmware functions with external linkage are the device's own: called there, not copied
      if (input.deviceGlobals && (fn ?? ir.unlowered.get(name))!.sym.storage !== "static") continue;
      if (!fn) {
        const un = ir.unlowered.get(name)!;
        throw new BespokeError("UNSUPPORTED", `the residual code calls ${name}, which cannot be lowered (${un.reason})`, un.pos);
      }
      functions.push(sp.specializeFunction(fn, name, fn.params.map(() => undefined), dynamicStore(initials, device), true));
    }
    for (const sym of [...sp.globalsUsed]) {
      if (globalDone.has(sym)) continue;
      globalDone.add(sym);
      changed = true;
      const id = lookupGlobal(sym);
      const g = id === undefined ? undefined : globalsById.get(id);
      const defined = g?.[1].defined ?? false;
      const init = defined && id !== undefined && !input.deviceGlobals ? initial.get(id)! : null;
      if (init) for (const p of init.ptrs.values()) notePointer(p);
      if (g && unit.globals.some((x) => x.name === g[0])) continue;
      const gsym = g?.[1].sym ?? sym;
      const isStatic = gsym.storage === "static" || (g !== undefined && g[0] !== g[1].sym.name);
      const linkName = !init && isStatic && scenario.firmwareObjects ? firmwareStaticLink(scenario.firmwareObjects, gsym.name) : undefined;
      const source = init && g ? ir.opaque.get(g[0]) : undefined;
      unit.globals.push({ sym: gsym, name: g?.[0] ?? sym.name, type: gsym.type, init, static: isStatic, ...(linkName ? { linkName } : {}), ...(source ? { source: printExpr(source) } : {}) });
    }
    for (const id of objects.fileScope) {
      if (fileDone.has(id)) continue;
      fileDone.add(id);
      changed = true;
      const init = initial.get(id) ?? objects.initials.get(id);
      if (!init) throw new BespokeError("SPECIALIZER_BUG", `no initial contents for file-scope object ${id}`);
      for (const p of init.ptrs.values()) notePointer(p);
      unit.fileObjects.push({ decl: objects.residual.get(id)!, init });
    }
  }
  function notePointer(p: PointerValue): void {
    if (p.k === "fn") {
      sp.functionsUsed.add(p.sym);
      if (ir.functions.has(p.sym.name)) sp.genericNeeded.add(p.sym.name);
    } else if (p.obj >= 0) {
      const o = initial.get(p.obj) ?? objects.initials.get(p.obj);
      if (o?.kind === "global") sp.globalsUsed.add(o.sym!);
      else if (o && !objects.residual.has(p.obj)) {
        // a string literal or context array an initializer points to
        objects.residual.set(p.obj, { id: p.obj, name: objects.uniqueName(o.name), type: objects.types.get(p.obj)!, size: o.size, sym: null });
        objects.fileScope.add(p.obj);
      }
    }
  }
  for (const f of functions) {
    if (f === functions[0]) continue;
    const attribute = around.get(f.name);
    if (attribute) f.attributes = [attribute];
    if (inlineOnly.has(f.name)) f.inline = true;
  }
  const printed = new Set(functions.map((f) => f.name));
  unit.externs = [...sp.functionsUsed].filter((s) => !printed.has(s.name));
  for (const f of functions) simplify(f, abi);
  const t2 = now();

  const ptrInit = (p: PointerValue, t: CType): string => {
    const pr = `(${typeText(t)})`;
    if (p.k === "fn") return p.sym.name;
    if (p.obj < 0) return `(${pr}0x${p.off.toString(16)}ull)`;
    const o = initial.get(p.obj);
    const name = o?.kind === "global" ? (residualNames.get(o.sym!) ?? o.sym!.name) : objects.residual.get(p.obj)?.name;
    if (!name) throw new BespokeError("SPECIALIZER_BUG", `initializer points to undeclared object ${p.obj}`);
    return `(${pr}((char *)&${name} + ${p.off}))`;
  };
  const typeText = (t: CType): string => new CPrinter(abi).declare(t, "");
  const { code, structure } = printUnit(unit, abi, ptrInit, residualNames);
  return {
    code,
    bindingTimes: bindingTimeView(bta),
    observed: [...sp.bindingTimes.values()],
    report: {
      entry: scenario.entry,
      residualName,
      analysisMs: t1 - t0,
      specializationMs: t2 - t1,
      residualBytes: code.length,
      functions: {
        specialized: [residualName],
        generic: [...genericDone],
        unlowered: [...ir.unlowered.values()].map((u) => ({ name: u.name, reason: u.reason })),
      },
      stats: sp.stats,
      structure,
      guards: scenario.guards,
    },
  };
}


/**
 * The functions the C runtime calls around main (constructor and destructor
 * attributes), with the attribute their residual copy keeps.
 */
function runAroundMain(prepared: PreparedProgram): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of [...prepared.functions.values(), ...prepared.unlowered.values()]) {
    const attr = [...f.def.attrs, ...f.sym.attrs].find((a) => a.name === "constructor" || a.name === "destructor");
    if (!attr) continue;
    const priority = attr.args[0];
    out.set(f.name, priority !== undefined && typeof priority !== "string" && priority.kind === NodeKind.IntLit ? `${attr.name}(${priority.value})` : attr.name);
  }
  return out;
}

/**
 * The functions the program defines by C99 inline definitions only: not
 * static, and every file-scope declaration says `inline` and none `extern`
 * (the unit provides no external definition of them).
 */
function inlineDefinitions(program: Program): Set<string> {
  const external = new Set<string>();
  const inline = new Set<string>();
  const note = (name: string, isInline: boolean, storage: Declaration["storage"]): void => {
    if (isInline && storage === null) inline.add(name);
    else external.add(name);
  };
  for (const d of program.decls) {
    if (d.kind === NodeKind.FunctionDef) note(d.sym.name, d.inline, d.storage);
    else if (d.kind === NodeKind.Declaration) for (const dc of d.declarators) if (dc.sym.kind === SymbolKind.Function) note(dc.sym.name, d.inline, d.storage);
  }
  for (const name of external) inline.delete(name);
  return inline;
}

/** The globals functions may read or write (directly, or through the functions they call); null when that cannot be known (an indirect call, a function that cannot be lowered). */
function globalsReached(prepared: PreparedProgram, roots: string[]): Set<string> | null {
  const out = new Set<string>();
  const seen = new Set<string>();
  const work = [...roots];
  let unknown = false;
  const visit = (e: Expr): void => {
    if (e.k === "global") {
      if (e.sym.kind === SymbolKind.Function) {
        if (!seen.has(e.sym.name)) work.push(e.sym.name);
      } else out.add(e.sym.name);
    }
    for (const o of operands(e)) visit(o);
  };
  while (work.length > 0 && !unknown) {
    const name = work.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    if (prepared.unlowered.has(name)) unknown = true;
    const fn = prepared.functions.get(name);
    if (!fn) continue;
    for (const b of fn.blocks) {
      for (const s of b.stmts) {
        if (s.k === "call" && s.callee.k !== "global") unknown = true;
        stmtOperands(s).forEach(visit);
      }
      termOperands(b.term).forEach(visit);
    }
  }
  return unknown ? null : out;
}

/** The scenario with the given globals dynamic (every global when null). */
/** The C library's functions that return twice (GCC's list): a second return resumes the caller after its memory changed. */
const RETURNS_TWICE: ReadonlySet<string> = new Set(["setjmp", "_setjmp", "__setjmp", "sigsetjmp", "__sigsetjmp", "savectx", "vfork", "getcontext"]);

/** The program's functions that call one of RETURNS_TWICE directly. */
function returnsTwiceCallers(functions: ReadonlyMap<string, IrFunction>): Set<string> {
  const out = new Set<string>();
  for (const fn of functions.values()) {
    if (fn.blocks.some((b) => b.stmts.some((s) => s.k === "call" && s.callee.k === "global" && RETURNS_TWICE.has(s.callee.sym.name)))) out.add(fn.name);
  }
  return out;
}

/** The identifiers the program's top-level asm statements name. */
function namedByAsm(program: Program): Set<string> {
  const out = new Set<string>();
  for (const d of program.decls) if (d.kind === NodeKind.TopAsm) for (const m of d.template.matchAll(/[A-Za-z_][\w$]*/g)) out.add(m[0]);
  return out;
}

function withDynamicGlobals(scenario: Scenario, names: Set<string> | null): Scenario {
  const globals: Scenario["globals"] = { ...scenario.globals };
  if (names === null) for (const name of ["*", ...Object.keys(globals)]) globals[name] = "D";
  else for (const name of names) globals[name] = "D";
  return { ...scenario, globals };
}

const staticLinks = new WeakMap<Record<string, FirmwareObject>, Map<string, string | undefined>>();

/** The link name of a file-static firmware object: the nearest exported object plus the offset (the image builder relocates "name+offset" and "name-offset" against the export). Found once per firmware's objects and name (every request of a scenario shares them). */
function firmwareStaticLink(objects: Record<string, FirmwareObject>, name: string): string | undefined {
  let links = staticLinks.get(objects);
  if (!links) staticLinks.set(objects, (links = new Map()));
  if (!links.has(name)) links.set(name, nearestExport(objects, name));
  return links.get(name);
}

function nearestExport(objects: Record<string, FirmwareObject>, name: string): string | undefined {
  const at = objects[name];
  if (!at || at.exported) return undefined;
  let best: [string, FirmwareObject] | undefined;
  for (const e of Object.entries(objects)) if (e[1].exported && (!best || Math.abs(e[1].address - at.address) < Math.abs(best[1].address - at.address))) best = e;
  if (!best) return undefined;
  const off = at.address - best[1].address;
  return off < 0 ? `${best[0]}-${-off}` : `${best[0]}+${off}`;
}

interface GlobalInfo {
  sym: Symbol;
  init: import("../c/ast.ts").Expr | null;
  defined: boolean;
  pos: import("../errors.ts").SourcePosition;
}

/** Global objects (and static locals) by name, with their initializers. */
function collectGlobals(program: Program): Map<string, GlobalInfo> {
  const out = new Map<string, GlobalInfo>();
  const add = (d: Declaration, local: boolean): void => {
    if (d.storage === "typedef") return;
    for (const dc of d.declarators) {
      if (dc.sym.kind !== SymbolKind.Object) continue;
      if (local && d.storage !== "static") continue;
      const key = local ? `${dc.sym.name}_${dc.sym.id}` : dc.sym.name;
      const prev = out.get(key);
      const defined = d.storage !== "extern" || dc.init !== null;
      if (prev && (prev.init || !defined)) {
        if (defined) prev.defined = true;
        continue;
      }
      out.set(key, { sym: dc.sym, init: dc.init, defined: defined || (prev?.defined ?? false), pos: dc.pos });
    }
  };
  const walk = (node: unknown): void => {
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    const n = node as { kind?: NodeKind };
    if (n.kind === NodeKind.Declaration) add(node as Declaration, true);
    for (const [k, v] of Object.entries(node)) if (k !== "type" && k !== "sym" && k !== "pos" && v && typeof v === "object") walk(v);
  };
  for (const d of program.decls) {
    if (d.kind === NodeKind.Declaration) add(d, false);
    else if (d.kind === NodeKind.FunctionDef) walk(d.body);
  }
  for (const [name, g] of out) if (g.sym.type.kind === TypeKind.Function) out.delete(name);
  return out;
}

/** The initializers of the defined globals (but those left out) lowered into one function (statements over the globals' addresses); the error of the first that cannot be. */
function globalInitializer(abi: Abi, globals: ReadonlyMap<string, GlobalInfo>, leftOut: ReadonlySet<string>): IrFunction | BespokeError {
  const stmts: IrFunction["blocks"][number]["stmts"] = [];
  const locals: IrFunction["locals"] = [];
  for (const [key, g] of globals) {
    if (!g.defined || leftOut.has(key)) continue;
    if (abi.sizeOf(g.sym.type) < 0) return new BespokeError("UNSUPPORTED", `global ${g.sym.name} has an incomplete type`, g.pos);
    const init = lowerGlobalInit(abi, g.sym, g.init, g.pos);
    if ("reason" in init) return new BespokeError("UNSUPPORTED", `the initializer of ${g.sym.name} cannot be evaluated: ${init.reason}`, g.pos);
    stmts.push(...init.stmts);
    // compound literals at file scope: objects of the initializing run, renumbered into it
    for (const l of init.locals) {
      l.id = locals.length;
      locals.push(l);
    }
  }
  const block: Block = { id: 0, stmts, term: { k: "return", value: null, pos: { file: "", line: 0, column: 0 } } };
  return { name: "__init", sym: { name: "__init", storage: null } as unknown as Symbol, type: { kind: TypeKind.Function, ret: { kind: TypeKind.Void, quals: 0 }, params: [], variadic: false, prototyped: true, quals: 0 }, params: [], vars: [], locals, blocks: [block], entry: 0, def: null as never } as IrFunction;
}

/**
 * The globals whose initializer leaves residual code when run statically
 * (their bytes are not all known afterwards), with their initializers. Each
 * must be a constant expression the residual can keep as written: literals,
 * operators and arithmetic casts (an initializer naming another object could
 * need what the residual does not define); otherwise the error of the first that is not.
 */
function opaqueGlobals(abi: Abi, globals: ReadonlyMap<string, GlobalInfo>, init: IrFunction): Map<string, AstExpr> | BespokeError {
  const objects = new ObjectTable();
  const ids = new Map<Symbol, number>();
  for (const g of globals.values()) ids.set(g.sym, objects.fresh());
  const lookup = (sym: Symbol): number | undefined => {
    const id = ids.get(sym);
    if (id !== undefined || !sym.global) return id;
    const g = globals.get(sym.name);
    return g ? ids.get(g.sym) : undefined;
  };
  const store = globalStore(abi, globals, ids, new ImageMemory([]));
  const out = new Map<string, AstExpr>();
  if (!runInitializer(abi, init, objects, lookup, store)) return out;
  for (const [key, g] of globals) {
    const o = store.objects.get(ids.get(g.sym)!)!;
    if (!g.defined || o.known.every((k) => k === 1)) continue;
    if (!g.init || !constantExpression(g.init)) return new BespokeError("UNSUPPORTED", `the initializer of ${g.sym.name} cannot be evaluated by the specializer, nor kept as written (it is not made of literals, operators and arithmetic casts only)`, g.pos);
    out.set(key, g.init);
  }
  return out;
}

/** A store holding every global as a static object, zero bytes. */
function globalStore(abi: Abi, globals: ReadonlyMap<string, GlobalInfo>, ids: Map<Symbol, number>, device: DeviceMemory): MemoryStore {
  const store = MemoryStore.empty(device);
  for (const g of globals.values()) {
    const o = newObject(ids.get(g.sym)!, "global", g.sym.name, Math.max(0, abi.sizeOf(g.sym.type)) + flexibleExtent(abi, g.sym.type, g.init), true);
    o.sym = g.sym;
    store.add(o);
  }
  return store;
}

/** Run the globals' initializers statically in `store`; whether some of them left residual code (what they stored is then unknown). */
function runInitializer(abi: Abi, init: IrFunction, objects: ObjectTable, lookup: (sym: Symbol) => number | undefined, store: MemoryStore): boolean {
  const sp = new Specializer({ abi, functions: new Map(), unlowered: new Set(), limits: { inlineDepth: 0, unroll: 1 << 30, residualSize: 1 << 30, statesPerBlock: 1 }, residualOnly: new Set() }, objects, lookup);
  const rf = sp.specializeFunction(init, "__init", [], store, false);
  return rf.blocks.some((b) => b.stmts.length > 0);
}

/** Whether an initializer is made of literals, operators and casts to arithmetic types only (it names nothing the residual must define). */
function constantExpression(e: AstExpr): boolean {
  switch (e.kind) {
    case NodeKind.IntLit:
    case NodeKind.FloatLit:
      return true;
    case NodeKind.Unary:
      return e.op !== "&" && e.op !== "*" && constantExpression(e.operand);
    case NodeKind.Binary:
      return constantExpression(e.left) && constantExpression(e.right);
    case NodeKind.Conditional:
      return constantExpression(e.cond) && (e.then === null || constantExpression(e.then)) && constantExpression(e.else);
    case NodeKind.Cast:
      return (e.type.kind === TypeKind.Int || e.type.kind === TypeKind.Float || e.type.kind === TypeKind.Bool) && constantExpression(e.operand);
    case NodeKind.InitList:
      return e.items.every((it) => it.designators.every((d) => d.kind === "field" || (constantExpression(d.index) && (!d.end || constantExpression(d.end)))) && constantExpression(it.value));
    default:
      return false;
  }
}

/** The object table a run starts from: an object per global, by symbol and by id; the names global objects and functions take. */
function globalTable(prepared: PreparedProgram): {
  objects: ObjectTable;
  globalIds: Map<Symbol, number>;
  globalsById: Map<number, [string, GlobalInfo]>;
  residualNames: Map<Symbol, string>;
  lookupGlobal: (sym: Symbol) => number | undefined;
} {
  const objects = new ObjectTable();
  const globalIds = new Map<Symbol, number>();
  const globalsById = new Map<number, [string, GlobalInfo]>();
  const residualNames = new Map<Symbol, string>();
  for (const [key, g] of prepared.globals) {
    const id = objects.fresh();
    globalIds.set(g.sym, id);
    globalsById.set(id, [key, g]);
    objects.types.set(id, g.sym.type);
    objects.names.add(g.sym.name);
    if (key !== g.sym.name) residualNames.set(g.sym, key);
  }
  // a global may be declared by several symbols (extern then definition): they are one object
  const lookupGlobal = (sym: Symbol): number | undefined => {
    const id = globalIds.get(sym);
    if (id !== undefined || !sym.global) return id;
    const g = prepared.globals.get(sym.name);
    return g ? globalIds.get(g.sym) : undefined;
  };
  for (const f of prepared.functions.keys()) objects.names.add(f);
  return { objects, globalIds, globalsById, residualNames, lookupGlobal };
}

/**
 * The globals' initial images and what running their initializers added to
 * the object table (string literals, compound literals, the names they took):
 * the same for every run of a program, so made once (a specialization of
 * every initializer) and shared, frozen. `startTable` gives a run's fresh
 * `globalTable` those additions and returns the images.
 */
interface InitialState {
  startTable(objects: ObjectTable): ReadonlyMap<number, MemObject>;
  /** The globals' images made dynamic (escaped: nothing in them static), frozen: what a run's store holds for a dynamic global (`owned` as the scenario says; generic code's stores: as the image is). */
  dynamicGlobals(owned: boolean): ReadonlyMap<number, MemObject>;
}

const initialStates = new WeakMap<PreparedProgram, InitialState>();

function initialState(prepared: PreparedProgram): InitialState {
  let state = initialStates.get(prepared);
  if (!state) {
    const { objects, globalIds, lookupGlobal } = globalTable(prepared);
    // initializers are constant expressions: they read no device memory
    const images = initialImages(prepared, globalIds, lookupGlobal, objects, new ImageMemory([]));
    const next = objects.fresh(); // the first id a run may take after them
    const dynamic = new Map<boolean, Map<number, MemObject>>();
    state = {
      startTable(table) {
        // the ids the initializers took (a table numbers from 1, and globalTable took one per global)
        for (let id = prepared.globals.size + 1; id < next; id++) table.fresh();
        for (const [id, type] of objects.types) table.types.set(id, type);
        for (const name of objects.names) table.names.add(name);
        for (const [id, decl] of objects.residual) table.residual.set(id, { ...decl });
        for (const id of objects.fileScope) table.fileScope.add(id);
        for (const [id, o] of objects.initials) table.initials.set(id, o);
        return images;
      },
      dynamicGlobals(owned) {
        let globals = dynamic.get(owned);
        if (!globals) {
          globals = new Map();
          for (const o of images.values()) {
            // escaped bytes are never read again: the image's are kept (MemoryStore.escape)
            if (o.kind === "global") globals.set(o.id, { ...o, known: new Uint8Array(o.size), dirty: new Uint8Array(o.size), ptrs: new Map(), owned, escaped: true, owner: FROZEN });
          }
          dynamic.set(owned, globals);
        }
        return globals;
      },
    };
    initialStates.set(prepared, state);
  }
  return state;
}

/** Run every global initializer statically, in one store where every global is a static object. */
function initialImages(prepared: PreparedProgram, ids: Map<Symbol, number>, lookup: (sym: Symbol) => number | undefined, objects: ObjectTable, device: DeviceMemory): Map<number, MemObject> {
  const store = globalStore(prepared.abi, prepared.globals, ids, device);
  if (prepared.init instanceof BespokeError) throw prepared.init;
  if (runInitializer(prepared.abi, prepared.init, objects, lookup, store)) throw new BespokeError("UNSUPPORTED", "a global initializer is not a constant the specializer can evaluate");
  const out = new Map<number, MemObject>();
  for (const o of store.objects.values()) {
    o.dirty.fill(0);
    o.owner = FROZEN;
    out.set(o.id, o);
  }
  return out;
}

/** Bytes a GNU-style initializer of a struct's flexible array member adds after the struct. */
function flexibleExtent(abi: Abi, type: CType, init: import("../c/ast.ts").Expr | null): number {
  if (type.kind !== TypeKind.Record || !init || init.kind !== NodeKind.InitList) return 0;
  const fields = (type.def.fields ?? []).filter((f) => f.name !== null || f.anonymous);
  const last = fields[fields.length - 1];
  if (!last || last.type.kind !== TypeKind.Array || last.type.length !== null) return 0;
  const item = init.items.find((it, i) => (it.designators.length === 0 && i === fields.length - 1) || (it.designators[0]?.kind === "field" && it.designators[0].path[0] === last));
  if (!item) return 0;
  const es = abi.sizeOf(last.type.of);
  const count = item.value.kind === NodeKind.InitList ? item.value.items.length : item.value.kind === NodeKind.StringLit ? item.value.units.length + 1 : 0;
  return Math.max(0, last.offset + count * es - abi.sizeOf(type));
}

/** Replace a global's initial contents with the device's bytes at `address` (pointers in them are device addresses). */
function readDeviceGlobal(o: MemObject, device: DeviceMemory, address: number, path: string): void {
  const bytes = device.read(address, o.size);
  if (!bytes) fail(path, `the device memory of this global (0x${address.toString(16)}, ${o.size} bytes) is not readable`);
  o.bytes.set(bytes);
  o.known.fill(1);
  o.ptrs.clear();
}

/** A store for generic code: every global is dynamic. */
function dynamicStore(initials: InitialState, device: DeviceMemory): MemoryStore {
  const store = MemoryStore.empty(device);
  for (const o of initials.dynamicGlobals(true).values()) store.add(o);
  return store;
}

function cloneObject(o: MemObject): MemObject {
  return { ...o, bytes: o.bytes.slice(), known: o.known.slice(), dirty: o.dirty.slice(), ptrs: new Map(o.ptrs), owner: NO_OWNER };
}

/** Mark dynamic the fields a `{ fields }` spec declares dynamic. */
function applyFieldSpec(abi: Abi, o: MemObject, type: CType, spec: BindingSpec, off: number, path: string): void {
  if (typeof spec === "string") {
    if (spec === "D") for (let i = off; i < Math.min(o.size, off + abi.sizeOf(type)); i++) o.known[i] = 0;
    return;
  }
  if ("value" in spec) return;
  if (type.kind !== TypeKind.Record) fail(path, "field binding times given for a value that is not a struct or union");
  for (const [name, fspec] of Object.entries(spec.fields)) {
    const fpath = findField(type.def, name);
    if (!fpath) fail(`${path}.fields.${name}`, `${type.def.union ? "union" : "struct"} ${type.def.tag ?? "(anonymous)"} has no field '${name}'`);
    const f = fpath[fpath.length - 1]!;
    const foff = off + fpath.reduce((a, x) => a + x.offset, 0);
    applyFieldSpec(abi, o, f.type, fspec, foff, `${path}.fields.${name}`);
  }
}

/** A static scalar parameter value from the context, checked against the parameter's type. */
function staticScalar(abi: Abi, objects: ObjectTable, store: MemoryStore, type: CType, v: StaticValue, path: string, pointee: BindingSpec): Value {
  if (type.kind === TypeKind.Int || type.kind === TypeKind.Enum || type.kind === TypeKind.Bool) {
    if (typeof v === "boolean") return { k: "int", v: v ? 1n : 0n };
    if (typeof v !== "number" || !Number.isInteger(v)) fail(path, `expected an integer for a parameter of integer type, got ${JSON.stringify(v)}`);
    return { k: "int", v: BigInt(v) };
  }
  if (type.kind === TypeKind.Float) {
    if (typeof v !== "number") fail(path, `expected a number, got ${JSON.stringify(v)}`);
    return { k: "float", v };
  }
  if (type.kind === TypeKind.Pointer) {
    if (v === null) return { k: "ptr", obj: -1, off: 0 };
    if (typeof v === "object" && !Array.isArray(v) && "address" in v) {
      const raw = (v as { address: string | number }).address;
      const a = typeof raw === "string" ? Number(raw) : raw;
      store.deviceObject(a, () => objects.fresh(), path);
      return { k: "ptr", obj: -1, off: a };
    }
    const elem = type.to;
    const esize = abi.sizeOf(elem);
    if (esize <= 0) fail(path, "cannot build static data for a pointer to an incomplete type");
    let items: StaticValue[];
    if (typeof v === "string" || (typeof v === "object" && !Array.isArray(v) && "string" in v && Object.keys(v).length === 1)) {
      const text = typeof v === "string" ? v : (v as { string: string }).string;
      if (!(elem.kind === TypeKind.Int && elem.rank === "char")) fail(path, "a string is only a valid value for a char pointer");
      items = [...new TextEncoder().encode(text)].concat([0]);
    } else if (Array.isArray(v)) items = v;
    else if (typeof v === "object") items = [v];
    else fail(path, `expected a pointer value (string, array, object, null or { address }), got ${JSON.stringify(v)}`);
    const id = objects.fresh();
    const arrayType: CType = { kind: TypeKind.Array, of: elem, length: items.length, quals: 0 };
    objects.types.set(id, arrayType);
    const o = newObject(id, "context", "ctx", items.length * esize, false);
    items.forEach((item, i) => encodeStatic(abi, objects, store, o, i * esize, elem, item, `${path}[${i}]`));
    o.dirty.fill(1);
    if (pointee === "D") o.known.fill(0);
    const snapshot = cloneObject(o);
    snapshot.dirty.fill(0);
    objects.initials.set(id, snapshot);
    o.dirty.fill(0);
    store.add(o);
    return { k: "ptr", obj: id, off: 0 };
  }
  return fail(path, "only integer, floating and pointer parameters can be static");
}

/** Encode a context value into a static object at `off`, checking it fits `type`. */
function encodeStatic(abi: Abi, objects: ObjectTable, store: MemoryStore, o: MemObject, off: number, type: CType, v: StaticValue, path: string): void {
  const size = abi.sizeOf(type);
  if (type.kind === TypeKind.Record) {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, `expected an object with the fields of ${type.def.tag ?? "the struct"}, got ${JSON.stringify(v)}`);
    for (const [name, fv] of Object.entries(v)) {
      const fpath = findField(type.def, name);
      if (!fpath) fail(`${path}.${name}`, `${type.def.union ? "union" : "struct"} ${type.def.tag ?? "(anonymous)"} has no field '${name}'`);
      const f = fpath[fpath.length - 1]!;
      encodeStatic(abi, objects, store, o, off + fpath.reduce((a, x) => a + x.offset, 0), f.type, fv as StaticValue, `${path}.${name}`);
    }
    return;
  }
  if (type.kind === TypeKind.Array) {
    if (!Array.isArray(v)) fail(path, `expected an array, got ${JSON.stringify(v)}`);
    const es = abi.sizeOf(type.of);
    if (type.length !== null && v.length > type.length) fail(path, `${v.length} elements for an array of ${type.length}`);
    v.forEach((item, i) => encodeStatic(abi, objects, store, o, off + i * es, type.of, item, `${path}[${i}]`));
    return;
  }
  if (!isScalar(type)) fail(path, "unsupported static value type");
  const val = staticScalar(abi, objects, store, type, v, path, "S");
  if (val.k === "int") writeInt(o.bytes, off, size, val.v);
  else if (val.k === "float") writeFloat(o.bytes, off, size, val.v);
  else if (val.k === "ptr" && val.obj < 0) writeInt(o.bytes, off, size, BigInt(val.off));
  else o.ptrs.set(off, val);
  for (let i = 0; i < size; i++) o.known[off + i] = 1;
}
