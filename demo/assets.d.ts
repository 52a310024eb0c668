// Modules the demo build (build.mjs, "demo" step) provides to the bundles.

/** firmware/libc's headers and board-backend sources, keyed by their path under `libc/` (what src/vm/link.ts reads from disk in Node). */
declare module "bespoke:libc-board" {
  const files: Record<string, string>;
  /** The sources to compile, in link order. */
  export const sources: string[];
  export default files;
}

/** The build's precache list and version, for the Service Worker. */
declare module "bespoke:precache" {
  export const VERSION: string;
  export const FILES: string[];
}

/** C sources imported as text (the generic path shown in Device mode). */
declare module "*.c" {
  const text: string;
  export default text;
}

/** tcc-wasm's emscripten glue (build/wasm/tcc-<target>.mjs). */
declare module "*/tcc-arm.mjs" {
  const factory: import("../src/compiler/compiler.ts").TccModuleSource["factory"];
  export default factory;
}
declare module "*/tcc-x86_64.mjs" {
  const factory: import("../src/compiler/compiler.ts").TccModuleSource["factory"];
  export default factory;
}
