// The specializer (src/specializer/) as the pipeline's specialize stage:
// the firmware's program and a scenario, prepared once; per request, the
// context from the request's values and device memory served by the
// customization table (a miss ends the run with MirrorMiss, the core fetches
// and runs it again).
import type { Program } from "../c/ast.ts";
import type { GuardRequest } from "../runtime/image.ts";
import { MirrorDeviceMemory } from "../runtime/mirror.ts";
import { type SpecializeReport, specializeProgram } from "../specializer/pipeline.ts";
import { type Context, type Scenario, parseContext } from "../specializer/scenario.ts";
import type { SpecializeStage } from "./pipeline.ts";
import type { PipelineJob } from "./types.ts";

export interface PreparedScenario {
  /** The firmware's program, parsed for its target. */
  program: Program;
  scenario: Scenario;
  /** The specializer's context from a request; by default its values are the static parameters, by name. */
  contextOf?: (job: PipelineJob) => Context;
  /** The guards an image records, from what the specialization relied on; none by default. */
  guardsOf?: (job: PipelineJob, report: SpecializeReport) => GuardRequest[];
}

export function specializerStage(prepared: PreparedScenario): SpecializeStage {
  return (job) => {
    const context = prepared.contextOf ? prepared.contextOf(job) : parseContext({ params: job.values });
    const { code, report } = specializeProgram({
      program: prepared.program,
      target: job.firmware.target,
      scenario: prepared.scenario,
      context,
      device: new MirrorDeviceMemory(job.memory),
    });
    return { source: code, entry: report.residualName, guards: prepared.guardsOf?.(job, report) ?? [] };
  };
}
