// The few Workers runtime APIs the edge worker uses, beyond the web-standard
// ones in TypeScript's DOM/WebWorker libraries (@cloudflare/workers-types
// clashes with the DOM library the rest of the project compiles against).

/** tcc-wasm's emscripten glue for arm and x86_64 (build/wasm/tcc-*.mjs, aliased in wrangler.toml). */
declare module "bespoke-tcc-arm-glue" {
  const factory: (overrides: Record<string, unknown>) => Promise<import("../src/compiler/compiler.ts").EmscriptenTcc>;
  export default factory;
}
declare module "bespoke-tcc-x86_64-glue" {
  const factory: (overrides: Record<string, unknown>) => Promise<import("../src/compiler/compiler.ts").EmscriptenTcc>;
  export default factory;
}

/** A `.wasm` import is a compiled module in workerd (wrangler's CompiledWasm rule). */
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare const WebSocketPair: { new (): { 0: WebSocket; 1: WebSocket } };

interface WebSocket {
  /** Workers: start delivering events on the server end of a WebSocketPair. */
  accept(): void;
}

interface ResponseInit {
  /** Workers: the client end of a WebSocketPair, in a 101 response. */
  webSocket?: WebSocket | null;
}

interface CacheStorage {
  /** Workers: the zone's default cache. */
  readonly default: Cache;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}
