// The customization core's Web Worker (comlink): Scratch mode's specializer
// and compiler, linking for the virtual device, and Device mode's server:
// the server core over the virtual device's channel (firmware-core.ts).
import libcFiles from "bespoke:libc-board";
import { expose } from "comlink";
import type { Compiler } from "../src/compiler/compiler.ts";
import type { Target } from "../src/compiler/targets.ts";
import { compilerFor } from "./compilers.ts";
import { type CoreSources, type SessionReport, loadCore, serveDevice } from "./firmware-core.ts";
import { linkBoardProgram } from "./link.ts";
import { SOURCE_FILE, runScratch } from "./scratch.ts";
import { mark, timeline } from "./timeline.ts";
import type { CoreApi, LinkOutcome, ScratchInput, ScratchResult } from "./types.ts";

mark("core: worker started");

/** Where the core worker gets its files and compilers: the network, through the Service Worker. */
const sources: CoreSources = { get: (url) => fetch(url), compiler: compilerFor };

const ready = new Map<Target, Promise<Compiler>>();

/** The compiler for `target`, fetched, compiled and instantiated (tcc's first run sets up its instance and file system). */
function readyCompiler(target: Target): Promise<Compiler> {
  let r = ready.get(target);
  if (!r) {
    r = compilerFor(target).then(async (cc) => {
      await cc.compile({ files: { "warm.c": "int warm;\n" }, entry: "warm.c" });
      return cc;
    });
    r.catch(() => ready.delete(target));
    ready.set(target, r);
  }
  return r;
}

const api: CoreApi = {
  async warm(target: Target): Promise<void> {
    await readyCompiler(target);
  },

  async scratch(input: ScratchInput): Promise<ScratchResult> {
    const headers = Object.fromEntries(Object.entries(libcFiles).filter(([name]) => name.startsWith("libc/include/")));
    return runScratch(await compilerFor(input.target), input, headers);
  },

  async linkForDevice(source: string, residual: string): Promise<LinkOutcome> {
    return linkBoardProgram(await compilerFor("arm"), { [SOURCE_FILE]: source, "residual.c": residual });
  },

  async prepareDevice(): Promise<void> {
    await loadCore(sources);
  },

  async serveDevice(port: MessagePort, device: string, report: (r: SessionReport) => void): Promise<void> {
    await serveDevice(sources, port, device, report);
  },

  timeline,
};

expose(api);
// Either mode's first customization needs arm tcc-wasm: made while the page loads (a failure is reported by
// the first call that needs it). Device mode's server core is made when the page shows Device mode.
readyCompiler("arm").then(() => mark("core: tcc-arm ready"), () => {});
