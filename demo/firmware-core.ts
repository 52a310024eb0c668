// The customization server for the virtual device, in the core worker: the
// same server core the edge runs (src/server/: DeviceSession, customize,
// the specializer stage of the prepared firmware), over the device's
// channel frames (a MessagePort to the device worker). The prepared
// firmware (the socket layer parsed at build time, its scenarios) comes from
// /prepared/firmware.json and the device's image key from
// /firmware/device.key (demo/server.ts; the Service Worker keeps both for
// offline use). Each specialization's residual C is kept for the page.
import { deserializeProgram } from "../src/c/serialize.ts";
import type { Target } from "../src/compiler/targets.ts";
import { BespokeError } from "../src/errors.ts";
import { MemoryCache } from "../src/server/cache.ts";
import { type PreparedFirmware, servePrepared } from "../src/server/catalog.ts";
import type { CoreOptions } from "../src/server/customize.ts";
import { signImages } from "../src/server/finalize.ts";
import { type PreparedFirmwareData, prepareFirmware } from "../src/server/firmware.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { DeviceSession } from "../src/server/session.ts";
import type { CustomizeOutcome, CustomizeRequest } from "../src/server/types.ts";
import { protocolCodec } from "../src/server/wire.ts";
import type { Compiler } from "../src/compiler/compiler.ts";
import { allocatedSizes, readElf } from "../src/compiler/elf.ts";
import { takeBindingTimes } from "./specialize-recorder.ts";
import { mark } from "./timeline.ts";

/** A binding time observed at a line of one of the firmware's files (by base name, e.g. sys_socket.c). */
export interface ObservedBindingTime {
  file: string;
  line: number;
  column: number;
  bt: "S" | "D";
}

export interface SessionReport {
  /** The same request as one shot (src/server/request.ts): the context and every piece of device memory and call result the server got over the channel — what `bespoke customize --context` takes. */
  oneShot: string;
  scenario: string;
  ok: boolean;
  error?: { code: string; message: string };
  residual: string;
  /** .text + .data of the residual C compiled for the device (0 when it was not compiled). */
  residualBytes: number;
  bindingTimes: ObservedBindingTime[];
  stats: CustomizeOutcome["stats"];
  imageBytes: number;
}

/** Where the core gets its files and compilers: the core worker fetches (through the Service Worker), the Service Worker reads its cache. */
export interface CoreSources {
  get(url: string): Promise<Response>;
  compiler(target: Target): Promise<Compiler>;
}

async function fetchOk(sources: CoreSources, url: string): Promise<Response> {
  const r = await sources.get(url);
  if (!r.ok) throw new BespokeError("NOT_PREPARED", `${url}: HTTP ${r.status} ${(await r.text()).slice(0, 300)}`);
  return r;
}

