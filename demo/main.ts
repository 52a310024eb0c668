// The playground page: two modes over two workers — the customization core
// (core-worker.ts) and the virtual device (device-worker.ts), both via
// comlink — and the Service Worker (sw.ts) that keeps it working offline.
import { type Remote, proxy, wrap } from "comlink";
import { del, get, set } from "idb-keyval";
import sysSocket from "../firmware/kernel/sys_socket.c";
import type { Target } from "../src/compiler/targets.ts";
import { type Bar, barChart, escape } from "./charts.ts";
import { contextKey } from "./device-context.ts";
import { CodeEditor } from "./editor.ts";
import { POWER_CONTEXT, POWER_SCENARIO, POWER_SOURCE } from "./examples.ts";
import type { CacheEntry, CoreApi, DeviceApi, DeviceContext, DeviceOutcome, PlaygroundError, ScratchResult, SendMeasure } from "./types.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const core: Remote<CoreApi> = wrap(new Worker("/core-worker.js", { type: "module" }));
const device: Remote<DeviceApi> = wrap(new Worker("/device-worker.js", { type: "module" }));
const status = (s: string) => ($("status").textContent = s);

/** Timestamps the benchmark and tests read. */
const marks: Record<string, number> = {};
(window as unknown as { bespoke: unknown }).bespoke = { marks };

// ---- modes ----
function showMode(mode: string): void {
  for (const el of Array.from(document.querySelectorAll<HTMLElement>("[data-mode-panel]"))) el.hidden = el.dataset.modePanel !== mode;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>("nav button"))) b.classList.toggle("active", b.dataset.mode === mode);
  history.replaceState(null, "", `#${mode}`);
}
for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>("nav button"))) b.addEventListener("click", () => showMode(b.dataset.mode!));
showMode(location.hash === "#scratch" ? "scratch" : "device");

// ---- Scratch mode ----
const editor = new CodeEditor($("editor"), POWER_SOURCE, { language: "c" });
const scenarioEditor = new CodeEditor($("scenario-editor"), POWER_SCENARIO, { language: "json" });
const contextEditor = new CodeEditor($("context-editor"), POWER_CONTEXT, { language: "json" });
const residualView = new CodeEditor($("scratch-residual"), "/* press Specialize */\n", { language: "c", readOnly: true });
let lastScratch: ScratchResult | null = null;

function showScratchErrors(errors: PlaygroundError[]): void {
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
  const linked = await core.linkForDevice(editor.text, r.residual);
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
  let end = lines.findIndex((l, i) => i > start && /^sys_send\(/.test(l));
  end = lines.findIndex((l, i) => i > end && l === "}");
  const slice = scenario === "udp-sendto" ? lines.slice(start, lines.findIndex((l, i) => i > start && l === "}") + 1) : lines.slice(start, end + 1);
  return { text: slice.join("\n"), firstLine: start + 1 };
}

function showGeneric(scenario: DeviceContext["scenario"], note: string): void {
  const { text, firstLine } = genericPath(scenario);
  const numbered = text.split("\n").map((l, i) => `<span class="n">${String(firstLine + i).padStart(4)}</span>  ${escape(l)}`);
  $("bta").innerHTML = `<p class="note">${escape(note)}</p>firmware/kernel/sys_socket.c\n${numbered.join("\n")}`;
}

function readContext(): DeviceContext {
  const f = new FormData($<HTMLFormElement>("context"));
  const n = (k: string) => Number(f.get(k));
  return {
    scenario: f.get("scenario") === "tcp-send" ? "tcp-send" : "udp-sendto",
    address: String(f.get("address")),
    port: n("port"),
    flags: n("flags"),
    ttl: n("ttl"),
    tos: n("tos"),
    nonblock: f.has("nonblock"),
    checksumOff: f.has("checksumOff"),
    nodelay: f.has("nodelay"),
  };
}

interface Firmware {
  elf: Uint8Array;
  manifest: { buildId: string; exports: { name: string; address: number }[]; components: { component: string; text: number; data: number }[] };
}
let firmware: Promise<Firmware> | null = null;
function loadFirmware(): Promise<Firmware> {
  firmware ??= (async () => {
    const [elf, manifest] = await Promise.all([fetch("/firmware/firmware.elf").then((r) => r.arrayBuffer()), fetch("/firmware/firmware.json").then((r) => r.json())]);
    return { elf: new Uint8Array(elf), manifest: manifest as Firmware["manifest"] };
  })();
  return firmware;
}

const measured = new Map<string, Promise<SendMeasure>>();
function measureGeneric(test: string, onProgress: (m: string) => void): Promise<SendMeasure> {
  let m = measured.get(test);
  if (!m) {
    m = loadFirmware().then((fw) => {
      const sysSendto = fw.manifest.exports.find((e) => e.name === "sys_sendto")?.address;
      if (sysSendto === undefined) throw new Error("the firmware exports no sys_sendto");
      return device.measureGenericSend({ elf: fw.elf, sysSendto }, test, proxy(onProgress));
    });
    m.catch(() => measured.delete(test));
    measured.set(test, m);
  }
  return m;
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
      `<tr><td class="num">${i + 1}</td><td class="num">${e.token}</td><td>${escape(e.call)}</td><td><code>${e.contextKey}</code></td><td>${escape(`${e.context.address}:${e.context.port} ttl ${e.context.ttl} tos ${e.context.tos}`)}</td><td class="num">${e.imageBytes} B</td><td>${new Date(e.lastUsed).toLocaleTimeString()}</td></tr>`,
  );
  $("cache").innerHTML =
    `<h2>Device code cache <small>(LRU, most recent first; capacity ${CACHE_CAPACITY}; kept in IndexedDB across reloads)</small></h2>` +
    (entries.length
      ? `<table><tr><th>LRU</th><th>token</th><th>call</th><th>context key</th><th>context</th><th>image</th><th>last used</th></tr>${rows.join("")}</table><button id="cache-clear">Clear</button>`
      : `<p class="note">empty: no customized code has been installed on the virtual device yet.</p>`);
  $("cache-clear")?.addEventListener("click", () => void del(CACHE_KEY).then(renderCache));
}

