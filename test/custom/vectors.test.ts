// The C device against the shared vectors (test/runtime/vectors/): SHA-256,
// HMAC-SHA256, its answers to server frames, and signed image vectors.
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/node/paths.ts";
import { DEVICE_ERRORS, type ImageTarget, encodeFrame } from "../../src/runtime/protocol.ts";
import { TestDevice, customizeOf, unhex } from "./device.ts";

const vectors = JSON.parse(fs.readFileSync(path.join(repoRoot(), "test/runtime/vectors/channel.json"), "utf8")) as {
  sha256: { data: string; digest: string }[];
  hmac: { key: string; data: string; tag: string }[];
  exchanges: { name: string; send: string; expect: string | null }[];
  images: { target: ImageTarget; hex: string }[];
};
const code = (name: string) => Number(Object.entries(DEVICE_ERRORS).find(([, n]) => n === name)![0]);

describe.each<ImageTarget>(["x86_64", "arm"])("shared vectors on the C device (%s)", (target) => {
  const dev = TestDevice.start(target);
  afterAll(() => dev.close());

  it("SHA-256 and HMAC-SHA256 (RFC 4231 and longer inputs)", async () => {
    for (const v of vectors.sha256) expect((await dev.run(`sha ${v.data || "-"}`)).lines).toEqual([`digest ${v.digest}`]);
    for (const v of vectors.hmac) expect((await dev.run(`hmac ${v.key} ${v.data}`)).lines).toEqual([`tag ${v.tag}`]);
  });

  it.each(vectors.exchanges.map((x) => [x.name, x] as const))("answers '%s' as the vector says", async (_, x) => {
    const r = await dev.run(`deliver ${x.send}`);
    expect(r.lines.filter((l) => l.startsWith("tx ")).map((l) => l.slice(3))).toEqual(x.expect ? [x.expect] : []);
  });

  it("verifies the tag of its target's signed image vector (then refuses its context), and refuses a forged tag", async () => {
    await dev.run("socket 3 64 0");
    const request = customizeOf(await dev.run("customize 2 3 0 -"));
    const image = unhex(vectors.images.find((v) => v.target === target)!.hex);
    expect((await dev.run(`deliver ${Buffer.from(encodeFrame({ type: "image", id: request.id, image })).toString("hex")}`)).ret).toBe(-code("CONTEXT"));
    image[image.length - 1]! ^= 1;
    expect((await dev.run(`deliver ${Buffer.from(encodeFrame({ type: "image", id: request.id, image })).toString("hex")}`)).ret).toBe(-code("TAG"));
  });
});
