// `bespoke bench browser`: the playground (demo/) in headless Chromium,
// served by `bespoke serve` (the local edge with the playground in front).
// Time from navigation start to the first completed customization, each
// mode on its own page load, the button pressed as soon as the page has
// parsed: Scratch mode (the power example specialized and compiled by
// tcc-wasm in the core worker) and Device mode (the firmware's UDP sendto:
// the virtual device boots, asks, the core worker's server specializes,
// compiles and signs, the device loads the version: "state ready").
// Cold: a fresh profile (no Service Worker yet); warm: the next load, the
// Service Worker answering from its precache. Page weight: gzip -9.
// Device mode's cold runs also give where the time went, from the page's
// timeline (demo/timeline.ts: marks of page and workers on one clock): what
// was ready when the button was pressed, and each stage after it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { type Page, chromium } from "playwright-core";
import { demoDir } from "../../demo/server.ts";
import { startServe } from "../cli/serve.ts";
import type { Benchmark } from "../cli/bench.ts";
import { BespokeError } from "../errors.ts";

const RUNS = 5;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

type Mode = "scratch" | "device";

function gzipBytes(files: (string | Uint8Array)[]): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = typeof f === "string" ? fs.readFileSync(f) : f;
    raw += bytes.length;
    gzip += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

/** The virtual device's files, as the playground's server makes them (firmware image and manifest, image key, prepared socket layer). */
const DEVICE_FILES = ["/firmware/firmware.elf", "/firmware/firmware.json", "/firmware/device.key", "/prepared/firmware.json"];

async function pageWeight(origin: string): Promise<Record<string, { raw: number; gzip: number }>> {
  const dir = demoDir();
  const at = (...names: string[]) => names.map((n) => path.join(dir, n));
  const app = at("index.html", "style.css", "app.js", "core-worker.js", "device-worker.js", "sw.js");
  const wasmDir = path.join(dir, "wasm");
  const all = fs.readdirSync(wasmDir).map((f) => path.join(wasmDir, f));
  const device = await Promise.all(DEVICE_FILES.map(async (f) => new Uint8Array(await (await fetch(new URL(f, origin))).arrayBuffer())));
  return {
    app: gzipBytes(app),
    wasm_arm: gzipBytes(at("wasm/tcc-arm.wasm", "wasm/tcc-arm.mjs")),
    wasm_all_targets: gzipBytes(all),
    /** What Scratch mode's first customization loads: the app and arm tcc-wasm. */
    first_scratch_customization: gzipBytes([...app, ...at("wasm/tcc-arm.wasm", "wasm/tcc-arm.mjs")]),
    /** What Device mode's adds: the device's firmware and the prepared socket layer. */
    device_files: gzipBytes(device),
    /** Everything the Service Worker precaches. */
    precached: gzipBytes([...app, ...all, ...device]),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
}

interface Mark {
  what: string;
  /** ms since navigation start. */
  at: number;
}

/** Device mode's first customization, stage by stage (ms), from the page's timeline. */
function deviceBreakdown(marks: Mark[], domContentLoaded: number): Record<string, number> {
  const at = (what: string, which: "first" | "last" = "first"): number => {
    const found = marks.filter((m) => m.what === what);
    const m = which === "first" ? found[0] : found[found.length - 1];
    if (!m) throw new BespokeError("BENCH_FAILED", `the playground's timeline has no '${what}' mark: ${marks.map((x) => x.what).join(", ")}`);
    return m.at;
  };
  const pressed = at("page: customize pressed");
  const request = at("core: customize request");
  const specialized = at("core: specialized udp-sendto", "last");
  const outcome = at("core: outcome");
  return {
    dom_content_loaded: domContentLoaded,
    /** When the work made while the page loads was done (before or after the press). */
    prepared_firmware_loaded: at("core: prepared firmware loaded"),
    tcc_arm_ready: at("core: tcc-arm ready"),
    device_board_ready: at("device: board ready"),
    customize_pressed: pressed,
    /** Boot of the device to its CUSTOMIZE request at the core. */
    press_to_request: request - pressed,
    /** Every specialization run of the request, with the chi round trips to the device between them. */
    specialize_with_round_trips: specialized - request,
    /** From the last specialization to the compiled object (waits for tcc-wasm if it was not ready). */
    compile: at("core: compiled", "last") - specialized,
    image_and_sign: outcome - at("core: compiled", "last"),
    /** The image to the device, verified, loaded: "state ready". */
    device_load: at("page: state ready") - outcome,
    state_ready: at("page: state ready"),
  };
}

/** Load the page in `mode`, press its button at DOMContentLoaded, and return when its first customization completed (ms from navigation start). */
async function firstCustomization(page: Page, origin: string, mode: Mode): Promise<number> {
  await page.goto("about:blank");
  await page.goto(`${origin}/#${mode}`, { waitUntil: "domcontentloaded" });
  await page.click(mode === "scratch" ? '[data-testid="specialize"]' : '[data-testid="customize"]');
  const key = mode === "scratch" ? "firstScratch" : "firstDeviceCustomization";
  const handle = await page.waitForFunction(
    (k) => {
      const failed = ["errors", "device-error"].map((id) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)).find((el) => el && !el.hidden);
      if (failed) return { error: failed.innerText };
      const m = (window as unknown as { bespoke?: { marks: Record<string, number> } }).bespoke?.marks[k];
      return m === undefined ? null : { ms: m };
    },
    key,
    { timeout: 180_000 },
  );
  const r = (await handle.jsonValue()) as { ms?: number; error?: string };
  if (r.error !== undefined) throw new BespokeError("BENCH_FAILED", `the playground's ${mode} mode did not customize: ${r.error}`);
  return r.ms!;
}

