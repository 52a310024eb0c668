// The CLI around the scenario, as a user runs it: `bespoke start --once`
// (npm start without a terminal) and `bespoke device --server URL --rtt MS`.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEdge, startLocalEdge } from "../../src/cli/serve.ts";
import { bespoke } from "../support/cli.ts";

let edge: LocalEdge;

beforeAll(async () => {
  edge = await startLocalEdge(0, "e2e-cli");
}, 300_000);

afterAll(async () => {
  await edge?.stop();
});

describe("bespoke start and bespoke device --server", () => {
  it("start --once prints the summary (packets identical) and exits 0", async () => {
    const r = await bespoke(["start", "--once"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/packets \(1000 x 64 B\) and return values identical\s+yes/);
    expect(r.stdout).toMatch(/instructions per sendto, 64 B\s+\d+\s+\d+/);
  }, 300_000);

  it("device --server URL --rtt 20 customizes at the edge and sends through the token", async () => {
    const r = await bespoke(["device", "--server", edge.url.origin, "--rtt", "20"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("device: state ready");
    expect(r.stdout).toMatch(/device: sent 1000 ok 1000 first 64 packets 1000/);
    expect(r.stdout).toMatch(/customization took \d+ ms \(rtt 20 ms\)/);
  }, 300_000);

  it("device --server with a bad URL or a missing value is a usage error", async () => {
    const r = await bespoke(["device", "--server", "not a url"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--server takes the edge's URL/);
  }, 60_000);
});
