// The channel protocol (src/runtime/protocol.ts, docs/protocol.md) as the
// session's frame codec: protocol messages <-> session messages. What the
// protocol carries as numbers the server core names: calls become scenarios,
// device-function numbers become names, and server error codes get numbers
// from SERVER_ERROR_BASE up (the text of an ERROR keeps the code's name).
import { BespokeError } from "../errors.ts";
import {
  type CallName,
  DEVICE_FUNCTIONS,
  type Message,
  SERVER_ERROR_BASE,
  decodeFrame,
  deviceErrorName,
  encodeFrame,
  frameRequest,
} from "../runtime/protocol.ts";
import { hex } from "./cache.ts";
import type { DeviceMessage, FrameCodec, ServerMessage } from "./session.ts";

/** The scenario that serves each customizable call. */
export const CALL_SCENARIOS: Record<CallName, string> = { sendto: "udp-sendto", send: "tcp-send" };

/**
 * Numbers of the server's error codes on the wire; any other code is sent as
 * SERVER_ERROR_BASE. A malformed frame and a message for a request that is
 * not waiting for it take the protocol's own FRAME and REQUEST codes.
 */
export const SERVER_ERRORS: Record<string, number> = {
  BAD_FRAME: 1,
  UNEXPECTED_MESSAGE: 2,
  INTERNAL: SERVER_ERROR_BASE,
  DUPLICATE_REQUEST: SERVER_ERROR_BASE + 3,
  BUSY: SERVER_ERROR_BASE + 4,
  UNKNOWN_FIRMWARE: SERVER_ERROR_BASE + 5,
  UNKNOWN_SCENARIO: SERVER_ERROR_BASE + 6,
  TARGET_MISMATCH: SERVER_ERROR_BASE + 7,
  BAD_CONTEXT: SERVER_ERROR_BASE + 8,
  CONTEXT_TOO_LARGE: SERVER_ERROR_BASE + 9,
  TOO_MANY_FAULTS: SERVER_ERROR_BASE + 10,
  CPU_LIMIT: SERVER_ERROR_BASE + 11,
  RESIDUAL_TOO_LARGE: SERVER_ERROR_BASE + 12,
  MIRROR_FULL: SERVER_ERROR_BASE + 13,
  BAD_DATA: SERVER_ERROR_BASE + 14,
  BAD_ADDRESS: SERVER_ERROR_BASE + 15,
  DEVICE_TIMEOUT: SERVER_ERROR_BASE + 16,
  FRAME_TOO_LARGE: SERVER_ERROR_BASE + 17,
  UNKNOWN_DEVICE_FUNCTION: SERVER_ERROR_BASE + 18,
  DEVICE_REFUSED: SERVER_ERROR_BASE + 19,
  DEVICE_ERROR: SERVER_ERROR_BASE + 20,
  UNKNOWN_DEVICE: SERVER_ERROR_BASE + 21,
  RESIDUAL_COMPILE_FAILED: SERVER_ERROR_BASE + 22,
};

export const protocolCodec: FrameCodec = {
  decode(frame) {
    return toSession(decodeFrame(frame));
  },
  requestOf: frameRequest,
  encode(message) {
    return toProtocol(message).map(encodeFrame);
  },
};

function toSession(m: Message): DeviceMessage {
  switch (m.type) {
    case "customize": {
      const values: { [name: string]: string } = {};
      for (const v of m.values) values[v.param] = hex(v.bytes);
      return {
        kind: "customize",
        request: m.id,
        customize: {
          firmware: hex(m.buildId),
          scenario: CALL_SCENARIOS[m.call],
          target: m.target,
          contextHash: m.contextHash,
          values,
          memory: m.roots.map((r) => ({ addr: address(r.address), bytes: r.bytes })),
        },
      };
    }
    case "data":
      return { kind: "data", request: m.id, addr: address(m.address), bytes: m.bytes };
    case "result":
      return { kind: "result", request: m.id, value: m.value };
    case "error":
      return { kind: "error", request: m.id, code: deviceErrorName(m.code), message: m.message };
    case "cancel":
      return { kind: "cancel", request: m.id };
    case "fetch":
    case "call":
    case "image":
      throw new BespokeError("BAD_FRAME", `a device does not send ${m.type.toUpperCase()} (request ${m.id})`);
  }
}

function toProtocol(m: ServerMessage): Message[] {
  switch (m.kind) {
    case "fetch":
      return m.ranges.map((r) => ({ type: "fetch", id: m.request, address: BigInt(r.addr), length: r.length }));
    case "call": {
      const fn = (DEVICE_FUNCTIONS as Record<string, number>)[m.call.fn];
      if (fn === undefined) {
        throw new BespokeError(
          "UNKNOWN_DEVICE_FUNCTION",
          `the protocol has no device function '${m.call.fn}' (it has: ${Object.keys(DEVICE_FUNCTIONS).join(", ")})`,
        );
      }
      return [{ type: "call", id: m.request, fn, args: m.call.args.map((a) => BigInt.asUintN(64, a)) }];
    }
    case "image":
      return [{ type: "image", id: m.request, image: m.image }];
    case "error":
      return [{ type: "error", id: m.request, code: SERVER_ERRORS[m.code] ?? SERVER_ERROR_BASE, message: `${m.code}: ${m.message}` }];
  }
}

function address(a: bigint): number {
  if (a > BigInt(Number.MAX_SAFE_INTEGER)) throw new BespokeError("BAD_FRAME", `device address 0x${a.toString(16)} is beyond 2^53`);
  return Number(a);
}
