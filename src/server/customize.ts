// One customization request, start to end: validate, try the cache (recipe
// -> re-read the values -> artifact), else run the pipeline, resolving each
// miss with one round trip to the device, then cache and finalize. Every
// failure becomes a ServerError; nothing here throws to the caller.
import { BespokeError } from "../errors.ts";
import { CallMiss, DeviceCalls, formatCall } from "../runtime/ctfunctions.ts";
import { CustomizationTable, MirrorMiss, digestValues, formatRanges } from "../runtime/mirror.ts";
import { artifactKey, decodeProfile, decodeRecipe, encodeProfile, encodeRecipe, mergeProfile, profileKey, recipeKey } from "./cache.ts";
import { PipelineBudget, checkArtifactSize, checkContextSize, checkFaults, wallClock } from "./limits.ts";
import type {
  Catalog,
  CustomizeOutcome,
  CustomizeRequest,
  DeviceIdentity,
  DeviceLink,
  Finalize,
  FirmwareInfo,
  ImageCache,
  Pipeline,
  RequestLimits,
  RequestStats,
  ScenarioInfo,
  ServerError,
} from "./types.ts";

export interface CoreOptions {
  catalog: Catalog;
  pipeline: Pipeline;
  finalize: Finalize;
  cache: ImageCache;
  limits: RequestLimits;
  /** Mirror line size (bytes); 64 by default. */
  lineBytes?: number;
  /** Lines after each miss fetched in the same round trip (MirrorOptions.prefetchLines); 1 by default. */
  prefetchLines?: number;
  /**
   * The clock of server time (milliseconds): the CPU-time limit, pipelineMs
   * and stageMs are measured with it. Wall time by default; a runtime that
   * has a CPU clock (Node: src/device/cpu-clock.ts) may pass it.
   */
  clock?: () => number;
}

/** Serve one request. `link` is the device's channel; null for one-shot requests that carry all their memory. */
export async function customize(
  options: CoreOptions,
  request: CustomizeRequest,
  device: DeviceIdentity,
  link: DeviceLink | null,
): Promise<CustomizeOutcome> {
  const started = wallClock();
  const budget = new PipelineBudget(options.limits, options.clock);
  const stats: RequestStats = {
    chi: 0,
    fetches: 0,
    calls: 0,
    fetchedBytes: 0,
    runs: 0,
    cache: "none",
    pipelineMs: 0,
    stageMs: { specialize: 0, compile: 0, image: 0 },
    totalMs: 0,
    artifactBytes: 0,
  };
  let table: CustomizationTable | null = null;
  const calls = new DeviceCalls();
  const finish = (): RequestStats => {
    const mirror = table?.stats();
    stats.fetches = mirror?.fetches ?? 0;
    stats.fetchedBytes = mirror?.fetchedBytes ?? 0;
    stats.calls = calls.roundTrips();
    stats.chi = stats.fetches + stats.calls;
    stats.pipelineMs = budget.spentMs();
    stats.totalMs = wallClock() - started;
    return stats;
  };
  try {
    const { firmware, scenario } = lookUp(options.catalog, request);
    checkContextSize(request, options.limits);
    table = new CustomizationTable({
      lineBytes: options.lineBytes ?? 64,
      maxBytes: options.limits.mirrorBytes,
      addressLimit: firmware.addressLimit,
      prefetchLines: options.prefetchLines ?? 1,
    });
    for (const block of request.memory) table.fill(block.addr, block.bytes);
    for (const call of request.calls ?? []) calls.record(call);
    const mirror = table;
    const chi = () => mirror.stats().fetches + calls.roundTrips();
    const fetch = link ? withTimeout(link.fetch, options.limits.deviceWaitMs, "FETCH") : null;
    const call = link ? withTimeout(link.call, options.limits.deviceWaitMs, "CALL") : null;

    const rKey = await recipeKey(request, scenario);
    const cachedRecipe = await options.cache.get(rKey);
    if (cachedRecipe) {
      const recipe = decodeRecipe(cachedRecipe);
      const known = table.missing(recipe.reads).length === 0;
      if (fetch && !known) {
        checkFaults(chi(), options.limits);
        await table.ensureExact(recipe.reads, fetch);
      }
      if (fetch || known) {
        for (const c of recipe.calls) {
          const deviceCall = { fn: c.fn, args: c.args.map(BigInt) };
          if (call) {
            checkFaults(chi(), options.limits);
            await calls.resolve(deviceCall, call);
          }
        }
        const complete = recipe.calls.every((c) => hasResult(calls, c.fn, c.args.map(BigInt)));
        if (complete) {
          const digest = await digestValues(recipe.reads, table.originValues(recipe.reads));
          const artifact = await options.cache.get(await artifactKey(rKey, digest, calls.recorded()));
          if (artifact) {
            stats.cache = "hit";
            stats.artifactBytes = artifact.length;
            const image = await options.finalize(artifact, request, device);
            return { ok: true, image, stats: finish() };
          }
        }
      }
    }

    stats.cache = "miss";
    // A request without a recipe first fetches, in one round trip, what this
    // scenario read before on this firmware: the specialization then rarely misses.
    const pKey = fetch && !cachedRecipe ? await profileKey(request, scenario) : null;
    const cachedProfile = pKey ? await options.cache.get(pKey) : undefined;
    const profile = cachedProfile ? decodeProfile(cachedProfile) : [];
    if (fetch && profile.length && table.missingBytes(profile).length) {
      checkFaults(chi(), options.limits);
      await table.prefetch(profile, fetch);
    }
    const job = { firmware, scenario, values: request.values, memory: table, calls, budget };
    let result;
    for (;;) {
      stats.runs++;
      budget.begin();
      try {
        result = await options.pipeline(job);
        break;
      } catch (e) {
        if (e instanceof MirrorMiss) {
          if (!fetch) throw notProvided(e);
          budget.end();
          checkFaults(chi(), options.limits);
          await table.ensure(e.wanted, fetch);
        } else if (e instanceof CallMiss) {
          if (!call) throw new BespokeError("CALL_NOT_PROVIDED", `a one-shot request must carry the result of ${formatCall(e.call)} in 'calls'`);
          budget.end();
          checkFaults(chi(), options.limits);
          await calls.resolve(e.call, call);
        } else {
          throw e;
        }
      } finally {
        budget.end();
      }
      budget.check("specialization");
    }
    budget.check("pipeline");
    checkArtifactSize(result.artifact.length, options.limits);
    stats.artifactBytes = result.artifact.length;
    stats.stageMs = result.stageMs;
    const reads = table.readSet();
    const recorded = calls.recorded();
    const digest = await digestValues(reads, table.originValues(reads));
    await options.cache.put(await artifactKey(rKey, digest, recorded), result.artifact);
    await options.cache.put(rKey, encodeRecipe(reads, recorded));
    if (pKey) {
      const merged = mergeProfile(profile, reads);
      if (JSON.stringify(merged) !== JSON.stringify(profile)) await options.cache.put(pKey, encodeProfile(merged));
    }
    const image = await options.finalize(result.artifact, request, device);
    return { ok: true, image, stats: finish() };
  } catch (e) {
    return { ok: false, error: toServerError(e), stats: finish() };
  }
}

