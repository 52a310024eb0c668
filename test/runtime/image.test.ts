// Code images: the builder over real tcc-wasm objects (arm, x86_64), the
// authenticated encoding against the shared vectors, and every refusal.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createCompiler } from "../../src/compiler/node.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { type CodeImage, SELF, buildImage, decodeImage, encodeImage, hmacSha256 } from "../../src/runtime/image.ts";
import type { ImageTarget } from "../../src/runtime/protocol.ts";

interface ImageVector {
  target: ImageTarget;
  hex: string;
  key: string;
  decoded: Record<string, unknown>;
}
const vectors = JSON.parse(fs.readFileSync(path.join(repoRoot(), "test/runtime/vectors/channel.json"), "utf8")) as {
  images: ImageVector[];
  hmac: { key: string; data: string; tag: string }[];
};
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const SOURCE = `
extern long net_output(const void *, unsigned long, const void *, unsigned long);
extern unsigned net_generation;
static const unsigned char hdr[] = {64, 0, 0, 1};
static long sent;
long *counter = &sent;
static long helper(long x) { return x + 1; }
long customized(int fd, const void *buf, unsigned long len) {
  *counter = helper(*counter) + net_generation;
  return net_output(hdr, sizeof hdr, buf, len);
}
`;
const compile = async (target: ImageTarget, source = SOURCE) => {
  const r = await (await createCompiler({ target })).compile({ files: { "r.c": source }, entry: "r.c" });
  expect(r.diagnostics).toEqual([]);
  return r.object;
};
const base = { entry: "customized", call: "sendto" as const, buildId: new Uint8Array(8).fill(1), contextHash: new Uint8Array(8).fill(2) };

describe("code image encoding", () => {
  it.each(vectors.images.map((v) => [v.target, v] as const))("decodes and re-encodes the %s vector, tag included", async (_, v) => {
    const image = await decodeImage(unhex(v.hex), unhex(v.key));
    const d = v.decoded as { memory: string; buildId: string; contextHash: string; guards: { address: string }[] };
    expect({ ...image, memory: hex(image.memory), buildId: hex(image.buildId), contextHash: hex(image.contextHash), guards: image.guards.map((g) => ({ ...g, address: String(g.address) })) }).toEqual(d);
    const again = await encodeImage(image, unhex(v.key));
    expect(hex(again)).toBe(v.hex);
  });

  it("refuses an image whose tag does not verify, or whose length is not what its header says", async () => {
    const v = vectors.images[0]!;
    const bytes = unhex(v.hex);
    bytes[60]! ^= 0x80;
    await expect(decodeImage(bytes, unhex(v.key))).rejects.toMatchObject({ code: "IMAGE_TAG" });
    await expect(decodeImage(unhex(v.hex), new Uint8Array(32))).rejects.toMatchObject({ code: "IMAGE_TAG" });
    await expect(decodeImage(unhex(v.hex).slice(0, -1), unhex(v.key))).rejects.toMatchObject({ code: "BAD_IMAGE" });
  });

  it.each(vectors.hmac.map((h, i) => [i, h] as const))("HMAC-SHA256 vector %i with WebCrypto", async (_, h) => {
    expect(hex(await hmacSha256(unhex(h.key), unhex(h.data)))).toBe(h.tag);
  });
});

describe.each<ImageTarget>(["arm", "x86_64"])("code image builder (%s)", (target) => {
  it("lays out code, stubs, data and bss and leaves only absolute relocations of the target's type", async () => {
    const image = buildImage({ ...base, object: await compile(target), target, exports: new Set(["net_output", "net_generation"]) });
    expect(image.imports.sort()).toEqual(["net_generation", "net_output"]);
    const width = target === "arm" ? 4 : 8;
    for (const r of image.relocations) {
      expect(r.type).toBe(target === "arm" ? 1 : 2);
      expect(r.offset + width).toBeLessThanOrEqual(image.memory.length);
      expect(r.symbol === SELF || r.symbol < image.imports.length).toBe(true);
    }
    // one relocation per import use site at most through stubs/GOT, plus the pointer in .data to `sent`
    expect(image.relocations.filter((r) => r.symbol === SELF).length).toBeGreaterThanOrEqual(1);
    expect(image.entry % (target === "arm" ? 4 : 1)).toBe(0);
    expect(image.entry).toBeGreaterThan(0); // the helper comes first: a real offset
    expect(image.bssSize).toBeGreaterThanOrEqual(target === "arm" ? 4 : 8); // `sent`
    const words = new DataView(image.memory.buffer);
    const stub = target === "arm" ? [...Array(image.memory.length >> 2).keys()].some((i) => words.getUint32(i * 4, true) === 0xe51ff004) : hex(image.memory).includes("ff25");
    expect(stub).toBe(true);
  });

  it("refuses an import the firmware does not export, naming it", async () => {
    const object = await compile(target);
    expect(() => buildImage({ ...base, object, target, exports: new Set(["net_output"]) })).toThrow(/'net_generation' is not in the firmware's export table/);
  });

  it("relocates a firmware object named as an export plus an offset (file-static data) against that export", async () => {
    const source = `
extern unsigned short ip_id __asm__("net_generation+12");
extern unsigned int before __asm__("net_generation-4");
long customized(int fd, const void *buf, unsigned long len) { return ++ip_id + before; }
`;
    const image = buildImage({ ...base, object: await compile(target, source), target, exports: new Set(["net_generation"]) });
    expect(image.imports).toEqual(["net_generation"]);
    const v = new DataView(image.memory.buffer, image.memory.byteOffset);
    const addends = image.relocations.filter((r) => r.symbol === 0).map((r) => (target === "arm" ? v.getInt32(r.offset, true) : Number(v.getBigInt64(r.offset, true))));
    expect([...new Set(addends)].sort((a, b) => a - b)).toEqual([-4, 12]);
  });

  it("refuses a missing entry function and an object for another CPU", async () => {
    const object = await compile(target);
    expect(() => buildImage({ ...base, entry: "nope", object, target })).toThrow(/entry function 'nope'/);
    const other: ImageTarget = target === "arm" ? "x86_64" : "arm";
    expect(() => buildImage({ ...base, object, target: other })).toThrow(expect.objectContaining({ code: "IMAGE_INPUT" }));
  });

  it("encodes guards on firmware exports and absolute addresses", async () => {
    const image: CodeImage = buildImage({
      ...base,
      object: await compile(target),
      target,
      guards: [
        { symbol: "net_generation", address: 0n, expected: 3 },
        { address: 0x1008n, expected: 7 },
      ],
    });
    const key = new Uint8Array(32).fill(9);
    const back = await decodeImage(await encodeImage(image, key), key);
    expect(back.guards).toEqual([
      { symbol: image.imports.indexOf("net_generation"), address: 0n, expected: 3 },
      { symbol: SELF, address: 0x1008n, expected: 7 },
    ]);
    expect(back.memory).toEqual(image.memory);
    expect(back.relocations).toEqual(image.relocations);
  });
});

describe("code image builder limits", () => {
  it("refuses data that needs more alignment than a device gives image memory", async () => {
    const object = await compile("x86_64", "long customized(void) { return 0; }\n__attribute__((aligned(64))) char wide[64] = {1};\n");
    expect(() => buildImage({ ...base, object, target: "x86_64" })).toThrow(/needs 64-byte alignment/);
  });
});
