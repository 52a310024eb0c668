// The edge worker as deployed (worker.ts, tcc-wasm in workerd, the protocol
// codec, the Cache API), serving test firmware builds instead of prepared
// firmware: the list world (test/server/list-sum.ts, arm and x86_64) and the
// customization test device (harness-firmware.ts), whose images are signed with its key
// (the HARNESS_KEY binding, hex). Bundled by wrangler with ./wrangler.toml.
import { edgeCompiler } from "../../edge-worker/tcc.ts";
import { createEdgeWorker } from "../../edge-worker/worker.ts";
import { BespokeError } from "../../src/errors.ts";
import { servePrepared } from "../../src/server/catalog.ts";
import { signImages } from "../../src/server/finalize.ts";
import { protocolCodec } from "../../src/server/wire.ts";
import { LIST_SUM_FIRMWARE, LIST_X86_64_FIRMWARE, signForDevice } from "../server/list-sum.ts";
import { HARNESS_FIRMWARE } from "./harness-firmware.ts";

interface Env {
  HARNESS_KEY?: string;
}

const { catalog, pipeline } = servePrepared([LIST_SUM_FIRMWARE, LIST_X86_64_FIRMWARE, HARNESS_FIRMWARE], edgeCompiler);

function harnessKey(env: Env): Uint8Array {
  if (!env.HARNESS_KEY || !/^[0-9a-f]{64}$/.test(env.HARNESS_KEY)) throw new BespokeError("NO_DEVICE_KEY", "the HARNESS_KEY binding is missing");
  return Uint8Array.from(env.HARNESS_KEY.match(/../g)!.map((h) => parseInt(h, 16)));
}

export default createEdgeWorker<Env>({
  catalog,
  pipeline,
  codec: protocolCodec,
  finalize: (env) => {
    const harness = signImages(async () => harnessKey(env));
    return (artifact, request, device) => (device.id === "harness" ? harness : signForDevice)(artifact, request, device);
  },
  limits: { deviceWaitMs: 5000, contextBytes: 16 * 1024 },
});
