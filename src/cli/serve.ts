// `bespoke serve [--port 8787]`: the local edge. The edge worker exactly as
// it deploys — bundled by the pinned wrangler, run by workerd through
// miniflare — signing images with this machine's device key.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import zlib from "node:zlib";
import type { Miniflare } from "miniflare";
import { BespokeError } from "../errors.ts";
import { preparedModulePath } from "../device/prepare.ts";
import { buildDir, repoRoot } from "../node/paths.ts";
import type { CommandContext } from "./main.ts";

/** The compatibility date of edge-worker/wrangler.toml. */
export const COMPATIBILITY_DATE = "2026-04-01";

export interface WorkerBundle {
  dir: string;
  /** The entry module's file name in `dir`. */
  entry: string;
  /** The static assets directory of the config's `[assets]` (absolute), served in front of the worker; null without one. */
  assets: string | null;
}

/** `wrangler deploy --dry-run` of the worker `config` describes, into build/edge/<name>. */
export function bundleWorker(config: string, name: string): WorkerBundle {
  const dir = path.join(buildDir(), "edge", name);
  for (const target of ["arm", "x86_64"]) {
    if (!fs.existsSync(path.join(buildDir(), "wasm", `tcc-${target}.wasm`))) {
      throw new BespokeError("NOT_BUILT", `tcc-wasm for ${target} is not built: run 'node build.mjs'`);
    }
  }
  // the prepared firmware module the edge bundle imports: none prepared yet is an empty list
  const prepared = preparedModulePath();
  if (!fs.existsSync(prepared)) {
    fs.mkdirSync(path.dirname(prepared), { recursive: true });
    fs.writeFileSync(prepared, "export const PREPARED_FIRMWARE_DATA = [];\n");
  }
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync(path.join(repoRoot(), "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", dir, "--config", config], {
      cwd: repoRoot(),
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
      stdio: "pipe",
    });
  } catch (e) {
    const out = e instanceof Error && "stderr" in e ? String(e.stderr) + String((e as { stdout?: unknown }).stdout ?? "") : String(e);
    throw new BespokeError("BUNDLE_FAILED", `wrangler could not bundle ${path.relative(repoRoot(), config)}:\n${out.trim()}`);
  }
  const entry = fs.readdirSync(dir).find((f) => f.endsWith(".js"));
  if (!entry) throw new BespokeError("BUNDLE_FAILED", `wrangler wrote no script into ${dir}`);
  return { dir, entry, assets: assetsDirectory(config) };
}

/** The `[assets]` directory of a wrangler config, resolved against the config's folder (as wrangler uploads it). */
function assetsDirectory(config: string): string | null {
  const { unstable_readConfig } = createRequire(import.meta.url)("wrangler") as typeof import("wrangler"); // only when bundling: wrangler's config reader
  const directory = unstable_readConfig({ config }).assets?.directory;
  return directory ? path.resolve(path.dirname(config), directory) : null;
}

