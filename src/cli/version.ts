import fs from "node:fs";
import { wasmPaths } from "../compiler/node.ts";
import { TARGETS } from "../compiler/targets.ts";
import { buildManifest } from "../node/paths.ts";
import type { CommandContext } from "./main.ts";

export async function version(_args: string[], ctx: CommandContext): Promise<number> {
  const available = TARGETS.filter((t) => fs.existsSync(wasmPaths(t).wasm));
  let tcc = "not built";
  try {
    const m = buildManifest();
    tcc = `${m.tccWasm.tcc} (emscripten ${m.tccWasm.emscripten.replace(/^.*?(\d+\.\d+\.\d+).*$/, "$1")})`;
  } catch {
    // not built yet: say so in the tcc line
  }
  ctx.stdout(`bespoke 0.1.0\ntcc-wasm: ${tcc}\ntargets: ${available.length ? available.join(" ") : "none (run 'node build.mjs')"}\n`);
  return 0;
}
