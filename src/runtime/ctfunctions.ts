// Customization-time functions called on the device (CALL/RESULT). The
// specializer runs synchronously, so a device call it has not seen yet
// throws a CallMiss; the server makes the round trip (one unit of chi),
// records the result, and runs the specialization again, which then finds
// it here. Results are values the specialization read: they are part of the
// image cache key, like the device memory it read.
import { BespokeError } from "../errors.ts";

export interface DeviceCall {
  /** Customization-time function name, as the scenario names it (e.g. "sockfd_lookup"). */
  fn: string;
  /** Arguments as the device's integer registers (pointers are addresses). */
  args: bigint[];
}

/** One round trip to the device: run `call` there and return its result. */
export type CallOnDevice = (call: DeviceCall) => Promise<bigint>;

export class CallMiss extends BespokeError {
  constructor(readonly call: DeviceCall) {
    super("CALL_MISS", `customization-time call ${formatCall(call)} has not been made on the device yet`);
  }
}

export interface RecordedCall extends DeviceCall {
  result: bigint;
}

export class DeviceCalls {
  private readonly results = new Map<string, RecordedCall>();
  private calls = 0;

  /** The device's result for `call`; throws CallMiss when the device has not been asked yet. */
  result(call: DeviceCall): bigint {
    const found = this.results.get(keyOf(call));
    if (!found) throw new CallMiss({ fn: call.fn, args: [...call.args] });
    return found.result;
  }

  /** Ask the device (one round trip) and remember the answer. */
  async resolve(call: DeviceCall, onDevice: CallOnDevice): Promise<void> {
    if (this.results.has(keyOf(call))) return;
    this.calls++;
    const result = await onDevice(call);
    if (typeof result !== "bigint") {
      throw new BespokeError("BAD_RESULT", `the device answered ${formatCall(call)} with ${typeof result}, not an integer`);
    }
    this.record({ ...call, result });
  }

  /** A result known without a round trip (sent with the context, or replayed from a cached recipe). */
  record(call: RecordedCall): void {
    this.results.set(keyOf(call), { fn: call.fn, args: [...call.args], result: call.result });
  }

  /** Round trips made so far (the paper's chi, for calls). */
  roundTrips(): number {
    return this.calls;
  }

  /** Every call and its result, in a stable order. */
  recorded(): RecordedCall[] {
    return [...this.results.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
  }
}

function keyOf(call: DeviceCall): string {
  return `${call.fn}(${call.args.join(",")})`;
}

export function formatCall(call: DeviceCall): string {
  return `${call.fn}(${call.args.map((a) => `0x${a.toString(16)}`).join(", ")})`;
}
