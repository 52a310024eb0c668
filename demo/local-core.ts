// The customization core the Service Worker answers with when the network
// is off: the same server core as the edge worker (src/server/) over the
// virtual device's prepared firmware (firmware-core.ts), tcc-wasm for arm
// and x86_64 and the firmware files from the Service Worker's cache.
import type { Compiler } from "../src/compiler/compiler.ts";
import type { Target } from "../src/compiler/targets.ts";
import { createWebCompiler } from "../src/compiler/web.ts";
import { BespokeError } from "../src/errors.ts";
import { customize, toServerError } from "../src/server/customize.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { parseOneShot } from "../src/server/request.ts";
import armGlue from "../build/wasm/tcc-arm.mjs";
import x86Glue from "../build/wasm/tcc-x86_64.mjs";
import { type CoreSources, loadCore } from "./firmware-core.ts";

const GLUE: Partial<Record<Target, typeof armGlue>> = { arm: armGlue, x86_64: x86Glue };

/** The compiled tcc-wasm of `target`, from the cache (a Service Worker's own fetches bypass it), else the network. */
async function wasmModule(target: Target): Promise<WebAssembly.Module> {
  const url = `/wasm/tcc-${target}.wasm`;
  const response = (await caches.match(url)) ?? (await fetch(url));
  if (!response.ok) throw new BespokeError("WASM_FETCH", `tcc-wasm for ${target} is neither cached nor reachable (HTTP ${response.status})`);
  return WebAssembly.compile(await response.arrayBuffer());
}

function compiler(target: Target): Promise<Compiler> {
  const glue = GLUE[target];
  if (!glue) throw new BespokeError("TARGET_NOT_BUNDLED", `the offline core bundles tcc-wasm for arm and x86_64, not ${target}`);
  return wasmModule(target).then((module) => createWebCompiler(target, { factory: (o) => glue({ ...o, locateFile: (p: string) => p }), wasm: module }));
}

const sources: CoreSources = {
  get: async (url) => (await caches.match(url)) ?? fetch(url),
  compiler,
};

const SERVED_BY = { "x-bespoke-served-by": "service-worker" };

function errorResponse(status: number, error: { code: string; message: string }, headers: Record<string, string> = {}): Response {
  return Response.json({ error }, { status, headers: { ...SERVED_BY, ...headers } });
}

/** `POST /v1/customize` answered locally, in the edge's format (src/server/request.ts in, image bytes or `{ error }` out). */
export async function customizeLocally(request: Request): Promise<Response> {
  let parsed;
  try {
    parsed = parseOneShot(await request.text(), 2 * DEFAULT_LIMITS.contextBytes + 4096);
  } catch (e) {
    return errorResponse(400, toServerError(e));
  }
  let core;
  try {
    core = await loadCore(sources);
  } catch (e) {
    return errorResponse(503, toServerError(e));
  }
  const outcome = await customize(core.options, parsed.request, { id: parsed.device }, null);
  const stats = { "x-bespoke-chi": String(outcome.stats.chi), "x-bespoke-cache": outcome.stats.cache, "x-bespoke-pipeline-ms": outcome.stats.pipelineMs.toFixed(1) };
  if (!outcome.ok) return errorResponse(outcome.error.code === "UNKNOWN_FIRMWARE" ? 404 : 422, outcome.error, stats);
  return new Response(outcome.image.slice(), { headers: { "content-type": "application/octet-stream", ...SERVED_BY, ...stats } });
}

/** `GET /healthz` answered locally. */
export async function healthLocally(): Promise<Response> {
  try {
    const { firmware } = await loadCore(sources);
    return Response.json({ ok: true, service: "bespoke-playground-offline", firmware: [{ buildId: firmware.info.buildId, target: firmware.info.target, scenarios: Object.values(firmware.info.scenarios) }] }, { headers: SERVED_BY });
  } catch (e) {
    return errorResponse(503, toServerError(e));
  }
}
