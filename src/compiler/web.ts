// Browser and workerd adapter: tcc-wasm from the emscripten factory (the
// default export of tcc-<target>.mjs) plus either the compiled
// WebAssembly.Module — Workers cannot compile wasm from bytes, so a Worker
// imports the .wasm as a module — or the URL of tcc-<target>.wasm, which a
// browser fetches and compiles. Web-standard APIs only.
import { BespokeError } from "../errors.ts";
import { type Compiler, type TccModuleSource, createCompilerWith } from "./compiler.ts";
import type { Target } from "./targets.ts";

export interface WebTccModule {
  /** The default export of tcc-<target>.mjs. */
  factory: TccModuleSource["factory"];
  /** The compiled tcc-<target>.wasm (Workers), or its URL (browsers). */
  wasm: WebAssembly.Module | URL | string;
}

/**
 * A compiler for `target` from its emscripten module. A URL is fetched and
 * compiled once per call: create one compiler and reuse it.
 */
export function createWebCompiler(target: Target, tcc: WebTccModule): Promise<Compiler> {
  return createCompilerWith(target, async () => ({ factory: tcc.factory, module: await compiledModule(tcc.wasm) }));
}

async function compiledModule(wasm: WebTccModule["wasm"]): Promise<WebAssembly.Module> {
  if (wasm instanceof WebAssembly.Module) return wasm;
  const url = String(wasm);
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new BespokeError("WASM_FETCH", `cannot fetch tcc-wasm from ${url}: ${String(e)}`);
  }
  if (!response.ok) throw new BespokeError("WASM_FETCH", `cannot fetch tcc-wasm from ${url}: HTTP ${response.status}`);
  // Streaming compilation needs the application/wasm content type; servers that send another still work, compiled from the bytes.
  if (response.headers.get("content-type")?.split(";")[0]?.trim() === "application/wasm") {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}
