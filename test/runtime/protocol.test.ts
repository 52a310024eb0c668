// The TypeScript channel codec against the shared vectors (made by an
// independent encoder from docs/protocol.md) and its error handling.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/node/paths.ts";
import { DEVICE_ERRORS, FrameReader, type Message, decodeFrame, deviceErrorName, encodeFrame } from "../../src/runtime/protocol.ts";

interface Vectors {
  frames: { name: string; hex: string; message: Record<string, unknown> }[];
  malformed: { name: string; hex: string }[];
}
const vectors = JSON.parse(fs.readFileSync(path.join(repoRoot(), "test/runtime/vectors/channel.json"), "utf8")) as Vectors;
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

/** The vectors' JSON form of a message: bytes as hex, 64-bit numbers as decimal strings. */
function revive(m: Record<string, unknown>): Message {
  const bytesKeys = new Set(["buildId", "contextHash", "bytes", "image"]);
  const bigKeys = new Set(["address", "value"]);
  const walk = (v: unknown, key = ""): unknown => {
    if (Array.isArray(v)) return v.map((x) => (key === "args" ? BigInt(x as string) : walk(x)));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    if (bytesKeys.has(key)) return unhex(v as string);
    if (bigKeys.has(key)) return BigInt(v as string);
    return v;
  };
  return walk(m) as Message;
}

describe("channel protocol codec", () => {
  it.each(vectors.frames.map((f) => [f.name, f] as const))("decodes and re-encodes the vector '%s' byte for byte", (_, f) => {
    const expected = revive(f.message);
    expect(decodeFrame(unhex(f.hex))).toEqual(expected);
    expect(Buffer.from(encodeFrame(expected)).toString("hex")).toBe(f.hex);
  });

  it.each(vectors.malformed.map((f) => [f.name, f] as const))("rejects the malformed frame '%s' with BAD_FRAME", (_, f) => {
    expect(() => decodeFrame(unhex(f.hex))).toThrow(expect.objectContaining({ code: "BAD_FRAME" }));
  });

  it("splits a byte stream into frames however it is chunked", () => {
    const stream = Buffer.concat(vectors.frames.map((f) => unhex(f.hex)));
    for (const chunk of [1, 5, 13, stream.length]) {
      const reader = new FrameReader();
      const frames: Uint8Array[] = [];
      for (let at = 0; at < stream.length; at += chunk) frames.push(...reader.push(stream.subarray(at, at + chunk)));
      expect(frames.map((f) => Buffer.from(f).toString("hex"))).toEqual(vectors.frames.map((f) => f.hex));
      expect(reader.pending()).toBe(0);
    }
  });

  it("refuses a stream frame announcing more than the frame limit", () => {
    const header = unhex("4253010200000000ffff0000");
    expect(() => new FrameReader().push(header)).toThrow(/over the 65524-byte limit/);
  });

  it("refuses messages that cannot be encoded, naming the field", () => {
    expect(() => encodeFrame({ type: "image", id: 1, image: new Uint8Array(65525) })).toThrow(expect.objectContaining({ code: "FRAME_TOO_LARGE" }));
    expect(() => encodeFrame({ type: "call", id: 1, fn: 1, args: [1n, 2n, 3n, 4n, 5n] })).toThrow(/at most 4 arguments/);
    expect(() => encodeFrame({ type: "fetch", id: -1, address: 0n, length: 1 })).toThrow(/request id -1/);
    expect(() => encodeFrame({ type: "fetch", id: 1, address: 1n << 64n, length: 1 })).toThrow(/does not fit 64 bits/);
    const m: Message = { type: "customize", id: 1, call: "send", target: "arm", buildId: new Uint8Array(7), contextHash: new Uint8Array(8), values: [], roots: [] };
    expect(() => encodeFrame(m)).toThrow(/build id must be 8 bytes/);
  });

  it("names device error codes the same way the C header does", () => {
    const header = fs.readFileSync(path.join(repoRoot(), "firmware/custom/custom.h"), "utf8");
    const fromC = Object.fromEntries([...header.matchAll(/BSP_E_(\w+) = (\d+)/g)].map((m) => [Number(m[2]), m[1]]));
    expect(fromC).toEqual(DEVICE_ERRORS);
    expect(deviceErrorName(14)).toBe("TAG");
    expect(deviceErrorName(105)).toBe("SERVER_105");
  });
});
