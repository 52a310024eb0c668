// A real device against the edge in workerd: the customization test device
// (test/custom/harness.c — the firmware's customization subsystem, compiled
// for arm and run under qemu-arm, its channel on fds 3/4) bridged to the
// edge worker over a WebSocket, as a device host does. The edge specializes
// the device's generic send path with the real specializer, asking the
// device for sockfd_lookup (CALL) and reading its memory, compiles with
// tcc-wasm in workerd, and ships an image the device's loader verifies and
// installs; the customized call then emits the generic path's packet.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Miniflare } from "miniflare";
import { repoRoot } from "../../src/node/paths.ts";
import { type Message, encodeFrame } from "../../src/runtime/protocol.ts";
import { DEVICE_KEY, TestDevice, hex } from "../custom/device.ts";
import { Channel, bundleWorker, runWorker } from "./harness.ts";

const DST = "0200303900000000"; // AF_INET, port 12345
const PAYLOAD = hex(new TextEncoder().encode("customized at the edge"));

let edge: { mf: Miniflare; url: URL };

beforeAll(async () => {
  const bundle = bundleWorker(path.join(repoRoot(), "test", "edge", "wrangler.toml"), "device-test");
  edge = await runWorker(bundle, { bindings: { HARNESS_KEY: hex(DEVICE_KEY) } });
});

afterAll(async () => {
  await edge?.mf.dispose();
});

/** Carry frames both ways until the edge ends the request the device's next CUSTOMIZE opens (request ids are the device's, opaque); every message, in order, tagged with its direction. */
async function bridge(device: TestDevice, channel: Channel): Promise<{ from: "device" | "edge"; m: Message }[]> {
  const log: { from: "device" | "edge"; m: Message }[] = [];
  let id: number | null = null;
  for (;;) {
    for (const m of await device.takeFrames(1)) {
      log.push({ from: "device", m });
      if (id === null && m.type === "customize") id = m.id;
      channel.send(m);
    }
    const m = await channel.next();
    log.push({ from: "edge", m });
    device.writeFrame(encodeFrame(m));
    await device.run("poll-channel");
    if (m.id === id && (m.type === "image" || m.type === "error")) {
      for (const late of await device.takeFrames(0)) log.push({ from: "device", m: late });
      return log;
    }
  }
}

describe("a real device customizes at the edge", () => {
  it("CUSTOMIZE -> CALL sockfd_lookup -> IMAGE from the specializer; the device installs it, sends the generic path's packet, and after a guard fails gets a new version", async () => {
    const device = TestDevice.start("arm", "native-port");
    const channel = await Channel.open(edge.url, "harness");
    try {
      await device.run("socket 3 64 5"); // fd 3: TTL 64, TOS 5
      expect((await device.run(`customize 1 3 0 ${DST}`)).ret).toBe(1);
      const log = await bridge(device, channel);
      const types = log.map((e) => `${e.from}:${e.m.type}`);
      expect(types[0]).toBe("device:customize");
      expect(types).toContain("edge:call");
      expect(types).toContain("device:result");
      expect(types.at(-1)).toBe("edge:image");
      // The only device errors allowed are FETCH refusals (a whole or prefetched line reaching past the
      // memory it exposes; the server then asks the exact bytes it needs); the loader itself refused nothing.
      for (const e of log) if (e.from === "device" && e.m.type === "error") expect(e.m.code).toBe(3);
      expect((await device.run("cache")).lines[0]).toMatch(/^v 0 ready /);

      const custom = await device.run(`call 1 ${PAYLOAD}`);
      expect(custom.generic).toBe(0);
      expect(custom.ret).toBe(PAYLOAD.length / 2);
      const generic = await device.run(`generic 1 3 0 ${DST} ${PAYLOAD}`);
      expect(custom.packets).toEqual(generic.packets);
      expect(custom.packets[0]!.slice(0, 10)).toBe("4005000108"); // TTL 64, TOS 5, flags 0, sendto, 8-byte address

      // the guard: after setsockopt the token runs the generic path, never the stale version...
      await device.run("setsockopt 3 7");
      const after = await device.run(`call 1 ${PAYLOAD}`);
      expect(after.generic).toBe(1);
      expect(after.packets[0]!.slice(0, 2)).toBe("07");
      // ...and the device asks again: the edge re-reads what the old version depended on, sees the new TTL,
      // specializes again, and the new version sends the new header
      const again = await bridge(device, channel);
      expect(again[0]).toMatchObject({ from: "device", m: { type: "customize" } });
      expect(again[0]!.m.id).not.toBe(log[0]!.m.id); // a new request
      expect(again.at(-1)).toMatchObject({ from: "edge", m: { type: "image", id: again[0]!.m.id } });
      const renewed = await device.run(`call 1 ${PAYLOAD}`);
      expect(renewed.generic).toBe(0);
      expect(renewed.packets).toEqual((await device.run(`generic 1 3 0 ${DST} ${PAYLOAD}`)).packets);
      expect(renewed.packets[0]!.slice(0, 4)).toBe("0705");
    } finally {
      channel.close();
      device.close();
    }
  });
});
