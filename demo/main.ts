// The playground page: two modes over two workers — the customization core
// (core-worker.ts) and the virtual device (device-worker.ts), both via
// comlink — and the Service Worker (sw.ts) that keeps it working offline.
import { type Remote, proxy, transfer, wrap } from "comlink";
import { del, get, set } from "idb-keyval";
import sysSocket from "../firmware/kernel/sys_socket.c";
import type { Target } from "../src/compiler/targets.ts";
import { barChart, escape } from "./charts.ts";
import { PACKET_BYTES, type SendTotals, contextKey, customizedScript, describeContext, genericScript, parseSent, sendTotals } from "./device-context.ts";
import type { ObservedBindingTime, SessionReport } from "./firmware-core.ts";
import { bindingTimeSpans } from "../src/specializer/btaview.ts";
import { CodeEditor } from "./editor.ts";
import { POWER_CONTEXT, POWER_SCENARIO, POWER_SOURCE } from "./examples.ts";
import { type TimelineMark, mark, timeline } from "./timeline.ts";
import type { CacheEntry, ConsoleLine, CoreApi, DeviceApi, DeviceContext, PlaygroundError, ScratchResult, ScriptRun } from "./types.ts";

mark("page: app start");

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
/** The workers index.html started early (or fresh ones). */
const workers = (window as unknown as { bespokeWorkers?: { core: Worker; device: Worker } }).bespokeWorkers ?? {
  core: new Worker("/core-worker.js", { type: "module" }),
  device: new Worker("/device-worker.js", { type: "module" }),
};
const core: Remote<CoreApi> = wrap(workers.core);
const device: Remote<DeviceApi> = wrap(workers.device);
const status = (s: string) => ($("status").textContent = s);
/** Device mode's server core, made ahead in the core worker (its failure is reported by the customization that needs it). */
const prepareDevice = () => void core.prepareDevice().catch(() => {});
if (location.hash !== "#scratch") prepareDevice(); // now, not when the page has finished loading

/** Timestamps the benchmark and tests read, and Device mode's last customization. */
const marks: Record<string, number> = {};
/** Milliseconds after load to register the Service Worker when nothing was customized yet. */
const SERVICE_WORKER_DELAY_MS = 4000;
let firstCustomized: () => void = () => {};
/** Settles when the page's first customization (either mode) completed. */
const firstCustomization = new Promise<void>((resolve) => (firstCustomized = resolve));
const lastDevice = { residual: "", oneShot: "", imageBytes: 0 };
/** Every context's marks, in ms since the page's navigation start. */
async function pageTimeline(): Promise<TimelineMark[]> {
  const all = [...timeline(), ...(await core.timeline()), ...(await device.timeline())];
  return all.map((m) => ({ what: m.what, at: Math.round((m.at - performance.timeOrigin) * 10) / 10 })).sort((a, b) => a.at - b.at);
}
(window as unknown as { bespoke: unknown }).bespoke = { marks, lastDevice, timeline: pageTimeline };

// ---- modes ----
function showMode(mode: string): void {
  if (mode === "scratch") scratchEditors(); // made when first shown: Device mode's page does not wait for CodeMirror
  else prepareDevice(); // and Scratch mode's does not compete with loading the firmware for the server core
  for (const el of Array.from(document.querySelectorAll<HTMLElement>("[data-mode-panel]"))) el.hidden = el.dataset.modePanel !== mode;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>("nav button"))) b.classList.toggle("active", b.dataset.mode === mode);
  history.replaceState(null, "", `#${mode}`);
}

// ---- Scratch mode ----
interface ScratchEditors {
  editor: CodeEditor;
  scenarioEditor: CodeEditor;
  contextEditor: CodeEditor;
  residualView: CodeEditor;
}
let editors: ScratchEditors | null = null;

function scratchEditors(): ScratchEditors {
  editors ??= {
    editor: new CodeEditor($("editor"), POWER_SOURCE, { language: "c" }),
    scenarioEditor: new CodeEditor($("scenario-editor"), POWER_SCENARIO, { language: "json" }),
    contextEditor: new CodeEditor($("context-editor"), POWER_CONTEXT, { language: "json" }),
    residualView: new CodeEditor($("scratch-residual"), "/* press Specialize */\n", { language: "c", readOnly: true }),
  };
  return editors;
}
let lastScratch: ScratchResult | null = null;