/** Bytes of what a deploy uploads (scripts and modules, not source maps), each gzipped as the Workers size limit counts them. */
export function bundleSize(bundle: WorkerBundle): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of fs.readdirSync(bundle.dir)) {
    if (!/\.(js|mjs|wasm)$/.test(f)) continue;
    const bytes = fs.readFileSync(path.join(bundle.dir, f));
    raw += bytes.length;
    gzip += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

/** Run a bundled worker in workerd; `port` 0 picks a free one. */
export async function runWorker(
  bundle: WorkerBundle,
  options: { port?: number; bindings?: Record<string, string>; cacheDir?: string } = {},
): Promise<{ mf: Miniflare; url: URL }> {
  const { Miniflare } = await import("miniflare"); // only when serving: the CLI's other commands do not load workerd
  const mf = new Miniflare({
    scriptPath: path.join(bundle.dir, bundle.entry),
    modulesRoot: bundle.dir,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: options.bindings ?? {},
    // the static assets (the playground), served before the worker as Workers static assets are
    ...(bundle.assets ? { assets: { directory: bundle.assets, routerConfig: { has_user_worker: true } } } : {}),
    host: "127.0.0.1",
    port: options.port ?? 0,
    // the Cache API's storage: in memory by default, in a directory to share it between workerd processes
    ...(options.cacheDir ? { cachePersist: options.cacheDir } : {}),
  });
  return { mf, url: await mf.ready };
}

/**
 * A device's end of an edge session from Node (20 has no WebSocket client of
 * its own: the upgrade goes through miniflare's fetch): frames out, frames in,
 * in order. What a device host uses to bridge a device's channel to an edge.
 */
export class EdgeChannel {
  private readonly inbox: Uint8Array[] = [];
  private readonly waiters: ((frame: Uint8Array | null) => void)[] = [];
  private closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event: MessageEvent) => {
      const frame = new Uint8Array(event.data as ArrayBuffer);
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.inbox.push(frame);
    });
    socket.addEventListener("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    });
  }

  static async connect(edge: URL, device: string): Promise<EdgeChannel> {
    const { fetch } = await import("miniflare");
    const response = await fetch(new URL(`/v1/session?device=${encodeURIComponent(device)}`, edge), { headers: { upgrade: "websocket" } });
    const socket = response.webSocket;
    if (response.status !== 101 || !socket) {
      throw new BespokeError("NO_SESSION", `${edge.origin} refused the session: HTTP ${response.status} ${await response.text()}`);
    }
    socket.accept();
    return new EdgeChannel(socket as unknown as WebSocket);
  }

  send(frame: Uint8Array | string): void {
    this.socket.send(frame);
  }

  /** The next frame from the edge; throws when none comes within `timeoutMs` or the session closed. */
  next(timeoutMs = 20_000): Promise<Uint8Array> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.reject(new BespokeError("SESSION_CLOSED", "the edge closed the session"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new BespokeError("EDGE_TIMEOUT", `no frame from the edge within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((frame) => {
        clearTimeout(timer);
        if (frame) resolve(frame);
        else reject(new BespokeError("SESSION_CLOSED", "the edge closed the session"));
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}

export interface LocalEdge {
  url: URL;
  /** Build IDs of the firmware it serves. */
  firmware: string[];
  stop(): Promise<void>;
}

/** Bundle (into build/edge/`name`) and start the edge worker on `port` (0: a free one), with this machine's device key. */
export async function startLocalEdge(port: number, name = "serve"): Promise<LocalEdge> {
  const { deviceKey } = await import("../device/firmware-build.ts");
  const key = Buffer.from(deviceKey()).toString("hex");
  await (await import("../device/prepare.ts")).writePreparedModule();
  const bundle = bundleWorker(path.join(repoRoot(), "edge-worker", "wrangler.toml"), name);
  const { mf, url } = await runWorker(bundle, { port, bindings: { DEVICE_KEY: key } });
  const health = (await (await fetch(new URL("/healthz", url))).json()) as { firmware: { buildId: string }[] };
  return { url, firmware: health.firmware.map((f) => f.buildId), stop: () => mf.dispose() };
}

/** What `bespoke serve` runs: the local edge (bundled under build/edge/`name`) with the browser playground (demo/server.ts) in front of it, on `port`. */
export async function startServe(port: number, name = "serve"): Promise<{ url: URL; edge: LocalEdge; stop(): Promise<void> }> {
  const edge = await startLocalEdge(0, name);
  const { servePlayground } = await import("../../demo/server.ts");
  const playground = await servePlayground(port, edge.url);
  return {
    url: playground.url,
    edge,
    stop: async () => {
      await playground.stop();
      await edge.stop();
    },
  };
}

export async function serve(args: string[], ctx: CommandContext): Promise<number> {
  let port = 8787;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = a === "--port" ? args[++i] : a.startsWith("--port=") ? a.slice(7) : undefined;
    if (value === undefined) throw new BespokeError("USAGE", `serve: unexpected argument '${a}' (usage: bespoke serve [--port 8787])`);
    port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new BespokeError("USAGE", `serve: --port takes a TCP port number, not '${value}'`);
  }
  const { url, edge, stop } = await startServe(port);
  const origin = url.origin;
  ctx.stdout(
    `bespoke edge listening on ${origin}\n` +
      `  GET  ${origin}/  (the playground)\n` +
      `  GET  ${origin}/healthz\n` +
      `  POST ${origin}/v1/customize\n` +
      `  WS   ${origin.replace(/^http/, "ws")}/v1/session?device=ID\n` +
      `  firmware served: ${edge.firmware.length ? edge.firmware.join(", ") : "none prepared yet"}\n` +
      `Ctrl-C to stop.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await stop();
  return 0;
}
