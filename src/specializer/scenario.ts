// Scenarios (what is static: Tempo's specialization classes) and contexts
// (the concrete static values), their JSON format and its validation.
// Messages name the offending field as a path, e.g. `scenario.params.n`.
import { BespokeError } from "../errors.ts";

export const SCENARIO_VERSION = 1;

/** Binding time of one value: static (known at specialization) or dynamic. */
export type BindingTime = "S" | "D";

/**
 * Binding time of a parameter or global. A string applies to the value and,
 * for pointers, to everything reachable through it. The object form splits a
 * pointer from its pointee, or a struct field by field.
 */
export type BindingSpec =
  | BindingTime
  | { value: BindingTime; pointee?: BindingSpec }
  | { fields: Record<string, BindingSpec> };

/** How a call to a function is treated during specialization. */
export type FunctionMode =
  /** Evaluated at specialization time when its arguments are static (pure or over static memory). */
  | "static"
  /** Evaluated by calling back to the device (the caller supplies the callback). */
  | "device"
  /** Always left as a residual call. */
  | "dynamic";

export interface Guard {
  /** Name of the invariant (e.g. a generation counter) that protects the facts. */
  name: string;
  /** Globals or `global.field` paths whose static values the guard covers. */
  covers: string[];
}

export interface Limits {
  /** Maximum depth of nested unfolded calls. */
  inlineDepth: number;
  /** Distinct values a static variable may take at one loop head under dynamic control before it is generalized. */
  unroll: number;
  /** Maximum residual statements before further static state is generalized. */
  residualSize: number;
  /** Maximum specialized versions of one program point. */
  statesPerBlock: number;
}

export const DEFAULT_LIMITS: Limits = { inlineDepth: 64, unroll: 64, residualSize: 200_000, statesPerBlock: 256 };

export interface Scenario {
  version: number;
  /** The function to specialize. */
  entry: string;
  /** Name of the residual function; the entry's name when absent. */
  residualName?: string;
  /**
   * The residual replaces the program's translation unit in a link with other
   * units: it keeps every function with external linkage the unit defines
   * (generic where the entry does not specialize it; C99 inline-only
   * definitions excepted, as they define nothing external). Otherwise the
   * residual is the entry and only what it can reach.
   */
  keepExternal?: boolean;
  /** Binding time per parameter name; unlisted parameters are dynamic. */
  params: Record<string, BindingSpec>;
  /** Binding time per global; `"*"` applies to every global not listed. Unlisted globals are dynamic. */
  globals: Record<string, BindingSpec>;
  /** Globals the specialized code owns: its writes update the static view instead of device memory. */
  owned: string[];
  /** Treatment of calls per function name; unlisted defined functions are unfolded or specialized, unlisted external ones are dynamic. */
  functions: Record<string, FunctionMode>;
  guards: Guard[];
  limits: Limits;
  /**
   * The firmware's data objects by name (its symbol table, at build time),
   * when the program is the device's firmware: static globals without a
   * context value are read from the device at these addresses, and residual
   * code reaches file-static ones (lwIP's `ip_id`...), which it cannot name,
   * from an exported neighbour.
   */
  firmwareObjects?: Record<string, FirmwareObject>;
  /**
   * Partially static structures, by struct tag: of a struct of this type in
   * device memory, reached through a static pointer, only the listed fields
   * are static (invariants the guards protect); every other field is per-call
   * state the residual code reads and writes itself (lwIP's `tcp_pcb`: the
   * addresses, ports and MSS are static, `snd_buf`, `unsent`... dynamic).
   */
  staticFields?: Record<string, string[]>;
}

/** Where a data object of the firmware lives, and whether the firmware's export table names it. */
export interface FirmwareObject {
  address: number;
  exported: boolean;
}

/** A concrete static value, as written in a context file. */
export type StaticValue =
  | number
  | string
  | boolean
  | null
  | StaticValue[]
  | { address: string | number }
  | { string: string }
  | { [field: string]: StaticValue };

/** A block of device memory the static evaluator may read (tests: a plain image). */
export interface MemoryRegion {
  base: number;
  /** Contents as hex. */
  hex: string;
}

export interface Context {
  params: Record<string, StaticValue>;
  globals: Record<string, StaticValue>;
  memory: MemoryRegion[];
}