function showScratchErrors(errors: PlaygroundError[]): void {
  const { editor, scenarioEditor, contextEditor } = scratchEditors();
  const panel = $("errors");
  panel.hidden = errors.length === 0;
  panel.innerHTML = errors
    .map((e) => `<div class="err" data-where="${e.where ?? ""}" data-line="${e.line ?? ""}">${escape(e.where ? `${e.where === "source" ? "input.c" : e.where} line ${e.line}: ` : "")}${escape(e.code)}: ${escape(e.message)}</div>`)
    .join("");
  const at = (where: PlaygroundError["where"]) => errors.filter((e) => e.where === where).map((e) => ({ line: e.line ?? 1, message: `${e.code}: ${e.message}` }));
  editor.showErrors(at("source"));
  scenarioEditor.showErrors(at("scenario"));
  contextEditor.showErrors(at("context"));
}

async function specialize(): Promise<ScratchResult> {
  const target = $<HTMLSelectElement>("target").value as Target;
  status(`specializing and compiling for ${target}…`);
  const { editor, scenarioEditor, contextEditor, residualView } = scratchEditors();
  const r = await core.scratch({ source: editor.text, scenario: scenarioEditor.text, context: contextEditor.text, target });
  lastScratch = r;
  showScratchErrors(r.errors);
  editor.showBindingTimes(r.spans);
  residualView.text = r.residual || "/* no residual code: see the errors above */\n";
  const t = r.timings;
  $("scratch-size").innerHTML =
    barChart(`Object size, ${target}`, ".text + .data bytes", [
      { label: "generic file", value: r.genericBytes || null, text: r.genericBytes ? `${r.genericBytes} B` : "—", kind: "generic" },
      { label: r.residualName || "residual", value: r.residualBytes || null, text: r.residualBytes ? `${r.residualBytes} B` : "—", kind: "customized" },
    ]) +
    `<p class="note">preprocess ${t.preprocessMs.toFixed(1)} ms · parse ${t.parseMs.toFixed(1)} ms · specialize ${t.specializeMs.toFixed(1)} ms · compile ${t.compileMs.toFixed(1)} ms</p>`;
  $("scratch-size").dataset.residualBytes = String(r.residualBytes);
  status(r.ok ? `specialized ${r.residualName} for ${target}` : `${r.errors.length} error(s): shown in the editors`);
  marks.firstScratch ??= performance.now();
  firstCustomized();
  document.body.dataset.scratchRuns = String(Number(document.body.dataset.scratchRuns ?? "0") + 1);
  return r;
}

async function runOnDevice(): Promise<void> {
  const out = $("vm-output");
  if ($<HTMLSelectElement>("target").value !== "arm") {
    out.textContent = "The virtual device is an ARM board: choose target arm to run the program.";
    return;
  }
  const r = lastScratch && lastScratch.ok ? lastScratch : await specialize();
  if (!r.ok) {
    out.textContent = "Fix the errors first (shown in the editors).";
    return;
  }
  status("linking for the virtual device…");
  const linked = await core.linkForDevice(scratchEditors().editor.text, r.residual);
  if (!linked.ok) {
    showScratchErrors(linked.errors);
    out.textContent = linked.errors.map((e) => e.message).join("\n");
    return;
  }
  status("running on the virtual device…");
  const run = await device.run({ elf: linked.elf, budget: 200_000_000 });
  out.textContent = `${run.output}\n— ${run.stop}; ${run.instructions.toLocaleString()} instructions, ${run.cycles.toLocaleString()} cycles`;
  status("ran on the virtual device");
}

$("specialize").addEventListener("click", () => void specialize().catch(internalError));
$("run").addEventListener("click", () => void runOnDevice().catch(internalError));
$("target").addEventListener("change", () => (lastScratch = null));

