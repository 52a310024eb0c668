import { describe, expect, it } from "vitest";
import { BespokeError } from "../../src/errors.ts";
import { type DeviceMessage, DeviceSession, type ServerMessage } from "../../src/server/session.ts";
import type { CustomizeOutcome } from "../../src/server/types.ts";
import { NODES, ScriptedDevice, coreOptions, expectedImage, listRequest } from "./fixture.ts";

/** A device on the other end of a session: answers FETCH and CALL from its RAM, records everything it got. */
function connect(device: ScriptedDevice, answer = true, core = coreOptions()) {
  const received: ServerMessage[] = [];
  const outcomes: CustomizeOutcome[] = [];
  let session: DeviceSession;
  let settle: () => void = () => {};
  const ended = new Promise<void>((r) => (settle = r));
  const link = device.link();
  session = new DeviceSession({
    core,
    device: { id: "dev-1" },
    send: (m) => {
      received.push(m);
      if (!answer) return;
      // answer asynchronously, as a real channel would
      if (m.kind === "fetch") {
        void link.fetch(m.ranges).then((blocks) =>
          blocks.forEach((bytes, i) => session.receive({ kind: "data", request: m.request, addr: m.ranges[i]!.addr, bytes })),
        );
      }
      if (m.kind === "call") void link.call(m.call).then((value) => session.receive({ kind: "result", request: m.request, value }));
    },
    onOutcome: (_id, o) => {
      outcomes.push(o);
      settle();
    },
  });
  return { session: session!, received, outcomes, ended };
}

