// Node-side helpers of the server tests over the list-sum world (list-sum.ts).
import { createCompiler } from "../../src/compiler/node.ts";
import { MemoryCache } from "../../src/server/cache.ts";
import type { CoreOptions } from "../../src/server/customize.ts";
import { DEFAULT_LIMITS } from "../../src/server/limits.ts";
import type { CustomizeRequest, Pipeline, RequestLimits } from "../../src/server/types.ts";
import { BUILD_ID, NODES, catalog, listSumSource, makeListSumPipeline, signForDevice } from "./list-sum.ts";

export { NODES, ScriptedDevice } from "./list-sum.ts";

export const listSumPipeline: Pipeline = makeListSumPipeline(() => createCompiler({ target: "arm" }));

export function coreOptions(limits: Partial<RequestLimits> = {}, pipeline: Pipeline = listSumPipeline): CoreOptions & { cache: MemoryCache } {
  return { catalog, pipeline, finalize: signForDevice, cache: new MemoryCache(), limits: { ...DEFAULT_LIMITS, ...limits } };
}

export function listRequest(extra: Partial<CustomizeRequest> = {}): CustomizeRequest {
  return { firmware: BUILD_ID, scenario: "list-sum", values: { head: NODES[0]! }, memory: [], ...extra };
}

/** The image the device should get, made directly: compile the expected residual C and sign it. */
export async function expectedImage(sum: number, scale: bigint, device: string): Promise<Uint8Array> {
  const cc = await createCompiler({ target: "arm" });
  const source = listSumSource(sum, scale);
  const r = await cc.compile({ files: { "residual.c": source }, entry: "residual.c" });
  return signForDevice(r.object, listRequest(), { id: device });
}
