// The device's real firmware (firmware/: kernel + lwIP) prepared for
// serving: its socket layer parsed at build time, one scenario per
// customizable call (firmware/scenarios/*.json), tied to the build ID.
// Per request: the CUSTOMIZE values become the specializer's context (fd,
// flags, destination address as static parameters; the kernel's `current`
// task read from device memory at its exported address), parameters the
// device dropped become dynamic, and the residual function is wrapped in an
// entry with the generic call's signature (custom.h `bsp_entry`).
// Guards: the device guards every version with its file's generation (moved
// by setsockopt, bind, connect, fcntl, close and netif changes) and every
// token with its fd slot's generation, which covers everything read here
// (the task's fd table, the file, the socket, its pcb).
// Runtime-independent: bundled into the edge worker.
import { type FunctionDef, NodeKind, type Program } from "../c/ast.ts";
import type { Target } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import type { CallName } from "../runtime/protocol.ts";
import { MirrorDeviceMemory } from "../runtime/mirror.ts";
import type { BindingTimeAnalysis } from "../specializer/bta.ts";
import { prepareProgram, provideBindingTimes } from "../specializer/pipeline.ts";
import type { Context, Scenario, StaticValue } from "../specializer/scenario.ts";
import type { PreparedFirmware } from "./catalog.ts";
import { specializerStage } from "./specializer.ts";
import type { FirmwareInfo, PipelineJob } from "./types.ts";

export interface FirmwareScenario {
  scenario: Scenario;
  call: CallName;
  /** Bumped with the scenario file or the analysis. */
  version: number;
  /** Its binding-time analysis, made at build time (src/device/prepare.ts). */
  bta?: BindingTimeAnalysis;
}

export interface FirmwareProgram {
  buildId: string;
  target: Target;
  /** The firmware's export table: name and device address. */
  exports: { name: string; address: number }[];
  /** Function symbols of the image (globals, and statics whose names are unique): what a device code address runs; without them calls through device function pointers stay residual. */
  functions?: { name: string; address: number }[];
  /** The socket layer, parsed for the target. */
  program: Program;
  scenarios: Record<string, FirmwareScenario>;
}

/** A FirmwareProgram as data a bundle carries (src/device/prepare.ts writes it, edge-worker/prepared.ts reads it): the program serialized (src/c/serialize.ts), base64. */
export type PreparedFirmwareData = Omit<FirmwareProgram, "program"> & { program: string };

/** The generic call's parameters as the entry reads them (custom.h bsp_entry: fd, buf, len in registers; flags, addr, addr_len in the token's arguments). */
const ENTRY_ARGS: Record<string, string> = { fd: "fd", buff: "(void *)buf", len: "len", flags: "(unsigned)args->flags", addr: "(args->addr_len ? (void *)args->addr : 0)", addr_len: "(int)args->addr_len" };

/** The device's entry ABI (bsp_entry, firmware/custom/custom.h): the descriptor, the dynamic arguments and the token's static arguments in place. */
const ENTRY_ARGS_STRUCT = "struct bsp_entry_args { int fd; int flags; unsigned char addr[16]; unsigned addr_len; };";

function bytesOf(job: PipelineJob, name: string): Uint8Array | undefined {
  const v = job.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^([0-9a-f]{2})*$/.test(v)) throw new BespokeError("BAD_CONTEXT", `value ${name}: expected hex bytes, got ${JSON.stringify(v)}`);
  return Uint8Array.from(v.match(/../g) ?? [], (h) => parseInt(h, 16));
}

function int32(job: PipelineJob, name: string): number | undefined {
  const b = bytesOf(job, name);
  if (b === undefined) return undefined;
  if (b.length !== 4) throw new BespokeError("BAD_CONTEXT", `value ${name}: expected 4 bytes (i32), got ${b.length}`);
  return new DataView(b.buffer).getInt32(0, true);
}

/** The scenario with the parameters the device dropped made dynamic. */
function scenarioFor(base: Scenario, context: Context): Scenario {
  const params: Scenario["params"] = {};
  for (const [name, spec] of Object.entries(base.params)) {
    const isStatic = spec !== "D" && !(typeof spec === "object" && "value" in spec && spec.value === "D");
    if (!isStatic || name in context.params) params[name] = spec;
  }
  return { ...base, params };
}

