// The pipeline as three stages: specialize (residual C; may miss in the
// customization table, and is then run again), compile (tcc-wasm for the
// firmware's target), and build the code image (runtime/image.ts). The
// artifact is the image body with a zero context hash: device- and
// request-independent, so it can be cached; `signImages` finishes it per
// request.
import type { Compiler } from "../compiler/compiler.ts";
import type { Target } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import { type GuardRequest, buildImage, encodeBody } from "../runtime/image.ts";
import { CONTEXT_HASH_BYTES, IMAGE_TARGETS, type ImageTarget } from "../runtime/protocol.ts";
import type { SpecializeReport } from "../specializer/pipeline.ts";
import type { FirmwareInfo, Pipeline, PipelineJob } from "./types.ts";

export interface ResidualCode {
  /** One self-contained C translation unit. */
  source: string;
  /** The function the customized call enters. */
  entry: string;
  /** Generation counters the code depends on. */
  guards: GuardRequest[];
  /** The specializer's report of the run that made this code (what it unfolded, generalized, its sizes and timings). */
  report?: SpecializeReport;
}

/** The specializer's part. Reads device memory and calls through the job, so it may throw MirrorMiss or CallMiss. */
export type SpecializeStage = (job: PipelineJob) => ResidualCode | Promise<ResidualCode>;

export interface PipelineStages {
  specialize: SpecializeStage;
  /** The compiler for a target (one instance per isolate or process, reused). */
  compiler: (target: Target) => Promise<Compiler>;
  /** The firmware's export table: every import of an image must be in it. */
  exports: (firmware: FirmwareInfo) => ReadonlySet<string>;
}

export function composePipeline(stages: PipelineStages): Pipeline {
  return async (job) => {
    const target = imageTarget(job.firmware.target);
    const now = () => job.budget.now();
    const t0 = now();
    const residual = await stages.specialize(job);
    const t1 = now();
    job.budget.check("specialize");
    const cc = await stages.compiler(job.firmware.target);
    const t2 = now();
    const compiled = await cc.compile({ files: { "residual.c": residual.source }, entry: "residual.c" });
    const t3 = now();
    if (!compiled.ok) {
      const first = compiled.diagnostics.find((d) => d.severity === "error") ?? compiled.diagnostics[0];
      throw new BespokeError(
        "RESIDUAL_COMPILE_FAILED",
        `the residual code of ${job.scenario.name} does not compile${first ? ` (residual.c:${first.line}: ${first.message})` : ""}: a specializer bug`,
      );
    }
    job.budget.check("compile");
    const image = buildImage({
      object: compiled.object,
      target,
      entry: residual.entry,
      call: job.scenario.call,
      buildId: buildIdBytes(job.firmware.buildId),
      contextHash: new Uint8Array(CONTEXT_HASH_BYTES),
      guards: residual.guards,
      exports: stages.exports(job.firmware),
    });
    const artifact = encodeBody(image);
    return { artifact, residualCBytes: residual.source.length, stageMs: { specialize: t1 - t0, compile: t3 - t2, image: now() - t3 } };
  };
}


function imageTarget(target: Target): ImageTarget {
  if (!(target in IMAGE_TARGETS)) {
    throw new BespokeError("TARGET_NOT_SUPPORTED", `code images exist for ${Object.keys(IMAGE_TARGETS).join(" and ")}, not ${target}`);
  }
  return target as ImageTarget;
}

export function buildIdBytes(buildId: string): Uint8Array {
  if (!/^([0-9a-f]{2})+$/.test(buildId)) throw new BespokeError("BAD_BUILD_ID", `build ID ${JSON.stringify(buildId)} is not hex`);
  return Uint8Array.from(buildId.match(/../g)!.map((h) => parseInt(h, 16)));
}
