import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Miniflare } from "miniflare";
import { fetch } from "miniflare";
import { CACHE_ORIGIN } from "../../edge-worker/cache.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { buildImage, decodeImage, encodeImage } from "../../src/runtime/image.ts";
import { type CustomizeMessage, type Message, SERVER_ERROR_BASE } from "../../src/runtime/protocol.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { recipeKey } from "../../src/server/cache.ts";
import { SERVER_ERRORS } from "../../src/server/wire.ts";
import { expectedImage } from "../server/fixture.ts";
import { NODES, ScriptedDevice, testDeviceKey } from "../server/list-sum.ts";
import { Channel, bundleSize, bundleWorker, runWorker } from "./harness.ts";

const BUILD_ID = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
const HASH = Uint8Array.of(0xc0, 0xff, 0xee, 0, 0, 0, 0, 1);

/** The CUSTOMIZE a device sends for `sendto` with the list head as its `addr` value. */
function customizeFrame(id: number, extra: Partial<CustomizeMessage> = {}): CustomizeMessage {
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, NODES[0]!, true);
  return {
    type: "customize",
    id,
    call: "sendto",
    target: "arm",
    buildId: BUILD_ID,
    contextHash: HASH,
    values: [{ param: "addr", bytes: head }],
    roots: [],
    ...extra,
  };
}

/**
 * Play the device for request `id` until the edge ends it: DATA for FETCH,
 * RESULT for CALL — unless `answer` returns another message to send instead.
 */
async function playDevice(channel: Channel, id: number, device: ScriptedDevice, answer?: (m: Message) => Message | undefined) {
  const seen: Message[] = [];
  for (;;) {
    const m = await channel.next();
    seen.push(m);
    if (m.id !== id) continue;
    const own = answer?.(m);
    if (own) {
      channel.send(own);
      continue;
    }
    if (m.type === "fetch") channel.send({ type: "data", id, address: m.address, bytes: device.read({ addr: Number(m.address), length: m.length }) });
    else if (m.type === "call") channel.send({ type: "result", id, value: BigInt(device.view.getUint32(0x8000, true)) });
    else return { end: m, seen };
  }
}

let testEdge: { mf: Miniflare; url: URL };
let deployed: { mf: Miniflare; url: URL; size: { raw: number; gzip: number } };

beforeAll(async () => {
  const test = bundleWorker(path.join(repoRoot(), "test", "edge", "wrangler.toml"), "test");
  const prod = bundleWorker(path.join(repoRoot(), "edge-worker", "wrangler.toml"), "deploy");
  testEdge = await runWorker(test);
  deployed = { ...(await runWorker(prod, { bindings: { DEVICE_KEY: "00".repeat(32) } })), size: bundleSize(prod) };
});

afterAll(async () => {
  await testEdge?.mf.dispose();
  await deployed?.mf.dispose();
});

