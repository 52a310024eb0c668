// The customization core's Web Worker (comlink): Scratch mode's specializer
// and compiler, linking for the virtual device, and Device mode's server:
// the server core over the virtual device's channel (firmware-core.ts).
import libcFiles from "bespoke:libc-board";
import { expose } from "comlink";
import type { Target } from "../src/compiler/targets.ts";
import { allocatedSizes, readElf } from "../src/compiler/elf.ts";
import { BespokeError } from "../src/errors.ts";
import { compilerFor } from "./compilers.ts";
import { type SessionReport, serveDevice } from "./firmware-core.ts";
import { linkBoardProgram } from "./link.ts";
import { SOURCE_FILE, runScratch } from "./scratch.ts";
import type { CoreApi, LinkOutcome, ScratchInput, ScratchResult } from "./types.ts";

const api: CoreApi = {
  async warm(target: Target): Promise<void> {
    await compilerFor(target);
  },

  async scratch(input: ScratchInput): Promise<ScratchResult> {
    const headers = Object.fromEntries(Object.entries(libcFiles).filter(([name]) => name.startsWith("libc/include/")));
    return runScratch(await compilerFor(input.target), input, headers);
  },

  async objectBytes(target: Target, source: string): Promise<number> {
    const r = await (await compilerFor(target)).compile({ files: { "residual.c": source }, entry: "residual.c" });
    if (!r.ok) throw new BespokeError("RESIDUAL_COMPILE_FAILED", `the residual code does not compile: ${r.diagnostics.map((d) => `residual.c:${d.line}: ${d.message}`).join("; ")}`);
    const sizes = allocatedSizes(readElf(r.object));
    return sizes.text + sizes.data;
  },

  async linkForDevice(source: string, residual: string): Promise<LinkOutcome> {
    return linkBoardProgram(await compilerFor("arm"), { [SOURCE_FILE]: source, "residual.c": residual });
  },

  async serveDevice(port: MessagePort, device: string, report: (r: SessionReport) => void): Promise<void> {
    await serveDevice({ get: (url) => fetch(url), compiler: compilerFor }, port, device, report);
  },

};

expose(api);
// the first customization needs arm tcc-wasm: fetch and compile it while the page loads
compilerFor("arm").catch(() => {}); // a failure is reported by the first call that needs it
