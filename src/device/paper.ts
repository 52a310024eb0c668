// The paper's scenario, measured: the virtual device boots twice from the
// same state per call — once sending through the generic system call, once
// through a customization token served by a server — and the two runs are
// compared (packets and return values, instructions per call), with the
// sizes of the generic stack and of the shipped code, chi and latencies.
// `npm start` prints it; `bespoke bench --json FILE` records it.
import { MemoryCache, PROFILE_PREFIX } from "../server/cache.ts";
import type { CoreOptions } from "../server/customize.ts";
import type { CustomizeOutcome, ImageCache } from "../server/types.ts";
import { BespokeError } from "../errors.ts";
import { boardCore } from "./board-core.ts";
import { buildArmFirmware } from "./firmware-build.ts";
import { type DeviceRun, type LinkModel, type ServerLink, inProcessServer, runDevice } from "./host.ts";

export interface SendFigures {
  sent: number;
  ok: number;
  first: number;
  packets: number;
  bytes: number;
  /** Mean instructions per call, counted by the board around each call. */
  instret: number;
  digest: string;
}

const SENT = /^sent (\d+) ok (\d+) first (-?\d+) packets (\d+) bytes (\d+) instret (\d+) least \d+ digest ([0-9a-f]+)$/;

/** The `e2e send` results of a run, in order. */
export function sendFigures(lines: string[]): SendFigures[] {
  return lines.flatMap((l) => {
    const m = SENT.exec(l);
    if (!m) return [];
    const n = m.slice(1, 7).map(Number);
    return [{ sent: n[0]!, ok: n[1]!, first: n[2]!, packets: n[3]!, bytes: n[4]!, instret: n[5]!, digest: m[7]! }];
  });
}

/** A link that must carry nothing: generic boots never ask the server. */
export const NO_SERVER: ServerLink = {
  send: () => {
    throw new BespokeError("UNEXPECTED_FRAME", "a generic boot sent a frame to the server");
  },
  onFrame: () => {},
  close: () => {},
};

/**
 * An image cache that never serves an image (recipes and artifacts are not
 * kept), so every request runs the pipeline; what the server learned of the
 * firmware's memory (the scenario's read profile) stays, as on a warm edge.
 */
function noImages(): ImageCache {
  const kept = new MemoryCache();
  return {
    get: (key) => (key.startsWith(PROFILE_PREFIX) ? kept.get(key) : Promise.resolve(undefined)),
    put: (key, value) => (key.startsWith(PROFILE_PREFIX) ? kept.put(key, value) : Promise.resolve()),
  };
}

/** An image cache that never hits: every request runs the pipeline from an empty mirror. */
const NO_CACHE: ImageCache = { get: async () => undefined, put: async () => {} };

export interface CallFigures {
  generic_bytes: number;
  customized_bytes: number;
  size_ratio: number;
  generic_instructions_64: number;
  customized_instructions_64: number;
  generic_instructions_1024: number;
  customized_instructions_1024: number;
  packets_identical: boolean;
  chi: number;
  cold_ms: number;
  /** The pipeline of a warm edge, in CPU time of the thread that runs it (the Workers limit is on CPU time; wall time on a loaded machine is not the edge's). */
  edge_ms_p50: number;
  /** The same pipeline's median over requests 3-17 of the series, while V8 is still compiling the specializer (the bench's figure before the steady state was measured). */
  edge_ms_p50_early: number;
  /** Where edge_ms_p50 goes (means over the same requests, so that they add up): the stages of the run that made the code, and the runs a miss ended. */
  edge_breakdown_ms: { specialize: number; compile: number; image: number; missed_runs: number };
  /** Round trips to the device and pipeline runs of those requests. */
  edge_chi: number;
  edge_runs: number;
  /** The same median on an edge that has served nothing (no read profile: a run per miss). */
  edge_ms_p50_first_contact: number;
  /**
   * Median, over warm requests on a 20 ms link, of the time from CUSTOMIZE
   * sent to the version loaded (link, server, and the device verifying and
   * loading the image on the VM), on a link simulated in virtual time
   * (link-timeline.ts): frames are not held by real timers but stamped with
   * their arrival, 10 ms after they were sent; the thread only runs the
   * server's and the device's processing, timed by wall time less the
   * thread's waits for a CPU (cpu-clock.ts), and the timeline jumps to the
   * next arrival whenever the device idles. So the figure is the link's
   * one-way delays on the request's critical path (2 x (chi + 1), i.e. the
   * model) plus the processing of every hop: never below the model, however
   * loaded the machine (no idle wait exists for a run-queue wait to overlap),
   * and on an idle machine the same as the wall time over a real-timer link.
   */
  e2e_ms_rtt20: number;
  /** The same median in plain wall time, over a link of real timers (other processes' load included). */
  e2e_wall_ms_rtt20: number;
  /** VM instructions the device runs from the IMAGE's arrival to the version loaded (verify the tag, copy, relocate, install), in those requests. */
  e2e_load_instructions: number;
  model_ms_rtt20: number;
}