async function installInCache(context: DeviceContext, imageBytes: number): Promise<void> {
  const entries = await cacheEntries();
  const key = await contextKey(context);
  const hit = entries.find((e) => e.contextKey === key);
  const token = hit?.token ?? Math.max(0, ...entries.map((e) => e.token)) + 1;
  const entry: CacheEntry = { token, call: context.scenario === "udp-sendto" ? "sendto" : "send", contextKey: key, context, imageBytes, lastUsed: Date.now() };
  await set(CACHE_KEY, [entry, ...entries.filter((e) => e.contextKey !== key)].slice(0, CACHE_CAPACITY));
}

function deviceId(): string {
  let id = localStorage.getItem("bespoke-device-id");
  if (!id) localStorage.setItem("bespoke-device-id", (id = `browser-${crypto.getRandomValues(new Uint32Array(1))[0]!.toString(16)}`));
  return id;
}

function showLatency(outcome: DeviceOutcome): void {
  const l = outcome.latency;
  $("latency").innerHTML = l
    ? `<h2>Customization latency</h2><table>
<tr><td>round trip, page ↔ ${escape(l.servedBy)}</td><td class="num" data-key="roundTripMs">${l.roundTripMs.toFixed(1)} ms</td></tr>
<tr><td>specialize + compile + image (server pipeline)</td><td class="num" data-key="pipelineMs">${l.pipelineMs.toFixed(1)} ms</td></tr>
<tr><td>transfer (image bytes)</td><td class="num" data-key="imageBytes">${l.imageBytes} B</td></tr>
<tr><td>chi (round trips to the device while specializing)</td><td class="num" data-key="chi">${l.chi}</td></tr>
<tr><td>server cache</td><td class="num">${escape(l.cache)}</td></tr></table>`
    : `<h2>Customization latency</h2><p class="note">no answer from a server: nothing to measure.</p>`;
  $("latency").dataset.servedBy = l?.servedBy ?? "";
}

