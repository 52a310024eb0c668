// Node side of the playground: `bespoke serve` puts this in front of the
// local edge (workerd). It serves the demo bundle (build/demo/) and passes
// every other request — /healthz, /v1/customize, the /v1/session WebSocket —
// to the edge unchanged, so page, Service Worker and API share one origin.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import path from "node:path";
import { BespokeError } from "../src/errors.ts";
import { buildDir } from "../src/node/paths.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".elf": "application/octet-stream",
};

/** The edge's paths; everything else is a static file of the playground. */
const EDGE_PATHS = /^\/(healthz|v1\/)/;

export function demoDir(): string {
  return path.join(buildDir(), "demo");
}

export interface Playground {
  url: URL;
  stop(): Promise<void>;
}

function staticFile(dir: string, pathname: string): string | null {
  const rel = decodeURIComponent(pathname === "/" ? "/index.html" : pathname);
  const file = path.resolve(dir, `.${rel}`);
  if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return null;
  return file;
}

/** Serve the playground on `port` (0: a free one) in front of the edge at `edge`. */
export async function servePlayground(port: number, edge: URL): Promise<Playground> {
  const dir = demoDir();
  if (!fs.existsSync(path.join(dir, "index.html"))) throw new BespokeError("NOT_BUILT", `the playground is not built (${dir}/index.html missing): run 'node build.mjs'`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!EDGE_PATHS.test(url.pathname) && req.method === "GET") {
      const file = staticFile(dir, url.pathname);
      if (!file) {
        res.writeHead(404, { "content-type": "text/plain" }).end(`${url.pathname}: not a file of the playground\n`);
        return;
      }
      // the Service Worker script must be revalidated; everything else is versioned by the Service Worker's cache
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      fs.createReadStream(file).pipe(res);
      return;
    }
    const upstream = http.request(new URL(req.url ?? "/", edge), { method: req.method, headers: { ...req.headers, host: edge.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", (e) => res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "EDGE_UNREACHABLE", message: String(e) } })));
    req.pipe(upstream);
  });
  // WebSocket upgrades go to the edge byte for byte
  server.on("upgrade", (req, socket, head) => {
    const up = net.connect(Number(edge.port), edge.hostname, () => {
      const headers = Object.entries(req.headers).map(([k, v]) => `${k}: ${k === "host" ? edge.host : String(v)}`);
      up.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
