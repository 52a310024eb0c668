// Bundle a small entry module written by a test (a Worker or a Web Worker
// around src/compiler/web.ts) with esbuild, as the edge and browser builds do.
import path from "node:path";
import { build } from "esbuild";
import { TARGETS, type Target } from "../../src/compiler/targets.ts";
import { buildDir, repoRoot } from "../../src/node/paths.ts";

/** Bundle `entry` (TypeScript, imports resolved from the repository root); `.wasm` imports stay external. */
export async function bundleEntry(entry: string): Promise<string> {
  const result = await build({
    stdin: { contents: entry, resolveDir: repoRoot(), sourcefile: "entry.ts", loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: ["*.wasm"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/** `import` lines binding each target's emscripten factory to `tcc_<target>`. */
export function glueImports(): string {
  return TARGETS.map((t) => `import tcc_${t} from ${JSON.stringify(wasmFile(t, "mjs"))};`).join("\n");
}

export function wasmFile(target: Target, ext: "mjs" | "wasm"): string {
  return path.join(buildDir(), "wasm", `tcc-${target}.${ext}`);
}
