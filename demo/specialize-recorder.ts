// Binding times of the server's specializations, for Device mode's view of
// the generic path. The server's specialize stage (src/server/specializer.ts)
// returns the residual code only; the demo build resolves that module's
// import of src/specializer/pipeline.ts to this module (build.mjs, "demo"
// step), which calls the real specializer and keeps what it observed. Drop
// this when the stage reports binding times itself.
import type { SourcePosition } from "../src/errors.ts";
import { type SpecializeInput, type SpecializeResult, specializeProgram as specialize } from "../src/specializer/pipeline.ts";

export type { SpecializeInput, SpecializeReport, SpecializeResult } from "../src/specializer/pipeline.ts";

let last: { entry: string; bindingTimes: { pos: SourcePosition; bt: "S" | "D" }[] } | null = null;

export function specializeProgram(input: SpecializeInput): SpecializeResult {
  const result = specialize(input);
  last = { entry: result.report.entry, bindingTimes: result.bindingTimes };
  return result;
}

/** What the last completed specialization observed (and forget it). */
export function takeBindingTimes(): typeof last {
  const taken = last;
  last = null;
  return taken;
}