// ---- Device mode ----
/** The generic path as the firmware has it: sys_sendto (Figure 2) and, for TCP, sys_send. */
function genericPath(scenario: DeviceContext["scenario"]): { text: string; firstLine: number } {
  const lines = sysSocket.split("\n");
  const start = lines.findIndex((l) => l.startsWith("/* Figure 2"));
  const endOf = (from: number) => lines.findIndex((l, i) => i > from && l === "}");
  const end = scenario === "udp-sendto" ? endOf(start) : endOf(lines.findIndex((l) => /^sys_send\(/.test(l)));
  return { text: lines.slice(start, end + 1).join("\n"), firstLine: start + 1 };
}

/** The generic path, coloured by the binding times the specialization observed on its lines (uncoloured: not reached or not specialized). */
function showGeneric(scenario: DeviceContext["scenario"], note: string, observed: ObservedBindingTime[] = []): void {
  const { text, firstLine } = genericPath(scenario);
  const spans = new Map(
    bindingTimeSpans(
      observed.filter((o) => o.file === "sys_socket.c").map((o) => ({ pos: { file: "sys_socket.c", line: o.line, column: o.column }, bt: o.bt })),
      new Map([["sys_socket.c", sysSocket]]),
    ).map((sp) => [sp.line, sp]),
  );
  const numbered = text.split("\n").map((l, i) => {
    const num = `<span class="n">${String(firstLine + i).padStart(4)}</span>  `;
    const sp = spans.get(firstLine + i);
    if (!sp) return num + escape(l);
    const [a, b] = [sp.column - 1, sp.endColumn - 1];
    return `${num}${escape(l.slice(0, a))}<span class="${sp.bt === "S" ? "bt-static" : "bt-dynamic"}">${escape(l.slice(a, b))}</span>${escape(l.slice(b))}`;
  });
  $("bta").innerHTML = `<p class="note">${escape(note)}</p>firmware/kernel/sys_socket.c\n${numbered.join("\n")}`;
  $("bta").dataset.static = String([...spans.values()].filter((sp) => sp.line >= firstLine && sp.bt === "S").length);
  $("bta").dataset.dynamic = String([...spans.values()].filter((sp) => sp.line >= firstLine && sp.bt === "D").length);
}

function readContext(): DeviceContext {
  const f = new FormData($<HTMLFormElement>("context"));
  const n = (k: string) => Number(f.get(k));
  const on = (k: string) => f.get(k) === "on";
  return {
    scenario: f.get("scenario") === "tcp-send" ? "tcp-send" : "udp-sendto",
    address: String(f.get("address")).trim(),
    port: n("port"),
    flags: n("flags"),
    nonblock: on("nonblock"),
    ttl: n("ttl"),
    tos: n("tos"),
    noCheck: on("nocheck"),
    noDelay: on("nodelay"),
    packets: n("packets"),
  };
}

/** The firmware's manifest (the device worker fetches the image itself). */
interface FirmwareManifest {
  buildId: string;
  components: { component: string; text: number; data: number }[];
}

async function loadManifest(): Promise<FirmwareManifest> {
  const r = await fetch("/firmware/firmware.json");
  if (!r.ok) throw new Error(`/firmware/firmware.json: HTTP ${r.status}: ${await r.text()}`);
  return (await r.json()) as FirmwareManifest;
}

let manifest: Promise<FirmwareManifest> | null = null;

/** The manifest, fetched once (a failed fetch is tried again next time). */
function firmwareManifest(): Promise<FirmwareManifest> {
  manifest ??= loadManifest();
  manifest.catch(() => (manifest = null));
  return manifest;
}

// The device code cache (the paper's device code manager): LRU, persisted.
const CACHE_KEY = "bespoke-device-code-cache";
const CACHE_CAPACITY = 8;

async function cacheEntries(): Promise<CacheEntry[]> {
  return (await get<CacheEntry[]>(CACHE_KEY)) ?? [];
}

async function renderCache(): Promise<void> {
  const entries = await cacheEntries();
  const rows = entries.map(
    (e, i) =>
      `<tr><td class="num">${i + 1}</td><td class="num">${e.token}</td><td>${escape(e.call)}</td><td><code>${e.contextKey}</code></td><td>${escape(describeContext(e.context))}</td><td class="num">${e.imageBytes} B</td><td>${new Date(e.lastUsed).toLocaleTimeString()}</td></tr>`,
  );
  $("cache").innerHTML =
    `<h2>Device code cache <small>(LRU, most recent first; capacity ${CACHE_CAPACITY}; kept in IndexedDB across reloads)</small></h2>` +
    (entries.length
      ? `<table><tr><th>LRU</th><th>token</th><th>call</th><th>context key</th><th>context</th><th>image</th><th>last used</th></tr>${rows.join("")}</table><button id="cache-clear">Clear</button>`
      : `<p class="note">empty: no customized code has been installed on the virtual device yet.</p>`);
  $("cache").dataset.entries = String(entries.length);
  $("cache-clear")?.addEventListener("click", () => void del(CACHE_KEY).then(renderCache));
}

async function installInCache(context: DeviceContext, token: number, imageBytes: number): Promise<void> {
  const entries = await cacheEntries();
  const key = await contextKey(context);
  const entry: CacheEntry = { token, call: context.scenario === "udp-sendto" ? "sendto" : "send", contextKey: key, context, imageBytes, lastUsed: Date.now() };
  await set(CACHE_KEY, [entry, ...entries.filter((e) => e.contextKey !== key)].slice(0, CACHE_CAPACITY));
}

function deviceId(): string {
  let id = localStorage.getItem("bespoke-device-id");
  if (!id) localStorage.setItem("bespoke-device-id", (id = `browser-${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16)}`));
  return id;
}

/** One boot of the virtual device running `script`, its channel served by the core worker. */
async function boot(script: string[], onLine: (line: ConsoleLine) => void, report: (r: SessionReport) => void): Promise<ScriptRun> {
  const channel = new MessageChannel();
  // both ends at once: the device's first frames wait in the channel until the core listens
  const [, run] = await Promise.all([
    core.serveDevice(transfer(channel.port2, [channel.port2]), deviceId(), proxy(report)),
    device.runScript(script, transfer(channel.port1, [channel.port1]), proxy(onLine)),
  ]);
  return run;
}

/** A boot's sends added up, and packets per virtual second (board cycles from the line before the first result to the last, at the board's clock). */
function sendResult(run: ScriptRun): { line: SendTotals; pps: number } {
  const line = sendTotals(run.lines.map((l) => l.text));
  const first = run.lines.findIndex((l) => parseSent(l.text));
  const last = run.lines.length - 1 - [...run.lines].reverse().findIndex((l) => parseSent(l.text));
  const seconds = (run.lines[last]!.cycles - run.lines[Math.max(0, first - 1)]!.cycles) / (run.freqMhz * 1e6);
  return { line, pps: Math.round(line.ok / seconds) };
}

function progress(phase: string, done: number, total: number): void {
  $("throughput-chart").innerHTML = `<h2>Throughput</h2><progress max="${total}" value="${done}"></progress><p class="note">${escape(phase)}</p>`;
}

async function customizeDevice(): Promise<void> {
  const context = readContext();
  const button = document.querySelector<HTMLButtonElement>('[data-testid="customize"]')!;
  const errorPanel = $("device-error");
  button.disabled = true;
  errorPanel.hidden = true;
  status(`customizing ${context.scenario}…`);
  try {
    let customized: ScriptRun;
    let generic: ScriptRun;
    let report: SessionReport | null = null;
    let token = 0;
    let waitStarted = 0;
    let waitMs = 0;
    let done = 0;
    try {
      customizedScript(context); // validates
      mark("page: customize pressed");
      progress("virtual device: booting, customizing…", 0, 2 * context.packets);
      customized = await boot(
        customizedScript(context),
        (l) => {
          // the last "ret" before the first "state" is do_customize's token (the setup commands print theirs first)
          if (l.text.startsWith("ret ") && !waitMs) {
            token = Number(l.text.slice(4));
            waitStarted = performance.now();
          }
          if (l.text.startsWith("state ") && !waitMs) {
            waitMs = performance.now() - waitStarted;
            if (l.text === "state ready") {
              mark("page: state ready");
              marks.firstDeviceCustomization ??= performance.now();
            }
            progress(`virtual device: ${l.text}; sending ${context.packets} packets through the token…`, 0, 2 * context.packets);
          }
          const sentNow = parseSent(l.text);
          if (sentNow) progress(`virtual device: ${(done += sentNow.sent)} of ${context.packets} packets sent through the token…`, done, 2 * context.packets);
        },
        (r) => (report = r),
      );
      progress(`virtual device: second boot, the same ${context.packets} packets through the generic system call…`, context.packets, 2 * context.packets);
      generic = await boot(
        genericScript(context),
        (l) => {
          const sentNow = parseSent(l.text);
          if (sentNow) progress(`virtual device: ${(done += sentNow.sent) - context.packets} of ${context.packets} packets sent through the generic system call…`, done, 2 * context.packets);
        },
        () => {},
      );
      await showDevice(context, await firmwareManifest(), customized, generic, report, token, waitMs);
    } catch (e) {
      errorPanel.hidden = false;
      errorPanel.textContent = `Device mode could not customize ${context.scenario}: ${e instanceof Error ? e.message : String(e)}`;
      status(`customization failed`);
      return;
    }
    marks.firstDevice ??= performance.now();
    firstCustomized();
  } finally {
    button.disabled = false;
  }
}

/** The residual unit's function definitions (what runs), apart from the type declarations before them. */
function splitResidual(code: string): { functions: string; declarations: string } {
  const lines = code.split("\n");
  const first = lines.findIndex((l, i) => /^[A-Za-z_].*\)\s*$/.test(l) && lines[i + 1] === "{");
  if (first < 0) return { functions: code, declarations: "" };
  return { functions: lines.slice(first).join("\n"), declarations: lines.slice(0, first).join("\n") };
}

