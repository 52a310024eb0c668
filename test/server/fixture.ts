// Node-side helpers of the server tests over the list-sum world (list-sum.ts).
import { createCompiler } from "../../src/compiler/node.ts";
import { MemoryCache } from "../../src/server/cache.ts";
import type { CoreOptions } from "../../src/server/customize.ts";
import { DEFAULT_LIMITS } from "../../src/server/limits.ts";
import type { CustomizeRequest, Pipeline, RequestLimits } from "../../src/server/types.ts";
import { buildImage, encodeImage } from "../../src/runtime/image.ts";
import { BUILD_ID, NODES, catalog, listSumSource, makeListSumPipeline, signForDevice, testDeviceKey } from "./list-sum.ts";

export { NODES, ScriptedDevice } from "./list-sum.ts";

export const listSumPipeline: Pipeline = makeListSumPipeline(() => createCompiler({ target: "arm" }));

/** The core over the list world; no next-line prefetch (the list's nodes are far apart), so each round trip is exactly the lines missed. */
export function coreOptions(limits: Partial<RequestLimits> = {}, pipeline: Pipeline = listSumPipeline): CoreOptions & { cache: MemoryCache } {
  return { catalog, pipeline, finalize: signForDevice, cache: new MemoryCache(), limits: { ...DEFAULT_LIMITS, ...limits }, prefetchLines: 0 };
}

export function listRequest(extra: Partial<CustomizeRequest> = {}): CustomizeRequest {
  return { firmware: BUILD_ID, scenario: "list-sum", values: { head: NODES[0]! }, memory: [], ...extra };
}

/** The image the device should get, made directly: compile the expected residual C, build the image, sign it. */
export async function expectedImage(sum: number, scale: bigint, device: string, contextHash?: Uint8Array): Promise<Uint8Array> {
  const cc = await createCompiler({ target: "arm" });
  const r = await cc.compile({ files: { "residual.c": listSumSource(sum, scale) }, entry: "residual.c" });
  const image = buildImage({
    object: r.object,
    target: "arm",
    entry: "list_sum",
    call: "sendto",
    buildId: Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]),
    contextHash: contextHash ?? new Uint8Array(8),
  });
  return encodeImage(image, testDeviceKey(device));
}
