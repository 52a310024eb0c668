// Types of the customization server core. The core is runtime-independent:
// it uses only web-standard APIs (WebCrypto, TextEncoder, performance), and
// everything runtime- or protocol-specific is passed in through these
// interfaces (the pipeline, the cache, the device link, the catalog).
import type { Target } from "../compiler/targets.ts";
import type { CallName } from "../runtime/protocol.ts";
import type { CallOnDevice, DeviceCalls } from "../runtime/ctfunctions.ts";
import type { AddressRange, CustomizationTable, FetchFromDevice } from "../runtime/mirror.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Device memory the device sent with its request (the context manager's declared roots). */
export interface MemoryBlock {
  addr: number;
  bytes: Uint8Array;
}

/** One customization request, as the server core sees it (whatever channel it came on). */
export interface CustomizeRequest {
  /** Firmware build ID, lowercase hex. */
  firmware: string;
  /** Scenario name, e.g. "udp-sendto". */
  scenario: string;
  /** Static values: the scenario's static parameters and globals, JSON as the specializer's context takes them. */
  values: { [name: string]: JsonValue };
  /** Device memory sent along (one-shot requests carry everything the specialization reads). */
  memory: MemoryBlock[];
  /** Customization-time call results sent along (one-shot requests). */
  calls?: { fn: string; args: bigint[]; result: bigint }[];
  /** The device's CPU, when it says; must be the firmware's. */
  target?: Target;
  /** The device's hash of its context; the image echoes it so the device can match it to the request. */
  contextHash?: Uint8Array;
}

/** What the server knows of one firmware build: its target and the scenarios prepared for it at build time. */
export interface FirmwareInfo {
  buildId: string;
  target: Target;
  /** Highest device address + 1 (2^32 on 32-bit targets). */
  addressLimit: number;
  scenarios: Record<string, ScenarioInfo>;
}

export interface ScenarioInfo {
  name: string;
  /** Bumped whenever the scenario (or its analysis) changes what a specialization produces. */
  version: number;
  /** The customizable call its images serve (the image header names it). */
  call: CallName;
}

export interface Catalog {
  firmware(buildId: string): FirmwareInfo | undefined;
  /** Build IDs known, for error messages and /healthz. */
  buildIds(): string[];
}

/** Per-request limits; a request over any of them ends in an ERROR, never a crash. */
export interface RequestLimits {
  /** Bytes of the request's context: static values (as JSON) plus memory blocks. */
  contextBytes: number;
  /** Round trips to the device (FETCH or CALL) one request may make: chi's ceiling. */
  faults: number;
  /** Milliseconds of server time spent in the pipeline (specialize + compile + image), device waits excluded. */
  cpuMs: number;
  /** Bytes of the artifact (residual code image) the pipeline may produce. */
  residualBytes: number;
  /** Bytes of device memory mirrored for one request. */
  mirrorBytes: number;
  /** Milliseconds to wait for one device answer. */
  deviceWaitMs: number;
}

/** Tracks the CPU-time limit; the pipeline calls `check()` between its stages. */
export interface Budget {
  readonly limits: RequestLimits;
  /** The clock server time is measured with (milliseconds). */
  now(): number;
  /** Milliseconds spent so far. */
  spentMs(): number;
  /** Throws CPU_LIMIT when over the limit. */
  check(stage: string): void;
}

/** The inputs of one specialize + compile + image run. */
export interface PipelineJob {
  firmware: FirmwareInfo;
  scenario: ScenarioInfo;
  values: { [name: string]: JsonValue };
  /** Device memory: reads throw MirrorMiss until the server has fetched the lines. */
  memory: CustomizationTable;
  /** Device calls: results throw CallMiss until the server has made the call. */
  calls: DeviceCalls;
  budget: Budget;
}

/**
 * The output of a run: a device-independent artifact (cached) and what it
 * is made of. The per-device image (context hash, authentication tag) is made
 * from it by `Finalize` for each request.
 */
export interface PipelineResult {
  artifact: Uint8Array;
  /** Bytes of residual C, for the report. */
  residualCBytes: number;
  /** Milliseconds of each stage of this run. */
  stageMs: StageTimes;
}

/** Milliseconds of the pipeline's stages in one run. */
export interface StageTimes {
  /** The specializer: residual C from the context and the mirror. */
  specialize: number;
  /** tcc-wasm: residual C to an ELF object. */
  compile: number;
  /** The code image from the object (relocations, imports, guards). */
  image: number;
}

/**
 * specialize + compile + build the artifact. May throw MirrorMiss or CallMiss
 * (the core resolves them with one round trip each and runs it again), or a
 * BespokeError that becomes the request's ERROR.
 */
export type Pipeline = (job: PipelineJob) => Promise<PipelineResult>;

/** Turns a cached artifact into the bytes sent to one device for one request (context hash, HMAC tag). */
export type Finalize = (artifact: Uint8Array, request: CustomizeRequest, device: DeviceIdentity) => Promise<Uint8Array>;

export interface DeviceIdentity {
  /** Device ID as it authenticated on the channel (or in a one-shot request). */
  id: string;
}

/** Byte cache of artifacts and recipes; Workers use the Cache API or KV, Node a memory LRU. */
export interface ImageCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
}

/** The round trips the core can make to the device of a request; absent for one-shot requests. */
export interface DeviceLink {
  fetch: FetchFromDevice;
  call: CallOnDevice;
}

/** What one request produced. */
export type CustomizeOutcome =
  | { ok: true; image: Uint8Array; stats: RequestStats }
  | { ok: false; error: ServerError; stats: RequestStats };

export interface ServerError {
  /** Stable machine-readable code (the BespokeError code), e.g. "UNKNOWN_SCENARIO". */
  code: string;
  message: string;
}

export interface RequestStats {
  /** Round trips to the device: FETCH + CALL (the paper's chi). */
  chi: number;
  fetches: number;
  calls: number;
  /** Bytes fetched from the device in those round trips. */
  fetchedBytes: number;
  /** Times the pipeline ran (1 + resolved misses on a cold request; 0 on a warm hit). */
  runs: number;
  cache: "hit" | "miss" | "none";
  /** Server time in the pipeline, device waits excluded: every run, those a miss ended included. */
  pipelineMs: number;
  /** The stages of the run that made the code (zero on a cache hit); pipelineMs minus their sum is the runs a miss ended. */
  stageMs: StageTimes;
  /** Wall time of the whole request, device waits included. */
  totalMs: number;
  artifactBytes: number;
}

/** How a cache key's recipe remembers what a specialization read, to check it against the device cheaply. */
export interface Recipe {
  /** Device memory read, exact byte ranges. */
  reads: AddressRange[];
  /** Customization-time calls made on the device (results re-checked on a warm request). */
  calls: { fn: string; args: string[] }[];
}
