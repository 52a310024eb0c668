// tcc-wasm for arm inside workerd: Workers cannot compile WebAssembly from
// bytes, so the module comes in compiled (a CompiledWasm import) and the glue
// instantiates it through `instantiateWasm`. `locateFile` keeps the glue from
// building a URL from import.meta.url, which workerd does not give a base.
import glue from "bespoke-tcc-arm-glue";
import { BespokeError } from "../src/errors.ts";
import { type Compiler, type TccLoader, createCompilerWith } from "../src/compiler/compiler.ts";
import module from "../build/wasm/tcc-arm.wasm";

const armLoader: TccLoader = async (target) => {
  if (target !== "arm") throw new BespokeError("TARGET_NOT_BUNDLED", `this edge worker bundles tcc-wasm for arm only, not ${target}`);
  return { factory: (overrides) => glue({ ...overrides, locateFile: (path: string) => path }), module };
};

let compiler: Promise<Compiler> | null = null;

/** The isolate's one arm compiler (one emscripten instance, reused across requests). */
export function armCompiler(): Promise<Compiler> {
  compiler ??= createCompilerWith("arm", armLoader);
  return compiler;
}