/** "12% fewer" / "3% more": `value` against `base`. */
function relative(value: number, base: number, less: string, more: string): string {
  const pct = Math.round((100 * Math.abs(value - base)) / base);
  return value <= base ? `${pct}% ${less}` : `${pct}% ${more}`;
}

async function showDevice(context: DeviceContext, fw: FirmwareManifest, customized: ScriptRun, generic: ScriptRun, report: SessionReport | null, token: number, waitMs: number): Promise<void> {
  const states = customized.lines.filter((l) => l.text.startsWith("state ")).map((l) => l.text.slice(6));
  const r = report as SessionReport | null;
  if (!r || !r.ok || states[0] !== "ready") {
    const why = r?.error ? `${r.error.code}: ${r.error.message}` : `the device's version is '${states[0] ?? "none"}'`;
    throw new Error(`${why}\n(device console: ${customized.lines.map((l) => l.text).join(" | ")})`);
  }
  const c = sendResult(customized);
  const g = sendResult(generic);
  const call = context.scenario === "udp-sendto" ? "sendto" : "send";
  const residualBytes = r.residualBytes;
  const stack = fw.components.filter((x) => x.component === "kernel" || x.component === "lwip").reduce((n, x) => n + x.text + x.data, 0);
  await installInCache(context, token, r.imageBytes);

  showGeneric(context.scenario, "Coloured by the specialization for this context: static (blue) evaluated at customization time, dynamic (red) kept in the residual code.", r.bindingTimes);
  lastDevice.residual = r.residual;
  lastDevice.oneShot = r.oneShot;
  lastDevice.imageBytes = r.imageBytes;
  const { functions, declarations } = splitResidual(r.residual);
  $("residual").innerHTML = `<p class="note">${escape(r.scenario)}: residual C the server core produced for this context (${r.residual.length} characters)</p>${escape(functions)}<details><summary>types and declarations (${declarations.split("\n").length} lines)</summary>${escape(declarations)}</details><p class="note"><a download="${escape(r.scenario)}-context.json" href="${URL.createObjectURL(new Blob([r.oneShot], { type: "application/json" }))}">this request as one shot</a> (the context and the ${escape(String(r.stats.fetchedBytes))} bytes of device memory it read): <code>bespoke customize --scenario ${escape(r.scenario)} --context FILE --target arm -o DIR</code></p>`;
  $("size-chart").innerHTML = barChart("Code size, arm (tcc)", ".text + .data bytes", [
    { label: "socket + lwIP", value: stack, text: `${stack.toLocaleString()} B generic`, kind: "generic" },
    { label: "customized", value: residualBytes, text: `${residualBytes.toLocaleString()} B (${(stack / residualBytes).toFixed(0)}x smaller)`, kind: "customized" },
  ]);
  $("size-chart").dataset.customized = String(residualBytes);
  $("instr-chart").innerHTML =
    barChart(`Instructions per ${call}, ${PACKET_BYTES} B (virtual device)`, "mean per call, board counter", [
      { label: "generic", value: g.line.instret, text: g.line.instret.toLocaleString(), kind: "generic" },
      { label: "customized", value: c.line.instret, text: `${c.line.instret.toLocaleString()} (${relative(c.line.instret, g.line.instret, "fewer", "more")})`, kind: "customized" },
    ]) + `<p class="note">packets on the wire identical: <b data-testid="identical">${c.line.digest === g.line.digest ? "yes" : "NO"}</b> (SHA-256 of every loopback packet, per send command)</p>`;
  $("instr-chart").dataset.generic = String(g.line.instret);
  $("instr-chart").dataset.customized = String(c.line.instret);
  $("instr-chart").dataset.digest = c.line.digest === g.line.digest ? c.line.digest : "";
  $("throughput-chart").innerHTML = barChart(`Throughput, ${context.packets} × ${PACKET_BYTES} B`, "packets per virtual second at the board clock", [
    { label: "generic", value: g.pps, text: `${g.pps.toLocaleString()} pkt/s`, kind: "generic" },
    { label: "customized", value: c.pps, text: `${c.pps.toLocaleString()} pkt/s (${relative(c.pps, g.pps, "lower", "higher")})`, kind: "customized" },
  ]);
  const s = r.stats;
  $("latency").innerHTML = `<h2>Customization latency</h2><table>
<tr><td>specialize + compile + image (server pipeline, ${s.runs} run${s.runs === 1 ? "" : "s"})</td><td class="num" data-key="pipelineMs">${s.pipelineMs.toFixed(1)} ms</td></tr>
<tr><td>chi: round trips to the device while specializing (${s.fetches} fetches, ${s.fetchedBytes} B; ${s.calls} calls)</td><td class="num" data-key="chi">${s.chi}</td></tr>
<tr><td>transfer: image to the device</td><td class="num" data-key="imageBytes">${r.imageBytes} B</td></tr>
<tr><td>server total (device round trips included)</td><td class="num">${s.totalMs.toFixed(1)} ms</td></tr>
<tr><td>device: do_customize to version loaded (wall clock)</td><td class="num">${waitMs.toFixed(1)} ms</td></tr>
<tr><td>server image cache</td><td class="num">${escape(s.cache)}</td></tr></table>`;
  $("latency").dataset.chi = String(s.chi);
  $("latency").dataset.imageBytes = String(r.imageBytes);
  await renderCache();
  status(`customized ${context.scenario}: token ${token}`);
}

