// The same scenario over a WebSocket to the local edge (`bespoke serve`: the
// deployable worker in workerd, the prepared firmware bundled): the device on
// the VM customizes UDP sendto and TCP send; customized boots put the generic
// boots' bytes on the wire.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalEdge, startLocalEdge } from "../../src/cli/serve.ts";
import { type ServerLink, edgeServer, runDevice } from "../../src/device/host.ts";
import { buildArmFirmware } from "../../src/device/firmware-build.ts";
import { sends } from "./support.ts";

let edge: LocalEdge;

beforeAll(async () => {
  edge = await startLocalEdge(0, "e2e-edge");
}, 300_000);

afterAll(async () => {
  await edge?.stop();
});

/** A link that must never carry a frame (generic boots ask nothing). */
const silent: ServerLink = {
  send: () => {
    throw new Error("a generic boot sent a frame");
  },
  onFrame: () => {},
  close: () => {},
};

async function overEdge(script: string[]) {
  const link = await edgeServer(edge.url, "vm-e2e");
  try {
    return await runDevice(script, link);
  } finally {
    link.close();
  }
}

describe("the device customizes at the local edge over a WebSocket", () => {
  it("serves the board firmware's build with both scenarios", async () => {
    const fw = await buildArmFirmware("board");
    expect(edge.firmware).toEqual([fw.buildId]);
  });

  for (const size of [64, 1024]) {
    it(`UDP sendto, 1000 packets of ${size} B: identical packets and return values; cancel frees the token`, async () => {
      const generic = await runDevice(["e2e udp 7000", `e2e send g 1000 ${size} 1 7000`], silent);
      const custom = await overEdge(["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1", `e2e send c 1000 ${size} 1 7000`, "e2e state 1", "e2e cancel 1", "e2e state 1"]);
      expect(custom.serverErrors).toEqual([]);
      expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready", "state notoken"]);
      const [g] = sends(generic.lines);
      const [c] = sends(custom.lines);
      expect(g).toMatchObject({ sent: 1000, ok: 1000, first: size, packets: 1000, bytes: 1000 * (28 + size) });
      expect(c).toMatchObject({ ok: 1000, packets: 1000, bytes: g!.bytes, digest: g!.digest });
    }, 300_000);
  }

  for (const size of [64, 1024]) {
    it(`TCP send, 1000 sends of ${size} B: identical segments and return values`, async () => {
      const generic = await runDevice(["e2e tcp 7001", `e2e send g 1000 ${size} 1 -`], silent);
      const custom = await overEdge(["e2e tcp 7001", "e2e customize 1 -", "e2e wait 1", `e2e send c 1000 ${size} 1 -`, "e2e state 1"]);
      expect(custom.serverErrors).toEqual([]);
      expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready"]);
      const [g] = sends(generic.lines);
      expect(g).toMatchObject({ sent: 1000, ok: 1000, first: size });
      expect(sends(custom.lines)[0]).toMatchObject({ ok: 1000, packets: g!.packets, bytes: g!.bytes, digest: g!.digest });
    }, 300_000);
  }
});