interface CallSetup {
  name: "udp_sendto" | "tcp_send";
  /** Commands that open the socket (fd 1 sends). */
  open: string;
  /** The destination argument of e2e customize/send ("-" for a connected stream). */
  to: (i: number) => string;
  count: number;
}

export const CALLS: CallSetup[] = [
  { name: "udp_sendto", open: "e2e udp 7000", to: (i) => String(7000 + i), count: 1000 },
  { name: "tcp_send", open: "e2e tcp 7001", to: () => "-", count: 1000 },
];

/** The code bytes of an image (its memory: code then data), from its header. */
export function imageMemoryBytes(image: Uint8Array): number {
  return new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(24, true);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}

export interface PaperOptions {
  onLine?: (line: string) => void;
  /** Only the UDP call (npm start). */
  udpOnly?: boolean;
}

/** Run the scenario for each call against the in-process core; figures per call. */
export async function paperFigures(options: PaperOptions = {}): Promise<Record<string, CallFigures>> {
  const fw = await buildArmFirmware("board");
  const size = (c: string) => fw.components.filter((x) => x.component === c).reduce((a, x) => a + x.text + x.data, 0);
  const genericBytes = size("kernel") + size("lwip");
  const out: Record<string, CallFigures> = {};
  for (const call of options.udpOnly ? CALLS.slice(0, 1) : CALLS) {
    const to = call.to(0);
    const sends = (mode: string) => [`e2e send ${mode} ${call.count} 64 1 ${to}`, `e2e send ${mode} ${call.count} 1024 1 ${to}`];
    const generic = await runDevice([call.open, ...sends("g")], NO_SERVER, { onLine: options.onLine });
    // cold: a fresh core; the customized boot
    const outcomes: CustomizeOutcome[] = [];
    const core = await boardCore();
    const custom = await runDevice([call.open, `e2e customize 1 ${to}`, "e2e wait 1", ...sends("c"), "e2e cancel 1"], inProcessServer(core, { onOutcome: (_r, o) => outcomes.push(o) }), { onLine: options.onLine });
    const cold = outcomes[0];
    if (!cold?.ok) throw new BespokeError("CUSTOMIZE_FAILED", `${call.name}: the server did not customize: ${cold && !cold.ok ? `${cold.error.code}: ${cold.error.message}` : "no request"}`);
    const g = sendFigures(generic.lines);
    const c = sendFigures(custom.lines);
    if (g.length !== 2 || c.length !== 2) throw new BespokeError("DEVICE_OUTPUT", `${call.name}: the device did not report both runs:\n${[...generic.lines, ...custom.lines].join("\n")}`);
    // warm: the same core again over a 20 ms link (the image cache answers after re-reading what it depended on)
    const warm = await latencyRun(core, call);
    // the pipeline alone, warm: requests the image cache cannot serve, on an edge that has served the scenario before (and on one that has not)
    const p50 = await pipelineMedian(call, noImages());
    const firstContact = await pipelineMedian(call, NO_CACHE);
    const customized = imageMemoryBytes(cold.image);
    out[call.name] = {
      generic_bytes: genericBytes,
      customized_bytes: customized,
      size_ratio: Math.round((genericBytes / customized) * 10) / 10,
      generic_instructions_64: g[0]!.instret,
      customized_instructions_64: c[0]!.instret,
      generic_instructions_1024: g[1]!.instret,
      customized_instructions_1024: c[1]!.instret,
      packets_identical: g.every((x, i) => x.digest === c[i]!.digest && x.ok === x.sent && c[i]!.ok === x.sent),
      chi: cold.stats.chi,
      cold_ms: Math.round(cold.stats.totalMs * 10) / 10,
      edge_ms_p50: round1(p50.ms),
      edge_ms_p50_early: round1(p50.earlyMs),
      edge_breakdown_ms: { specialize: round1(p50.specialize), compile: round1(p50.compile), image: round1(p50.image), missed_runs: round1(p50.missed) },
      edge_chi: p50.chi,
      edge_runs: p50.runs,
      edge_ms_p50_first_contact: round1(firstContact.ms),
      e2e_ms_rtt20: round1(warm.ms),
      e2e_wall_ms_rtt20: round1(warm.wallMs),
      e2e_load_instructions: warm.loadInstructions,
      model_ms_rtt20: 20 * (warm.chi + 1),
    };
  }
  return out;
}