describe("edge worker in workerd", () => {
  it("the deployable bundle (wrangler deploy --dry-run) is under 3 MiB gzip and carries tcc-wasm", () => {
    expect(deployed.size.gzip).toBeLessThanOrEqual(3 * 1024 * 1024);
    expect(deployed.size.raw).toBeGreaterThan(300_000); // the arm tcc-wasm module is in it
  });

  it("GET /healthz names the service, the firmware builds served and the limits", async () => {
    const r = await fetch(new URL("/healthz", testEdge.url));
    expect(r.status).toBe(200);
    const body = (await r.json()) as { ok: boolean; protocol: number; firmware: { buildId: string; scenarios: { name: string }[] }[]; limits: { contextBytes: number } };
    expect(body.ok).toBe(true);
    expect(body.protocol).toBe(1);
    expect(body.firmware.map((f) => [f.buildId, f.scenarios.map((s) => s.name)])).toEqual([
      ["0123456789abcdef", ["list-sum", "udp-sendto", "list-c"]],
      ["0123456789ab8664", ["list-c"]],
      ["54455354424c4431", ["udp-sendto"]],
    ]);
    expect(body.limits.contextBytes).toBe(16384);
    // the deployable bundle serves what src/device/prepare.ts prepared (the board firmware, once prepared)
    const prod = (await (await fetch(new URL("/healthz", deployed.url))).json()) as { firmware: { scenarios: { name: string }[] }[] };
    for (const f of prod.firmware) expect(f.scenarios.map((s) => s.name)).toEqual(["udp-sendto", "tcp-send"]);
  });

  it("a device customizes over a WebSocket: FETCH/DATA and CALL/RESULT, then an IMAGE for it; warm requests re-read in one round trip", async () => {
    const device = new ScriptedDevice();
    const channel = await Channel.open(testEdge.url, "dev-ws");
    channel.send(customizeFrame(1));
    const cold = await playDevice(channel, 1, device);
    // five round trips down the list, each the missed line and the next one (prefetched), then the call
    expect(cold.seen.map((m) => m.type)).toEqual([...Array<string>(10).fill("fetch"), "call", "image"]);
    expect(cold.seen.filter((m) => m.type === "fetch").map((m) => m.type === "fetch" && Number(m.address))).toEqual(NODES.flatMap((a) => [a, a + 64]));
    expect(cold.end.type === "image" && cold.end.image).toEqual(await expectedImage(150, 3n, "dev-ws", HASH));
    const image = await decodeImage(cold.end.type === "image" ? cold.end.image : new Uint8Array(), testDeviceKey("dev-ws"));
    expect(image).toMatchObject({ call: "sendto", target: "arm", contextHash: HASH, buildId: BUILD_ID });

    device.setValue(1, 21); // the device's state changed: the warm check must notice
    channel.send(customizeFrame(2));
    const changed = await playDevice(channel, 2, device);
    expect(changed.seen.filter((m) => m.type === "fetch").map((m) => m.type === "fetch" && Number(m.address))).toEqual(NODES);
    expect(changed.end.type === "image" && changed.end.image).toEqual(await expectedImage(151, 3n, "dev-ws", HASH));

    channel.send(customizeFrame(3));
    const warm = await playDevice(channel, 3, device);
    expect(warm.seen.map((m) => m.type)).toEqual(["fetch", "fetch", "fetch", "fetch", "fetch", "call", "image"]);
    expect(warm.end.type === "image" && warm.end.image).toEqual(await expectedImage(151, 3n, "dev-ws", HASH));
    channel.close();
  });

  it("the real specializer runs in workerd (one-shot POST carrying the memory it reads), for arm and x86_64", async () => {
    const cc = await createCompiler({ target: "arm" });
    const residual = await cc.compile({ files: { "r.c": "int list_sum(int x)\n{\n    return ((150) * (x));\n}\n" }, entry: "r.c" });
    const expected = async (device: string, contextHash = new Uint8Array(8)) =>
      encodeImage(buildImage({ object: residual.object, target: "arm", entry: "list_sum", call: "sendto", buildId: BUILD_ID, contextHash }), testDeviceKey(device));
    const device = new ScriptedDevice();
    const body = { firmware: "0123456789abcdef", scenario: "list-c", device: "dev-c", values: { head: { address: `0x${NODES[0]!.toString(16)}` } } };
    const post = (b: unknown) => fetch(new URL("/v1/customize", testEdge.url), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
    const memory = NODES.map((addr) => ({ addr: `0x${addr.toString(16)}`, hex: Buffer.from(device.read({ addr, length: 16 })).toString("hex") }));
    const ok = await post({ ...body, memory });
    expect(ok.status).toBe(200);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(await expected("dev-c"));
    const missing = await post({ ...body, memory: memory.slice(0, 1) });
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("MEMORY_NOT_PROVIDED");

    // the same for an x86_64 device: 64-bit pointers, tcc-wasm for x86_64 in the worker
    const cc64 = await createCompiler({ target: "x86_64" });
    const residual64 = await cc64.compile({ files: { "r.c": "int list_sum(int x)\n{\n    return ((150) * (x));\n}\n" }, entry: "r.c" });
    const device64 = new ScriptedDevice(undefined, 8);
    const memory64 = NODES.map((addr) => ({ addr: `0x${addr.toString(16)}`, hex: Buffer.from(device64.read({ addr, length: 16 })).toString("hex") }));
    const ok64 = await post({ ...body, firmware: "0123456789ab8664", memory: memory64 });
    expect(ok64.status).toBe(200);
    const buildId64 = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0x86, 0x64]);
    const image64 = buildImage({ object: residual64.object, target: "x86_64", entry: "list_sum", call: "sendto", buildId: buildId64, contextHash: new Uint8Array(8) });
    expect(new Uint8Array(await ok64.arrayBuffer())).toEqual(await encodeImage(image64, testDeviceKey("dev-c")));
  });

  it("garbage answers and bad frames end in clear ERRORs, and the session keeps serving", async () => {
    const device = new ScriptedDevice();
    const channel = await Channel.open(testEdge.url, "dev-bad");
    const errorText = (m: Message) => (m.type === "error" ? m.message : `not an error: ${m.type}`);

    channel.sendRaw(Uint8Array.of(0x42, 0x53, 9));
    const frameError = await channel.next();
    expect(frameError).toMatchObject({ type: "error", id: 0, code: 1 });
    expect(errorText(frameError)).toMatch(/^BAD_FRAME: malformed channel frame/);

    channel.sendRaw("hello");
    expect(errorText(await channel.next())).toMatch(/^BAD_FRAME: a text message/);

    channel.send({ type: "data", id: 99, address: 0x100n, bytes: Uint8Array.of(1) });
    expect(await channel.next()).toMatchObject({ type: "error", id: 99, code: 2 });

    channel.send(customizeFrame(10));
    const garbage = await playDevice(channel, 10, device, (m) =>
      m.type === "fetch" ? { type: "data", id: 10, address: m.address, bytes: Uint8Array.of(0xde, 0xad) } : undefined,
    );
    expect(garbage.end).toMatchObject({ type: "error", id: 10, code: SERVER_ERRORS.BAD_DATA });
    expect(errorText(garbage.end)).toMatch(/BAD_DATA: the device answered 2 bytes for 0x20000200\+\d+ /);

    channel.send(customizeFrame(11, { buildId: Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9) }));
    const unknownFirmware = await channel.next();
    expect(unknownFirmware).toMatchObject({ type: "error", id: 11, code: SERVER_ERRORS.UNKNOWN_FIRMWARE });
    expect(errorText(unknownFirmware)).toMatch(/firmware build "0909090909090909" is not known.*known: 0123456789abcdef/);

    channel.send(customizeFrame(12, { call: "send" }));
    const unknownScenario = await channel.next();
    expect(unknownScenario).toMatchObject({ type: "error", id: 12, code: SERVER_ERRORS.UNKNOWN_SCENARIO });
    expect(errorText(unknownScenario)).toMatch(/scenario "tcp-send" is not prepared/);

    channel.send(customizeFrame(13, { target: "x86_64" }));
    expect(await channel.next()).toMatchObject({ type: "error", id: 13, code: SERVER_ERRORS.TARGET_MISMATCH });

    channel.send(customizeFrame(14, { roots: [{ root: "file", address: 0x2000_0000n, bytes: new Uint8Array(20_000) }] }));
    const tooBig = await channel.next();
    expect(tooBig).toMatchObject({ type: "error", id: 14, code: SERVER_ERRORS.CONTEXT_TOO_LARGE });

    // the device refuses to expose the memory (the exact bytes the cached recipe names): the request ends in an ERROR...
    channel.send(customizeFrame(15));
    const refused = await playDevice(channel, 15, device, (m) => (m.type === "fetch" ? { type: "error", id: 15, code: 3, message: "" } : undefined));
    expect(refused.end).toMatchObject({ type: "error", id: 15, code: SERVER_ERRORS.DEVICE_REFUSED });
    expect(errorText(refused.end)).toMatch(/DEVICE_REFUSED: the device does not expose 0x20000200\+\d+ \(FETCH\)/);
    expect(new Set(refused.seen.filter((m) => m.type === "fetch").map((m) => m.type === "fetch" && m.length))).toEqual(new Set([8]));
    // ...and serves the next request correctly
    channel.send(customizeFrame(16));
    const good = await playDevice(channel, 16, device);
    expect(good.seen.filter((m) => m.id !== 16)).toEqual([]);
    expect(good.end.type === "image" && good.end.image).toEqual(await expectedImage(150, 3n, "dev-bad", HASH));
    channel.close();
  });

  it("POST /v1/customize: a one-shot request carrying its memory gets the image; without it, an error naming what is missing", async () => {
    const device = new ScriptedDevice();
    const memory = NODES.map((addr) => ({ addr: `0x${addr.toString(16)}`, hex: Buffer.from(device.read({ addr, length: 8 })).toString("hex") }));
    const body = {
      firmware: "0123456789abcdef",
      scenario: "list-sum",
      device: "dev-post",
      values: { head: NODES[0] },
      memory,
      calls: [{ fn: "sockfd_lookup", args: [String(NODES[0])], result: "3" }],
    };
    const post = (b: unknown, type = "application/json") =>
      fetch(new URL("/v1/customize", testEdge.url), { method: "POST", headers: { "content-type": type }, body: typeof b === "string" ? b : JSON.stringify(b) });
    const ok = await post(body);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("x-bespoke-chi")).toBe("0");
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(await expectedImage(150, 3n, "dev-post"));

    const missing = await post({ ...body, memory: memory.slice(0, 3) });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toEqual({
      error: { code: "MEMORY_NOT_PROVIDED", message: expect.stringContaining(`0x${NODES[3]!.toString(16)}+8`) },
    });

    const cases: [unknown, string, number, string, RegExp][] = [
      ["{not json", "application/json", 400, "BAD_REQUEST", /not JSON/],
      [{ ...body, firmware: "XYZ" }, "application/json", 400, "BAD_REQUEST", /request.firmware/],
      [{ ...body, memory: [{ addr: "0x10", hex: "abc" }] }, "application/json", 400, "BAD_REQUEST", /request.memory\[0\].hex/],
      [{ ...body, firmware: "feedfacefeedface" }, "application/json", 404, "UNKNOWN_FIRMWARE", /not known/],
      [{ ...body, scenario: "tcp-send" }, "application/json", 404, "UNKNOWN_SCENARIO", /"tcp-send"/],
      [{ ...body, memory: [{ addr: "0x20000000", hex: "00".repeat(20_000) }] }, "application/json", 413, "CONTEXT_TOO_LARGE", /limit/],
      [body, "text/plain", 415, "BAD_REQUEST", /application\/json/],
    ];
    for (const [b, type, status, code, message] of cases) {
      const r = await post(b, type);
      expect(r.status, `${code}`).toBe(status);
      const { error } = (await r.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    }
  });

  it("the image cache is shared through the Cache API: another workerd process finds what the first one made", async () => {
    const bundle = bundleWorker(path.join(repoRoot(), "test", "edge", "wrangler.toml"), "cache-test");
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-edge-cache-"));
    const device = new ScriptedDevice([7, 7, 7, 7, 7]);
    const body = JSON.stringify({
      firmware: "0123456789abcdef",
      scenario: "list-c",
      device: "dev-cache",
      values: { head: { address: `0x${NODES[0]!.toString(16)}` } },
      memory: NODES.map((addr) => ({ addr: `0x${addr.toString(16)}`, hex: Buffer.from(device.read({ addr, length: 16 })).toString("hex") })),
    });
    const post = (url: URL) => fetch(new URL("/v1/customize", url), { method: "POST", headers: { "content-type": "application/json" }, body });
    try {
      const first = await runWorker(bundle, { cacheDir });
      const made = await post(first.url);
      expect(made.headers.get("x-bespoke-cache")).toBe("miss");
      const image = new Uint8Array(await made.arrayBuffer());
      // the response does not wait for the Cache API writes (waitUntil does): wait for the recipe, stored last
      const request = { firmware: "0123456789abcdef", scenario: "list-c", values: JSON.parse(body).values, memory: [] };
      const recipe = CACHE_ORIGIN + (await recipeKey(request, { name: "list-c", version: 1, call: "sendto" }));
      const caches = (await first.mf.getCaches()) as unknown as { default: { match(url: string): Promise<unknown> } };
      for (let i = 0; i < 250 && !(await caches.default.match(recipe)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await caches.default.match(recipe)).toBeTruthy();
      await first.mf.dispose();
      const second = await runWorker(bundle, { cacheDir });
      const found = await post(second.url);
      expect(found.headers.get("x-bespoke-cache")).toBe("hit");
      expect(new Uint8Array(await found.arrayBuffer())).toEqual(image);
      await second.mf.dispose();
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it("unknown routes and plain GETs of the session endpoint get a JSON error", async () => {
    const nf = await fetch(new URL("/nope", testEdge.url));
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const plain = await fetch(new URL("/v1/session?device=x", testEdge.url));
    expect(plain.status).toBe(426);
    const noDevice = await fetch(new URL("/v1/session", testEdge.url), { headers: { upgrade: "websocket" } });
    expect(noDevice.status).toBe(400);
    expect(((await noDevice.json()) as { error: { message: string } }).error.message).toMatch(/device ID/);
  });

  it("the deployed worker answers a CUSTOMIZE for firmware it has not prepared with UNKNOWN_FIRMWARE", async () => {
    const channel = await Channel.open(deployed.url, "dev-prod");
    channel.send(customizeFrame(1));
    const m = await channel.next();
    expect(m).toMatchObject({ type: "error", id: 1, code: SERVER_ERRORS.UNKNOWN_FIRMWARE });
    expect(m.type === "error" && m.code >= SERVER_ERROR_BASE && m.message).toMatch(/known: /);
    channel.close();
  });
});
