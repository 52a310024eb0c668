// One TypeScript API over TinyCC compiled to WebAssembly, the same on Node,
// browsers and workerd. Runtime-specific code only supplies the module
// (see TccLoader); everything here uses web-standard APIs.
import { BespokeError } from "../errors.ts";
import type { Target } from "./targets.ts";

export interface Diagnostic {
  file: string;
  line: number;
  /** TinyCC reports no columns; 0 means "the whole line". */
  column: number;
  severity: "error" | "warning" | "note";
  message: string;
}

/** Source files by path relative to the compile's working directory (or absolute). */
export type SourceFiles = Record<string, string | Uint8Array>;

export interface CompileInput {
  files: SourceFiles;
  /** The translation unit to compile, a key of `files`. */
  entry: string;
  /** -D: `{ NAME: "value" }`, or `true` for `-DNAME`. */
  defines?: Record<string, string | true>;
  /** -I directories, relative to the working directory or absolute. */
  includeDirs?: string[];
  /** Further tcc options, e.g. ["-g", "-Wall"]. */
  options?: string[];
}

export interface CompileResult {
  ok: boolean;
  /** ELF relocatable object; empty when !ok. */
  object: Uint8Array;
  diagnostics: Diagnostic[];
  ms: number;
}

export interface PreprocessResult {
  ok: boolean;
  /** Preprocessed C with `# line "file"` markers. */
  text: string;
  diagnostics: Diagnostic[];
  ms: number;
}

export interface InvokeInput {
  /** tcc command-line arguments (without argv[0]). */
  args: string[];
  files: SourceFiles;
  /** Paths (relative to the working directory) to read back after the run. */
  outputs: string[];
  /** Working directory inside the compiler's filesystem; a fresh one when absent. */
  cwd?: string;
}

export interface InvokeResult {
  exitCode: number;
  /** Output files that exist after the run. */
  outputs: Record<string, Uint8Array>;
  stdout: string;
  stderr: string;
  diagnostics: Diagnostic[];
  ms: number;
}

export interface Compiler {
  readonly target: Target;
  compile(input: CompileInput): Promise<CompileResult>;
  preprocess(input: CompileInput): Promise<PreprocessResult>;
  /** Run tcc with any arguments over an in-memory file tree (used by `bespoke cc` and linking). */
  invoke(input: InvokeInput): Promise<InvokeResult>;
  /** Bytes of linear memory of the live instance (0 before the first call); it only grows, so it bounds the heap. */
  memoryBytes(): number;
}

/** The emscripten module factory and its compiled WebAssembly module for one target. */
export interface TccModuleSource {
  factory: (overrides: Record<string, unknown>) => Promise<EmscriptenTcc>;
  module: WebAssembly.Module;
}
export type TccLoader = (target: Target) => Promise<TccModuleSource>;

/** The part of the emscripten module we use. */
export interface EmscriptenTcc {
  FS: EmscriptenFs;
  callMain(args: string[]): number;
  stackSave(): number;
  stackRestore(sp: number): void;
  HEAPU8: Uint8Array;
}

interface EmscriptenFs {
  writeFile(path: string, data: string | Uint8Array, opts?: { canOwn?: boolean }): void;
  mkdirTree(path: string): void;
  lookupPath(path: string): { node: MemfsNode };
  readdir(path: string): string[];
  stat(path: string): { mode: number };
  isDir(mode: number): boolean;
  unlink(path: string): void;
  rmdir(path: string): void;
  chdir(path: string): void;
  cwd(): string;
}

/** A file of emscripten's in-memory file system: its bytes are contents[0, usedBytes). */
interface MemfsNode {
  contents: Uint8Array | null;
  usedBytes: number;
}

/** Total bytes of input files one call accepts. */
export const MAX_INPUT_BYTES = 32 * 1024 * 1024;

/** The working directory of calls without a cwd; made once per instance and emptied after each call. */
const SCRATCH = "/work/scratch";

interface Instance {
  tcc: EmscriptenTcc;
  stdout: string[];
  stderr: string[];
}

