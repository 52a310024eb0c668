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
  /** The scenario a request runs under (e.g. with the parameters the device dropped made dynamic); `scenario` by default. */
  scenarioOf?: (job: PipelineJob, context: Context) => Scenario;
  /** The program's globals are the device's: residual code links to them instead of defining copies. */
  deviceGlobals?: boolean;
  /** The program's function at a device code address: calls through device function pointers unfold. */
  deviceFunction?: (address: number) => string | undefined;
  /** The guards an image records, from what the specialization relied on; none by default. */
  guardsOf?: (job: PipelineJob, report: SpecializeReport) => GuardRequest[];
  /**
   * The image's entry around the residual function. A customized call is
   * entered with the generic call's full argument list, while the residual
   * function takes only the dynamic ones: this adds the function that adapts
   * them. By default the residual function is the entry.
   */
  entryOf?: (residualName: string, scenario: Scenario) => { source: string; entry: string };
}

export function specializerStage(prepared: PreparedScenario): SpecializeStage {
  return (job) => {
    const context = prepared.contextOf ? prepared.contextOf(job) : parseContext({ params: job.values });
    const scenario = prepared.scenarioOf ? prepared.scenarioOf(job, context) : prepared.scenario;
    const { code, report } = specializeProgram({
      program: prepared.program,
      target: job.firmware.target,
      scenario,
      context,
      device: new MirrorDeviceMemory(job.memory),
      deviceGlobals: prepared.deviceGlobals ?? false,
      ...(prepared.deviceFunction ? { deviceFunction: prepared.deviceFunction } : {}),
    });
    const wrapper = prepared.entryOf?.(report.residualName, scenario);
    return {
      source: wrapper ? `${code}\n${wrapper.source}` : code,
      entry: wrapper?.entry ?? report.residualName,
      guards: prepared.guardsOf?.(job, report) ?? [],
      report,
    };
  };
}
