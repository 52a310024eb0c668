// tcc-wasm inside workerd, for the two targets code images exist for (arm
// and x86_64). Workers cannot compile WebAssembly from bytes, so each module
// comes in compiled (a CompiledWasm import) and its glue instantiates it
// through `instantiateWasm`. `locateFile` keeps the glue from building a URL
// from import.meta.url, which workerd does not give a base.
import armGlue from "bespoke-tcc-arm-glue";
import x86Glue from "bespoke-tcc-x86_64-glue";
import { BespokeError } from "../src/errors.ts";
import { type Compiler, type TccLoader, type TccModuleSource, createCompilerWith } from "../src/compiler/compiler.ts";
import type { Target } from "../src/compiler/targets.ts";
import armModule from "../build/wasm/tcc-arm.wasm";
import x86Module from "../build/wasm/tcc-x86_64.wasm";

const BUNDLED: Partial<Record<Target, { glue: TccModuleSource["factory"]; module: WebAssembly.Module }>> = {
  arm: { glue: armGlue, module: armModule },
  x86_64: { glue: x86Glue, module: x86Module },
};

const loader: TccLoader = async (target) => {
  const bundled = BUNDLED[target];
  if (!bundled) {
    throw new BespokeError("TARGET_NOT_BUNDLED", `this edge worker bundles tcc-wasm for ${Object.keys(BUNDLED).join(" and ")}, not ${target}`);
  }
  return { factory: (overrides) => bundled.glue({ ...overrides, locateFile: (path: string) => path }), module: bundled.module };
};

/** A compiler for `target` (the catalog keeps one per target for the isolate's life). */
export function edgeCompiler(target: Target): Promise<Compiler> {
  return createCompilerWith(target, loader);
}
