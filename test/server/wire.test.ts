import { describe, expect, it } from "vitest";
import { type Message, SERVER_ERROR_BASE, decodeFrame, encodeFrame } from "../../src/runtime/protocol.ts";
import { SERVER_ERRORS, protocolCodec } from "../../src/server/wire.ts";

const customize: Message = {
  type: "customize",
  id: 41,
  call: "sendto",
  target: "arm",
  buildId: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  contextHash: Uint8Array.from([9, 9, 9, 9, 8, 8, 8, 8]),
  values: [
    { param: "fd", bytes: Uint8Array.from([3, 0, 0, 0]) },
    { param: "addr", bytes: Uint8Array.from([2, 0, 0x1f, 0x90, 127, 0, 0, 1]) },
  ],
  roots: [{ root: "file", address: 0x2001_a040n, bytes: Uint8Array.from([0xaa, 0xbb]) }],
};

describe("the channel protocol as the session's codec", () => {
  it("a CUSTOMIZE frame becomes a request for the call's scenario, with values, roots and context hash", () => {
    const m = protocolCodec.decode(encodeFrame(customize));
    expect(m).toEqual({
      kind: "customize",
      request: 41,
      customize: {
        firmware: "0102030405060708",
        scenario: "udp-sendto",
        target: "arm",
        contextHash: Uint8Array.from([9, 9, 9, 9, 8, 8, 8, 8]),
        values: { fd: "03000000", addr: "02001f907f000001" },
        memory: [{ addr: 0x2001_a040, bytes: Uint8Array.from([0xaa, 0xbb]) }],
      },
    });
  });

  it("a FETCH round trip of several ranges is one frame per range; DATA, RESULT, ERROR and CANCEL decode", () => {
    const frames = protocolCodec.encode({ kind: "fetch", request: 5, ranges: [{ addr: 0x1000, length: 64 }, { addr: 0x2040, length: 128 }] });
    expect(frames.map(decodeFrame)).toEqual([
      { type: "fetch", id: 5, address: 0x1000n, length: 64 },
      { type: "fetch", id: 5, address: 0x2040n, length: 128 },
    ]);
    expect(protocolCodec.decode(encodeFrame({ type: "data", id: 5, address: 0x1000n, bytes: Uint8Array.of(1, 2) }))).toEqual({
      kind: "data",
      request: 5,
      addr: 0x1000,
      bytes: Uint8Array.of(1, 2),
    });
    expect(protocolCodec.decode(encodeFrame({ type: "result", id: 5, value: 0x2001_a000n }))).toEqual({ kind: "result", request: 5, value: 0x2001_a000n });
    expect(protocolCodec.decode(encodeFrame({ type: "error", id: 5, code: 3, message: "no such memory" }))).toEqual({
      kind: "error",
      request: 5,
      code: "FETCH",
      message: "no such memory",
    });
    expect(protocolCodec.decode(encodeFrame({ type: "cancel", id: 5 }))).toEqual({ kind: "cancel", request: 5 });
  });

  it("CALL names the protocol's device function; an unknown one is refused before anything is sent", () => {
    const [frame] = protocolCodec.encode({ kind: "call", request: 2, call: { fn: "sockfd_lookup", args: [3n] } });
    expect(decodeFrame(frame!)).toEqual({ type: "call", id: 2, fn: 1, args: [3n] });
    expect(() => protocolCodec.encode({ kind: "call", request: 2, call: { fn: "rm_rf", args: [] } })).toThrow(/no device function 'rm_rf'/);
  });

  it("server errors go out with their number and their name in the text", () => {
    const [frame] = protocolCodec.encode({ kind: "error", request: 9, code: "UNKNOWN_SCENARIO", message: "no such scenario" });
    expect(decodeFrame(frame!)).toEqual({ type: "error", id: 9, code: SERVER_ERRORS.UNKNOWN_SCENARIO, message: "UNKNOWN_SCENARIO: no such scenario" });
    const [other] = protocolCodec.encode({ kind: "error", request: 9, code: "SOMETHING_NEW", message: "x" });
    expect(decodeFrame(other!)).toMatchObject({ code: SERVER_ERROR_BASE });
    const [frameErr] = protocolCodec.encode({ kind: "error", request: 0, code: "BAD_FRAME", message: "x" });
    expect(decodeFrame(frameErr!)).toMatchObject({ code: 1 });
  });

  it("damaged frames throw BAD_FRAME, and the request id is recovered when the header holds one", () => {
    const frame = encodeFrame({ type: "data", id: 77, address: 0x10n, bytes: Uint8Array.of(1) });
    const truncated = frame.slice(0, frame.length - 3);
    expect(() => protocolCodec.decode(truncated)).toThrow(expect.objectContaining({ code: "BAD_FRAME" }));
    expect(protocolCodec.requestOf(truncated)).toBe(77);
    expect(protocolCodec.requestOf(Uint8Array.of(1, 2))).toBe(0);
    // a device does not send FETCH
    expect(() => protocolCodec.decode(encodeFrame({ type: "fetch", id: 1, address: 0n, length: 4 }))).toThrow(/does not send FETCH/);
  });
});
