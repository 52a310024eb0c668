// Linking a Scratch-mode program for the virtual device in the browser: the
// same tcc invocation as src/vm/link.ts (which reads firmware/libc from disk
// and so is Node-only), over the board libc the demo build bundles.
import libcFiles, { sources as libcSources } from "bespoke:libc-board";
import type { Compiler } from "../src/compiler/compiler.ts";
import type { LinkOutcome, PlaygroundError } from "./types.ts";

/** Where a board image starts (docs/board.md; TEXT_ADDRESS.board of src/vm/link.ts, which cannot be imported here: it loads node:fs). */
const BOARD_TEXT = 0x8000;

export async function linkBoardProgram(cc: Compiler, files: Record<string, string>): Promise<LinkOutcome> {
  const sources = [...Object.keys(files).filter((f) => f.endsWith(".c")), ...libcSources];
  const args = ["-g", "-nostdlib", "-static", `-Wl,-Ttext=0x${BOARD_TEXT.toString(16)}`, "-Ilibc/include", "-Ilibc", "-o", "prog.elf", ...sources];
  const r = await cc.invoke({ args, files: { ...libcFiles, ...files }, outputs: ["prog.elf"] });
  const elf = r.outputs["prog.elf"];
  if (r.exitCode === 0 && elf) return { ok: true, elf, errors: [] };
  const errors: PlaygroundError[] = r.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => ({ code: "LINK_FAILED", message: `${d.file}:${d.line}: ${d.message}`, where: "source", line: d.file === "input.c" ? d.line : 1 }));
  if (errors.length === 0) errors.push({ code: "LINK_FAILED", message: `tcc could not link the program for the device: ${r.stderr.trim() || `exit ${r.exitCode}`}` });
  return { ok: false, elf: new Uint8Array(), errors };
}
