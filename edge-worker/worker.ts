// The edge worker's HTTP surface over the server core:
//   GET  /healthz                      service, protocol version, firmware builds served, limits
//   POST /v1/customize                 one-shot request (JSON, carrying all memory it needs) -> image bytes
//   GET  /v1/session?device=ID         WebSocket: the device's channel (binary frames)
// Session state (requests in flight and their round trips) lives with the
// WebSocket in the isolate that accepted it, so no Durable Object is needed;
// what must be shared across isolates, the image cache, is in the Cache API.
import { BespokeError } from "../src/errors.ts";
import { PROTOCOL_VERSION } from "../src/runtime/protocol.ts";
import { type CoreOptions, customize, toServerError } from "../src/server/customize.ts";
import { DEFAULT_LIMITS } from "../src/server/limits.ts";
import { parseOneShot } from "../src/server/request.ts";
import { DeviceSession, type FrameCodec } from "../src/server/session.ts";
import type { Catalog, Finalize, ImageCache, Pipeline, RequestLimits, ServerError } from "../src/server/types.ts";
import { EdgeCache } from "./cache.ts";

export interface EdgeConfig<Env> {
  catalog: Catalog;
  pipeline: Pipeline;
  /** Makes a device's image from a cached artifact (context hash, HMAC tag with the device's key from `env`). */
  finalize: (env: Env) => Finalize;
  codec: FrameCodec;
  limits?: Partial<RequestLimits>;
  /** Defaults to the isolate's memory in front of the Workers Cache API. */
  cache?: ImageCache;
}

export interface EdgeHandler<Env> {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
}

const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function createEdgeWorker<Env>(config: EdgeConfig<Env>): EdgeHandler<Env> {
  const limits: RequestLimits = { ...DEFAULT_LIMITS, ...config.limits };
  let cache: ImageCache | null = config.cache ?? null;
  const core = (env: Env): CoreOptions => {
    cache ??= new EdgeCache(typeof caches !== "undefined" ? caches.default : null);
    return { catalog: config.catalog, pipeline: config.pipeline, finalize: config.finalize(env), cache, limits };
  };
  /** Let the shared cache finish its writes after the response (a WebSocket's context lives on anyway). */
  const finishWrites = (ctx: ExecutionContext) => {
    if (cache instanceof EdgeCache) ctx.waitUntil(cache.settled());
  };

  async function oneShot(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const type = request.headers.get("content-type") ?? "";
    if (!type.startsWith("application/json")) {
      return errorResponse(415, { code: "BAD_REQUEST", message: "POST /v1/customize takes application/json (see src/server/request.ts)" });
    }
    const length = Number(request.headers.get("content-length") ?? "0");
    const maxBody = 2 * limits.contextBytes + 4096; // hex doubles the memory bytes
    if (length > maxBody) {
      return errorResponse(413, { code: "CONTEXT_TOO_LARGE", message: `the request body is ${length} bytes, over the ${maxBody}-byte limit` });
    }
    let parsed;
    try {
      parsed = parseOneShot(await request.text(), maxBody);
    } catch (e) {
      const error = toServerError(e);
      return errorResponse(statusOf(error.code), error);
    }
    const outcome = await customize(core(env), parsed.request, { id: parsed.device }, null);
    finishWrites(ctx);
    const stats = {
      "x-bespoke-chi": String(outcome.stats.chi),
      "x-bespoke-cache": outcome.stats.cache,
      "x-bespoke-pipeline-ms": outcome.stats.pipelineMs.toFixed(1),
    };
    if (!outcome.ok) return errorResponse(statusOf(outcome.error.code), outcome.error, stats);
    return new Response(outcome.image.slice(), { headers: { "content-type": "application/octet-stream", ...stats } });
  }

  function session(request: Request, env: Env): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(426, { code: "BAD_REQUEST", message: "GET /v1/session is a WebSocket endpoint: send 'Upgrade: websocket'" });
    }
    const device = new URL(request.url).searchParams.get("device") ?? "";
    if (!DEVICE_ID.test(device)) {
      return errorResponse(400, { code: "BAD_REQUEST", message: "GET /v1/session?device=ID: the device ID (1-128 of A-Z a-z 0-9 _ . : -) is missing or invalid" });
    }
    const pair = new WebSocketPair();
    const socket = pair[1];
    socket.accept();
    socket.binaryType = "arraybuffer"; // newer compatibility dates deliver Blobs by default
    const send = (frame: Uint8Array) => socket.send(frame);
    const channel = new DeviceSession({
      core: core(env),
      device: { id: device },
      send: (message) => config.codec.encode(message).forEach(send),
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      if (!(event.data instanceof ArrayBuffer)) {
        channel.malformed(0, new BespokeError("BAD_FRAME", "a text message: the channel carries binary frames"));
        return;
      }
      const frame = new Uint8Array(event.data);
      let message;
      try {
        message = config.codec.decode(frame);
      } catch (e) {
        channel.malformed(config.codec.requestOf(frame), e);
        return;
      }
      channel.receive(message);
    });
    socket.addEventListener("close", (event: CloseEvent) => {
      channel.close();
      // complete the closing handshake, or workerd keeps the request open and reports it hung
      socket.close(event.code === 1005 || event.code === 1006 ? 1000 : event.code, "session ended");
    });
    socket.addEventListener("error", () => channel.close());
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  function health(): Response {
    const firmware = config.catalog.buildIds().map((id) => {
      const info = config.catalog.firmware(id)!;
      return { buildId: id, target: info.target, scenarios: Object.values(info.scenarios) };
    });
    return Response.json({ ok: true, service: "bespoke-edge", protocol: PROTOCOL_VERSION, firmware, limits });
  }

  return {
    async fetch(request, env, ctx) {
      const url = new URL(request.url);
      const route = `${request.method} ${url.pathname}`;
      switch (route) {
        case "GET /healthz":
          return health();
        case "POST /v1/customize":
          return oneShot(request, env, ctx);
        case "GET /v1/session":
          return session(request, env);
      }
      const known = ["/healthz", "/v1/customize", "/v1/session"].includes(url.pathname);
      return errorResponse(known ? 405 : 404, {
        code: known ? "METHOD_NOT_ALLOWED" : "NOT_FOUND",
        message: `${route}: the edge serves GET /healthz, POST /v1/customize, GET /v1/session (WebSocket)`,
      });
    },
  };
}

const STATUS: Record<string, number> = {
  BAD_REQUEST: 400,
  BAD_CONTEXT: 400,
  BAD_ADDRESS: 400,
  TARGET_MISMATCH: 400,
  UNKNOWN_FIRMWARE: 404,
  UNKNOWN_SCENARIO: 404,
  CONTEXT_TOO_LARGE: 413,
  MEMORY_NOT_PROVIDED: 422,
  CALL_NOT_PROVIDED: 422,
  MIRROR_FULL: 422,
  TOO_MANY_FAULTS: 422,
  RESIDUAL_TOO_LARGE: 422,
  CPU_LIMIT: 503,
};

function statusOf(code: string): number {
  return STATUS[code] ?? 500;
}

function errorResponse(status: number, error: ServerError, headers: Record<string, string> = {}): Response {
  return Response.json({ error }, { status, headers });
}