export const browserBench: Benchmark = async (ctx) => {
  const playground = await startServe(0, "bench-browser");
  let weight: Awaited<ReturnType<typeof pageWeight>>;
  const times: Record<Mode, { cold: number[]; warm: number[] }> = { scratch: { cold: [], warm: [] }, device: { cold: [], warm: [] } };
  const breakdowns: Record<string, number>[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const mode of ["scratch", "device"] as const) {
        const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-bench-chromium-"));
        const context = await chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
        try {
          const page = await context.newPage();
          ctx.stderr(`bench browser: run ${i + 1}/${RUNS}, ${mode} mode, cold then warm\n`);
          times[mode].cold.push(await firstCustomization(page, playground.url.origin, mode));
          if (mode === "device") {
            const { marks, domContentLoaded } = await page.evaluate(async () => ({
              marks: await (window as unknown as { bespoke: { timeline(): Promise<Mark[]> } }).bespoke.timeline(),
              domContentLoaded: (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).domContentLoadedEventEnd,
            }));
            breakdowns.push(deviceBreakdown(marks, domContentLoaded));
          }
          await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
          times[mode].warm.push(await firstCustomization(page, playground.url.origin, mode));
        } finally {
          await context.close();
          fs.rmSync(profile, { recursive: true, force: true });
        }
      }
    }
    weight = await pageWeight(playground.url.origin);
  } finally {
    await playground.stop();
  }
  const summary = (xs: number[]) => ({ p50: median(xs), runs: xs.map((x) => Math.round(x)) });
  const deviceCold = median(times.device.cold);
  const scratchCold = median(times.scratch.cold);
  return {
    what: "headless Chromium, playground from bespoke serve; ms from navigation start to the first completed customization, the button pressed at DOMContentLoaded; cold = fresh profile, warm = the next load through the Service Worker",
    goal_first_customization_ms: 1000,
    /** Device mode (the paper's scenario: the device's version loaded, 'state ready'), cold, p50. */
    first_customization_ms: deviceCold,
    meets_goal: deviceCold <= 1000,
    meets_goal_scratch: scratchCold <= 1000,
    scratch_power_ms: { cold: summary(times.scratch.cold), warm: summary(times.scratch.warm) },
    device_udp_sendto_ms: { cold: summary(times.device.cold), warm: summary(times.device.warm) },
    /** Device mode, cold: p50 of each stage over the runs (ms; the marks' times are ms since navigation start). */
    device_cold_breakdown_ms: Object.fromEntries(Object.keys(breakdowns[0] ?? {}).map((k) => [k, median(breakdowns.map((b) => b[k]!))])),
    page_weight_bytes: weight,
  };
};
