// One device's channel session: routes the device's messages to requests
// and the requests' round trips (FETCH, CALL) to the device. Transport- and
// encoding-independent: the adapter passes decoded messages in and sends the
// messages handed to `send`. Several requests may be in flight; each has at
// most one round trip outstanding. Nothing the device sends can crash it: a
// message that fits no request is answered with an ERROR.
import { BespokeError } from "../errors.ts";
import type { DeviceCall } from "../runtime/ctfunctions.ts";
import type { AddressRange } from "../runtime/mirror.ts";
import { type CoreOptions, customize, toServerError } from "./customize.ts";
import type { CustomizeOutcome, CustomizeRequest, DeviceIdentity, DeviceLink } from "./types.ts";

/** Messages from the device, decoded. */
export type DeviceMessage =
  | { kind: "customize"; request: number; customize: CustomizeRequest }
  | { kind: "data"; request: number; blocks: Uint8Array[] }
  | { kind: "result"; request: number; value: bigint }
  | { kind: "error"; request: number; code: string; message: string }
  | { kind: "cancel"; request: number };

/** Messages to the device. */
export type ServerMessage =
  | { kind: "fetch"; request: number; ranges: AddressRange[] }
  | { kind: "call"; request: number; call: DeviceCall }
  | { kind: "image"; request: number; image: Uint8Array }
  | { kind: "error"; request: number; code: string; message: string };

export interface SessionOptions {
  core: CoreOptions;
  device: DeviceIdentity;
  send: (message: ServerMessage) => void;
  /** Requests one device may have in flight. Default 8. */
  maxInFlight?: number;
  /** Called when a request ends (for logs and metrics). */
  onOutcome?: (request: number, outcome: CustomizeOutcome) => void;
}

interface Pending {
  expects: "data" | "result";
  resolve: (m: DeviceMessage) => void;
  reject: (e: unknown) => void;
}

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
      case "result":
        this.answer(message);
        return;
      case "error":
        // The device gave up on the request (e.g. a FETCH of memory it does not expose): it expects no answer.
        this.abandon(message.request, new BespokeError("DEVICE_ERROR", `the device refused: ${message.code}: ${message.message}`));
        return;
      case "cancel":
        this.abandon(message.request, new BespokeError("CANCELLED", `request ${message.request} was cancelled by the device`));
        return;
    }
  }

  /** Report a frame the adapter could not decode. */
  malformed(request: number, error: unknown): void {
    if (this.closed) return;
    const e = toServerError(error);
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
      fetch: async (ranges) => {
        const reply = await this.roundTrip(id, flight, "data", { kind: "fetch", request: id, ranges });
        return reply.kind === "data" ? reply.blocks : [];
      },
      call: async (call) => {
        const reply = await this.roundTrip(id, flight, "result", { kind: "call", request: id, call });
        if (reply.kind !== "result") throw new BespokeError("BAD_RESULT", `request ${id}: expected RESULT, got ${reply.kind}`);
        return reply.value;
      },
    };
    void customize(this.options.core, request, this.options.device, link).then((outcome) => {
      this.inFlight.delete(id);
      this.options.onOutcome?.(id, outcome);
      if (flight.cancelled) return;
      if (outcome.ok) this.options.send({ kind: "image", request: id, image: outcome.image });
      else this.options.send({ kind: "error", request: id, code: outcome.error.code, message: outcome.error.message });
    });
  }

  private roundTrip(id: number, flight: InFlight, expects: Pending["expects"], message: ServerMessage): Promise<DeviceMessage> {
    if (flight.cancelled) return Promise.reject(new BespokeError("CANCELLED", `request ${id} was cancelled`));
    return new Promise<DeviceMessage>((resolve, reject) => {
      flight.pending = { expects, resolve, reject };
      this.options.send(message);
    }).finally(() => {
      flight.pending = null;
    });
  }

  private answer(message: DeviceMessage & { kind: "data" | "result" }): void {
    const pending = this.inFlight.get(message.request)?.pending;
    if (!pending || pending.expects !== message.kind) {
      const what = message.kind === "data" ? "DATA" : "RESULT";
      this.options.send({
        kind: "error",
        request: message.request,
        code: "UNEXPECTED_MESSAGE",
        message: `${what} for request ${message.request}, which is not waiting for one`,
      });
      return;
    }
    pending.resolve(message);
  }

  /** End a request without answering the device: its round trip in progress fails with `error`. */
  private abandon(id: number, error: BespokeError): void {
    const flight = this.inFlight.get(id);
    if (!flight) return; // already finished
    flight.cancelled = true;
    flight.pending?.reject(error);
  }
}
