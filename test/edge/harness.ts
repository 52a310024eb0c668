// Runs edge workers for the tests the way they deploy: bundled by the pinned
// wrangler (`deploy --dry-run --outdir`), then served by real workerd through
// miniflare, reached over HTTP and real WebSockets.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { Miniflare, fetch } from "miniflare";
import { type Message, decodeFrame, encodeFrame } from "../../src/runtime/protocol.ts";
import { buildDir, repoRoot } from "../../src/node/paths.ts";

export const COMPATIBILITY_DATE = "2026-04-01";

/** Bundle the worker of `config` into build/edge/<name>; returns the directory and the entry's file name. */
export function bundle(config: string, name: string): { dir: string; entry: string } {
  const dir = path.join(buildDir(), "edge", name);
  fs.rmSync(dir, { recursive: true, force: true });
  execFileSync(path.join(repoRoot(), "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", dir, "--config", config], {
    cwd: repoRoot(),
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    stdio: "pipe",
  });
  const entry = fs.readdirSync(dir).find((f) => f.endsWith(".js"));
  if (!entry) throw new Error(`wrangler wrote no .js into ${dir}`);
  return { dir, entry };
}

/** Bytes of what would be uploaded (scripts and modules, not source maps), gzipped one by one as the Workers limit counts them. */
export function uploadSize(dir: string): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const f of fs.readdirSync(dir)) {
    if (!/\.(js|mjs|wasm)$/.test(f)) continue;
    const bytes = fs.readFileSync(path.join(dir, f));
    raw += bytes.length;
    gzip += zlib.gzipSync(bytes, { level: 9 }).length;
  }
  return { raw, gzip };
}

export async function serve(dir: string, entry: string, bindings: Record<string, string> = {}): Promise<{ mf: Miniflare; url: URL }> {
  const mf = new Miniflare({
    scriptPath: path.join(dir, entry),
    modulesRoot: dir,
    modules: true,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
  });
  return { mf, url: await mf.ready };
}

/** A device's end of a real WebSocket channel: protocol frames out, decoded messages in, in order. */
export class Channel {
  private readonly inbox: Message[] = [];
  private readonly waiters: ((m: Message) => void)[] = [];
  readonly raw: Uint8Array[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event: MessageEvent) => {
      const frame = new Uint8Array(event.data as ArrayBuffer);
      this.raw.push(frame);
      const m = decodeFrame(frame);
      const waiter = this.waiters.shift();
      if (waiter) waiter(m);
      else this.inbox.push(m);
    });
  }

  static async open(url: URL, device: string): Promise<Channel> {
    const response = await fetch(new URL(`/v1/session?device=${encodeURIComponent(device)}`, url), { headers: { upgrade: "websocket" } });
    const socket = response.webSocket;
    if (response.status !== 101 || !socket) throw new Error(`no WebSocket: HTTP ${response.status} ${await response.text()}`);
    socket.accept();
    return new Channel(socket as unknown as WebSocket);
  }

  send(m: Message): void {
    this.sendRaw(encodeFrame(m));
  }

  sendRaw(frame: Uint8Array | string): void {
    this.socket.send(frame);
  }

  next(timeoutMs = 20_000): Promise<Message> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no message from the edge")), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}
