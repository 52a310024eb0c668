// `bespoke bench browser`: the playground (demo/) in headless Chromium,
// served by `bespoke serve` (the local edge with the playground in front).
// Cold loads (fresh profile, no Service Worker yet) and warm loads (the
// Service Worker answering from its precache): time from navigation start
// to the first completed Scratch-mode customization (the power example:
// specialize + compile with tcc-wasm in the core worker, clicked as soon as
// the page has parsed) and to the server's answer to the first Device-mode
// customization. Page weight: the app and its wasm, gzip -9.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { chromium } from "playwright-core";
import { demoDir, servePlayground } from "../../demo/server.ts";
import { startLocalEdge } from "../cli/serve.ts";
import type { Benchmark } from "../cli/bench.ts";
import { BespokeError } from "../errors.ts";

const RUNS = 5;
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

interface Marks {
  firstScratch?: number;
  firstDeviceAnswer?: number;
}

function gzipBytes(files: string[]): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    raw += bytes.length;
    gzip += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

function pageWeight(): Record<string, { raw: number; gzip: number }> {
  const dir = demoDir();
  const at = (...names: string[]) => names.map((n) => path.join(dir, n));
  const app = at("index.html", "style.css", "app.js", "core-worker.js", "device-worker.js", "sw.js");
  const wasmDir = path.join(dir, "wasm");
  const all = fs.readdirSync(wasmDir).map((f) => path.join(wasmDir, f));
  return {
    app: gzipBytes(app),
    wasm_arm: gzipBytes(at("wasm/tcc-arm.wasm", "wasm/tcc-arm.mjs")),
    wasm_all_targets: gzipBytes(all),
    /** What the first customization needs: the app and arm tcc-wasm. */
    first_customization: gzipBytes([...app, ...at("wasm/tcc-arm.wasm", "wasm/tcc-arm.mjs")]),
    /** Everything the Service Worker precaches (app, every target's wasm, the device firmware). */
    precached: gzipBytes([...app, ...all, ...at("firmware/firmware.elf", "firmware/firmware.json")]),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
}

export const browserBench: Benchmark = async (ctx) => {
  const edge = await startLocalEdge(0);
  const playground = await servePlayground(0, edge.url);
  const cold: Marks[] = [];
  const warm: Marks[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-bench-chromium-"));
      const context = await chromium.launchPersistentContext(profile, { executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
      try {
        const page = await context.newPage();
        for (const into of [cold, warm]) {
          ctx.stderr(`bench browser: run ${i + 1}/${RUNS}, ${into === cold ? "cold (no Service Worker)" : "warm (Service Worker precache)"}\n`);
          await page.goto("about:blank");
          await page.goto(`${playground.url.origin}/#scratch`, { waitUntil: "domcontentloaded" });
          await page.click('[data-testid="specialize"]');
          await page.click('[data-testid="mode-device"]');
          await page.click('[data-testid="customize"]');
          const marks = await page.waitForFunction(
            () => {
              const m = (window as unknown as { bespoke?: { marks: Marks } }).bespoke?.marks;
              return m?.firstScratch !== undefined && m.firstDeviceAnswer !== undefined ? m : null;
            },
            null,
            { timeout: 120_000 },
          );
          const errors = await page.locator('[data-testid="errors"]').innerText();
          if (errors.trim()) throw new BespokeError("BENCH_FAILED", `the power example did not specialize in the playground: ${errors}`);
          into.push((await marks.jsonValue()) as Marks);
          if (into === cold) await page.waitForFunction(() => navigator.serviceWorker.controller !== null || document.body.dataset.sw === "ready", null, { timeout: 60_000 });
        }
      } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
      }
    }
  } finally {
    await playground.stop();
    await edge.stop();
  }
  const summary = (runs: Marks[]) => ({
    first_scratch_customization_ms_p50: median(runs.map((m) => m.firstScratch!)),
    first_device_answer_ms_p50: median(runs.map((m) => m.firstDeviceAnswer!)),
    runs: runs.map((m) => ({ scratch_ms: Math.round(m.firstScratch!), device_answer_ms: Math.round(m.firstDeviceAnswer!) })),
  });
  const coldSummary = summary(cold);
  return {
    what: "headless Chromium, playground from bespoke serve; times from navigation start. scratch: the power example specialized and compiled (arm) in the core worker, clicked at DOMContentLoaded; device: the server's answer to the first Device-mode customization (an error while the edge serves no prepared firmware)",
    goal_first_customization_ms: 1000,
    first_customization_ms: coldSummary.first_scratch_customization_ms_p50,
    meets_goal: coldSummary.first_scratch_customization_ms_p50 <= 1000,
    cold: coldSummary,
    warm: summary(warm),
    page_weight_bytes: pageWeight(),
  };
};
