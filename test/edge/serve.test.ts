import { describe, expect, it } from "vitest";
import { startLocalEdge } from "../../src/cli/serve.ts";
import { Channel } from "./harness.ts";

describe("bespoke serve (the local edge)", () => {
  it("serves healthz and WebSocket sessions from workerd on a local port, and stops", async () => {
    const edge = await startLocalEdge(0);
    try {
      expect(edge.url.hostname).toBe("127.0.0.1");
      const health = await fetch(new URL("/healthz", edge.url));
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, service: "bespoke-edge" });
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
