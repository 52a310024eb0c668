// The edge worker as deployed (worker.ts, tcc-wasm in workerd, the protocol
// codec, the Cache API), serving the list-sum test world instead of prepared
// firmware. Bundled by wrangler with edge-worker/wrangler.toml.
import { armCompiler } from "../../edge-worker/tcc.ts";
import { createEdgeWorker } from "../../edge-worker/worker.ts";
import { servePrepared } from "../../src/server/catalog.ts";
import { protocolCodec } from "../../src/server/wire.ts";
import { LIST_SUM_FIRMWARE, signForDevice } from "../server/list-sum.ts";

const { catalog, pipeline } = servePrepared([LIST_SUM_FIRMWARE], armCompiler);

export default createEdgeWorker({ catalog, pipeline, codec: protocolCodec, finalize: () => signForDevice, limits: { deviceWaitMs: 2000, contextBytes: 16 * 1024 } });
