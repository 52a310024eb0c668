// Node side of the playground: `bespoke serve` puts this in front of the
// local edge (workerd). It serves the demo bundle (build/demo/) and passes
// every other request — /healthz, /v1/customize, the /v1/session WebSocket —
// to the edge unchanged, so page, Service Worker and API share one origin.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import path from "node:path";
import { serializeProgram } from "../src/c/serialize.ts";
import { buildArmFirmware, deviceKey } from "../src/device/firmware-build.ts";
import { prepareBoardFirmware } from "../src/device/prepare.ts";
import { BespokeError } from "../src/errors.ts";
import { buildDir } from "../src/node/paths.ts";
import type { PreparedFirmwareData } from "../src/server/firmware.ts";

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

/**
 * The virtual device's firmware, made when first asked for (the board build
 * and its preparation for the server are cached by build ID): the image, its
 * manifest, its image key (a local development key: this server only
 * listens on 127.0.0.1), and the prepared socket layer the browser's server
 * core specializes.
 */
type DeviceFiles = Record<string, { type: string; body: Uint8Array | string }>;
let deviceFiles: Promise<DeviceFiles> | null = null;

function loadDeviceFiles(): Promise<DeviceFiles> {
  deviceFiles ??= (async () => {
    const fw = await buildArmFirmware("board");
    const prepared = await prepareBoardFirmware();
    if (prepared.buildId !== fw.buildId) throw new BespokeError("FIRMWARE_CHANGED", `the prepared firmware (${prepared.buildId}) is not the board build (${fw.buildId})`);
    const data: PreparedFirmwareData = {
      buildId: prepared.buildId,
      target: prepared.target,
      exports: prepared.exports,
      ...(prepared.functions ? { functions: prepared.functions } : {}),
      program: Buffer.from(serializeProgram(prepared.program)).toString("base64"),
      scenarios: prepared.scenarios,
    };
    const manifest = { buildId: fw.buildId, loadAddress: fw.loadAddress, entry: fw.entry, exports: fw.exports, components: fw.components };
    return {
      "/firmware/firmware.elf": { type: "application/octet-stream", body: fw.elf },
      "/firmware/firmware.json": { type: "application/json", body: JSON.stringify(manifest) },
      "/firmware/device.key": { type: "text/plain", body: Buffer.from(deviceKey()).toString("hex") },
      "/prepared/firmware.json": { type: "application/json", body: JSON.stringify(data) },
    };
  })();
  deviceFiles.catch(() => (deviceFiles = null));
  return deviceFiles;
}

/** The paths of loadDeviceFiles (the Service Worker precaches them too). */
export const DEVICE_PATHS = /^\/(firmware\/(firmware\.elf|firmware\.json|device\.key)|prepared\/firmware\.json)$/;

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
    if (DEVICE_PATHS.test(url.pathname) && req.method === "GET") {
      loadDeviceFiles().then(
        (files) => {
          const f = files[url.pathname]!;
          res.writeHead(200, { "content-type": f.type, "cache-control": "no-cache" }).end(f.body);
        },
        (e: unknown) => res.writeHead(503, { "content-type": "text/plain" }).end(`the virtual device's firmware is not available: ${e instanceof Error ? e.message : String(e)}\n`),
      );
      return;
    }
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