/** What one request specializes under: the scenario (dropped parameters dynamic) and the context from its values and device memory. */
export function specializationInputs(fw: FirmwareProgram, scenarioName: string, job: PipelineJob): { scenario: Scenario; context: Context } {
  const base = fw.scenarios[scenarioName];
  if (!base) throw new BespokeError("UNKNOWN_SCENARIO", `firmware ${fw.buildId} has no scenario ${scenarioName} (it has: ${Object.keys(fw.scenarios).join(", ")})`);
  const current = fw.exports.find((e) => e.name === "current");
  if (!current) throw new BespokeError("BAD_FIRMWARE", `firmware ${fw.buildId} exports no 'current' (the kernel's running task)`);
  const pointerBytes = fw.target === "x86_64" ? 8 : 4;
  const params: Record<string, StaticValue> = {};
  const fd = int32(job, "fd");
  const flags = int32(job, "flags");
  const addr = bytesOf(job, "addr");
  if (fd !== undefined) params.fd = fd;
  if (flags !== undefined) params.flags = flags >>> 0;
  if ("addr" in base.scenario.params && addr !== undefined) {
    // a struct sockaddr: the family (host order, as the application wrote it), then the address bytes
    if (addr.length !== 0 && (addr.length < 2 || addr.length > 16)) throw new BespokeError("BAD_CONTEXT", `value addr: a socket address of ${addr.length} bytes (2..16)`);
    params.addr = addr.length ? { sa_family: addr[0]! | (addr[1]! << 8), sa_data: [...addr.subarray(2)] } : null;
    params.addr_len = addr.length;
  }
  // the running task, as the kernel's `current` reads on the device (a miss fetches it)
  const word = new MirrorDeviceMemory(job.memory).read(current.address, pointerBytes);
  if (!word) throw new BespokeError("BAD_CONTEXT", `device memory at 'current' (0x${current.address.toString(16)}) is not readable`);
  let task = 0n;
  for (let i = pointerBytes - 1; i >= 0; i--) task = (task << 8n) | BigInt(word[i]!);
  if (task === 0n) throw new BespokeError("BAD_CONTEXT", "no task is running on the device (current is NULL)");
  const context: Context = { params, globals: { current: { address: `0x${task.toString(16)}` } }, memory: [] };
  return { scenario: scenarioFor(base.scenario, context), context };
}

export function prepareFirmware(fw: FirmwareProgram): PreparedFirmware {
  prepareProgram(fw.program, fw.target); // lowered once when the firmware is loaded, not in the first request's time
  const byAddress = new Map((fw.functions ?? []).map((f) => [f.address, f.name]));
  provideBindingTimes(fw.program, fw.target, Object.values(fw.scenarios).flatMap((s) => (s.bta ? [s.bta] : [])));
  const specialize: PreparedFirmware["specialize"] = {};
  for (const [name, s] of Object.entries(fw.scenarios)) {
    const entry = fw.program.decls.find((d): d is FunctionDef => d.kind === NodeKind.FunctionDef && d.sym.name === s.scenario.entry);
    if (!entry) throw new BespokeError("BAD_FIRMWARE", `scenario ${name}: the firmware's program defines no ${s.scenario.entry}`);
    specialize[name] = specializerStage({
      program: fw.program,
      scenario: s.scenario,
      contextOf: (job) => specializationInputs(fw, name, job).context,
      scenarioOf: (_job, context) => scenarioFor(s.scenario, context),
      deviceGlobals: true,
      deviceFunction: (address) => byAddress.get(address),
      entryOf: (residual, scenario) => {
        const args = entry.params.filter((p) => !(p.name in scenario.params) || scenario.params[p.name] === "D").map((p) => {
          const arg = ENTRY_ARGS[p.name];
          if (!arg) throw new BespokeError("BAD_SCENARIO", `${s.scenario.entry}: parameter '${p.name}' has no counterpart in the customized call's signature`);
          return arg;
        });
        return {
          entry: "bsp_customized_entry",
          source: `${ENTRY_ARGS_STRUCT}\nlong bsp_customized_entry(int fd, const void *buf, unsigned long len, const struct bsp_entry_args *args)\n{\n    return ${residual}(${args.join(", ")});\n}\n`,
        };
      },
    });
  }
  const info: FirmwareInfo = {
    buildId: fw.buildId,
    target: fw.target,
    addressLimit: fw.target === "x86_64" ? Number.MAX_SAFE_INTEGER : 2 ** 32,
    scenarios: Object.fromEntries(Object.entries(fw.scenarios).map(([name, s]) => [name, { name, version: s.version, call: s.call }])),
  };
  return { info, exports: fw.exports.map((e) => e.name), specialize };
}
