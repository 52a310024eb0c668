// Node adapter: loads tcc-wasm from the build outputs on disk.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BespokeError } from "../errors.ts";
import { buildDir } from "../node/paths.ts";
import { type Compiler, type TccLoader, type TccModuleSource, createCompilerWith } from "./compiler.ts";
import type { Target } from "./targets.ts";

const modules = new Map<Target, Promise<TccModuleSource>>();

/** Loads build/wasm/tcc-<target>.{mjs,wasm}; one compiled module per target per process. */
export const nodeLoader: TccLoader = (target) => {
  let source = modules.get(target);
  if (!source) {
    source = loadFromDisk(target);
    modules.set(target, source);
  }
  return source;
};

async function loadFromDisk(target: Target): Promise<TccModuleSource> {
  const dir = path.join(buildDir(), "wasm");
  const glue = path.join(dir, `tcc-${target}.mjs`);
  const wasm = path.join(dir, `tcc-${target}.wasm`);
  if (!fs.existsSync(glue) || !fs.existsSync(wasm)) {
    throw new BespokeError("NOT_BUILT", `tcc-wasm for ${target} is not built (${wasm} missing): run 'node build.mjs'`);
  }
  const { default: factory } = (await import(pathToFileURL(glue).href)) as { default: TccModuleSource["factory"] };
  const module = await WebAssembly.compile(fs.readFileSync(wasm));
  return { factory, module };
}

export function createCompiler(options: { target: Target }): Promise<Compiler> {
  return createCompilerWith(options.target, nodeLoader);
}

export function wasmPaths(target: Target): { glue: string; wasm: string } {
  const dir = path.join(buildDir(), "wasm");
  return { glue: path.join(dir, `tcc-${target}.mjs`), wasm: path.join(dir, `tcc-${target}.wasm`) };
}