function base64Bytes(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export interface FirmwareCore {
  options: CoreOptions;
  /** The last residual C of each scenario. */
  residuals: Map<string, string>;
  /** The binding times of each scenario's last specialization. */
  bindingTimes: Map<string, ObservedBindingTime[]>;
  firmware: PreparedFirmware;
}

/** .text + .data of each residual unit the pipeline compiled, by its source: the page's size chart, without compiling it again. */
const objectBytes = new Map<string, number>();

/** The compiler as the pipeline uses it: compilations marked on the timeline, their object sizes kept. */
function observedCompiler(cc: Compiler): Compiler {
  return {
    target: cc.target,
    memoryBytes: () => cc.memoryBytes(),
    preprocess: (input) => cc.preprocess(input),
    invoke: (input) => cc.invoke(input),
    compile: async (input) => {
      mark("core: compile");
      const r = await cc.compile(input);
      mark("core: compiled");
      const source = input.files[input.entry];
      if (r.ok && typeof source === "string") {
        const sizes = allocatedSizes(readElf(r.object));
        objectBytes.set(source, sizes.text + sizes.data);
      }
      return r;
    },
  };
}

let core: Promise<FirmwareCore> | null = null;

/** The server core over the virtual device's prepared firmware (made once per worker). */
export function loadCore(sources: CoreSources): Promise<FirmwareCore> {
  core ??= (async () => {
    mark("core: loading the prepared firmware");
    const [data, keyHex] = await Promise.all([
      fetchOk(sources, "/prepared/firmware.json").then((r) => r.json() as Promise<PreparedFirmwareData>),
      fetchOk(sources, "/firmware/device.key").then(async (r) => (await r.text()).trim()),
    ]);
    mark("core: prepared firmware fetched");
    const key = Uint8Array.from(keyHex.match(/../g) ?? [], (h) => parseInt(h, 16));
    // prepareFirmware lowers the socket layer for the specializer now, not in the first request
    const firmware = prepareFirmware({
      buildId: data.buildId,
      target: data.target,
      exports: data.exports,
      ...(data.functions ? { functions: data.functions } : {}),
      program: deserializeProgram(base64Bytes(data.program)),
      scenarios: data.scenarios,
    });
    mark("core: prepared firmware loaded");
    // keep each scenario's last residual C: the specialize stage's own output
    const residuals = new Map<string, string>();
    const bindingTimes = new Map<string, ObservedBindingTime[]>();
    const specialize: PreparedFirmware["specialize"] = {};
    for (const [name, stage] of Object.entries(firmware.specialize)) {
      specialize[name] = async (job) => {
        takeBindingTimes();
        mark(`core: specialize ${name}`);
        const code = await stage(job);
        mark(`core: specialized ${name}`);
        residuals.set(name, code.source);
        const observed = takeBindingTimes()?.bindingTimes ?? [];
        bindingTimes.set(
          name,
          observed.map(({ pos, bt }) => ({ file: pos.file.slice(pos.file.lastIndexOf("/") + 1), line: pos.line, column: pos.column, bt })),
        );
        return code;
      };
    }
    const { catalog, pipeline } = servePrepared([{ ...firmware, specialize }], (t) => sources.compiler(t).then(observedCompiler));
    return { options: { catalog, pipeline, finalize: signImages(async () => key), cache: new MemoryCache(), limits: { ...DEFAULT_LIMITS } }, residuals, bindingTimes, firmware };
  })();
  core.catch(() => (core = null));
  return core;
}

/** Serve the device's channel on `port` until it closes; `report` gets each customization's outcome. */
export async function serveDevice(sources: CoreSources, port: MessagePort, device: string, report: (r: SessionReport) => void): Promise<void> {
  const { options, residuals, bindingTimes, firmware } = await loadCore(sources);
  const scenarioOf = new Map<number, string>();
  // per request: what the device sent, to restate the request as one shot
  const heard = new Map<number, { request: CustomizeRequest; memory: { addr: number; bytes: Uint8Array }[]; calls: { fn: string; args: bigint[]; result?: bigint }[] }>();
  const oneShot = (id: number): string => {
    const h = heard.get(id);
    if (!h) return "";
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return JSON.stringify({
      firmware: h.request.firmware,
      scenario: h.request.scenario,
      ...(h.request.target ? { target: h.request.target } : {}),
      device,
      values: h.request.values,
      memory: [...h.request.memory, ...h.memory].map((m) => ({ addr: `0x${m.addr.toString(16)}`, hex: hex(m.bytes) })),
      calls: h.calls.filter((c) => c.result !== undefined).map((c) => ({ fn: c.fn, args: c.args.map(String), result: String(c.result) })),
    });
  };
  const session = new DeviceSession({
    core: options,
    device: { id: device },
    send: (message) => {
      if (message.kind === "call") heard.get(message.request)?.calls.push({ fn: message.call.fn, args: [...message.call.args] });
      for (const frame of protocolCodec.encode(message)) port.postMessage(frame, [frame.buffer]);
    },
    onOutcome: (request, outcome) => {
      mark("core: outcome");
      const scenario = scenarioOf.get(request) ?? Object.keys(firmware.info.scenarios)[0]!;
      const residual = residuals.get(scenario) ?? "";
      const observed = bindingTimes.get(scenario) ?? [];
      // the session sends the image to the device right after this returns: the page's report (cloned to it) waits until then
      setTimeout(() =>
        report({
          oneShot: oneShot(request),
          scenario,
          ok: outcome.ok,
          ...(outcome.ok ? {} : { error: outcome.error }),
          residual,
          residualBytes: objectBytes.get(residual) ?? 0,
          bindingTimes: observed,
          stats: outcome.stats,
          imageBytes: outcome.ok ? outcome.image.length : 0,
        }),
      );
    },
  });
  port.onmessage = ({ data }: MessageEvent<Uint8Array | null>) => {
    if (data === null) {
      session.close();
      port.close();
      return;
    }
    let message;
    try {
      message = protocolCodec.decode(data);
    } catch (e) {
      const request = protocolCodec.requestOf(data);
      for (const f of protocolCodec.encode({ kind: "error", request, code: "BAD_FRAME", message: e instanceof Error ? e.message : String(e) })) port.postMessage(f);
      return;
    }
    if (message.kind === "customize") {
      mark("core: customize request");
      scenarioOf.set(message.request, message.customize.scenario);
      heard.set(message.request, { request: message.customize, memory: [], calls: [] });
    } else if (message.kind === "data") heard.get(message.request)?.memory.push({ addr: message.addr, bytes: message.bytes });
    else if (message.kind === "result") {
      const pending = heard.get(message.request)?.calls.find((c) => c.result === undefined);
      if (pending) pending.result = message.value;
    }
    session.receive(message);
  };
}