const utf8 = new TextEncoder();

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Create a compiler for `target` from a loader that supplies the tcc-wasm module. */
export async function createCompilerWith(target: Target, loader: TccLoader): Promise<Compiler> {
  const source = await loader(target);
  let instance: Instance | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  async function instantiate(): Promise<Instance> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const tcc = await source.factory({
      instantiateWasm(imports: WebAssembly.Imports, receive: (i: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(source.module, imports).then(receive);
        return {};
      },
      // The module comes from instantiateWasm; without locateFile the glue builds
      // new URL("tcc-<target>.wasm", import.meta.url), which throws in workerd.
      locateFile: (path: string) => path,
      print: (s: string) => stdout.push(s),
      printErr: (s: string) => stderr.push(s),
      noExitRuntime: true,
    });
    tcc.FS.mkdirTree(SCRATCH);
    return { tcc, stdout, stderr };
  }

  async function runOnce(input: InvokeInput): Promise<InvokeResult> {
    checkInputSize(input.files);
    const started = now();
    instance ??= await instantiate();
    const inst = instance;
    const { tcc } = inst;
    const dir = input.cwd ?? SCRATCH;
    inst.stdout.length = 0;
    inst.stderr.length = 0;
    if (dir !== SCRATCH) tcc.FS.mkdirTree(dir);
    const written: string[] = [];
    let failed = false;
    try {
      for (const [name, data] of Object.entries(input.files)) {
        const path = resolvePath(dir, name);
        if (parentOf(path) !== dir) tcc.FS.mkdirTree(parentOf(path));
        // emscripten's own UTF-8 encoder is a JS loop (15% of a 3000-line compile); TextEncoder is native.
        // The file owns the bytes encoded here (no copy); a caller's array is copied.
        if (typeof data === "string") tcc.FS.writeFile(path, utf8.encode(data), { canOwn: true });
        else tcc.FS.writeFile(path, data);
        written.push(path);
      }
      if (tcc.FS.cwd() !== dir) tcc.FS.chdir(dir);
      const sp = tcc.stackSave();
      let exitCode: number;
      try {
        exitCode = tcc.callMain(input.args);
      } catch (e) {
        instance = null; // a trapped instance is never reused
        throw new BespokeError("TCC_CRASHED", `tcc-wasm (${target}) crashed: ${String(e)}`);
      } finally {
        if (instance) tcc.stackRestore(sp);
      }
      const outputs: Record<string, Uint8Array> = {};
      for (const name of input.outputs) {
        const path = resolvePath(dir, name);
        // lookupPath throws when tcc wrote no such file
        try {
          outputs[name] = takeFile(tcc.FS, path);
        } catch {
          // absent output
        }
      }
      const stderr = inst.stderr.join("\n");
      // tcc recovers from a C error by longjmp, leaving allocations and state
      // behind; after repeated failed compiles of large units an arm instance
      // was seen to trap. Failures are rare and a fresh instance costs a few
      // ms, so an instance whose compile failed is not reused.
      failed = exitCode !== 0;
      return {
        exitCode,
        outputs,
        stdout: inst.stdout.join("\n"),
        stderr,
        diagnostics: parseDiagnostics(stderr, dir),
        ms: now() - started,
      };
    } finally {
      if (instance === inst) {
        // the call's files by name (in or outside the scratch dir), then whatever else is left in the scratch dir
        for (const path of written) removeFile(tcc.FS, path);
        for (const name of input.outputs) removeFile(tcc.FS, resolvePath(dir, name));
        removeChildren(tcc.FS, SCRATCH);
        if (failed) instance = null;
      }
    }
  }

  // Calls are serialized: one emscripten instance is single-threaded state.
  function invoke(input: InvokeInput): Promise<InvokeResult> {
    const result = queue.then(() => runOnce(input));
    queue = result.catch(() => undefined);
    return result;
  }

  function commonArgs(input: CompileInput): string[] {
    const args: string[] = [];
    for (const dir of input.includeDirs ?? []) args.push(`-I${dir}`);
    for (const [name, value] of Object.entries(input.defines ?? {})) {
      args.push(value === true ? `-D${name}` : `-D${name}=${value}`);
    }
    args.push(...(input.options ?? []));
    return args;
  }

  function checkEntry(input: CompileInput): void {
    if (!(input.entry in input.files)) {
      throw new BespokeError("NO_ENTRY", `entry '${input.entry}' is not among the input files`);
    }
  }

  return {
    target,
    invoke,
    memoryBytes: () => instance?.tcc.HEAPU8.length ?? 0,
    async compile(input) {
      checkEntry(input);
      const out = "__bespoke_out.o";
      const r = await invoke({ args: [...commonArgs(input), "-c", input.entry, "-o", out], files: input.files, outputs: [out] });
      const ok = r.exitCode === 0 && out in r.outputs;
      return { ok, object: ok ? r.outputs[out]! : new Uint8Array(0), diagnostics: r.diagnostics, ms: r.ms };
    },
    async preprocess(input) {
      checkEntry(input);
      const out = "__bespoke_out.i";
      const r = await invoke({ args: [...commonArgs(input), "-E", input.entry, "-o", out], files: input.files, outputs: [out] });
      const ok = r.exitCode === 0 && out in r.outputs;
      const text = ok ? new TextDecoder().decode(r.outputs[out]) : "";
      return { ok, text, diagnostics: r.diagnostics, ms: r.ms };
    },
  };
}

