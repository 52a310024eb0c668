import { describe, expect, it } from "vitest";
import { BespokeError } from "../../src/errors.ts";
import { decodeImage } from "../../src/runtime/image.ts";
import { customize } from "../../src/server/customize.ts";
import type { CustomizeRequest, RequestLimits } from "../../src/server/types.ts";
import { NODES, ScriptedDevice, coreOptions, expectedImage, listRequest, listSumPipeline } from "./fixture.ts";
import { testDeviceKey } from "./list-sum.ts";

const dev1 = { id: "dev-1" };

describe("server core: one customization request", () => {
  it("cold: every miss is one round trip (chi), the image is the compiled residual code signed for the device", async () => {
    const device = new ScriptedDevice();
    const options = coreOptions();
    const out = await customize(options, listRequest(), dev1, device.link());
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.image).toEqual(await expectedImage(150, 3n, "dev-1"));
    // five pointer hops on five pages, one device call
    expect(device.fetches.map((f) => f.map((r) => r.addr))).toEqual(NODES.map((a) => [a]));
    expect(device.calls).toEqual([{ fn: "sockfd_lookup", args: [BigInt(NODES[0]!)] }]);
    expect(out.stats).toMatchObject({ chi: 6, fetches: 5, calls: 1, fetchedBytes: 5 * 64, runs: 7, cache: "miss" });
  });

  it("warm: one batched FETCH of exactly what was read plus the call, then the cached artifact", async () => {
    const device = new ScriptedDevice();
    const options = coreOptions();
    await customize(options, listRequest(), dev1, device.link());
    device.fetches.length = 0;
    const warm = await customize(options, listRequest(), { id: "dev-2" }, device.link());
    expect(warm.ok && warm.stats).toMatchObject({ chi: 2, fetches: 1, calls: 1, runs: 0, cache: "hit" });
    expect(device.fetches).toEqual([NODES.map((addr) => ({ addr, length: 8 }))]);
    expect(warm.ok && warm.image).toEqual(await expectedImage(150, 3n, "dev-2"));
  });

  it("a new context prefetches what the scenario read before on this firmware in one round trip, then runs once", async () => {
    const device = new ScriptedDevice();
    const options = coreOptions();
    await customize(options, listRequest(), dev1, device.link());
    device.fetches.length = 0;
    // another list head: another recipe key, the same firmware's memory
    const other = await customize(options, listRequest({ values: { head: NODES[1]! } }), dev1, device.link());
    expect(other.ok && other.image).toEqual(await expectedImage(20 + 30 + 40 + 50, 3n, "dev-1"));
    expect(other.stats).toMatchObject({ fetches: 1, calls: 1, chi: 2, cache: "miss" });
    expect(device.fetches).toEqual([NODES.map((addr) => ({ addr, length: 8 }))]);
    // a device refusing the profile's memory only costs that round trip: the specialization fetches what it needs
    const refusing = { ...device.link(), fetch: async (ranges: { addr: number; length: number }[]) => {
      if (ranges.length > 1) throw new BespokeError("DEVICE_REFUSED", "not exposed");
      return ranges.map((r) => device.read(r));
    } };
    const third = await customize(options, listRequest({ values: { head: NODES[2]! } }), dev1, refusing);
    expect(third.ok && third.image).toEqual(await expectedImage(30 + 40 + 50, 3n, "dev-1"));
    expect(third.stats).toMatchObject({ fetches: 4, cache: "miss" });
  });

  it("a changed device value the specialization read means a new version, never a stale one", async () => {
    const device = new ScriptedDevice();
    const options = coreOptions();
    await customize(options, listRequest(), dev1, device.link());
    device.setValue(3, 1000);
    const out = await customize(options, listRequest(), dev1, device.link());
    expect(out.ok && out.stats.cache).toBe("miss");
    expect(out.ok && out.image).toEqual(await expectedImage(10 + 20 + 30 + 1000 + 50, 3n, "dev-1"));
    expect(out.stats.fetches).toBe(1); // the re-read; the re-run found everything mirrored
  });

  it("the image carries the request's context hash and verifies only with the requesting device's key", async () => {
    const device = new ScriptedDevice();
    const contextHash = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const out = await customize(coreOptions(), listRequest({ contextHash }), dev1, device.link());
    expect(out.ok && out.image).toEqual(await expectedImage(150, 3n, "dev-1", contextHash));
    const image = await decodeImage(out.ok ? out.image : new Uint8Array(), testDeviceKey("dev-1"));
    expect(image).toMatchObject({ target: "arm", call: "sendto", contextHash, imports: [], guards: [] });
    await expect(decodeImage(out.ok ? out.image : new Uint8Array(), testDeviceKey("dev-2"))).rejects.toThrow(/tag/i);
    const stranger = await customize(coreOptions(), listRequest(), { id: "stranger" }, device.link());
    expect(!stranger.ok && stranger.error).toMatchObject({ code: "UNKNOWN_DEVICE", message: expect.stringContaining('"stranger"') });
  });

  it("one-shot: a request carrying all its memory and call results needs no device", async () => {
    const device = new ScriptedDevice();
    const memory = NODES.map((addr) => ({ addr, bytes: device.read({ addr, length: 8 }) }));
    const calls = [{ fn: "sockfd_lookup", args: [BigInt(NODES[0]!)], result: 3n }];
    const out = await customize(coreOptions(), listRequest({ memory, calls }), dev1, null);
    expect(out.ok && out.stats).toMatchObject({ chi: 0, runs: 1, cache: "miss" });
    expect(out.ok && out.image).toEqual(await expectedImage(150, 3n, "dev-1"));
  });

  it("one-shot without the memory it needs: an error naming the missing ranges", async () => {
    const device = new ScriptedDevice();
    const memory = NODES.slice(0, 2).map((addr) => ({ addr, bytes: device.read({ addr, length: 8 }) }));
    const out = await customize(coreOptions(), listRequest({ memory }), dev1, null);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error).toEqual({
      code: "MEMORY_NOT_PROVIDED",
      message: expect.stringContaining(`0x${NODES[2]!.toString(16)}+8`),
    });
  });
});

