// tcc-wasm inside a Web Worker in headless Chromium: the page, a bundled
// module Worker over src/compiler/web.ts and the .wasm files come from a
// localhost server; the Worker fetches and compiles each target's .wasm and
// compiles the sample — the same bytes as Node (compared by sha256).
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompileInput } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { TARGETS } from "../../src/compiler/targets.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { bundleEntry, glueImports, wasmFile } from "../support/bundle.ts";

const WORKER = `
${glueImports()}
import { createWebCompiler } from "./src/compiler/web.ts";

const factories = { ${TARGETS.map((t) => `${t}: tcc_${t}`).join(", ")} };
const compilers = new Map();

self.onmessage = async ({ data: { id, target, input } }) => {
  try {
    if (!compilers.has(target)) {
      compilers.set(target, createWebCompiler(target, { factory: factories[target], wasm: new URL("/wasm/tcc-" + target + ".wasm", self.location.href) }));
    }
    const r = await (await compilers.get(target)).compile(input);
    const sha256 = [...new Uint8Array(await crypto.subtle.digest("SHA-256", r.object))].map((b) => b.toString(16).padStart(2, "0")).join("");
    self.postMessage({ id, ok: r.ok, bytes: r.object.length, sha256, diagnostics: r.diagnostics });
  } catch (e) {
    self.postMessage({ id, error: String(e && e.stack || e) });
  }
};
`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bespoke tcc-wasm</title>
<script type="module">
  const worker = new Worker("/worker.mjs", { type: "module" });
  const pending = new Map();
  let next = 0;
  worker.onmessage = ({ data }) => { pending.get(data.id)(data); pending.delete(data.id); };
  window.compileInWorker = (target, input) => new Promise((resolve) => {
    const id = next++;
    pending.set(id, resolve);
    worker.postMessage({ id, target, input });
  });
</script>`;

interface WorkerResult {
  ok?: boolean;
  bytes?: number;
  sha256?: string;
  diagnostics?: unknown[];
  error?: string;
}

const sample = fs.readFileSync(path.join(repoRoot(), "examples", "sample.c"), "utf8");
const input: CompileInput = { files: { "sample.c": sample }, entry: "sample.c", defines: { SAMPLE_MAIN: true } };

let server: http.Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  const worker = await bundleEntry(WORKER);
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const wasm = /^\/wasm\/tcc-(\w+)\.wasm$/.exec(url.pathname);
    if (url.pathname === "/") res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    else if (url.pathname === "/worker.mjs") res.writeHead(200, { "content-type": "text/javascript" }).end(worker);
    else if (wasm && (TARGETS as readonly string[]).includes(wasm[1]!)) {
      res.writeHead(200, { "content-type": "application/wasm" }).end(fs.readFileSync(wasmFile(wasm[1] as (typeof TARGETS)[number], "wasm")));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe("tcc-wasm in a Web Worker in headless Chromium", () => {
  it("compiles the sample for every target to the same bytes as Node", async () => {
    const page = await browser.newPage();
    await page.goto(origin);
    await page.waitForFunction(() => "compileInWorker" in window);
    for (const target of TARGETS) {
      const inBrowser = (await page.evaluate(
        ([t, i]) => (window as unknown as { compileInWorker: (t: string, i: unknown) => Promise<unknown> }).compileInWorker(t, i),
        [target, input] as const,
      )) as WorkerResult;
      expect(inBrowser.error).toBeUndefined();
      const inNode = await (await createCompiler({ target })).compile(input);
      expect(inBrowser).toMatchObject({ ok: true, bytes: inNode.object.length, diagnostics: [] });
      expect(inBrowser.sha256).toBe(crypto.createHash("sha256").update(inNode.object).digest("hex"));
    }
    const bad = (await page.evaluate(
      (i) => (window as unknown as { compileInWorker: (t: string, i: unknown) => Promise<unknown> }).compileInWorker("arm", i),
      { files: { "bad.c": "int f(void) {\n  return missing_name;\n}\n" }, entry: "bad.c" },
    )) as WorkerResult;
    expect(bad.ok).toBe(false);
    expect(bad.diagnostics?.[0]).toMatchObject({ file: "bad.c", line: 2, severity: "error" });
    await page.close();
  });
});