/** Wait (bounded) until `cond` holds: the session works asynchronously (hashing, compiling). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
}

const customizeMsg = (request: number): DeviceMessage => ({ kind: "customize", request, customize: listRequest() });

describe("device session", () => {
  it("serves a CUSTOMIZE with FETCH/DATA and CALL/RESULT round trips, then sends the IMAGE", async () => {
    const device = new ScriptedDevice();
    const s = connect(device);
    s.session.receive(customizeMsg(7));
    await s.ended;
    const kinds = s.received.map((m) => m.kind);
    expect(kinds).toEqual(["fetch", "fetch", "fetch", "fetch", "fetch", "call", "image"]);
    expect(s.received.every((m) => m.request === 7)).toBe(true);
    const image = s.received[6]!;
    expect(image.kind === "image" && image.image).toEqual(await expectedImage(150, 3n, "dev-1"));
    expect(s.outcomes[0]!.stats.chi).toBe(6);
    expect(s.session.active()).toBe(0);
  });

  it("a warm request's FETCH names every range of its round trip; DATA may come back in any order", async () => {
    const device = new ScriptedDevice();
    const core = coreOptions();
    const s = connect(device, true, core);
    s.session.receive(customizeMsg(1));
    await s.ended;
    const warm = connect(device, false, core); // a second session sharing the first one's cache
    warm.session.receive(customizeMsg(2));
    await until(() => warm.received.length === 1);
    const fetch = warm.received[0]!;
    expect(fetch.kind === "fetch" && fetch.ranges).toEqual(NODES.map((addr) => ({ addr, length: 8 })));
    for (const addr of [...NODES].reverse()) warm.session.receive({ kind: "data", request: 2, addr, bytes: device.read({ addr, length: 8 }) });
    await until(() => warm.received.length === 2);
    expect(warm.received[1]).toMatchObject({ kind: "call", call: { fn: "sockfd_lookup" } });
    warm.session.receive({ kind: "result", request: 2, value: 3n });
    await warm.ended;
    expect(warm.received[2]!.kind === "image" && warm.received[2]!.image).toEqual(await expectedImage(150, 3n, "dev-1"));
    expect(warm.outcomes[0]!.stats).toMatchObject({ cache: "hit", chi: 2 });
  });

  it("a CANCEL mid-request ends it without an IMAGE", async () => {
    const device = new ScriptedDevice();
    const s = connect(device, false);
    s.session.receive(customizeMsg(1));
    await until(() => s.received.length === 1);
    expect(s.received).toEqual([{ kind: "fetch", request: 1, ranges: [{ addr: NODES[0]!, length: 64 }] }]);
    s.session.receive({ kind: "cancel", request: 1 });
    await s.ended;
    expect(s.outcomes[0]).toMatchObject({ ok: false, error: { code: "CANCELLED" } });
    expect(s.received).toHaveLength(1);
  });

  it("answers stray DATA, duplicate requests and undecodable frames with ERROR, and keeps serving", async () => {
    const device = new ScriptedDevice();
    const s = connect(device, false);
    s.session.receive({ kind: "data", request: 99, addr: 0x100, bytes: new Uint8Array(4) });
    s.session.receive(customizeMsg(2));
    s.session.receive(customizeMsg(2));
    s.session.malformed(0, new Error("frame too short"));
    await until(() => s.received.length === 4);
    expect(s.received).toEqual(expect.arrayContaining([
      { kind: "error", request: 99, code: "UNEXPECTED_MESSAGE", message: "DATA at 0x100 for request 99, which is not waiting for it" },
      { kind: "fetch", request: 2, ranges: [{ addr: NODES[0]!, length: 64 }] },
      { kind: "error", request: 2, code: "DUPLICATE_REQUEST", message: "request 2 is already in flight on this channel" },
      { kind: "error", request: 0, code: "INTERNAL", message: "internal error: frame too short" },
    ]));
    // a RESULT where DATA is awaited: device and server disagree, so the request ends with one ERROR
    s.session.receive({ kind: "result", request: 2, value: 1n });
    await s.ended;
    expect(s.received.at(-1)).toEqual({ kind: "error", request: 2, code: "UNEXPECTED_MESSAGE", message: "RESULT for request 2, which is not waiting for it" });
    expect(s.outcomes[0]!.ok === false && s.outcomes[0]!.error.code).toBe("UNEXPECTED_MESSAGE");
    expect(s.received.filter((m) => m.request === 2 && m.kind === "error")).toHaveLength(2); // DUPLICATE_REQUEST, then this one
  });

  it("a malformed frame naming a request in flight ends that request on both sides: one ERROR, nothing after", async () => {
    const device = new ScriptedDevice();
    const s = connect(device, false);
    s.session.receive(customizeMsg(5));
    await until(() => s.received.length === 1);
    s.session.malformed(5, new BespokeError("BAD_FRAME", "payload ends 3 bytes early"));
    await s.ended;
    expect(s.received).toEqual([
      { kind: "fetch", request: 5, ranges: [{ addr: NODES[0]!, length: 64 }] },
      { kind: "error", request: 5, code: "BAD_FRAME", message: "payload ends 3 bytes early" },
    ]);
    expect(s.outcomes[0]!.ok === false && s.outcomes[0]!.error.code).toBe("BAD_FRAME");
  });

  it("a device ERROR answers the first FETCHed range still open; a refused round trip is retried for the exact bytes", async () => {
    const device = new ScriptedDevice();
    const s = connect(device, false);
    s.session.receive(customizeMsg(3));
    await until(() => s.received.length === 1);
    expect(s.received[0]).toEqual({ kind: "fetch", request: 3, ranges: [{ addr: NODES[0]!, length: 64 }] });
    s.session.receive({ kind: "error", request: 3, code: "FETCH", message: "" });
    await until(() => s.received.length === 2);
    expect(s.received[1]).toEqual({ kind: "fetch", request: 3, ranges: [{ addr: NODES[0]!, length: 8 }] });
    s.session.receive({ kind: "data", request: 3, addr: NODES[0]!, bytes: device.read({ addr: NODES[0]!, length: 8 }) });
    await until(() => s.received.length === 3);
    expect(s.received[2]).toEqual({ kind: "fetch", request: 3, ranges: [{ addr: NODES[1]!, length: 64 }] });
    s.session.close();
  });

  it("an answer the channel cannot carry (an image too large for a frame) becomes an ERROR", async () => {
    const device = new ScriptedDevice();
    const link = device.link();
    const received: ServerMessage[] = [];
    let session: DeviceSession;
    const done = new Promise<void>((resolve) => {
      session = new DeviceSession({
        core: coreOptions(),
        device: { id: "dev-1" },
        send: (m) => {
          if (m.kind === "image") throw new BespokeError("FRAME_TOO_LARGE", "IMAGE payload exceeds one frame");
          received.push(m);
          if (m.kind === "fetch") void link.fetch(m.ranges).then((b) => session.receive({ kind: "data", request: 4, addr: m.ranges[0]!.addr, bytes: b[0]! }));
          if (m.kind === "call") void link.call(m.call).then((value) => session.receive({ kind: "result", request: 4, value }));
          if (m.kind === "error") resolve();
        },
      });
    });
    session!.receive(customizeMsg(4));
    await done;
    expect(received.at(-1)).toEqual({ kind: "error", request: 4, code: "FRAME_TOO_LARGE", message: "IMAGE payload exceeds one frame" });
  });

  it("limits requests in flight per device, and ends them all when the channel closes", async () => {
    const device = new ScriptedDevice();
    const s = connect(device, false);
    for (let i = 1; i <= 9; i++) s.session.receive(customizeMsg(i));
    await until(() => s.received.length === 9);
    expect(s.received.filter((m) => m.kind === "fetch")).toHaveLength(8);
    expect(s.received.find((m) => m.kind === "error")).toMatchObject({ request: 9, code: "BUSY" });
    s.session.close();
    await until(() => s.outcomes.length === 8);
    expect(s.session.active()).toBe(0);
    expect(s.outcomes.every((o) => !o.ok && o.error.code === "DEVICE_GONE")).toBe(true);
    expect(s.outcomes).toHaveLength(8);
  });
});
