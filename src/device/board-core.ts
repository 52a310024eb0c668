// The server core over the prepared board firmware, in Node: what the edge
// and the playground's core worker run, with Node's tcc-wasm and this
// machine's device key. Used by the paper's figures (paper.ts), the
// end-to-end tests and the playground's test as their oracle.
import { createCompiler } from "../compiler/node.ts";
import { MemoryCache } from "../server/cache.ts";
import { servePrepared } from "../server/catalog.ts";
import type { CoreOptions } from "../server/customize.ts";
import { signImages } from "../server/finalize.ts";
import { type FirmwareProgram, prepareFirmware } from "../server/firmware.ts";
import { DEFAULT_LIMITS } from "../server/limits.ts";
import type { ImageCache } from "../server/types.ts";
import { threadCpuClock } from "./cpu-clock.ts";
import { deviceKey } from "./firmware-build.ts";
import { prepareBoardFirmware } from "./prepare.ts";

/** The server core over the prepared board firmware (or a variant of it), signing with this machine's device key. */
export async function boardCore(options: { cache?: ImageCache; firmware?: FirmwareProgram } = {}): Promise<CoreOptions> {
  const fw = prepareFirmware(options.firmware ?? (await prepareBoardFirmware()));
  const { catalog, pipeline } = servePrepared([fw], (target) => createCompiler({ target }));
  const key = deviceKey();
  return { catalog, pipeline, finalize: signImages(async () => key), cache: options.cache ?? new MemoryCache(), limits: { ...DEFAULT_LIMITS }, clock: threadCpuClock };
}