function lookUp(catalog: Catalog, request: CustomizeRequest): { firmware: FirmwareInfo; scenario: ScenarioInfo } {
  const firmware = catalog.firmware(request.firmware);
  if (!firmware) {
    const known = catalog.buildIds();
    throw new BespokeError(
      "UNKNOWN_FIRMWARE",
      `firmware build ${JSON.stringify(request.firmware)} is not known to this server (known: ${known.length ? known.join(", ") : "none"}); deploy the server built with that firmware`,
    );
  }
  if (request.target !== undefined && request.target !== firmware.target) {
    throw new BespokeError("TARGET_MISMATCH", `firmware ${firmware.buildId} is built for ${firmware.target}, but the request is for ${request.target}`);
  }
  const scenario = firmware.scenarios[request.scenario];
  if (!scenario) {
    throw new BespokeError(
      "UNKNOWN_SCENARIO",
      `scenario ${JSON.stringify(request.scenario)} is not prepared for firmware ${firmware.buildId} (available: ${Object.keys(firmware.scenarios).join(", ") || "none"})`,
    );
  }
  return { firmware, scenario };
}

function hasResult(calls: DeviceCalls, fn: string, args: bigint[]): boolean {
  try {
    calls.result({ fn, args });
    return true;
  } catch (e) {
    if (e instanceof CallMiss) return false;
    throw e;
  }
}

function notProvided(miss: MirrorMiss): BespokeError {
  return new BespokeError(
    "MEMORY_NOT_PROVIDED",
    `the specialization reads device memory the one-shot request does not carry: ${formatRanges(miss.wanted)}; add these ranges to 'memory'`,
  );
}

function withTimeout<A, R>(f: (a: A) => Promise<R>, ms: number, what: string): (a: A) => Promise<R> {
  return (a) =>
    new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BespokeError("DEVICE_TIMEOUT", `the device did not answer a ${what} within ${ms} ms`)), ms);
      f(a).then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
}

export function toServerError(e: unknown): ServerError {
  if (e instanceof BespokeError) return { code: e.code, message: e.message };
  return { code: "INTERNAL", message: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}
