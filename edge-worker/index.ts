// The deployed edge worker: the server core over the prepared firmware, tcc-wasm
// for arm and x86_64, images signed with the device key (the DEVICE_KEY secret, 64 hex
// digits: `wrangler secret put DEVICE_KEY`).
import { BespokeError } from "../src/errors.ts";
import { servePrepared } from "../src/server/catalog.ts";
import { signImages } from "../src/server/finalize.ts";
import { protocolCodec } from "../src/server/wire.ts";
import { PREPARED_FIRMWARE } from "./prepared.ts";
import { edgeCompiler } from "./tcc.ts";
import { createEdgeWorker } from "./worker.ts";

export interface Env {
  DEVICE_KEY?: string;
}

const { catalog, pipeline } = servePrepared(PREPARED_FIRMWARE, edgeCompiler);

export default createEdgeWorker<Env>({
  catalog,
  pipeline,
  codec: protocolCodec,
  finalize: (env) => signImages(async () => deviceKey(env)),
});

function deviceKey(env: Env): Uint8Array {
  const hex = env.DEVICE_KEY ?? "";
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new BespokeError("NO_DEVICE_KEY", "the edge has no DEVICE_KEY secret (64 hex digits): set it with 'wrangler secret put DEVICE_KEY'");
  }
  return Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}
