// `bespoke bench edge`: the edge worker's deployable size, and request
// latencies of the server over the list world (test/server/list-sum.ts: the
// real specializer over a device linked list, scenario "list-c"; the hand
// specialization, scenario "udp-sendto", for WebSocket sessions), in two
// places: inside workerd (the worker as deployed, reached over loopback
// HTTP and WebSocket, wall time per request, the device answering at once)
// and in-process (the core alone; its pipelineMs is specialize + compile +
// image, device waits excluded).
// These are the infrastructure's figures; the paper's (the board firmware's
// udp-sendto and tcp-send, edge_ms_p50 and its breakdown) are `bespoke bench`
// (src/bench/e2e.ts).
import path from "node:path";
import type { Benchmark } from "../cli/bench.ts";
import { EdgeChannel, bundleSize, bundleWorker, runWorker } from "../cli/serve.ts";
import { decodeFrame, encodeFrame } from "../runtime/protocol.ts";
import { createCompiler } from "../compiler/node.ts";
import { repoRoot } from "../node/paths.ts";
import { MemoryCache } from "../server/cache.ts";
import { servePrepared } from "../server/catalog.ts";
import { customize } from "../server/customize.ts";
import { DEFAULT_LIMITS } from "../server/limits.ts";
import { BUILD_ID, LIST_SUM_FIRMWARE, NODES, ScriptedDevice, signForDevice } from "../../test/server/list-sum.ts";

export const GOALS = { bundleGzipBytes: 3 * 1024 * 1024, edgeMsP50: 10 };

const RUNS = 25;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const round = (x: number): number => Math.round(x * 100) / 100;

/** A one-shot request for scenario list-c whose list values are `values`: distinct values, distinct cache keys. */
function listRequest(values: number[]) {
  const device = new ScriptedDevice(values);
  const memory = NODES.map((addr) => ({ addr: `0x${addr.toString(16)}`, hex: Buffer.from(device.read({ addr, length: 16 })).toString("hex") }));
  return { firmware: BUILD_ID, scenario: "list-c", device: "bench", values: { head: { address: `0x${NODES[0]!.toString(16)}` } }, memory };
}

