// Shared by the VM tests: programs built once and cached by content hash,
// qemu-arm as the oracle, and the VM run the same way.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Compiler, SourceFiles } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { buildManifest } from "../../src/node/paths.ts";
import { type LibcBackend, libcDir, libcFiles, libcSourceNames, linkProgram } from "../../src/vm/link.ts";
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
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, r.elf, { mode: 0o755 });
  fs.renameSync(tmp, file);
  return { path: file };
}

const GCC = "arm-linux-gnueabi-gcc";
/** ARMv5TE, ARM state, soft float; freestanding over our libc (no loop-to-memset rewriting inside it). */
const GCC_FLAGS = ["-marm", "-march=armv5te", "-mfloat-abi=soft", "-O2", "-ffreestanding", "-fno-builtin", "-fno-tree-loop-distribute-patterns", "-w"];

function gcc(args: string[], cwd: string): { ok: boolean; stderr: string } {
  const r = spawnSync(GCC, args, { cwd, encoding: "utf8" });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stderr: r.stderr };
}

let gccLibc: { dir: string; key: string; include: string } | null = null;

/** Our libc compiled by gcc once per content hash: its object files' directory. */
function gccLibcObjects(): { dir: string; key: string; include: string } {
  if (gccLibc) return gccLibc;
  const version = spawnSync(GCC, ["--version"], { encoding: "utf8" }).stdout;
  const include = spawnSync(GCC, ["-print-file-name=include"], { encoding: "utf8" }).stdout.trim();
  const files = libcFiles("linux");
  const key = hashOf([version, ...GCC_FLAGS, ...Object.entries(files).flat()]);
  const dir = path.join(cacheDir(), `gcc-libc-${key}`);
  const flags = [...GCC_FLAGS, "-nostdinc", "-isystem", include, "-I", path.join(libcDir(), "include"), "-I", libcDir()];
  if (!fs.existsSync(dir)) {
    // Build beside it and rename, so concurrent test workers never see half a directory.
    const work = fs.mkdtempSync(`${dir}-work-`);
    for (const name of libcSourceNames("linux")) {
      const r = gcc([...flags, "-c", path.join(libcDir(), name), "-o", path.join(work, name.replace(/\.c$/, ".o"))], work);
      if (!r.ok) throw new Error(`gcc cannot compile libc/${name}: ${r.stderr}`);
    }
    try {
      fs.renameSync(work, dir);
    } catch {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  gccLibc = { dir, key, include };
  return gccLibc;
}

/** The ELF for `files` compiled by gcc -O2 for ARMv5TE and linked statically with our libc, cached by content hash. */
export function gccProgram(files: Record<string, string>): { path: string } | { error: string } {
  const libc = gccLibcObjects();
  const key = hashOf([libc.key, ...Object.entries(files).flat()]);
  const file = path.join(cacheDir(), `gcc-${key}.elf`);
  if (fs.existsSync(file)) return { path: file };
  const work = fs.mkdtempSync(path.join(cacheDir(), "gcc-work-"));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(work, name), text);
    const objects = libcSourceNames("linux").map((n) => path.join(libc.dir, n.replace(/\.c$/, ".o")));
    const sources = Object.keys(files).filter((f) => f.endsWith(".c"));
    const flags = [...GCC_FLAGS, "-nostdinc", "-isystem", libc.include, "-I", path.join(libcDir(), "include"), "-I", libcDir()];
    const output = path.join(work, "prog.elf");
    const r = gcc([...flags, "-static", "-nostdlib", "-Wl,--build-id=none", "-o", output, ...sources, ...objects], work);
    if (!r.ok) return { error: r.stderr };
    fs.renameSync(output, file);
    return { path: file };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
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
