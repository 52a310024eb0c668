// `bespoke customize --scenario udp-sendto --context ctx.json --target arm -o DIR`:
// offline, one shot. The context is the one-shot request format
// (src/server/request.ts: the call's static values as the device sends them,
// hex, and every piece of device memory the specialization reads; the
// firmware defaults to this machine's board build). The server core serves
// it with no device attached, over the prepared board firmware, and writes
// residual.c, image.bin (signed with this machine's device key), report.json
// and bta.html (the binding-time view of the firmware's source).
import fs from "node:fs";
import path from "node:path";
import { createCompiler } from "../compiler/node.ts";
import { isTarget } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import { deviceKey } from "../device/firmware-build.ts";
import { imageMemoryBytes } from "../device/paper.ts";
import { prepareBoardFirmware } from "../device/prepare.ts";
import { MemoryCache } from "../server/cache.ts";
import { servePrepared } from "../server/catalog.ts";
import { customize as serveRequest } from "../server/customize.ts";
import { signImages } from "../server/finalize.ts";
import { prepareFirmware, specializationInputs } from "../server/firmware.ts";
import { DEFAULT_LIMITS } from "../server/limits.ts";
import type { PipelineJob } from "../server/types.ts";
import { parseOneShot } from "../server/request.ts";
import { bindingTimePage, bindingTimeSpans } from "../specializer/btaview.ts";
import { type SpecializeReport, bindingTimesOf } from "../specializer/pipeline.ts";
import type { CommandContext } from "./main.ts";

const USAGE = "usage: bespoke customize --scenario NAME --context ctx.json --target arm -o DIR";

export async function customize(args: string[], ctx: CommandContext): Promise<number> {
  const o: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = { "--scenario": "scenario", "--context": "context", "--target": "target", "-o": "out" }[a];
    const value = args[++i];
    if (!name || value === undefined) throw new BespokeError("USAGE", `customize: unexpected argument '${a}'${name ? " (missing its value)" : ""} (${USAGE})`);
    o[name] = value;
  }
  for (const need of ["scenario", "context", "out"]) if (!o[need]) throw new BespokeError("USAGE", `customize: --${need === "out" ? "o" : need} is required (${USAGE})`);
  const fw = await prepareBoardFirmware();
  const target = o.target ?? fw.target;
  if (!isTarget(target) || target !== fw.target) throw new BespokeError("USAGE", `customize: the prepared firmware is for ${fw.target}, not '${target}'`);
  if (!fs.existsSync(o.context!)) throw new BespokeError("NO_INPUT", `${o.context}: no such file`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(o.context!, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new BespokeError("BAD_REQUEST", `${o.context}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { request, device } = parseOneShot(JSON.stringify({ firmware: fw.buildId, target, ...json, scenario: o.scenario }), DEFAULT_LIMITS.contextBytes);

  // the core as the edge runs it, its specialize stage watched for the residual code and the job it ran on
  const prepared = prepareFirmware(fw);
  const stage = prepared.specialize[o.scenario!];
  if (!stage) throw new BespokeError("UNKNOWN_SCENARIO", `customize: the firmware has no scenario '${o.scenario}' (it has: ${Object.keys(prepared.specialize).join(", ")})`);
  let last: { source: string; job: PipelineJob; report: SpecializeReport | undefined } | undefined;
  const watched = {
    ...prepared,
    specialize: {
      ...prepared.specialize,
      [o.scenario!]: async (job: PipelineJob) => {
        const residual = await stage(job);
        last = { source: residual.source, job, report: residual.report };
        return residual;
      },
    },
  };
  const { catalog, pipeline } = servePrepared([watched], (t) => createCompiler({ target: t }));
  const key = deviceKey();
  const outcome = await serveRequest({ catalog, pipeline, finalize: signImages(async () => key), cache: new MemoryCache(), limits: { ...DEFAULT_LIMITS } }, request, { id: device }, null);
  if (!outcome.ok) {
    ctx.stderr(`customize: ${outcome.error.code}: ${outcome.error.message}\n`);
    return 1;
  }
  if (!last?.report) throw new BespokeError("INTERNAL", "customize: the pipeline produced an image without a specializer report");

  // the binding-time view: the scenario's analysis, the same for every context (no second specialization)
  const inputs = specializationInputs(fw, o.scenario!, last.job);
  const bindingTimes = bindingTimesOf(fw.program, fw.target, inputs.scenario);
  const files = new Set(bindingTimes.map((b) => b.pos.file).filter((f) => fs.existsSync(f)));
  const sources = new Map([...files].map((f) => [f, fs.readFileSync(f, "utf8")]));

  fs.mkdirSync(o.out!, { recursive: true });
  fs.writeFileSync(path.join(o.out!, "residual.c"), last.source);
  fs.writeFileSync(path.join(o.out!, "image.bin"), outcome.image);
  fs.writeFileSync(path.join(o.out!, "bta.html"), bindingTimePage(`Binding times: ${inputs.scenario.entry} (${o.scenario})`, bindingTimeSpans(bindingTimes, sources), sources));
  const report = {
    firmware: fw.buildId,
    scenario: o.scenario,
    target,
    imageBytes: outcome.image.length,
    codeBytes: imageMemoryBytes(outcome.image),
    residualCBytes: last.source.length,
    stats: outcome.stats,
    specializer: last.report,
  };
  fs.writeFileSync(path.join(o.out!, "report.json"), JSON.stringify(report, null, 2) + "\n");
  ctx.stdout(`customize: ${o.scenario} for firmware ${fw.buildId}: ${report.codeBytes} bytes of code (image ${report.imageBytes} bytes) in ${o.out}\n`);
  return 0;
}