describe("server core: limits and bad input end in a clear error", () => {
  it.each([
    ["unknown firmware", { firmware: "feedface" }, {}, "UNKNOWN_FIRMWARE", /feedface.*known: 0123456789abcdef/],
    ["unknown scenario", { scenario: "tcp-send" }, {}, "UNKNOWN_SCENARIO", /"tcp-send".*available: list-sum/],
    ["oversized context", { memory: [{ addr: 0x2000_0000, bytes: new Uint8Array(70_000) }] }, {}, "CONTEXT_TOO_LARGE", /70\d+ bytes.*65536-byte limit/],
    ["another CPU's request", { target: "x86_64" }, {}, "TARGET_MISMATCH", /built for arm, but the request is for x86_64/],
    ["too many faults", {}, { faults: 3 }, "TOO_MANY_FAULTS", /more than 3 round trips/],
    ["residual too large", {}, { residualBytes: 40 }, "RESIDUAL_TOO_LARGE", /over the 40-byte limit/],
    ["mirror full", {}, { mirrorBytes: 128 }, "MIRROR_FULL", /128-byte limit/],
    ["server time", {}, { cpuMs: 0 }, "CPU_LIMIT", /ms of server time, over its 0 ms limit/],
    ["memory outside the address space", { memory: [{ addr: 2 ** 32, bytes: new Uint8Array(4) }] }, {}, "BAD_ADDRESS", /outside the device's address space/],
  ] as [string, Partial<CustomizeRequest>, Partial<RequestLimits>, string, RegExp][])("%s", async (_name, req, limits, code, message) => {
    const device = new ScriptedDevice();
    const out = await customize(coreOptions(limits), listRequest(req), dev1, device.link());
    expect(out.ok).toBe(false);
    expect(!out.ok && out.error.code).toBe(code);
    expect(!out.ok && out.error.message).toMatch(message);
  });

  it("garbage DATA answers (short blocks, wrong count) are BAD_DATA", async () => {
    const device = new ScriptedDevice();
    const short = { ...device.link(), fetch: async (ranges: { length: number }[]) => ranges.map((r) => new Uint8Array(r.length >> 1)) };
    const out = await customize(coreOptions(), listRequest(), dev1, short);
    expect(!out.ok && out.error).toMatchObject({ code: "BAD_DATA", message: expect.stringContaining("32 bytes") });
    const none = { ...device.link(), fetch: async () => [] };
    const out2 = await customize(coreOptions(), listRequest(), dev1, none);
    expect(!out2.ok && out2.error.code).toBe("BAD_DATA");
  });

  it("a device that never answers times out", async () => {
    const device = new ScriptedDevice();
    const silent = { ...device.link(), fetch: () => new Promise<Uint8Array[]>(() => {}) };
    const out = await customize(coreOptions({ deviceWaitMs: 50 }), listRequest(), dev1, silent);
    expect(!out.ok && out.error).toMatchObject({ code: "DEVICE_TIMEOUT", message: expect.stringContaining("FETCH within 50 ms") });
  });

  it("a device-side fault and a crashing pipeline are errors, not crashes", async () => {
    const device = new ScriptedDevice();
    const out = await customize(coreOptions(), listRequest({ values: { head: 0x3000_0000 } }), dev1, device.link());
    expect(!out.ok && out.error.code).toBe("DEVICE_FAULT");
    const crashing = coreOptions({}, async (job) => {
      await listSumPipeline(job);
      throw new TypeError("boom");
    });
    const out2 = await customize(crashing, listRequest(), dev1, device.link());
    expect(!out2.ok && out2.error).toEqual({ code: "INTERNAL", message: "internal error: boom" });
    const bad = await customize(coreOptions(), listRequest({ values: { head: "x" } }), dev1, device.link());
    expect(!bad.ok && bad.error).toMatchObject({ code: "BAD_CONTEXT" });
  });
});
