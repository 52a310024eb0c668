// Shared by the end-to-end tests: the real board firmware prepared for the
// server, the in-process core over it, and parsing the e2e commands' output.
import { createCompiler } from "../../src/compiler/node.ts";
import { deviceKey } from "../../src/device/firmware-build.ts";
import { prepareBoardFirmware } from "../../src/device/prepare.ts";
import { MemoryCache } from "../../src/server/cache.ts";
import { servePrepared } from "../../src/server/catalog.ts";
import type { CoreOptions } from "../../src/server/customize.ts";
import { signImages } from "../../src/server/finalize.ts";
import { prepareFirmware } from "../../src/server/firmware.ts";
import { DEFAULT_LIMITS } from "../../src/server/limits.ts";

export async function boardCore(): Promise<CoreOptions> {
  const fw = prepareFirmware(await prepareBoardFirmware());
  const { catalog, pipeline } = servePrepared([fw], (target) => createCompiler({ target }));
  const key = deviceKey();
  return { catalog, pipeline, finalize: signImages(async () => key), cache: new MemoryCache(), limits: { ...DEFAULT_LIMITS } };
}

export interface SendLine {
  sent: number;
  ok: number;
  first: number;
  packets: number;
  bytes: number;
  instret: number;
  least: number;
  digest: string;
}

const SENT = /^sent (\d+) ok (\d+) first (-?\d+) packets (\d+) bytes (\d+) instret (\d+) least (\d+) digest ([0-9a-f]{16})$/;

/** The `sent ...` lines of a run, in order. */
export function sends(lines: string[]): SendLine[] {
  return lines.flatMap((l) => {
    const m = SENT.exec(l);
    if (!m) return [];
    const n = m.slice(1, 8).map(Number);
    return [{ sent: n[0]!, ok: n[1]!, first: n[2]!, packets: n[3]!, bytes: n[4]!, instret: n[5]!, least: n[6]!, digest: m[8]! }];
  });
}
