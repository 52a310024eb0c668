// The browser playground (demo/) in real Chromium, loaded from `bespoke
// serve`: Scratch mode (a C syntax error and a scenario error at their
// lines, the power example specialized to the same residual as the Node
// specializer and run on the virtual device), Device mode (the firmware's
// sendto customized for the virtual device by the server core in the core
// worker: residual, charts, latency, cache; the throughput run's progress
// moving batch by batch; instructions per call and
// packet digests equal to the Node device host's for the same scripts;
// a context with TOS, checksum off, O_NONBLOCK: identical packets, another residual),
// then the same page offline: served by the Service Worker, both modes
// still customizing, /v1/customize answered by its copy of the core.
// Screenshots go to test-output/.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BATCH_PACKETS, DEFAULT_CONTEXT, customizedScript, genericScript, sendTotals } from "../../demo/device-context.ts";
import { POWER_CONTEXT, POWER_SCENARIO, POWER_SOURCE } from "../../demo/examples.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { EdgeChannel, startServe } from "../../src/cli/serve.ts";
import { decodeFrame } from "../../src/runtime/protocol.ts";
import { boardCore } from "../../src/device/board-core.ts";
import { inProcessServer, runDevice } from "../../src/device/host.ts";
import { allocatedSizes, readElf } from "../../src/compiler/elf.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { specializeProgram } from "../../src/specializer/pipeline.ts";
import { parseContext, parseScenario } from "../../src/specializer/scenario.ts";
import { libcFiles } from "../../src/vm/link.ts";
import type { CustomizeOutcome } from "../../src/server/types.ts";

const OUT = path.join(repoRoot(), "test-output");
const PACKETS = 200;
const PORT = 7000;
let serve: Awaited<ReturnType<typeof startServe>>;
let origin: string;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  serve = await startServe(0, "demo-test"); // what `bespoke serve` runs, under its own bundle name (tests may run side by side)
  origin = serve.url.origin;
  profile = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 1400, height: 1000 },
  });
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await serve?.stop();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

const testid = (id: string) => `[data-testid="${id}"]`;

async function open(mode: "scratch" | "device"): Promise<void> {
  await page.goto("about:blank");
  await page.goto(`${origin}/#${mode}`);
  await page.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("ready"), null, { timeout: 60_000 });
}

async function setEditor(id: string, text: string): Promise<void> {
  await page.locator(`${testid(id)} .cm-content`).fill(text);
}

async function specializeScratch(): Promise<void> {
  const runs = Number((await page.locator("body").getAttribute("data-scratch-runs")) ?? "0");
  await page.click(testid("specialize"));
  await page.waitForFunction((n) => Number(document.body.dataset.scratchRuns ?? "0") > n, runs, { timeout: 60_000 });
}

/** The Node specializer over the same example (tcc-wasm preprocess, parse, specialize): the residual the page must show. */
async function residualInNode(): Promise<string> {
  const cc = await createCompiler({ target: "arm" });
  const pp = await cc.preprocess({ files: { ...libcFiles("board"), "input.c": POWER_SOURCE }, entry: "input.c", includeDirs: ["libc/include"] });
  const parsed = parseProgram(pp.text, { target: "arm", file: "input.c" });
  return specializeProgram({ program: parsed.program!, target: "arm", scenario: parseScenario(JSON.parse(POWER_SCENARIO)), context: parseContext(JSON.parse(POWER_CONTEXT)) }).code;
}

