// The device half of remote customization (firmware/custom/), on a test
// device: natively under ASan/UBSan and for arm under qemu-arm, with code
// images compiled by tcc-wasm from residual C in each test.
import { afterEach, describe, expect, it } from "vitest";
import { type CustomizeMessage, type ImageTarget, DEVICE_ERRORS, encodeFrame } from "../../src/runtime/protocol.ts";
import { TestDevice, customizeOf, hex, imageFrame, residualC } from "./device.ts";

const DST = "0200303900000000"; // AF_INET, port 12345, 0.0.0.0 (8 bytes is enough for the test kernel)
const DST2 = "020030397f000001";
const DST3 = "02001f907f000001";
const PAYLOAD = hex(new TextEncoder().encode("customized hello"));
const errorCode = (name: string): number => Number(Object.entries(DEVICE_ERRORS).find(([, n]) => n === name)![0]);

describe.each<ImageTarget>(["x86_64", "arm"])("customization subsystem (%s)", (target) => {
  let codeBytes: Record<string, string> = {};
  afterEach(() => void (codeBytes = {}));
  let dev: TestDevice;
  const start = async (...setup: string[]) => {
    dev = TestDevice.start(target, "fake", codeBytes);
    for (const line of setup) await dev.run(line);
    return dev;
  };
  afterEach(() => dev?.close());

  /** A generic call's packet through the kernel's own path, for comparison. */
  const genericPacket = async (fd: number, flags: number, addr: string, data = PAYLOAD) => {
    const r = await dev.run(`generic 1 ${fd} ${flags} ${addr} ${data}`);
    return r.packets;
  };

  it("token life cycle: generic until the image arrives, then the customized code, identical packets; cancel frees", async () => {
    await start("socket 3 64 0");
    const c = await dev.run(`customize 1 3 0 ${DST}`);
    expect(c.ret).toBe(1);
    const request = customizeOf(c);
    expect(request).toMatchObject({ call: "sendto", target });
    expect(request.values.map((v) => [v.param, hex(v.bytes)])).toEqual([
      ["fd", "03000000"],
      ["flags", "00000000"],
      ["addr", DST],
    ]);
    expect(request.roots[0]!.root).toBe("file");
    expect(request.roots[0]!.address).toBe(BigInt(`0x${(await dev.run("addr 3")).lines[0]!.slice(5)}`));

    const before = await dev.run(`call 1 ${PAYLOAD}`);
    expect(before.generic).toBe(1);
    expect(before.ret).toBe(PAYLOAD.length / 2);
    const reference = await genericPacket(3, 0, DST);
    expect(before.packets).toEqual(reference);

    expect((await dev.run(`deliver ${hex(await imageFrame(target, request))}`)).ret).toBe(0);
    expect((await dev.run("cache")).lines[0]).toMatch(/^v 0 ready call=1 refs=1 size=\d+ guards=1$/);
    const after = await dev.run(`call 1 ${PAYLOAD}`);
    expect(after.generic).toBe(0);
    expect(after.ret).toBe(PAYLOAD.length / 2);
    expect(after.packets).toEqual(reference);

    expect((await dev.run("cancel 1")).ret).toBe(0);
    expect((await dev.run("cache")).lines).toEqual(["code 0"]);
    expect((await dev.run(`call 1 ${PAYLOAD}`)).ret).toBe(-errorCode("TOKEN"));
    expect((await dev.run("cancel 1")).ret).toBe(-errorCode("TOKEN"));
  });

  it("cancel before the image arrives sends CANCEL and frees the entry; a late IMAGE is refused", async () => {
    await start("socket 3 64 0");
    const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    const cancel = await dev.run("cancel 1");
    expect(cancel.sent).toEqual([{ type: "cancel", id: request.id }]);
    expect((await dev.run("cache")).lines).toEqual(["code 0"]);
    const late = await dev.run(`deliver ${hex(await imageFrame(target, request))}`);
    expect(late.ret).toBe(-errorCode("REQUEST"));
    expect(late.sent).toEqual([{ type: "error", id: request.id, code: errorCode("REQUEST"), message: "" }]);
  });

  it("one cached version is shared by two tasks using the same socket", async () => {
    await start("socket 3 64 0", "share 3 1 5");
    const first = await dev.run(`customize 1 3 0 ${DST}`);
    const request = customizeOf(first);
    await dev.run("task 1");
    const second = await dev.run(`customize 1 5 0 ${DST}`);
    expect(second.ret).toBe(1); // token 1 of task 1's own table
    expect(second.sent).toEqual([]); // cache hit on the pending version: no second request
    expect((await dev.run("cache")).lines[0]).toMatch(/^v 0 pending call=1 refs=2 /);
    await dev.run(`deliver ${hex(await imageFrame(target, request))}`);
    const reference = await genericPacket(5, 0, DST);
    for (const task of [1, 0]) {
      await dev.run(`task ${task}`);
      const r = await dev.run(`call 1 ${PAYLOAD}`);
      expect(r.generic).toBe(0);
      expect(r.packets).toEqual(reference);
    }
    await dev.run("cancel 1");
    expect((await dev.run("cache")).lines[0]).toMatch(/^v 0 ready call=1 refs=1 /);
    await dev.run("task 1");
    await dev.run("cancel 1");
    expect((await dev.run("cache")).lines).toEqual(["code 0"]);
  });

  it("LRU eviction at capacity: the least recently used version goes, its token falls back and re-requests", async () => {
    await start("config 2 8 0 1 0", "socket 3 64 0");
    const r1 = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    const r2 = customizeOf(await dev.run(`customize 1 3 0 ${DST2}`));
    await dev.run(`deliver ${hex(await imageFrame(target, r1))}`);
    await dev.run(`deliver ${hex(await imageFrame(target, r2))}`);
    expect((await dev.run(`call 1 ${PAYLOAD}`)).generic).toBe(0); // token 1 used after token 2: token 2 is LRU
    const c3 = await dev.run(`customize 1 3 0 ${DST3}`);
    const r3 = customizeOf(c3);
    const cache = (await dev.run("cache")).lines;
    expect(cache.filter((l) => l.startsWith("v "))).toHaveLength(2);
    expect(cache.some((l) => l.startsWith("v 1 pending"))).toBe(true); // entry 1 (token 2's) was reused
    const evicted = await dev.run(`call 2 ${PAYLOAD}`);
    expect(evicted.generic).toBe(1);
    expect(evicted.packets).toEqual(await genericPacket(3, 0, DST2));
    expect(customizeOf(evicted).values.find((v) => v.param === "addr")!.bytes).toEqual(r2.values.find((v) => v.param === "addr")!.bytes);
    expect(r3.id).not.toBe(r2.id);
    // three live tokens, capacity 2: token 2's re-request evicted token 1's version, the LRU by then
    expect((await dev.run("cache")).lines).toEqual([expect.stringMatching(/^v 0 pending /), expect.stringMatching(/^v 1 pending /), "code 0"]);
  });

  it("bounds the versions per call by dropping parameters: past the bound, contexts differing only in address share one", async () => {
    await start("config 16 2 0 1 0", "socket 3 64 0");
    const params = async (dst: string) => customizeOf(await dev.run(`customize 1 3 0 ${dst}`)).values.map((v) => v.param);
    expect(await params(DST)).toEqual(["fd", "flags", "addr"]);
    expect(await params(DST2)).toEqual(["fd", "flags", "addr"]);
    expect(await params(DST3)).toEqual(["fd", "flags"]);
    const fourth = await dev.run("customize 1 3 0 0200000a7f000001");
    expect(fourth.ret).toBe(4);
    expect(fourth.sent).toEqual([]);
    expect((await dev.run("cache")).lines[2]).toMatch(/^v 2 pending call=1 refs=2 /);
  });

  for (const [what, breakIt, expectedRet] of [
    ["setsockopt", "setsockopt 3 7", PAYLOAD.length / 2],
    ["close", "close 3", -9],
    ["close and fd reuse", "close 3\nsocket 3 99 1", PAYLOAD.length / 2],
    ["a netif change", "netif", PAYLOAD.length / 2],
  ] as const) {
    it(`guard after ${what}: the generic path with byte-identical packets, then a new version`, async () => {
      await start("socket 3 64 0");
      const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
      await dev.run(`deliver ${hex(await imageFrame(target, request))}`);
      expect((await dev.run(`call 1 ${PAYLOAD}`)).generic).toBe(0);
      for (const line of breakIt.split("\n")) await dev.run(line);
      const fallback = await dev.run(`call 1 ${PAYLOAD}`);
      expect(fallback.generic).toBe(1);
      expect(fallback.ret).toBe(expectedRet);
      const reference = await dev.run(`generic 1 3 0 ${DST} ${PAYLOAD}`);
      expect(fallback.packets).toEqual(reference.packets);
      expect(fallback.ret).toBe(reference.ret);
      if (what === "close") {
        expect(fallback.sent).toEqual([]); // nothing to customize for a closed fd
        expect((await dev.run("cache")).lines).toEqual(["code 0"]);
        return;
      }
      const again = customizeOf(fallback);
      expect(hex(again.contextHash)).not.toBe(hex(request.contextHash));
      await dev.run(`deliver ${hex(await imageFrame(target, again))}`);
      const renewed = await dev.run(`call 1 ${PAYLOAD}`);
      expect(renewed.generic).toBe(0);
      expect(renewed.packets).toEqual(reference.packets);
      expect((await dev.run("cache")).lines.filter((l) => l.startsWith("v "))).toHaveLength(1); // the stale version was freed
    });
  }

  it("a guard the image declares on a firmware counter (net_generation) sends calls back to the generic path", async () => {
    await start("socket 3 64 0");
    const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    await dev.run(`deliver ${hex(await imageFrame(target, request, { guards: [{ symbol: "net_generation", address: 0n, expected: 0 }] }))}`);
    expect((await dev.run("cache")).lines[0]).toMatch(/guards=2$/);
    expect((await dev.run(`call 1 ${PAYLOAD}`)).generic).toBe(0);
    await dev.run("netgen");
    const r = await dev.run(`call 1 ${PAYLOAD}`);
    expect(r.generic).toBe(1);
    expect(r.packets).toEqual(await genericPacket(3, 0, DST));
  });

  it("with the wait policy, the first call waits for the image and runs the customized code", async () => {
    await start("config 16 4 1 1 100", "socket 3 64 0");
    const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    await dev.run(`queue ${hex(await imageFrame(target, request))}`);
    const r = await dev.run(`call 1 ${PAYLOAD}`);
    expect(r.generic).toBe(0);
    expect(r.packets).toEqual(await genericPacket(3, 0, DST));
  });

  it("answers FETCH with device memory and CALL sockfd_lookup as the requesting task; refuses the rest", async () => {
    await start("socket 3 64 0", "task 1", "socket 2 64 0", "task 0");
    const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    const file = request.roots[0]!;
    const data = await dev.run(`deliver ${hex(encodeFrame({ type: "fetch", id: request.id, address: file.address, length: file.bytes.length }))}`);
    expect(data.sent).toEqual([{ type: "data", id: request.id, address: file.address, bytes: file.bytes }]);
    await dev.run("task 1"); // the CALL runs as task 0, whatever task is current
    const call = await dev.run(`deliver ${hex(encodeFrame({ type: "call", id: request.id, fn: 1, args: [3n] }))}`);
    expect(call.sent).toEqual([{ type: "result", id: request.id, value: file.address }]);
    const denied = await dev.run(`deliver ${hex(encodeFrame({ type: "fetch", id: request.id, address: 16n, length: 4 }))}`);
    expect(denied.sent).toEqual([{ type: "error", id: request.id, code: errorCode("FETCH"), message: "" }]);
    const unknown = await dev.run(`deliver ${hex(encodeFrame({ type: "call", id: request.id, fn: 9, args: [] }))}`);
    expect(unknown.sent).toEqual([{ type: "error", id: request.id, code: errorCode("FUNCTION"), message: "" }]);
    const serverError = await dev.run(`deliver ${hex(encodeFrame({ type: "error", id: request.id, code: 101, message: "no scenario" }))}`);
    expect(serverError.sent).toEqual([]);
    expect((await dev.run("cache")).lines[0]).toMatch(/^v 0 failed /);
    await dev.run("task 0");
    expect((await dev.run(`call 1 ${PAYLOAD}`)).generic).toBe(1);
  });

  describe("loader defects: each its own code, no state change, a good image still installs", () => {
    const defects: [string, string, (frame: Uint8Array) => Uint8Array | Promise<Uint8Array>][] = [];
    const body = (frame: Uint8Array) => frame.subarray(12);
    const reframe = (frame: Uint8Array, image: Uint8Array) => encodeFrame({ type: "image", id: new DataView(frame.buffer, frame.byteOffset).getUint32(4, true), image });
    defects.push(["TAG", "a flipped bit in the code", (f) => {
      const image = body(f).slice();
      image[50]! ^= 1;
      return reframe(f, image);
    }]);
    defects.push(["TRUNCATED", "the last byte cut off", (f) => reframe(f, body(f).slice(0, -1))]);
    defects.push(["MAGIC", "a wrong magic", (f) => {
      const image = body(f).slice();
      image[0] = 0x58;
      return reframe(f, image);
    }]);

    for (const [code, what, mangle] of defects) {
      it(`${code}: ${what}`, async () => {
        await start("socket 3 64 0");
        const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
        const good = await imageFrame(target, request);
        const cacheBefore = (await dev.run("cache")).lines;
        const r = await dev.run(`deliver ${hex(await mangle(good))}`);
        expect(r.ret).toBe(-errorCode(code));
        expect(r.sent).toEqual([{ type: "error", id: request.id, code: errorCode(code), message: "" }]);
        expect((await dev.run("cache")).lines).toEqual(cacheBefore);
        expect((await dev.run(`call 1 ${PAYLOAD}`)).generic).toBe(1);
        expect((await dev.run(`deliver ${hex(good)}`)).ret).toBe(0);
        expect((await dev.run(`call 1 ${PAYLOAD}`)).generic).toBe(0);
      });
    }

    const signed: [string, string, (ctx: { imports: string[]; relocations: { offset: number; symbol: number }[]; memory: Uint8Array; entry: number }) => void, Record<string, unknown>?][] = [
      ["RELOC_BOUNDS", "a relocation past the end of the image", (img) => void (img.relocations[0]!.offset = img.memory.length - 2)],
      ["RELOC_BOUNDS", "a relocation against an import that does not exist", (img) => void (img.relocations[0]!.symbol = img.imports.length)],
      ["SYMBOL", "an import the firmware does not export", (img) => void (img.imports[0] = "no_such_function")],
      ["ENTRY", "an entry point outside the code", (img) => void (img.entry = img.memory.length)],
    ];
    for (const [code, what, edit] of signed) {
      it(`${code}: ${what} (correctly signed)`, async () => {
        await start("socket 3 64 0");
        const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
        const bad = await imageFrame(target, request, { edit });
        const r = await dev.run(`deliver ${hex(bad)}`);
        expect(r.ret).toBe(-errorCode(code));
        expect((await dev.run("cache")).lines[0]).toMatch(/^v 0 pending .* size=0 /);
        expect((await dev.run(`deliver ${hex(await imageFrame(target, request))}`)).ret).toBe(0);
      });
    }

    it("BUILD, CONTEXT, GUARD, KEY: an image for another firmware, another context, an unreadable guard, another device", async () => {
      await start("socket 3 64 0");
      const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
      const cases: [string, Uint8Array][] = [
        ["BUILD", await imageFrame(target, request, { edit: (i) => void (i.buildId = new TextEncoder().encode("OTHERBLD")) })],
        ["CONTEXT", await imageFrame(target, request, { edit: (i) => void (i.contextHash = new Uint8Array(8)) })],
        ["GUARD", await imageFrame(target, request, { guards: [{ address: 16n, expected: 0 }] })],
        ["TAG", await imageFrame(target, request, { key: new Uint8Array(32).fill(7) })],
      ];
      for (const [code, frame] of cases) expect((await dev.run(`deliver ${hex(frame)}`)).ret).toBe(-errorCode(code));
      expect((await dev.run(`deliver ${hex(await imageFrame(target, request, { guards: [{ symbol: "net_generation", address: 0n, expected: 0 }, { address: request.roots[0]!.address + 8n, expected: 0 }] }))}`)).ret).toBe(0);
    });
  });

  it("code memory: an image that does not fit is refused (NOMEM) with no state change; cancel frees the space for it", async () => {
    codeBytes = { TEST_CODE_BYTES: "4096" };
    await start("socket 3 64 0");
    const big = (request: CustomizeMessage) => residualC(request, "const unsigned char filler[2500] = {1};");
    const r1 = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    const r2 = customizeOf(await dev.run(`customize 1 3 0 ${DST2}`));
    expect((await dev.run(`deliver ${hex(await imageFrame(target, r1, { source: big(r1) }))}`)).ret).toBe(0);
    const second = await imageFrame(target, r2, { source: big(r2) });
    const refused = await dev.run(`deliver ${hex(second)}`);
    expect(refused.ret).toBe(-errorCode("NOMEM"));
    expect(refused.sent).toEqual([{ type: "error", id: r2.id, code: errorCode("NOMEM"), message: "" }]);
    expect((await dev.run("cache")).lines[1]).toMatch(/^v 1 pending .* size=0 /);
    await dev.run("cancel 1");
    expect((await dev.run(`deliver ${hex(second)}`)).ret).toBe(0);
    const r = await dev.run(`call 2 ${PAYLOAD}`);
    expect(r.generic).toBe(0);
    expect(r.packets).toEqual(await genericPacket(3, 0, DST2));
  });

  it("images with writable data, bss and calls inside the image relocate correctly", async () => {
    await start("socket 3 64 0");
    const request = customizeOf(await dev.run(`customize 1 3 0 ${DST}`));
    const source = residualC(request).replace("static long calls;", "static long calls;\nstatic char scratch[64];\nlong *counter = &calls;\nstatic unsigned char twice(unsigned char x) { return x * 2; }") .replace("calls++;", "(*counter)++; scratch[calls & 63] = twice(1);");
    await dev.run(`deliver ${hex(await imageFrame(target, request, { source }))}`);
    for (let i = 0; i < 3; i++) expect((await dev.run(`call 1 ${PAYLOAD}`)).packets).toEqual(await genericPacket(3, 0, DST));
  });
});