function fail(path: string, message: string): never {
  throw new BespokeError("BAD_SCENARIO", `${path}: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function expectRecord(v: unknown, path: string): Record<string, unknown> {
  if (!isRecord(v)) fail(path, `expected an object, got ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${JSON.stringify(v)}`;
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[], path: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) fail(`${path}.${key}`, `unknown field (allowed: ${allowed.join(", ")})`);
  }
}

function parseBindingTime(v: unknown, path: string): BindingTime {
  if (v === "S" || v === "static") return "S";
  if (v === "D" || v === "dynamic") return "D";
  return fail(path, `expected "S" (static) or "D" (dynamic), got ${describe(v)}`);
}

function parseBindingSpec(v: unknown, path: string): BindingSpec {
  if (typeof v === "string") return parseBindingTime(v, path);
  const obj = expectRecord(v, path);
  if ("fields" in obj) {
    onlyKeys(obj, ["fields"], path);
    const fields = expectRecord(obj.fields, `${path}.fields`);
    const out: Record<string, BindingSpec> = {};
    for (const [name, spec] of Object.entries(fields)) out[name] = parseBindingSpec(spec, `${path}.fields.${name}`);
    return { fields: out };
  }
  onlyKeys(obj, ["value", "pointee"], path);
  if (!("value" in obj)) fail(path, `expected "S", "D", { value, pointee? } or { fields }`);
  const value = parseBindingTime(obj.value, `${path}.value`);
  if (obj.pointee === undefined) return { value };
  if (value === "D") fail(`${path}.pointee`, "a dynamic pointer cannot have a static pointee (nothing tells which object it points to)");
  return { value, pointee: parseBindingSpec(obj.pointee, `${path}.pointee`) };
}

function parseBindingMap(v: unknown, path: string): Record<string, BindingSpec> {
  if (v === undefined) return {};
  const obj = expectRecord(v, path);
  const out: Record<string, BindingSpec> = {};
  for (const [name, spec] of Object.entries(obj)) out[name] = parseBindingSpec(spec, `${path}.${name}`);
  return out;
}

function parseStringList(v: unknown, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(path, `expected an array of names, got ${describe(v)}`);
  return v.map((item, i) => {
    if (typeof item !== "string" || item === "") fail(`${path}[${i}]`, `expected a name, got ${describe(item)}`);
    return item;
  });
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseIdentifier(v: unknown, path: string): string {
  if (typeof v !== "string" || !IDENTIFIER.test(v)) fail(path, `expected a C identifier, got ${describe(v)}`);
  return v;
}

function parseLimits(v: unknown, path: string): Limits {
  if (v === undefined) return { ...DEFAULT_LIMITS };
  const obj = expectRecord(v, path);
  const keys = Object.keys(DEFAULT_LIMITS) as (keyof Limits)[];
  onlyKeys(obj, keys, path);
  const out = { ...DEFAULT_LIMITS };
  for (const key of keys) {
    const n = obj[key];
    if (n === undefined) continue;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) fail(`${path}.${key}`, `expected a non-negative integer, got ${describe(n)}`);
    out[key] = n;
  }
  return out;
}

const FUNCTION_MODES: FunctionMode[] = ["static", "device", "dynamic"];

/** Validate a parsed scenario JSON value; every error names the offending field. */
export function parseScenario(json: unknown): Scenario {
  const obj = expectRecord(json, "scenario");
  onlyKeys(obj, ["version", "entry", "residualName", "keepExternal", "params", "globals", "owned", "functions", "guards", "limits", "firmwareObjects", "staticFields"], "scenario");
  if (obj.version !== SCENARIO_VERSION) fail("scenario.version", `expected ${SCENARIO_VERSION}, got ${describe(obj.version)}`);
  const entry = parseIdentifier(obj.entry, "scenario.entry");
  const scenario: Scenario = {
    version: SCENARIO_VERSION,
    entry,
    params: parseBindingMap(obj.params, "scenario.params"),
    globals: parseBindingMap(obj.globals, "scenario.globals"),
    owned: parseStringList(obj.owned, "scenario.owned"),
    functions: {},
    guards: [],
    limits: parseLimits(obj.limits, "scenario.limits"),
  };
  if (obj.residualName !== undefined) scenario.residualName = parseIdentifier(obj.residualName, "scenario.residualName");
  if (obj.keepExternal !== undefined) {
    if (typeof obj.keepExternal !== "boolean") fail("scenario.keepExternal", `expected true or false, got ${describe(obj.keepExternal)}`);
    scenario.keepExternal = obj.keepExternal;
  }
  if (obj.functions !== undefined) {
    for (const [name, mode] of Object.entries(expectRecord(obj.functions, "scenario.functions"))) {
      if (!FUNCTION_MODES.includes(mode as FunctionMode)) {
        fail(`scenario.functions.${name}`, `expected one of ${FUNCTION_MODES.map((m) => `"${m}"`).join(", ")}, got ${describe(mode)}`);
      }
      scenario.functions[name] = mode as FunctionMode;
    }
  }
  if (obj.guards !== undefined) {
    if (!Array.isArray(obj.guards)) fail("scenario.guards", `expected an array, got ${describe(obj.guards)}`);
    scenario.guards = obj.guards.map((g, i) => {
      const path = `scenario.guards[${i}]`;
      const guard = expectRecord(g, path);
      onlyKeys(guard, ["name", "covers"], path);
      return { name: parseIdentifier(guard.name, `${path}.name`), covers: parseStringList(guard.covers, `${path}.covers`) };
    });
  }
  if (obj.firmwareObjects !== undefined) {
    scenario.firmwareObjects = {};
    for (const [name, v] of Object.entries(expectRecord(obj.firmwareObjects, "scenario.firmwareObjects"))) {
      const path = `scenario.firmwareObjects.${name}`;
      parseIdentifier(name, path);
      const at = expectRecord(v, path);
      onlyKeys(at, ["address", "exported"], path);
      if (typeof at.address !== "number" || !Number.isSafeInteger(at.address) || at.address < 0) fail(`${path}.address`, `expected an address, got ${describe(at.address)}`);
      if (typeof at.exported !== "boolean") fail(`${path}.exported`, `expected a boolean, got ${describe(at.exported)}`);
      scenario.firmwareObjects[name] = { address: at.address, exported: at.exported };
    }
  }
  if (obj.staticFields !== undefined) {
    scenario.staticFields = {};
    for (const [tag, fields] of Object.entries(expectRecord(obj.staticFields, "scenario.staticFields"))) {
      const path = `scenario.staticFields.${tag}`;
      parseIdentifier(tag, path);
      scenario.staticFields[tag] = parseStringList(fields, path).map((f, i) => parseIdentifier(f, `${path}[${i}]`));
    }
  }
  return scenario;
}

function parseStaticValue(v: unknown, path: string): StaticValue {
  if (v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean") {
    if (typeof v === "number" && !Number.isFinite(v)) fail(path, "expected a finite number");
    return v;
  }
  if (Array.isArray(v)) return v.map((item, i) => parseStaticValue(item, `${path}[${i}]`));
  const obj = expectRecord(v, path);
  if ("address" in obj && Object.keys(obj).length === 1) {
    const a = obj.address;
    if (typeof a === "number" ? !Number.isInteger(a) || a < 0 : typeof a !== "string" || !/^(0x[0-9a-fA-F]+|\d+)$/.test(a)) {
      fail(`${path}.address`, `expected an address (non-negative integer or "0x..." string), got ${describe(a)}`);
    }
    return { address: a as string | number };
  }
  const out: Record<string, StaticValue> = {};
  for (const [k, item] of Object.entries(obj)) out[k] = parseStaticValue(item, `${path}.${k}`);
  return out;
}

/** Validate a parsed context JSON value (the concrete static values). */
export function parseContext(json: unknown): Context {
  const obj = expectRecord(json, "context");
  onlyKeys(obj, ["params", "globals", "memory"], "context");
  const context: Context = { params: {}, globals: {}, memory: [] };
  for (const key of ["params", "globals"] as const) {
    if (obj[key] === undefined) continue;
    for (const [name, v] of Object.entries(expectRecord(obj[key], `context.${key}`))) {
      context[key][name] = parseStaticValue(v, `context.${key}.${name}`);
    }
  }
  if (obj.memory !== undefined) {
    if (!Array.isArray(obj.memory)) fail("context.memory", `expected an array of { base, hex }, got ${describe(obj.memory)}`);
    context.memory = obj.memory.map((r, i) => {
      const path = `context.memory[${i}]`;
      const region = expectRecord(r, path);
      onlyKeys(region, ["base", "hex"], path);
      const base = typeof region.base === "string" && /^0x[0-9a-fA-F]+$/.test(region.base) ? Number.parseInt(region.base, 16) : region.base;
      if (typeof base !== "number" || !Number.isSafeInteger(base) || base < 0) fail(`${path}.base`, `expected an address, got ${describe(region.base)}`);
      if (typeof region.hex !== "string" || !/^([0-9a-fA-F]{2})*$/.test(region.hex)) fail(`${path}.hex`, "expected an even number of hex digits");
      return { base, hex: region.hex };
    });
  }
  return context;
}

/** An empty context: every static value comes from the program's own initializers. */
export function emptyContext(): Context {
  return { params: {}, globals: {}, memory: [] };
}

/** Parse scenario or context JSON text, reporting JSON syntax errors with the file name. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BespokeError("BAD_SCENARIO", `${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
