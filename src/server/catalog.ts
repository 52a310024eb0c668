// Firmware prepared for serving: for each build, what the server knows of it
// (target, scenarios), its export table, and the specialize stage of each
// scenario. Turns a list of them into the catalog and pipeline of the core.
import type { Compiler } from "../compiler/compiler.ts";
import type { Target } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import { type SpecializeStage, composePipeline } from "./pipeline.ts";
import type { Catalog, FirmwareInfo, Pipeline } from "./types.ts";

export interface PreparedFirmware {
  info: FirmwareInfo;
  /** Names in the firmware's export table (images may import only these). */
  exports: readonly string[];
  /** One specialize stage per scenario of `info.scenarios`. */
  specialize: Record<string, SpecializeStage>;
}

export function servePrepared(prepared: readonly PreparedFirmware[], compiler: (target: Target) => Promise<Compiler>): { catalog: Catalog; pipeline: Pipeline } {
  const byId = new Map(prepared.map((p) => [p.info.buildId, p]));
  for (const p of prepared) {
    for (const name of Object.keys(p.info.scenarios)) {
      if (!p.specialize[name]) throw new BespokeError("BAD_CATALOG", `firmware ${p.info.buildId} lists scenario ${name} but has no specialize stage for it`);
    }
  }
  const exportSets = new Map(prepared.map((p) => [p.info.buildId, new Set(p.exports)]));
  const catalog: Catalog = {
    firmware: (id) => byId.get(id)?.info,
    buildIds: () => [...byId.keys()],
  };
  const compilers = new Map<Target, Promise<Compiler>>(); // one instance per target, reused by every request
  const pipeline = composePipeline({
    specialize: (job) => byId.get(job.firmware.buildId)!.specialize[job.scenario.name]!(job),
    compiler: (target) => {
      let c = compilers.get(target);
      if (!c) compilers.set(target, (c = compiler(target)));
      return c;
    },
    exports: (firmware: FirmwareInfo) => exportSets.get(firmware.buildId)!,
  });
  return { catalog, pipeline };
}
