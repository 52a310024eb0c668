// The customization core the Service Worker answers with when the network
// is off: the same server core and prepared firmware as the edge worker
// (src/server/, edge-worker/prepared.ts), tcc-wasm for arm and x86_64 from
// the Service Worker's cache, images signed with this browser's device key
// (made once, kept with idb-keyval: the playground's virtual device is the
// only device it serves).
import { get, set } from "idb-keyval";
import { PREPARED_FIRMWARE } from "../edge-worker/prepared.ts";
import type { Compiler } from "../src/compiler/compiler.ts";
import type { Target } from "../src/compiler/targets.ts";
import { createWebCompiler } from "../src/compiler/web.ts";
import { BespokeError } from "../src/errors.ts";
import { MemoryCache } from "../src/server/cache.ts";
import { servePrepared } from "../src/server/catalog.ts";
import { type CoreOptions, customize, toServerError } from "../src/server/customize.ts";
import { signImages } from "../src/server/finalize.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { parseOneShot } from "../src/server/request.ts";
import armGlue from "../build/wasm/tcc-arm.mjs";
import x86Glue from "../build/wasm/tcc-x86_64.mjs";

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

async function deviceKey(): Promise<Uint8Array> {
  const stored = await get<Uint8Array>("bespoke-device-key");
  if (stored) return stored;
  const key = crypto.getRandomValues(new Uint8Array(32));
  await set("bespoke-device-key", key);
  return key;
}

const { catalog, pipeline } = servePrepared(PREPARED_FIRMWARE, compiler);
const core: CoreOptions = { catalog, pipeline, finalize: signImages(deviceKey), cache: new MemoryCache(), limits: DEFAULT_LIMITS };

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
  const outcome = await customize(core, parsed.request, { id: parsed.device }, null);
  const stats = { "x-bespoke-chi": String(outcome.stats.chi), "x-bespoke-cache": outcome.stats.cache, "x-bespoke-pipeline-ms": outcome.stats.pipelineMs.toFixed(1) };
  if (!outcome.ok) return errorResponse(outcome.error.code === "UNKNOWN_FIRMWARE" ? 404 : 422, outcome.error, stats);
  return new Response(outcome.image.slice(), { headers: { "content-type": "application/octet-stream", ...SERVED_BY, ...stats } });
}

/** `GET /healthz` answered locally. */
export function healthLocally(): Response {
  const firmware = catalog.buildIds().map((id) => ({ buildId: id, target: catalog.firmware(id)!.target, scenarios: Object.values(catalog.firmware(id)!.scenarios) }));
  return Response.json({ ok: true, service: "bespoke-playground-offline", firmware }, { headers: SERVED_BY });
}
