// The playground's types, shared by the page (main.ts), the customization
// core's Web Worker (core-worker.ts), the virtual device's Web Worker
// (device-worker.ts) and the Service Worker (sw.ts). Everything here crosses
// a worker boundary, so it is structured-clonable data only.
import type { Target } from "../src/compiler/targets.ts";
import type { BtSpan } from "../src/specializer/btaview.ts";

/** A message a person can act on, at a line of the editor when it has one. */
export interface PlaygroundError {
  code: string;
  message: string;
  /** Which editor the line is in. */
  where?: "source" | "scenario" | "context";
  line?: number;
}

export interface ScratchInput {
  /** The C file, as typed in the editor. */
  source: string;
  /** The scenario, JSON text as typed. */
  scenario: string;
  /** The context (static values), JSON text as typed. */
  context: string;
  target: Target;
}

export interface ScratchTimings {
  preprocessMs: number;
  parseMs: number;
  specializeMs: number;
  compileMs: number;
}

export interface ScratchResult {
  ok: boolean;
  errors: PlaygroundError[];
  residual: string;
  residualName: string;
  /** Binding-time spans over the editor's source. */
  spans: BtSpan[];
  /** .text + .data of the generic file and of the residual code, as compiled for `target`. */
  genericBytes: number;
  residualBytes: number;
  timings: ScratchTimings;
}

export interface VmRunInput {
  elf: Uint8Array;
  /** Instruction budget. */
  budget: number;
}

export interface VmRunResult {
  output: string;
  exitCode: number | null;
  /** Why the VM stopped when it did not exit (fault, budget). */
  stop: string;
  instructions: number;
  cycles: number;
}

export interface LinkOutcome {
  ok: boolean;
  elf: Uint8Array;
  errors: PlaygroundError[];
}

/** The customization context Device mode edits (the paper's static arguments and socket options). */
export interface DeviceContext {
  scenario: "udp-sendto" | "tcp-send";
  /** Dotted quad. */
  address: string;
  port: number;
  flags: number;
  nonblock: boolean;
  ttl: number;
  tos: number;
  checksumOff: boolean;
  nodelay: boolean;
}

export interface LatencyBreakdown {
  /** Time the page waited for the answer. */
  roundTripMs: number;
  /** Server-side pipeline time (specialize + compile + image), as the server reports it. */
  pipelineMs: number;
  /** chi: remote calls the server made to the device while specializing. */
  chi: number;
  /** Bytes of the image transferred. */
  imageBytes: number;
  /** Who answered: the edge, or the Service Worker's local core when offline. */
  servedBy: string;
  cache: string;
}

export type DeviceOutcome =
  | { ok: true; image: Uint8Array; firmware: string; latency: LatencyBreakdown }
  | { ok: false; error: PlaygroundError; latency: LatencyBreakdown | null };

/** One entry of the device code cache (the paper's device code manager), most recently used first. */
export interface CacheEntry {
  token: number;
  call: string;
  /** Hex digest of (scenario, context): the cache key. */
  contextKey: string;
  context: DeviceContext;
  imageBytes: number;
  lastUsed: number;
}

export interface CoreApi {
  /** Warm the compiler for `target` (fetch + compile tcc-wasm). */
  warm(target: Target): Promise<void>;
  scratch(input: ScratchInput): Promise<ScratchResult>;
  /** Link the C file with the residual code and the board libc, for the virtual device. */
  linkForDevice(source: string, residual: string): Promise<LinkOutcome>;
  customizeDevice(context: DeviceContext, device: string): Promise<DeviceOutcome>;
}

/** The firmware's generic send path measured on the virtual device (one self test run). */
export interface SendMeasure {
  test: string;
  /** Successful sys_sendto calls measured (the self test's packets). */
  packets: number;
  /** Mean instructions and cycles per sys_sendto call, counted by the VM. */
  instructions: number;
  cycles: number;
  /** Virtual time of the whole run at the board's clock, and packets per virtual second. */
  virtualMs: number;
  packetsPerSecond: number;
}

export interface DeviceApi {
  run(input: VmRunInput): VmRunResult;
  /** Boot the firmware, run a self test (`udp_stream_64`, `tcp_stream`) and count sys_sendto per call; `progress` gets phase messages. */
  measureGenericSend(firmware: { elf: Uint8Array; sysSendto: number }, test: string, progress: (message: string) => void): Promise<SendMeasure>;
}
