// Nothing a device sends can crash the server: thousands of damaged frames
// (bit flips, truncations, extensions, swapped types) go through the
// protocol codec into one session, interleaved with real requests; every
// reply is a well-formed frame, and a clean request still gets its image.
import { describe, expect, it } from "vitest";
import { type Message, decodeFrame, encodeFrame } from "../../src/runtime/protocol.ts";
import { DeviceSession } from "../../src/server/session.ts";
import { protocolCodec } from "../../src/server/wire.ts";
import { coreOptions, expectedImage } from "./fixture.ts";
import { NODES, ScriptedDevice } from "./list-sum.ts";

/** xorshift32: the same frames on every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const head = new Uint8Array(4);
new DataView(head.buffer).setUint32(0, NODES[0]!, true);
const customize = (id: number): Message => ({
  type: "customize",
  id,
  call: "sendto",
  target: "arm",
  buildId: Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]),
  contextHash: new Uint8Array(8),
  values: [{ param: "addr", bytes: head }],
  roots: [{ root: "file", address: BigInt(NODES[0]!), bytes: new Uint8Array(8) }],
});

const seeds: Message[] = [
  customize(1),
  { type: "data", id: 1, address: BigInt(NODES[0]!), bytes: new Uint8Array(64) },
  { type: "result", id: 1, value: 3n },
  { type: "error", id: 1, code: 3, message: "no" },
  { type: "cancel", id: 1 },
];

describe("fuzzing the channel", () => {
  it("5000 damaged frames: only well-formed replies, and the session still serves a clean request", async () => {
    const rnd = random(0x5eed);
    const replies: Uint8Array[] = [];
    let answer: ((m: Message) => void) | null = null;
    const session = new DeviceSession({
      core: coreOptions({ deviceWaitMs: 20 }),
      device: { id: "dev-1" },
      send: (m) => {
        for (const f of protocolCodec.encode(m)) {
          replies.push(f);
          answer?.(decodeFrame(f));
        }
      },
      maxInFlight: 64,
    });
    const deliver = (frame: Uint8Array) => {
      let message;
      try {
        message = protocolCodec.decode(frame);
      } catch (e) {
        session.malformed(protocolCodec.requestOf(frame), e);
        return;
      }
      session.receive(message);
    };
    for (let i = 0; i < 5000; i++) {
      const frame = encodeFrame({ ...seeds[Math.floor(rnd() * seeds.length)]!, id: 1 + Math.floor(rnd() * 4) } as Message);
      const damaged = ((): Uint8Array => {
        const f = frame.slice();
        switch (Math.floor(rnd() * 4)) {
          case 0:
            for (let k = 0; k < 1 + rnd() * 4; k++) f[Math.floor(rnd() * f.length)]! ^= 1 << Math.floor(rnd() * 8);
            return f;
          case 1:
            return f.subarray(0, Math.floor(rnd() * f.length));
          case 2:
            return Uint8Array.from([...f, ...Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Math.floor(rnd() * 256))]);
          default:
            f[3] = 1 + Math.floor(rnd() * 9); // another (or an unknown) message type on the same payload
            return f;
        }
      })();
      deliver(damaged);
      if (i % 500 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await new Promise((r) => setTimeout(r, 100)); // let requests started by surviving CUSTOMIZE frames end (20 ms device wait)
    for (const r of replies) expect(() => decodeFrame(r)).not.toThrow();
    expect(replies.some((r) => decodeFrame(r).type === "error")).toBe(true);

    // a clean request on the same session, the device answering its FETCHes and CALL
    const device = new ScriptedDevice();
    const link = device.link();
    const clean: Message[] = [];
    answer = (m) => {
      if (m.id !== 99) return;
      clean.push(m);
      if (m.type === "fetch") void link.fetch([{ addr: Number(m.address), length: m.length }]).then(([b]) => deliver(encodeFrame({ type: "data", id: 99, address: m.address, bytes: b! })));
      if (m.type === "call") void link.call({ fn: "sockfd_lookup", args: m.args }).then((value) => deliver(encodeFrame({ type: "result", id: 99, value })));
    };
    deliver(encodeFrame({ ...customize(99), roots: [] } as Message));
    for (let i = 0; i < 500 && !clean.some((m) => m.type === "image" || m.type === "error"); i++) await new Promise((r) => setTimeout(r, 2));
    const end = clean.at(-1)!;
    expect(end.type).toBe("image");
    expect(end.type === "image" && end.image).toEqual(await expectedImage(150, 3n, "dev-1"));
  });
});

