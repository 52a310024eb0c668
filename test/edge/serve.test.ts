import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildDir } from "../../src/node/paths.ts";
import { startLocalEdge } from "../../src/cli/serve.ts";
import { Channel } from "./harness.ts";

describe("bespoke serve (the local edge)", () => {
  it("serves healthz, the playground's files and WebSocket sessions from workerd on a local port, and stops", async () => {
    const edge = await startLocalEdge(0);
    try {
      expect(edge.url.hostname).toBe("127.0.0.1");
      const health = await fetch(new URL("/healthz", edge.url));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, service: "bespoke-edge" });
      // the playground, as static assets of the edge worker (edge-worker/wrangler.toml [assets]: build/demo)
      const page = await fetch(new URL("/", edge.url));
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = await page.text();
      expect(html).toBe(fs.readFileSync(path.join(buildDir(), "demo", "index.html"), "utf8"));
      expect(html).toContain('data-testid="customize"');
      const wasm = await fetch(new URL("/wasm/tcc-arm.wasm", edge.url));
      expect(wasm.headers.get("content-type")).toBe("application/wasm");
      expect(Buffer.from(await wasm.arrayBuffer()).equals(fs.readFileSync(path.join(buildDir(), "demo", "wasm", "tcc-arm.wasm")))).toBe(true);
      const channel = await Channel.open(edge.url, "dev-local");
      channel.sendRaw(Uint8Array.of(1, 2, 3));
      expect(await channel.next()).toMatchObject({ type: "error", code: 1 });
      channel.close();
    } finally {
      await edge.stop();
    }
    await expect(fetch(new URL("/healthz", edge.url))).rejects.toThrow();
  });
});