async function customizeDevice(): Promise<void> {
  const context = readContext();
  const button = document.querySelector<HTMLButtonElement>('[data-testid="customize"]')!;
  button.disabled = true;
  const errorPanel = $("device-error");
  errorPanel.hidden = true;
  status(`customizing ${context.scenario}…`);
  try {
    const test = context.scenario === "udp-sendto" ? "udp_stream_64" : "tcp_stream";
    const progress = (m: string) => ($("throughput-chart").innerHTML = `<h2>Throughput</h2><progress></progress><p class="note">${escape(m)}</p>`);
    progress("virtual device: booting the firmware…");
    const generic = measureGeneric(test, progress);
    const outcome = await core.customizeDevice(context, deviceId());
    marks.firstDeviceAnswer ??= performance.now();
    showLatency(outcome);
    const fw = await loadFirmware();
    const stack = fw.manifest.components.filter((c) => c.component === "kernel" || c.component === "lwip").reduce((n, c) => n + c.text + c.data, 0);
    const why = outcome.ok ? "" : `no customized code: ${outcome.error.code}`;
    if (outcome.ok) {
      await installInCache(context, outcome.image.length);
      $("residual").innerHTML = `<p class="note">The edge's one-shot answer is the signed code image (${outcome.image.length} bytes); its residual C is not part of the answer.</p>`;
      showGeneric(context.scenario, "Customized by the server; the one-shot answer carries no binding-time view.");
    } else {
      errorPanel.hidden = false;
      errorPanel.textContent = `The server could not customize ${context.scenario} (${outcome.latency?.servedBy ?? "no server"}): ${outcome.error.code}: ${outcome.error.message}`;
      $("residual").innerHTML = `<p class="note">No residual code: ${escape(outcome.error.code)} (see the message above).</p>`;
      showGeneric(context.scenario, `Not specialized (${outcome.error.code}): no binding times to colour. This is the generic path the firmware runs.`);
    }
    $("size-chart").innerHTML = barChart("Code size, arm", ".text + .data bytes", [
      { label: "socket + lwIP", value: stack, text: `${stack.toLocaleString()} B (kernel + lwIP core, generic)`, kind: "generic" },
      { label: "customized", value: outcome.ok ? outcome.image.length : null, text: outcome.ok ? `${outcome.image.length} B (image)` : why, kind: "customized" },
    ]);
    await renderCache();
    const m = await generic;
    const bars = (value: number, text: string): Bar[] => [
      { label: "generic", value, text, kind: "generic" },
      { label: "customized", value: null, text: why || "not measured: the image loader on the virtual device is not wired in the playground", kind: "customized" },
    ];
    $("instr-chart").innerHTML = barChart(`Instructions per ${context.scenario === "udp-sendto" ? "sendto" : "send"} (virtual device)`, "per call, VM count", bars(m.instructions, `${m.instructions.toLocaleString()} instr, ${m.cycles.toLocaleString()} cycles`));
    $("instr-chart").dataset.generic = String(m.instructions);
    $("throughput-chart").innerHTML = barChart(`Throughput, ${m.packets} packets (${m.test})`, "packets per virtual second", bars(m.packetsPerSecond, `${m.packetsPerSecond.toLocaleString()} pkt/s (${m.virtualMs.toFixed(1)} ms)`));
    status(outcome.ok ? `customized ${context.scenario}` : `customization failed: ${outcome.error.code}`);
    marks.firstDevice ??= performance.now();
  } finally {
    button.disabled = false;
  }
}

$("context").addEventListener("submit", (e) => {
  e.preventDefault();
  void customizeDevice().catch(internalError);
});
document.querySelector('[data-testid="scenario"]')!.addEventListener("change", () => showGeneric(readContext().scenario, "Press Customize to specialize this path for the context."));

function internalError(e: unknown): void {
  const panel = document.querySelector<HTMLElement>("[data-mode-panel]:not([hidden]) .error")!;
  panel.hidden = false;
  panel.textContent = `internal error: ${e instanceof Error ? e.message : String(e)}`;
  status("internal error (shown on the page)");
}

// ---- start ----
showGeneric("udp-sendto", "Press Customize to specialize this path for the context.");
void renderCache();
$("size-chart").innerHTML = `<h2>Code size</h2><p class="note">after Customize</p>`;
$("instr-chart").innerHTML = `<h2>Instructions per call</h2><p class="note">after Customize</p>`;
$("throughput-chart").innerHTML = `<h2>Throughput</h2><p class="note">after Customize</p>`;
$("latency").innerHTML = `<h2>Customization latency</h2><p class="note">after Customize</p>`;
$("residual").innerHTML = `<p class="note">after Customize</p>`;
void core.warm("arm").then(() => status(`ready${navigator.serviceWorker?.controller ? " (offline-capable)" : ""}`), internalError);
if ("serviceWorker" in navigator) {
  void navigator.serviceWorker.register("/sw.js", { type: "module" }).then(
    () => navigator.serviceWorker.ready.then(() => (document.body.dataset.sw = "ready")),
    (e: unknown) => status(`offline mode unavailable: ${String(e)}`),
  );
}