function checkInputSize(files: SourceFiles): void {
  let total = 0;
  for (const data of Object.values(files)) total += typeof data === "string" ? data.length : data.byteLength;
  if (total > MAX_INPUT_BYTES) {
    throw new BespokeError(
      "INPUT_TOO_LARGE",
      `input files total ${total} bytes, over the ${MAX_INPUT_BYTES}-byte limit of one compile`,
    );
  }
}

function resolvePath(dir: string, name: string): string {
  return name.startsWith("/") ? name : `${dir}/${name}`;
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/**
 * The bytes of a file tcc wrote, without a copy (FS.readFile copies): MEMFS
 * keeps a file in an array of its own, never a view of the wasm heap, and
 * every file of a call is removed after it, so nothing writes to the array
 * again.
 */
function takeFile(fs: EmscriptenFs, path: string): Uint8Array {
  const { node } = fs.lookupPath(path);
  return node.contents ? node.contents.subarray(0, node.usedBytes) : new Uint8Array(0);
}

/** Remove the file `path` when there is one (an output tcc did not write is absent). */
function removeFile(fs: EmscriptenFs, path: string): void {
  try {
    fs.unlink(path);
  } catch {
    // no such file
  }
}

/** Remove everything under the directory `path` (not the directory itself). */
function removeChildren(fs: EmscriptenFs, path: string): void {
  for (const name of fs.readdir(path)) {
    if (name === "." || name === "..") continue;
    const child = `${path}/${name}`;
    if (fs.isDir(fs.stat(child).mode)) {
      removeChildren(fs, child);
      fs.rmdir(child);
    } else fs.unlink(child);
  }
}

const DIAGNOSTIC = /^(.*?):(\d+): (error|warning|note): (.*)$/;
const GLOBAL_DIAGNOSTIC = /^tcc: (error|warning|note): (.*)$/;

/** Parse tcc's stderr into diagnostics, with paths relative to the working directory. */
export function parseDiagnostics(stderr: string, workDir: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const line of stderr.split("\n")) {
    let m = DIAGNOSTIC.exec(line);
    if (m) {
      const file = m[1]!.startsWith(`${workDir}/`) ? m[1]!.slice(workDir.length + 1) : m[1]!;
      diagnostics.push({ file, line: Number(m[2]), column: 0, severity: m[3] as Diagnostic["severity"], message: m[4]! });
      continue;
    }
    m = GLOBAL_DIAGNOSTIC.exec(line);
    if (m) diagnostics.push({ file: "", line: 0, column: 0, severity: m[1] as Diagnostic["severity"], message: m[2]! });
  }
  return diagnostics;
}
