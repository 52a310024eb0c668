// Node-side: the real C corpora the front end is measured on, preprocessed by
// tcc-wasm for a target — lwIP 2.1.3's core (Debian source, fetched by
// build.mjs) with a port directory, and TinyCC's tests/tests2 programs over
// the target's Debian C library headers. Used by tests, `bespoke bench
// frontend` and nothing on the edge.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Compiler, SourceFiles } from "../compiler/compiler.ts";
import { createCompiler } from "../compiler/node.ts";
import type { Target } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import { buildManifest } from "../node/paths.ts";

export interface PreprocessedUnit {
  /** Source path (absolute). */
  file: string;
  text: string;
}

/**
 * Preprocessed text from the on-disk cache (under the manifest's cache dir),
 * keyed by the tcc-wasm build, the source and the options (system headers
 * are taken as fixed on one machine); computed and stored on a miss.
 */
async function cached(keyParts: string[], compute: () => Promise<string>): Promise<string> {
  const m = buildManifest();
  const hash = createHash("sha256");
  for (const part of [m.tccWasm.key, ...keyParts]) hash.update(part).update("\0");
  const file = path.join(m.cache, "c-frontend", "pp", `${hash.digest("hex").slice(0, 32)}.i`);
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
  const text = await compute();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // a temporary per process: vitest workers may preprocess the same unit at once
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  return text;
}

export function lwipDir(): string {
  const src = buildManifest().sources["lwip"];
  if (!src) throw new BespokeError("NOT_BUILT", "lwIP sources are not in build/manifest.json: run 'node build.mjs'");
  return src.dir;
}

export function tccDir(): string {
  const src = buildManifest().sources["tcc"];
  if (!src) throw new BespokeError("NOT_BUILT", "tcc sources are not in build/manifest.json: run 'node build.mjs'");
  return src.dir;
}

/** lwIP core .c files: src/core, src/core/ipv4, src/core/ipv6. */
export function lwipCoreFiles(): string[] {
  const core = path.join(lwipDir(), "src", "core");
  const out: string[] = [];
  for (const dir of [core, path.join(core, "ipv4"), path.join(core, "ipv6")]) {
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith(".c")) out.push(path.join(dir, f));
  }
  return out;
}

/** Every file under `dir` whose name matches `ext`, keyed by absolute path. */
export function mirrorTree(dir: string, ext: RegExp, into: SourceFiles = {}): SourceFiles {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) mirrorTree(full, ext, into);
    else if (entry.isFile() && ext.test(entry.name)) into[full] = fs.readFileSync(full, "utf8");
  }
  return into;
}

/**
 * Preprocess the lwIP core for `target` with the port in `portDir` (lwipopts.h,
 * arch/cc.h; a `libc` subfolder, if present, supplies C library headers);
 * cached by the contents of every source and header involved (a compiler is
 * only created, when none is given, if a unit is not in the cache).
 */
export async function preprocessLwipCore(target: Target, portDir: string, compiler?: Compiler): Promise<PreprocessedUnit[]> {
  if (compiler && compiler.target !== target) throw new BespokeError("TARGET_MISMATCH", `preprocessLwipCore for ${target} was given a compiler for ${compiler.target}`);
  // created on the first cache miss only: instantiating tcc-wasm costs more than reading the cache
  let cc = compiler;
  const include = path.join(lwipDir(), "src", "include");
  const files = mirrorTree(include, /\.h$/);
  mirrorTree(portDir, /\.h$/, files);
  const includeDirs = [portDir, include];
  if (fs.existsSync(path.join(portDir, "libc"))) includeDirs.push(path.join(portDir, "libc"));
  const headerKey = Object.entries(files).flat().map(String);
  const units: PreprocessedUnit[] = [];
  for (const file of lwipCoreFiles()) {
    const source = fs.readFileSync(file, "utf8");
    const text = await cached([target, file, source, includeDirs.join(":"), ...headerKey], async () => {
      cc ??= await createCompiler({ target });
      const r = await cc.preprocess({ files: { ...files, [file]: source }, entry: file, includeDirs });
      if (!r.ok) {
        const d = r.diagnostics[0];
        throw new BespokeError("PREPROCESS_FAILED", `preprocessing ${file} for ${target} failed: ${d ? `${d.file}:${d.line}: ${d.message}` : "unknown error"}`);
      }
      return r.text;
    });
    units.push({ file, text });
  }
  return units;
}

