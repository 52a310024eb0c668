// Shared by the VM tests: programs built once and cached by content hash,
// qemu-arm as the oracle, and the VM run the same way.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Compiler, SourceFiles } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { buildManifest } from "../../src/node/paths.ts";
import { type LibcBackend, libcFiles, linkProgram } from "../../src/vm/link.ts";
import { createLinuxMachine } from "../../src/vm/linux.ts";
import type { RunResult } from "../../src/vm/types.ts";

export interface ProgramOutput {
  stdout: string;
  exitCode: number | undefined;
}

let compiler: Promise<Compiler> | null = null;

export function cacheDir(): string {
  const dir = path.join(buildManifest().cache, "vm-programs");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function hashOf(parts: (string | Uint8Array)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 24);
}

/**
 * The ELF for `files` linked with our libc by tcc-wasm, cached on disk by the
 * hash of the sources, the libc and the tcc-wasm build. Returns its path, or
 * the link errors.
 */
export async function tccProgram(files: SourceFiles, backend: LibcBackend = "linux", options: string[] = []): Promise<{ path: string } | { error: string }> {
  const libc = libcFiles(backend);
  const key = hashOf([buildManifest().tccWasm.key, backend, ...options, ...Object.entries({ ...libc, ...files }).flat()]);
  const file = path.join(cacheDir(), `${key}.elf`);
  if (fs.existsSync(file)) return { path: file };
  compiler ??= createCompiler({ target: "arm" });
  const r = await linkProgram(await compiler, { files, backend, options });
  if (!r.ok) return { error: r.stderr || r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`).join("\n") };
  fs.writeFileSync(file + ".tmp", r.elf, { mode: 0o755 });
  fs.renameSync(file + ".tmp", file);
  return { path: file };
}

export function runQemu(elfPath: string, argv: string[] = ["prog"]): ProgramOutput {
  const r = spawnSync("qemu-arm", ["-0", argv[0]!, elfPath, ...argv.slice(1)], { timeout: 20_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { stdout: r.stdout.toString("latin1"), exitCode: r.status ?? undefined };
}

export function runVm(elfPath: string, argv: string[] = ["prog"], budget = 500_000_000): ProgramOutput & { result: RunResult } {
  const chunks: Uint8Array[] = [];
  const machine = createLinuxMachine(new Uint8Array(fs.readFileSync(elfPath)), { argv, write: (fd, bytes) => fd === 1 && chunks.push(bytes) });
  const result = machine.run(budget);
  return { stdout: Buffer.concat(chunks).toString("latin1"), exitCode: result.exitCode, result };
}
