// The customization core's Web Worker (comlink): Scratch mode's specializer
// and compiler, linking for the virtual device, and Device mode's requests
// to the server — the edge when online, the Service Worker's local core
// (sw.ts) when the network is off.
import libcFiles from "bespoke:libc-board";
import { expose } from "comlink";
import type { Target } from "../src/compiler/targets.ts";
import { BespokeError } from "../src/errors.ts";
import { compilerFor } from "./compilers.ts";
import { oneShotRequest } from "./device-context.ts";
import { linkBoardProgram } from "./link.ts";
import { SOURCE_FILE, runScratch } from "./scratch.ts";
import type { CoreApi, DeviceContext, DeviceOutcome, LinkOutcome, ScratchInput, ScratchResult } from "./types.ts";

/** The virtual device's firmware build (build/demo/firmware.json). */
async function firmwareBuildId(): Promise<string> {
  const response = await fetch("/firmware/firmware.json");
  if (!response.ok) throw new BespokeError("NO_FIRMWARE", `the playground has no device firmware (HTTP ${response.status} for /firmware/firmware.json): run 'node build.mjs'`);
  const manifest = (await response.json()) as { buildId: string };
  return manifest.buildId;
}

const api: CoreApi = {
  async warm(target: Target): Promise<void> {
    await compilerFor(target);
  },

  async scratch(input: ScratchInput): Promise<ScratchResult> {
    const headers = Object.fromEntries(Object.entries(libcFiles).filter(([name]) => name.startsWith("libc/include/")));
    return runScratch(await compilerFor(input.target), input, headers);
  },

  async linkForDevice(source: string, residual: string): Promise<LinkOutcome> {
    return linkBoardProgram(await compilerFor("arm"), { [SOURCE_FILE]: source, "residual.c": residual });
  },

  async customizeDevice(context: DeviceContext, device: string): Promise<DeviceOutcome> {
    let body: string;
    let firmware: string;
    try {
      firmware = await firmwareBuildId();
      body = JSON.stringify(oneShotRequest(context, firmware, device));
    } catch (e) {
      if (e instanceof BespokeError) return { ok: false, error: { code: e.code, message: e.message }, latency: null };
      throw e;
    }
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch("/v1/customize", { method: "POST", headers: { "content-type": "application/json" }, body });
    } catch (e) {
      return { ok: false, error: { code: "NO_SERVER", message: `neither the edge nor the offline Service Worker answered POST /v1/customize: ${String(e)}` }, latency: null };
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    const latency = {
      roundTripMs: performance.now() - started,
      pipelineMs: Number(response.headers.get("x-bespoke-pipeline-ms") ?? "0"),
      chi: Number(response.headers.get("x-bespoke-chi") ?? "0"),
      imageBytes: response.ok ? bytes.length : 0,
      servedBy: response.headers.get("x-bespoke-served-by") ?? "edge",
      cache: response.headers.get("x-bespoke-cache") ?? "none",
    };
    if (response.ok) return { ok: true, image: bytes, firmware, latency };
    let error = { code: `HTTP_${response.status}`, message: new TextDecoder().decode(bytes).slice(0, 500) };
    try {
      const json = JSON.parse(new TextDecoder().decode(bytes)) as { error?: { code: string; message: string } };
      if (json.error) error = json.error;
    } catch {
      // not JSON: the raw text is the message
    }
    return { ok: false, error, latency };
  },
};

expose(api);
