// One device's channel session: routes the device's messages to requests
// and the requests' round trips (FETCH, CALL) to the device. Transport- and
// encoding-independent: the adapter passes decoded messages in and sends the
// messages handed to `send`. Several requests may be in flight; each has at
// most one round trip outstanding. Nothing the device sends can crash it: a
// message that fits no request is answered with an ERROR.
import { BespokeError } from "../errors.ts";
import type { DeviceCall } from "../runtime/ctfunctions.ts";
import { type AddressRange, FetchRefused, formatRanges } from "../runtime/mirror.ts";
import { type CoreOptions, customize, toServerError } from "./customize.ts";
import type { CustomizeOutcome, CustomizeRequest, DeviceIdentity, DeviceLink } from "./types.ts";

/** Messages from the device, decoded. DATA answers one FETCHed range, identified by its address. */
export type DeviceMessage =
  | { kind: "customize"; request: number; customize: CustomizeRequest }
  | { kind: "data"; request: number; addr: number; bytes: Uint8Array }
  | { kind: "result"; request: number; value: bigint }
  | { kind: "error"; request: number; code: string; message: string }
  | { kind: "cancel"; request: number };

/** Messages to the device. One FETCH names every range of a round trip; an encoding may send one frame per range. */
export type ServerMessage =
  | { kind: "fetch"; request: number; ranges: AddressRange[] }
  | { kind: "call"; request: number; call: DeviceCall }
  | { kind: "image"; request: number; image: Uint8Array }
  | { kind: "error"; request: number; code: string; message: string };

/** Frames <-> session messages, for a transport that carries frames (WebSocket, mailbox, byte stream). */
export interface FrameCodec {
  /** Throws a BespokeError for a frame it cannot decode; `requestOf` then names the request, when the header gave one. */
  decode(frame: Uint8Array): DeviceMessage;
  /** The request id a frame's header names, or 0 when it is too damaged to tell. */
  requestOf(frame: Uint8Array): number;
  /** One or more frames for a message (a FETCH of several ranges may take one frame per range). */
  encode(message: ServerMessage): Uint8Array[];
}

export interface SessionOptions {
  core: CoreOptions;
  device: DeviceIdentity;
  send: (message: ServerMessage) => void;
  /** Requests one device may have in flight. Default 8. */
  maxInFlight?: number;
  /** Called when a request ends (for logs and metrics). */
  onOutcome?: (request: number, outcome: CustomizeOutcome) => void;
}

/**
 * The round trip a request waits for: an answer to each FETCHed range (DATA
 * names its address; an ERROR answers the first range still open, since the
 * device answers in order), or the RESULT of a CALL.
 */
type Pending =
  | {
      kind: "fetch";
      ranges: AddressRange[];
      blocks: (Uint8Array | null)[];
      answered: boolean[];
      refusals: string[];
      resolve: (blocks: Uint8Array[]) => void;
      reject: (e: unknown) => void;
    }
  | { kind: "call"; resolve: (value: bigint) => void; reject: (e: unknown) => void };

interface InFlight {
  pending: Pending | null;
  cancelled: boolean;
}

export class DeviceSession {
  private readonly inFlight = new Map<number, InFlight>();
  private closed = false;

  constructor(private readonly options: SessionOptions) {}

  /** Requests currently being served. */
  active(): number {
    return this.inFlight.size;
  }

  /** Handle one decoded message from the device (requests run on; their answers go to `send`). */
  receive(message: DeviceMessage): void {
    if (this.closed) return;
    switch (message.kind) {
      case "customize":
        this.start(message.request, message.customize);
        return;
      case "data":
        this.data(message);
        return;
      case "result":
        this.result(message);
        return;
      case "error":
        this.deviceError(message);
        return;
      case "cancel":
        this.abandon(message.request, new BespokeError("CANCELLED", `request ${message.request} was cancelled by the device`));
        return;
    }
  }

  /**
   * Report a frame the adapter could not decode. Its ERROR ends the request
   * its header names (docs/protocol.md), so the server ends it too.
   */
  malformed(request: number, error: unknown): void {
    if (this.closed) return;
    const e = toServerError(error);
    this.abandon(request, new BespokeError(e.code, e.message));
    this.options.send({ kind: "error", request, code: e.code, message: e.message });
  }

  /** The channel went away: every request in flight ends. */
  close(): void {
    this.closed = true;
    for (const id of this.inFlight.keys()) this.abandon(id, new BespokeError("DEVICE_GONE", "the device closed its channel"));
  }