export const edgeBench: Benchmark = async (ctx) => {
  ctx.stderr("bench edge: bundling the deployable worker\n");
  const size = bundleSize(bundleWorker(path.join(repoRoot(), "edge-worker", "wrangler.toml"), "bench-deploy"));

  ctx.stderr("bench edge: requests in workerd\n");
  const world = await runWorker(bundleWorker(path.join(repoRoot(), "test", "edge", "wrangler.toml"), "bench-world"));
  const workerd: Record<string, number> = {};
  try {
    const time = async (f: () => Promise<Response>): Promise<number> => {
      const t = performance.now();
      const r = await f();
      await r.arrayBuffer();
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return performance.now() - t;
    };
    const health = () => fetch(new URL("/healthz", world.url));
    const post = (body: unknown) =>
      fetch(new URL("/v1/customize", world.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    await time(health);
    const healthMs: number[] = [];
    for (let i = 0; i < RUNS; i++) healthMs.push(await time(health));
    workerd.first_request_ms = await time(() => post(listRequest([1, 2, 3, 4, 5]))); // instantiates tcc-wasm in the isolate
    const cold: number[] = [];
    for (let i = 0; i < RUNS; i++) cold.push(await time(() => post(listRequest([10 + i, 20, 30, 40, 50]))));
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await time(() => post(listRequest([10, 20, 30, 40, 50]))));
    Object.assign(workerd, { healthz_ms_p50: median(healthMs), oneshot_cold_ms_p50: median(cold), oneshot_warm_ms_p50: median(warm) });

    // a device session over a WebSocket (scenario udp-sendto of the list world: a walk of 5 nodes + one CALL)
    const channel = await EdgeChannel.connect(world.url, "bench-ws");
    const device = new ScriptedDevice();
    const link = device.link();
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, NODES[0]!, true);
    const buildId = Uint8Array.from(BUILD_ID.match(/../g)!.map((h) => parseInt(h, 16)));
    /** One request; wall ms from CUSTOMIZE sent to IMAGE received, and the frames the edge sent before the IMAGE. */
    const customizeOnce = async (id: number): Promise<{ ms: number; frames: number }> => {
      const t = performance.now();
      channel.send(encodeFrame({ type: "customize", id, call: "sendto", target: "arm", buildId, contextHash: new Uint8Array(8), values: [{ param: "addr", bytes: head }], roots: [] }));
      for (let frames = 0; ; frames++) {
        const m = decodeFrame(await channel.next());
        if (m.type === "fetch") {
          const [bytes] = await link.fetch([{ addr: Number(m.address), length: m.length }]);
          channel.send(encodeFrame({ type: "data", id, address: m.address, bytes: bytes! }));
        } else if (m.type === "call") {
          channel.send(encodeFrame({ type: "result", id, value: await link.call({ fn: "sockfd_lookup", args: m.args }) }));
        } else if (m.type === "image") {
          return { ms: performance.now() - t, frames };
        } else {
          throw new Error(`session: ${m.type === "error" ? m.message : m.type}`);
        }
      }
    };
    const first = await customizeOnce(1);
    const warmSession: number[] = [];
    let warmFrames = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = await customizeOnce(2 + i);
      warmSession.push(r.ms);
      warmFrames = r.frames;
    }
    channel.close();
    Object.assign(workerd, {
      session_cold_ms: first.ms,
      session_cold_frames: first.frames,
      session_warm_ms_p50: median(warmSession),
      session_warm_frames: warmFrames,
    });
  } finally {
    await world.mf.dispose();
  }

  ctx.stderr("bench edge: the core in-process\n");
  const { catalog, pipeline } = servePrepared([LIST_SUM_FIRMWARE], (target) => createCompiler({ target }));
  const head = { address: `0x${NODES[0]!.toString(16)}` };
  const shared = new MemoryCache();
  /** One request against `cache`; CPU ms of this process (robust against other load on the machine) beside the core's own figures. */
  const request = async (values: number[], cache: MemoryCache) => {
    const options = { catalog, pipeline, finalize: signForDevice, cache, limits: DEFAULT_LIMITS };
    const device = new ScriptedDevice(values);
    const cpu = process.cpuUsage();
    const out = await customize(options, { firmware: BUILD_ID, scenario: "list-c", values: { head }, memory: [] }, { id: "bench" }, device.link());
    const used = process.cpuUsage(cpu);
    if (!out.ok) throw new Error(out.error.message);
    return { ...out.stats, cpuMs: (used.user + used.system) / 1000 };
  };
  await request([1, 2, 3, 4, 5], new MemoryCache()); // instantiates tcc-wasm
  const series = async (make: (i: number) => Promise<Awaited<ReturnType<typeof request>>>) => {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await make(i));
    return {
      chi: runs[0]!.chi,
      runs: runs[0]!.runs,
      cache: runs[0]!.cache,
      pipeline_ms_p50: round(median(runs.map((r) => r.pipelineMs))),
      total_ms_p50: round(median(runs.map((r) => r.totalMs))),
      cpu_ms_p50: round(median(runs.map((r) => r.cpuMs))),
    };
  };
  // cold: nothing cached; changed: the recipe is cached but a value read has changed; warm: everything cached
  const cold = await series((i) => request([200 + i, 20, 30, 40, 50], new MemoryCache()));
  await request([300, 20, 30, 40, 50], shared);
  const changed = await series((i) => request([301 + i, 20, 30, 40, 50], shared));
  const warm = await series(() => request([301, 20, 30, 40, 50], shared));
  const edgeMsP50 = cold.pipeline_ms_p50;
  return {
    bundle_raw_bytes: size.raw,
    bundle_gzip_bytes: size.gzip,
    workerd: Object.fromEntries(Object.entries(workerd).map(([k, v]) => [k, round(v)])),
    core: { scenario: "list-c (real specializer, 5 device reads, tcc-wasm arm, image)", cold, changed, warm, edge_ms_p50: edgeMsP50 },
    goals: GOALS,
    goals_met: { bundle: size.gzip <= GOALS.bundleGzipBytes, edge_ms_p50: edgeMsP50 <= GOALS.edgeMsP50 },
  };
};