/** Preprocess one file with the headers beside it and under `includeDirs` (cached by the contents of all of them). */
export async function preprocessWithHeaders(cc: Compiler, file: string, includeDirs: string[]): Promise<PreprocessedUnit> {
  const headers: SourceFiles = {};
  for (const dir of includeDirs) mirrorTree(dir, /\.h$/, headers);
  for (const f of fs.readdirSync(path.dirname(file))) {
    if (f.endsWith(".h")) headers[path.join(path.dirname(file), f)] = fs.readFileSync(path.join(path.dirname(file), f), "utf8");
  }
  const source = fs.readFileSync(file, "utf8");
  const key = [cc.target, file, source, ...Object.entries(headers).flat().map(String), includeDirs.join(":")];
  const text = await cached(key, async () => {
    const r = await cc.preprocess({ files: { ...headers, [file]: source }, entry: file, includeDirs });
    if (!r.ok) {
      const d = r.diagnostics[0];
      throw new BespokeError("PREPROCESS_FAILED", `preprocessing ${file} failed: ${d ? `${d.file}:${d.line}: ${d.message}` : "unknown error"}`);
    }
    return r.text;
  });
  return { file, text };
}

/** The C library include directories of the Debian toolchain for `target`. */
export function systemIncludeDirs(target: Target): string[] {
  switch (target) {
    case "x86_64":
      return ["/usr/include/x86_64-linux-gnu", "/usr/include"];
    case "arm":
      return ["/usr/arm-linux-gnueabi/include"];
    case "i386":
      return ["/usr/i686-linux-gnu/include"];
    case "riscv64":
      return ["/usr/riscv64-linux-gnu/include"];
    case "arm64":
      return ["/usr/aarch64-linux-gnu/include"];
  }
}

/**
 * Preprocesses C programs against the system C library headers, mirroring
 * into tcc's in-memory filesystem only the headers the programs include (found
 * by retrying on "include file not found"); the set grows across calls.
 */
export class SystemPreprocessor {
  private headers: SourceFiles = {};
  private readonly dirs: string[];
  private constructor(
    readonly target: Target,
    private readonly cc: Compiler,
  ) {
    this.dirs = systemIncludeDirs(target);
  }

  static async create(target: Target): Promise<SystemPreprocessor> {
    return new SystemPreprocessor(target, await createCompiler({ target }));
  }

  async preprocess(file: string, defines: Record<string, string | true> = {}): Promise<PreprocessedUnit> {
    const source = fs.readFileSync(file, "utf8");
    const siblings = fs.readdirSync(path.dirname(file)).sort().join("/");
    const text = await cached([this.target, file, source, siblings, JSON.stringify(defines), this.dirs.join(":")], async () => (await this.run(file, defines)).text);
    return { file, text };
  }

  private async run(file: string, defines: Record<string, string | true>): Promise<PreprocessedUnit> {
    const local: SourceFiles = {};
    const dirs = [path.dirname(file), ...this.dirs];
    for (let attempt = 0; attempt < 500; attempt++) {
      const r = await this.cc.preprocess({
        files: { ...this.headers, ...local, [file]: fs.readFileSync(file, "utf8") },
        entry: file,
        includeDirs: this.dirs,
        defines,
      });
      if (r.ok) return { file, text: r.text };
      const missing = r.diagnostics.map((d) => /include file '(.*)' not found/.exec(d.message)?.[1]).find((m) => m !== undefined);
      const found = missing !== undefined ? dirs.map((d) => path.join(d, missing)).find((p) => fs.existsSync(p) && !(p in this.headers) && !(p in local)) : undefined;
      if (found === undefined) {
        const d = r.diagnostics[0];
        throw new BespokeError("PREPROCESS_FAILED", `preprocessing ${file} for ${this.target} failed: ${d ? `${d.file}:${d.line}: ${d.message}` : "unknown error"}`);
      }
      // headers next to the program belong to it; system headers are shared by all programs
      if (found.startsWith(path.dirname(file) + path.sep)) local[found] = fs.readFileSync(found, "utf8");
      else this.headers[found] = fs.readFileSync(found, "utf8");
    }
    throw new BespokeError("PREPROCESS_FAILED", `preprocessing ${file}: too many missing headers`);
  }
}
