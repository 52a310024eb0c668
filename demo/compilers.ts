// tcc-wasm in the customization core's worker: the emscripten glue of each
// target is loaded on first use from /wasm/ (the Service Worker serves it
// from its cache when offline), and one compiler per target is kept.
import type { Compiler, TccModuleSource } from "../src/compiler/compiler.ts";
import type { Target } from "../src/compiler/targets.ts";
import { createWebCompiler } from "../src/compiler/web.ts";

const compilers = new Map<Target, Promise<Compiler>>();

export function compilerFor(target: Target): Promise<Compiler> {
  let c = compilers.get(target);
  if (!c) {
    const base = new URL(`/wasm/tcc-${target}`, self.location.href).href;
    c = import(/* @vite-ignore */ `${base}.mjs`).then((glue: { default: TccModuleSource["factory"] }) =>
      createWebCompiler(target, { factory: glue.default, wasm: `${base}.wasm` }),
    );
    c.catch(() => compilers.delete(target)); // a failed load (e.g. offline before caching) is retried next time
    compilers.set(target, c);
  }
  return c;
}
