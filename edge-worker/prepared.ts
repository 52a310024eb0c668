// The firmware builds this edge serves, prepared at build time (the socket
// layer parsed per build, the scenarios of firmware/scenarios/, tied to the
// build ID): src/device/prepare.ts writes them as a module that wrangler
// bundles under the `bespoke-prepared-firmware` alias (`bespoke serve` does
// this first; a bundle made before any preparation serves no firmware).
import { PREPARED_FIRMWARE_DATA } from "bespoke-prepared-firmware";
import { deserializeProgram } from "../src/c/serialize.ts";
import type { PreparedFirmware } from "../src/server/catalog.ts";
import { prepareFirmware } from "../src/server/firmware.ts";

function base64Bytes(text: string): Uint8Array {
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export const PREPARED_FIRMWARE: readonly PreparedFirmware[] = PREPARED_FIRMWARE_DATA.map((d) =>
  prepareFirmware({ buildId: d.buildId, target: d.target, exports: d.exports, ...(d.functions ? { functions: d.functions } : {}), program: deserializeProgram(base64Bytes(d.program)), scenarios: d.scenarios }),
);