$("context").addEventListener("submit", (e) => {
  e.preventDefault();
  void customizeDevice().catch(internalError);
});
document.querySelector('[data-testid="scenario"]')!.addEventListener("change", () => {
  const { scenario } = readContext();
  // TCP: 200 sends, as test/e2e compares them (over longer runs TCP's timers meet the two senders at different points)
  $<HTMLInputElement>("context").querySelector<HTMLInputElement>('input[name="packets"]')!.value = scenario === "tcp-send" ? "200" : "1000";
  showGeneric(scenario, "Press Customize to specialize this path for the context.");
});

function internalError(e: unknown): void {
  const panel = document.querySelector<HTMLElement>("[data-mode-panel]:not([hidden]) .error")!;
  panel.hidden = false;
  panel.textContent = `internal error: ${e instanceof Error ? e.message : String(e)}`;
  status("internal error (shown on the page)");
}

// ---- start ----
for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>("nav button"))) b.addEventListener("click", () => showMode(b.dataset.mode!));
showMode(location.hash === "#scratch" ? "scratch" : "device");
void firmwareManifest().catch(() => {}); // Device mode's size chart needs it; a failure is reported there
showGeneric("udp-sendto", "Press Customize to specialize this path for the context.");
void renderCache();
$("size-chart").innerHTML = `<h2>Code size</h2><p class="note">after Customize</p>`;
$("instr-chart").innerHTML = `<h2>Instructions per call</h2><p class="note">after Customize</p>`;
$("throughput-chart").innerHTML = `<h2>Throughput</h2><p class="note">after Customize</p>`;
$("latency").innerHTML = `<h2>Customization latency</h2><p class="note">after Customize</p>`;
$("residual").innerHTML = `<p class="note">after Customize</p>`;
void core.warm("arm").then(() => status(`ready${navigator.serviceWorker?.controller ? " (offline-capable)" : ""}`), internalError);
// The Service Worker precaches the app, every target's wasm and the device files (megabytes): it is registered
// after the first customization (or a few seconds without one), so that it does not compete with it.
void Promise.race([firstCustomization, new Promise((resolve) => setTimeout(resolve, SERVICE_WORKER_DELAY_MS))]).then(() => {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { type: "module" }).then(
    () => navigator.serviceWorker.ready.then(() => (document.body.dataset.sw = "ready")),
    (e: unknown) => status(`offline mode unavailable: ${String(e)}`),
  );
});
mark("page: app ready");