describe("native platform port (firmware/custom/port-native.c): frames on fds 3 and 4", () => {
  it("sends CUSTOMIZE, answers FETCH, installs an IMAGE and reports a bad one, over the byte stream", async () => {
    const dev = TestDevice.start("x86_64", "native-port");
    try {
      await dev.run("socket 3 64 0");
      expect((await dev.run(`customize 1 3 0 ${DST}`)).ret).toBe(1);
      const [request] = await dev.takeFrames(1);
      expect(request).toMatchObject({ type: "customize", call: "sendto", target: "x86_64" });
      const customize = request as CustomizeMessage;
      const file = customize.roots[0]!;
      // two frames in one write, the second split across writes
      const fetch = encodeFrame({ type: "fetch", id: customize.id, address: file.address, length: 4 });
      const image = await imageFrame("x86_64", customize);
      const bad = image.slice();
      bad[40]! ^= 1;
      dev.writeFrame(Buffer.concat([fetch, bad.subarray(0, 7)]));
      dev.writeFrame(bad.subarray(7));
      dev.writeFrame(image);
      await new Promise((r) => setTimeout(r, 50));
      await dev.run("poll-channel");
      expect(await dev.takeFrames(2)).toEqual([
        { type: "data", id: customize.id, address: file.address, bytes: file.bytes.slice(0, 4) },
        { type: "error", id: customize.id, code: errorCode("TAG"), message: "" },
      ]);
      expect((await dev.run("cache")).lines[0]).toMatch(/^v 0 ready /);
      const r = await dev.run(`call 1 ${PAYLOAD}`);
      expect(r.generic).toBe(0);
      expect(r.packets).toEqual((await dev.run(`generic 1 3 0 ${DST} ${PAYLOAD}`)).packets);
    } finally {
      dev.close();
    }
  });
});
