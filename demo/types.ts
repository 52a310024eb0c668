// The playground's types, shared by the page (main.ts), the customization
// core's Web Worker (core-worker.ts), the virtual device's Web Worker
// (device-worker.ts) and the Service Worker (sw.ts). Everything here crosses
// a worker boundary, so it is structured-clonable data only.
import type { Target } from "../src/compiler/targets.ts";
import type { BtSpan } from "../src/specializer/btaview.ts";
import type { TimelineMark } from "./timeline.ts";

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

/** The customization context Device mode edits (what the firmware's e2e commands can set). */
export interface DeviceContext {
  scenario: "udp-sendto" | "tcp-send";
  /** Destination port on the device's loopback interface (UDP: the receiver's; TCP: the connection's). */
  port: number;
  /** Destination address: any 127.x.y.z (the device's loopback interface, where every packet is captured). */
  address: string;
  /** sendto/send flags: 0 or MSG_DONTWAIT (0x40). */
  flags: number;
  /** fcntl O_NONBLOCK on the sender. */
  nonblock: boolean;
  /** IP_TTL set on the socket before customizing. */
  ttl: number;
  /** IP_TOS. */
  tos: number;
  /** SO_NO_CHECK: UDP checksum off. */
  noCheck: boolean;
  /** TCP_NODELAY. */
  noDelay: boolean;
  /** Packets each boot sends. */
  packets: number;
}

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
  /** Make Device mode's server core (fetch and load the prepared firmware) ahead of the first customization. */
  prepareDevice(): Promise<void>;
  /** Serve the virtual device's customization channel on `port` with the local server core; `report` gets each customization. */
  serveDevice(port: MessagePort, device: string, report: (r: import("./firmware-core.ts").SessionReport) => void): Promise<void>;
  /** This worker's marks (timeline.ts). */
  timeline(): TimelineMark[];
}

/** One console line of the device firmware, with the board's counters when it was printed. */
export interface ConsoleLine {
  text: string;
  cycles: number;
  instructions: number;
}

export interface ScriptRun {
  lines: ConsoleLine[];
  exitCode: number;
  framesOut: number;
  framesIn: number;
  /** The board's clock: cycles per microsecond. */
  freqMhz: number;
}

export interface DeviceApi {
  /**
   * Boot the device's firmware (/firmware/firmware.elf) and run `script` (its e2e console commands), its
   * customization channel bridged to `port` (frames; null closes); `onLine`
   * gets each console line as it is printed.
   */
  runScript(script: string[], port: MessagePort, onLine: (line: ConsoleLine) => void): Promise<ScriptRun>;
  run(input: VmRunInput): VmRunResult;
  /** This worker's marks (timeline.ts). */
  timeline(): TimelineMark[];
}
