// Builds programs for the device with tcc-wasm: C sources compiled and linked
// against firmware/libc (linux-user or board backend) into a static ARM ELF.
// Node-side (reads the libc from the repository).
import fs from "node:fs";
import path from "node:path";
import type { Compiler, Diagnostic, SourceFiles } from "../compiler/compiler.ts";
import { BespokeError } from "../errors.ts";
import { repoRoot } from "../node/paths.ts";

export type LibcBackend = "linux" | "board";

/** Where each backend's image starts (docs/board.md for the board). */
export const TEXT_ADDRESS: Record<LibcBackend, number> = { linux: 0x10000, board: 0x8000 };

const LIBC_COMMON = ["string.c", "ctype.c", "stdio.c", "stdlib.c", "aeabi.c"];

export function libcDir(): string {
  return path.join(repoRoot(), "firmware", "libc");
}

/** The libc's files (headers and the sources of one backend), keyed by their path under `libc/`. */
export function libcFiles(backend: LibcBackend): SourceFiles {
  const dir = libcDir();
  const files: SourceFiles = {};
  for (const name of [...LIBC_COMMON, `${backend}.c`, "sys.h", "board.h"]) files[`libc/${name}`] = fs.readFileSync(path.join(dir, name), "utf8");
  for (const name of fs.readdirSync(path.join(dir, "include"))) files[`libc/include/${name}`] = fs.readFileSync(path.join(dir, "include", name), "utf8");
  return files;
}

export function libcSourceNames(backend: LibcBackend): string[] {
  return [...LIBC_COMMON, `${backend}.c`];
}

export interface LinkInput {
  /** The program's own files; every `.c` key is compiled. */
  files: SourceFiles;
  backend: LibcBackend;
  /** Extra tcc options (e.g. -D...). */
  options?: string[];
}

export interface LinkResult {
  ok: boolean;
  elf: Uint8Array;
  diagnostics: Diagnostic[];
  /** tcc's own output (link errors are reported here). */
  stderr: string;
}

/** Compile and link with an arm tcc-wasm compiler. */
export async function linkProgram(compiler: Compiler, input: LinkInput): Promise<LinkResult> {
  if (compiler.target !== "arm") throw new BespokeError("VM_LINK", `device programs need the arm compiler, not ${compiler.target}`);
  const files: SourceFiles = { ...libcFiles(input.backend), ...input.files };
  const sources = [...Object.keys(input.files).filter((f) => f.endsWith(".c")), ...libcSourceNames(input.backend).map((n) => `libc/${n}`)];
  // -g keeps the symbol table (tcc drops it from executables otherwise), for "in main+0x1c" in faults.
  const args = ["-g", "-nostdlib", "-static", `-Wl,-Ttext=0x${TEXT_ADDRESS[input.backend].toString(16)}`, "-Ilibc/include", "-Ilibc", ...(input.options ?? []), "-o", "prog.elf", ...sources];
  const r = await compiler.invoke({ args, files, outputs: ["prog.elf"] });
  const elf = r.outputs["prog.elf"];
  const ok = r.exitCode === 0 && elf !== undefined;
  return { ok, elf: ok ? elf : new Uint8Array(), diagnostics: r.diagnostics, stderr: r.stderr };
}