describe("the playground in Chromium, from bespoke serve", () => {
  it("bespoke serve: the playground's files, and the edge behind it (HTTP and the WebSocket session)", async () => {
    const page = await fetch(`${origin}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('data-testid="customize"');
    expect((await fetch(`${origin}/wasm/tcc-arm.wasm`)).headers.get("content-type")).toBe("application/wasm");
    expect((await fetch(`${origin}/../package.json`)).status).toBe(404);
    expect(await (await fetch(`${origin}/healthz`)).json()).toMatchObject({ ok: true, service: "bespoke-edge" });
    const channel = await EdgeChannel.connect(new URL(origin), "dev-through-proxy");
    channel.send(Uint8Array.of(1, 2, 3)); // a malformed frame: the edge answers with an ERROR frame
    const answer = await channel.next();
    expect(answer.length).toBeGreaterThan(0);
    expect(decodeFrame(answer)).toMatchObject({ type: "error" });
    channel.close();
  });

  it("Scratch mode: errors at their lines; power specializes as in Node and runs on the virtual device", async () => {
    await open("scratch");
    // a C syntax error on line 4
    await setEditor("editor", "int power(int x, int n) {\n  int r = 1;\n  while (n > 0) {\n    r = r * x\n    n--;\n  }\n  return r;\n}\n");
    await specializeScratch();
    const err = page.locator(`${testid("errors")} [data-where="source"]`).first();
    await expect(err.getAttribute("data-line")).resolves.toBe("5"); // tcc reports the missing ';' where the next statement starts
    expect(await page.locator(`${testid("editor")} .cm-line`).nth(4).locator(".cm-lintRange-error").count()).toBe(1);

    // a scenario naming a parameter power does not have: at that line of the scenario
    await setEditor("editor", POWER_SOURCE);
    await setEditor("scenario-editor", POWER_SCENARIO.replace(`"n": "S"`, `"n": "S",\n    "m": "S"`));
    await specializeScratch();
    const bad = page.locator(`${testid("errors")} [data-where="scenario"]`).first();
    expect(await bad.textContent()).toContain("scenario.params.m");
    await expect(bad.getAttribute("data-line")).resolves.toBe("6");

    await setEditor("scenario-editor", POWER_SCENARIO);
    await specializeScratch();
    expect(await page.locator(testid("errors")).isHidden()).toBe(true);
    const residual = await page.locator(`${testid("scratch-residual")} .cm-content`).innerText();
    expect(residual.trim()).toBe((await residualInNode()).trim());
    // binding times coloured in the editor: the loop's control static, the multiplications dynamic
    expect(await page.locator(`${testid("editor")} .bt-static`).count()).toBeGreaterThan(0);
    expect(await page.locator(`${testid("editor")} .bt-dynamic`).count()).toBeGreaterThan(0);
    const sizes = Number(await page.locator(testid("scratch-size")).getAttribute("data-residual-bytes"));
    expect(sizes).toBeGreaterThan(0);

    await page.click(testid("run"));
    await page.waitForFunction(() => document.getElementById("status")!.textContent === "ran on the virtual device", null, { timeout: 60_000 });
    const output = await page.locator(testid("vm-output")).textContent();
    expect(output).toContain("power(3, 5) = 243, power_5(3) = 243");
    expect(output).toContain("exit 0");
    await page.screenshot({ path: path.join(OUT, "demo-scratch.png"), fullPage: true });
  });

  it("Device mode: the firmware's sendto customized on the virtual device, numbers equal to the Node device host's", async () => {
    await open("device");
    await page.fill('input[name="packets"]', String(PACKETS));
    await page.fill('input[name="port"]', String(PORT));
    // the throughput run's progress bar, as rendered: every value it shows while both boots send
    await page.evaluate(() => {
      const chart = document.querySelector('[data-testid="throughput-chart"]')!;
      const shown: number[] = [];
      (window as unknown as { progressShown: number[] }).progressShown = shown;
      new MutationObserver(() => {
        const bar = chart.querySelector("progress");
        if (bar && bar.value !== shown[shown.length - 1]) shown.push(bar.value);
      }).observe(chart, { childList: true, subtree: true });
    });
    await page.click(testid("customize"));
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("customized") || !document.getElementById("device-error")!.hidden, null, { timeout: 180_000 });
    expect(await page.locator(testid("device-error")).isHidden(), await page.locator(testid("device-error")).innerText()).toBe(true);
    for (const id of ["bta", "residual", "size-chart", "instr-chart", "throughput-chart", "latency", "cache"]) {
      expect((await page.locator(testid(id)).innerText()).trim().length, id).toBeGreaterThan(0);
    }
    expect(await page.locator(testid("bta")).innerText()).toContain("sys_sendto(int fd");
    // Figure 2 coloured: the lookup static, the iovec of the dynamic buffer dynamic
    expect(Number(await page.locator(testid("bta")).getAttribute("data-static"))).toBeGreaterThan(0);
    expect(Number(await page.locator(testid("bta")).getAttribute("data-dynamic"))).toBeGreaterThan(0);
    expect(await page.locator(`${testid("bta")} .bt-dynamic`).first().innerText()).toContain("iov.iov_base = buff");
    expect(await page.locator(testid("residual")).innerText()).toContain("bsp_customized_entry(int fd"); // the entry the image exports, around the residual function
    expect(await page.locator(testid("identical")).innerText()).toBe("yes");
    const stack = Number((await page.locator(testid("size-chart")).innerText()).match(/([\d,]+) B generic/)![1]!.replace(/,/g, ""));
    expect(Number(await page.locator(testid("size-chart")).getAttribute("data-customized"))).toBeLessThan(stack / 20);
    expect(Number(await page.locator(testid("latency")).getAttribute("data-chi"))).toBeGreaterThan(0);
    expect(await page.locator(testid("cache")).getAttribute("data-entries")).toBe("1");
    // progress moved batch by batch through both boots (customized, then generic), then the chart replaced the bar
    const shown = await page.evaluate(() => (window as unknown as { progressShown: number[] }).progressShown);
    expect(shown).toEqual(Array.from({ length: (2 * PACKETS) / BATCH_PACKETS + 1 }, (_, i) => i * BATCH_PACKETS));
    expect(await page.locator(`${testid("throughput-chart")} progress`).count()).toBe(0);

    // the same two boots by the Node device host over the in-process core (cold, as the page's):
    // the same packets, the same generic count, the same round trips and image size. (The
    // customized count is not compared: it moves with how long the device waited for its
    // version, e.g. 4743 cold vs 4657 warm in Node alone.)
    const core = await boardCore();
    const served = (await (await fetch(`${origin}/firmware/firmware.json`)).json()) as { buildId: string };
    expect(core.catalog.buildIds(), "the firmware sources changed while the test ran").toEqual([served.buildId]);
    let outcome: CustomizeOutcome | undefined;
    const context = { ...DEFAULT_CONTEXT, scenario: "udp-sendto" as const, port: PORT, packets: PACKETS };
    const custom = await runDevice(customizedScript(context), inProcessServer(core, { onOutcome: (_request, o) => (outcome = o) }));
    const generic = await runDevice(genericScript(context), inProcessServer(core));
    const c = sendTotals(custom.lines);
    const g = sendTotals(generic.lines);
    expect(c.ok).toBe(PACKETS);
    expect(c.digest).toBe(g.digest);
    expect(await page.locator(testid("instr-chart")).getAttribute("data-digest")).toBe(g.digest);
    expect(Number(await page.locator(testid("instr-chart")).getAttribute("data-generic"))).toBe(g.instret);
    expect(Number(await page.locator(testid("instr-chart")).getAttribute("data-customized"))).toBeGreaterThan(0);
    expect(outcome?.ok).toBe(true);
    expect(Number(await page.locator(testid("latency")).getAttribute("data-chi"))).toBe(outcome!.stats.chi);
    expect(Number(await page.locator(testid("latency")).getAttribute("data-image-bytes"))).toBe(outcome!.ok ? outcome!.image.length : -1);

    // the same request as one shot, through `bespoke customize`: the same residual C and image size
    const last = (await page.evaluate(() => (window as unknown as { bespoke: { lastDevice: { residual: string; oneShot: string; imageBytes: number } } }).bespoke.lastDevice));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-demo-customize-"));
    try {
      fs.writeFileSync(path.join(dir, "ctx.json"), last.oneShot);
      execFileSync(process.execPath, [path.join(repoRoot(), "bin", "bespoke.mjs"), "customize", "--scenario", "udp-sendto", "--context", path.join(dir, "ctx.json"), "--target", "arm", "-o", path.join(dir, "out")], { stdio: "pipe" });
      expect(fs.readFileSync(path.join(dir, "out", "residual.c"), "utf8")).toBe(last.residual);
      // the size chart's customized bytes: the residual as tcc compiles it in Node
      const object = await (await createCompiler({ target: "arm" })).compile({ files: { "residual.c": last.residual }, entry: "residual.c" });
      const sizes = allocatedSizes(readElf(object.ok ? object.object : new Uint8Array()));
      expect(Number(await page.locator(testid("size-chart")).getAttribute("data-customized"))).toBe(sizes.text + sizes.data);
      const report = JSON.parse(fs.readFileSync(path.join(dir, "out", "report.json"), "utf8")) as { imageBytes: number; stats: { chi: number } };
      expect(report.imageBytes).toBe(last.imageBytes);
      expect(report.stats.chi).toBe(0); // everything it needs is in the one-shot request
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await page.screenshot({ path: path.join(OUT, "demo-device.png"), fullPage: true });

    // TCP send: a second call, a second cache entry
    await page.selectOption(testid("scenario"), "tcp-send");
    await page.click(testid("customize"));
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("customized tcp-send") || !document.getElementById("device-error")!.hidden, null, { timeout: 180_000 });
    expect(await page.locator(testid("device-error")).isHidden(), await page.locator(testid("device-error")).innerText()).toBe(true);
    expect(await page.locator(testid("identical")).innerText()).toBe("yes");
    expect(await page.locator(testid("residual")).innerText()).toContain("bsp_customized_entry(int fd");
    expect(await page.locator(testid("cache")).getAttribute("data-entries")).toBe("2");

    // UDP again with TOS, checksum off and O_NONBLOCK (setsockopt IP_TOS, SO_NO_CHECK, fcntl on the
    // device): a third version, the same packets through both paths (other header bytes than the
    // default context's), and another residual (O_NONBLOCK folds away the blocking wait; TOS and
    // SO_NO_CHECK live in lwIP's pcb, read by the output path the residual calls)
    await page.selectOption(testid("scenario"), "udp-sendto");
    await page.fill('input[name="packets"]', String(PACKETS));
    await page.fill('input[name="tos"]', "16");
    await page.check('input[name="nocheck"]');
    await page.check('input[name="nonblock"]');
    await page.click(testid("customize"));
    await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("customized udp-sendto") || !document.getElementById("device-error")!.hidden, null, { timeout: 180_000 });
    expect(await page.locator(testid("device-error")).isHidden(), await page.locator(testid("device-error")).innerText()).toBe(true);
    expect(await page.locator(testid("identical")).innerText()).toBe("yes");
    const tuned = await page.evaluate(() => (window as unknown as { bespoke: { lastDevice: { residual: string } } }).bespoke.lastDevice.residual);
    expect(tuned).toContain("bsp_customized_entry(int fd");
    expect(tuned).not.toBe(last.residual);
    expect(await page.locator(testid("instr-chart")).getAttribute("data-digest")).not.toBe(g.digest); // other header bytes on the wire
    expect(await page.locator(testid("cache")).getAttribute("data-entries")).toBe("3");
    expect(await page.locator(testid("cache")).innerText()).toContain("TOS 16, O_NONBLOCK, checksum off");
    await page.fill('input[name="tos"]', "0");
    await page.uncheck('input[name="nocheck"]');
    await page.uncheck('input[name="nonblock"]');
  });

  it("offline: the Service Worker serves page, wasm and firmware; both modes still customize; /v1/customize answered locally", async () => {
    await open("scratch");
    await page.waitForFunction(() => document.body.dataset.sw === "ready" && navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
    await context.setOffline(true);
    try {
      await page.reload();
      await page.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("ready"), null, { timeout: 60_000 });
      await page.selectOption(testid("target"), "x86_64"); // a wasm module this page has not loaded yet: from the precache
      await specializeScratch();
      expect(await page.locator(testid("errors")).isHidden()).toBe(true);
      expect(await page.locator(`${testid("scratch-residual")} .cm-content`).innerText()).toContain("power_5");

      await page.click(testid("mode-device"));
      expect(await page.locator(testid("cache")).getAttribute("data-entries")).toBe("3"); // persisted across the reload
      await page.fill('input[name="packets"]', String(PACKETS));
      await page.fill('input[name="ttl"]', "9"); // another context: a second version
      await page.click(testid("customize"));
      await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("customized") || !document.getElementById("device-error")!.hidden, null, { timeout: 180_000 });
      expect(await page.locator(testid("device-error")).isHidden(), await page.locator(testid("device-error")).innerText()).toBe(true);
      expect(await page.locator(testid("identical")).innerText()).toBe("yes");
      expect(await page.locator(testid("cache")).getAttribute("data-entries")).toBe("4");
      await page.screenshot({ path: path.join(OUT, "demo-device-offline.png"), fullPage: true });

      // the one-shot API, answered by the Service Worker's copy of the server core
      const answer = await page.evaluate(async () => {
        const r = await fetch("/v1/customize", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ firmware: "00", scenario: "udp-sendto" }) });
        return { status: r.status, servedBy: r.headers.get("x-bespoke-served-by"), body: await r.json() };
      });
      expect(answer).toMatchObject({ servedBy: "service-worker", body: { error: { code: "UNKNOWN_FIRMWARE" } } });
    } finally {
      await context.setOffline(false);
    }
  });
});