  private start(id: number, request: CustomizeRequest): void {
    if (this.inFlight.has(id)) {
      this.options.send({ kind: "error", request: id, code: "DUPLICATE_REQUEST", message: `request ${id} is already in flight on this channel` });
      return;
    }
    const max = this.options.maxInFlight ?? 8;
    if (this.inFlight.size >= max) {
      this.options.send({ kind: "error", request: id, code: "BUSY", message: `this device already has ${max} requests in flight; retry when one ends` });
      return;
    }
    const flight: InFlight = { pending: null, cancelled: false };
    this.inFlight.set(id, flight);
    const link: DeviceLink = {
      fetch: (ranges) =>
        this.roundTrip<Uint8Array[]>(flight, { kind: "fetch", request: id, ranges }, (resolve, reject) => ({
          kind: "fetch",
          ranges,
          blocks: ranges.map(() => null),
          answered: ranges.map(() => false),
          refusals: [],
          resolve,
          reject,
        })),
      call: (call) => this.roundTrip<bigint>(flight, { kind: "call", request: id, call }, (resolve, reject) => ({ kind: "call", resolve, reject })),
    };
    void customize(this.options.core, request, this.options.device, link).then((outcome) => {
      this.inFlight.delete(id);
      this.options.onOutcome?.(id, outcome);
      if (flight.cancelled || this.closed) return;
      const answer: ServerMessage = outcome.ok
        ? { kind: "image", request: id, image: outcome.image }
        : { kind: "error", request: id, code: outcome.error.code, message: outcome.error.message };
      try {
        this.options.send(answer);
      } catch (e) {
        // e.g. an image too large for one frame: the device still gets an answer
        const error = toServerError(e);
        this.options.send({ kind: "error", request: id, code: error.code, message: error.message });
      }
    });
  }

  /** Send `message` and wait until every answer it needs has come (or the request is abandoned). */
  private roundTrip<R>(
    flight: InFlight,
    message: ServerMessage,
    expect: (resolve: (r: R) => void, reject: (e: unknown) => void) => Pending,
  ): Promise<R> {
    if (flight.cancelled) return Promise.reject(new BespokeError("CANCELLED", `request ${message.request} was cancelled`));
    return new Promise<R>((resolve, reject) => {
      flight.pending = expect(resolve, reject);
      this.options.send(message);
    }).finally(() => {
      flight.pending = null;
    });
  }

  private data(message: DeviceMessage & { kind: "data" }): void {
    const pending = this.inFlight.get(message.request)?.pending;
    const i = pending?.kind === "fetch" ? pending.ranges.findIndex((r, j) => !pending.answered[j] && r.addr === message.addr) : -1;
    if (pending?.kind !== "fetch" || i < 0) return this.unexpected(message.request, `DATA at 0x${message.addr.toString(16)}`);
    pending.answered[i] = true;
    pending.blocks[i] = message.bytes;
    this.settleFetch(pending);
  }

  private result(message: DeviceMessage & { kind: "result" }): void {
    const pending = this.inFlight.get(message.request)?.pending;
    if (pending?.kind !== "call") return this.unexpected(message.request, "RESULT");
    pending.resolve(message.value);
  }

  private deviceError(message: DeviceMessage & { kind: "error" }): void {
    const flight = this.inFlight.get(message.request);
    if (!flight) return; // a side never answers an ERROR
    const pending = flight.pending;
    const text = `${message.code}${message.message ? `: ${message.message}` : ""}`;
    if (pending?.kind === "fetch") {
      const i = pending.answered.indexOf(false);
      pending.answered[i] = true;
      pending.refusals.push(`${formatRanges([pending.ranges[i]!])} (${text})`);
      this.settleFetch(pending);
    } else if (pending?.kind === "call") {
      pending.reject(new BespokeError("DEVICE_ERROR", `the device could not run the call: ${text}`));
    } else {
      // nothing asked: the device gave up on the request, and expects no answer
      this.abandon(message.request, new BespokeError("DEVICE_ERROR", `the device gave up: ${text}`));
    }
  }

  private settleFetch(pending: Pending & { kind: "fetch" }): void {
    if (pending.answered.includes(false)) return;
    if (pending.refusals.length) {
      pending.reject(new FetchRefused(`the device does not expose ${pending.refusals.join(", ")}`, pending.blocks));
    } else {
      pending.resolve(pending.blocks as Uint8Array[]);
    }
  }

  /**
   * A DATA or RESULT nobody asked for. For a request in flight the device and
   * server disagree about where it stands: end it, with one ERROR. For any
   * other, say so (ERROR REQUEST).
   */
  private unexpected(id: number, what: string): void {
    const message = `${what} for request ${id}, which is not waiting for it`;
    const flight = this.inFlight.get(id);
    if (flight && !flight.cancelled) this.abandon(id, new BespokeError("UNEXPECTED_MESSAGE", message));
    this.options.send({ kind: "error", request: id, code: "UNEXPECTED_MESSAGE", message });
  }

  /** End a request without answering the device: its round trip in progress fails with `error`. */
  private abandon(id: number, error: BespokeError): void {
    const flight = this.inFlight.get(id);
    if (!flight) return; // already finished
    flight.cancelled = true;
    flight.pending?.reject(error);
  }
}