const RTT20: LinkModel = { rttMs: 20 };
const RTT20_VIRTUAL: LinkModel = { ...RTT20, virtual: true };

/** Warm requests timed over each simulated link (one device boot each): a single one on a loaded machine says little. */
const LATENCY_RUNS = 9;

/** Median time from CUSTOMIZE sent to the version loaded, of warm requests over a 20 ms link (in virtual time, and in wall time over real timers), and their chi. */
async function latencyRun(core: CoreOptions, call: CallSetup): Promise<{ ms: number; wallMs: number; loadInstructions: number; chi: number }> {
  const ms: number[] = [];
  const wallMs: number[] = [];
  const loads: number[] = [];
  const chis = new Set<number>();
  const request = async (link: LinkModel): Promise<DeviceRun> => {
    const outcomes: CustomizeOutcome[] = [];
    const run = await runDevice([call.open, `e2e customize 1 ${call.to(0)}`, "e2e wait 1"], inProcessServer(core, { onOutcome: (_r, o) => outcomes.push(o) }), { link });
    const o = outcomes[0];
    if (!o?.ok || run.waits.length !== 1 || run.loads.length !== 1) throw new BespokeError("CUSTOMIZE_FAILED", `${call.name}: the warm request failed`);
    chis.add(o.stats.chi);
    loads.push(run.loads[0]!);
    return run;
  };
  for (let i = 0; i < LATENCY_RUNS; i++) {
    ms.push((await request(RTT20_VIRTUAL)).waitsOnTimeline[0]!);
    wallMs.push((await request(RTT20)).waits[0]!);
  }
  if (chis.size !== 1) throw new BespokeError("CUSTOMIZE_FAILED", `${call.name}: warm requests made different numbers of round trips (${[...chis].join(", ")})`);
  return { ms: median(ms), wallMs: median(wallMs), loadInstructions: median(loads), chi: [...chis][0]! };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

interface PipelineFigures {
  /** The whole pipeline (every run; median), its stages in the run that made the code and the runs a miss ended (means). */
  ms: number;
  /** The whole pipeline's median over the series' early requests. */
  earlyMs: number;
  specialize: number;
  compile: number;
  image: number;
  missed: number;
  chi: number;
  runs: number;
}

/**
 * A series of requests on one core, as one isolate of the edge serves them:
 * the figures are its steady state, after V8 has compiled the specializer's
 * hot paths (the JIT takes tens of requests to settle: the same request
 * costs 1.3-1.7x more CPU over requests 3-17 than after request 40); the series'
 * early requests are reported beside it.
 */
const SERIES = { warmup: 40, measured: 20 };
/** The window of the early figure (the bench's window before the steady state was measured): requests 3-17. */
const EARLY = { from: 3, to: 18 };

/** Median server time of the pipeline (specialize + compile + image) over a series' steady requests, none served an image by `cache` (one device boot each), and over its early requests. */
async function pipelineMedian(call: CallSetup, cache: ImageCache): Promise<PipelineFigures> {
  const core = await boardCore({ cache }); // its clock: CPU time of this thread
  const outcomes: CustomizeOutcome[] = [];
  for (let i = 0; i < SERIES.warmup + SERIES.measured; i++) await runDevice([call.open, `e2e customize 1 ${call.to(0)}`, "e2e wait 1"], inProcessServer(core, { onOutcome: (_r, o) => outcomes.push(o) }));
  const succeeded = (from: number, to: number) => outcomes.slice(from, to).filter((o) => o.ok).map((o) => o.stats);
  const warm = succeeded(SERIES.warmup, SERIES.warmup + SERIES.measured);
  const early = succeeded(EARLY.from, EARLY.to);
  if (warm.length === 0 || early.length === 0) throw new BespokeError("CUSTOMIZE_FAILED", `${call.name}: no warm pipeline run succeeded`);
  const of = (f: (s: (typeof warm)[number]) => number) => median(warm.map(f));
  const mean = (f: (s: (typeof warm)[number]) => number) => warm.reduce((a, s) => a + f(s), 0) / warm.length;
  return {
    earlyMs: median(early.map((s) => s.pipelineMs)),
    ms: of((s) => s.pipelineMs),
    specialize: mean((s) => s.stageMs.specialize),
    compile: mean((s) => s.stageMs.compile),
    image: mean((s) => s.stageMs.image),
    missed: mean((s) => s.pipelineMs - s.stageMs.specialize - s.stageMs.compile - s.stageMs.image),
    chi: of((s) => s.chi),
    runs: of((s) => s.runs),
  };
}
