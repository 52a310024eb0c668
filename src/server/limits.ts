// Per-request limits: their defaults, the CPU-time budget, and the checks of
// a request's size before any work is done.
import { BespokeError } from "../errors.ts";
import type { Budget, CustomizeRequest, RequestLimits } from "./types.ts";

export const DEFAULT_LIMITS: RequestLimits = {
  contextBytes: 64 * 1024,
  faults: 64,
  cpuMs: 2000,
  residualBytes: 256 * 1024,
  mirrorBytes: 1024 * 1024,
  deviceWaitMs: 10_000,
};

/** Wall-clock milliseconds, on every runtime. */
export const wallClock = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/**
 * Time spent in the pipeline, summed over its runs; device waits happen
 * between runs and are not counted. (In workerd the clock only advances at
 * I/O, so there the runtime's own CPU limit is the effective one.)
 */
export class PipelineBudget implements Budget {
  private spent = 0;
  private started: number | null = null;

  constructor(
    readonly limits: RequestLimits,
    readonly now: () => number = wallClock,
  ) {}

  begin(): void {
    this.started = this.now();
  }

  end(): void {
    if (this.started !== null) this.spent += this.now() - this.started;
    this.started = null;
  }

  spentMs(): number {
    return this.spent + (this.started !== null ? this.now() - this.started : 0);
  }

  check(stage: string): void {
    const ms = this.spentMs();
    if (ms > this.limits.cpuMs) {
      throw new BespokeError("CPU_LIMIT", `${stage}: the request used ${ms.toFixed(0)} ms of server time, over its ${this.limits.cpuMs} ms limit`);
    }
  }
}

/** Bytes a request's context occupies: its static values as JSON plus its memory blocks. */
export function contextBytes(request: CustomizeRequest): number {
  const values = new TextEncoder().encode(JSON.stringify(request.values)).length;
  const memory = request.memory.reduce((n, b) => n + b.bytes.length, 0);
  return values + memory + (request.calls?.length ?? 0) * 24;
}

export function checkContextSize(request: CustomizeRequest, limits: RequestLimits): void {
  const bytes = contextBytes(request);
  if (bytes > limits.contextBytes) {
    throw new BespokeError(
      "CONTEXT_TOO_LARGE",
      `the customization context is ${bytes} bytes (static values + memory blocks), over the ${limits.contextBytes}-byte limit`,
    );
  }
}

export function checkFaults(chi: number, limits: RequestLimits): void {
  if (chi >= limits.faults) {
    throw new BespokeError(
      "TOO_MANY_FAULTS",
      `the specialization needed more than ${limits.faults} round trips to the device; send the memory it reads with the request (context roots) or raise the limit`,
    );
  }
}

export function checkArtifactSize(bytes: number, limits: RequestLimits): void {
  if (bytes > limits.residualBytes) {
    throw new BespokeError("RESIDUAL_TOO_LARGE", `the customized code is ${bytes} bytes, over the ${limits.residualBytes}-byte limit`);
  }
}
