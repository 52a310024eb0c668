// `bespoke cc --target T [tcc options] FILES`: tcc-wasm with real files in and
// out. Inputs, the headers under -I directories and under the inputs' own
// directories, and the archives/objects directly in -L directories are
// mirrored into the compiler's in-memory filesystem at their absolute paths,
// so diagnostics name the real files.
import fs from "node:fs";
import path from "node:path";
import { MAX_INPUT_BYTES, type SourceFiles } from "../compiler/compiler.ts";
import { createCompiler } from "../compiler/node.ts";
import { TARGETS, isTarget } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import type { CommandContext } from "./main.ts";

/** tcc options that take a separate argument. */
const WITH_ARG = new Set(["-o", "-I", "-D", "-U", "-L", "-l", "-include", "-isystem", "-B", "-x"]);
const SOURCE_EXT = /\.(c|h|i|s|S|o|a)$/;

export async function cc(args: string[], ctx: CommandContext): Promise<number> {
  const { target, tccArgs } = takeTarget(args);
  const plan = planRun(tccArgs, process.cwd());
  const files: SourceFiles = {};
  let total = 0;
  const add = (file: string) => {
    if (file in files) return;
    const data = fs.readFileSync(file);
    total += data.byteLength;
    if (total > MAX_INPUT_BYTES) throw new BespokeError("INPUT_TOO_LARGE", `the inputs and the headers and libraries mirrored from their directories exceed ${MAX_INPUT_BYTES} bytes (at ${file})`);
    files[file] = new Uint8Array(data);
  };
  for (const input of plan.inputs) {
    if (!fs.existsSync(input)) throw new BespokeError("NO_INPUT", `${input}: no such file`);
    add(input);
  }
  for (const dir of plan.includeDirs) mirrorHeaders(dir, add);
  for (const dir of plan.libDirs) mirrorLibraries(dir, add);

  const compiler = await createCompiler({ target });
  const r = await compiler.invoke({ args: tccArgs, files, outputs: plan.outputs, cwd: process.cwd() });
  if (r.stderr) ctx.stderr(r.stderr + "\n");
  if (r.stdout) ctx.stdout(r.stdout + "\n");
  for (const [name, data] of Object.entries(r.outputs)) {
    const dest = path.resolve(name);
    fs.writeFileSync(dest, data);
    if (plan.executable) fs.chmodSync(dest, 0o755);
  }
  return r.exitCode;
}

function takeTarget(args: string[]): { target: (typeof TARGETS)[number]; tccArgs: string[] } {
  const tccArgs: string[] = [];
  let target: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--target") target = args[++i];
    else if (a.startsWith("--target=")) target = a.slice("--target=".length);
    else tccArgs.push(a);
  }
  if (!target) throw new BespokeError("USAGE", `--target is required (one of: ${TARGETS.join(", ")})`);
  if (!isTarget(target)) throw new BespokeError("USAGE", `unknown target '${target}' (one of: ${TARGETS.join(", ")})`);
  return { target, tccArgs };
}

interface RunPlan {
  inputs: string[];
  /** Where headers may come from: -I/-isystem and the inputs' directories. */
  includeDirs: string[];
  /** -L directories. */
  libDirs: string[];
  outputs: string[];
  executable: boolean;
}

/** Work out, from tcc's own option syntax, which files it reads and writes. */
export function planRun(args: string[], cwd: string): RunPlan {
  const inputs: string[] = [];
  const includeDirs: string[] = [];
  const libDirs: string[] = [];
  let output: string | undefined;
  let compileOnly = false;
  let preprocessOnly = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (WITH_ARG.has(a)) {
      const v = args[++i];
      if (v === undefined) throw new BespokeError("USAGE", `option ${a} needs an argument`);
      if (a === "-o") output = v;
      else if (a === "-I" || a === "-isystem") includeDirs.push(path.resolve(cwd, v));
      else if (a === "-L") libDirs.push(path.resolve(cwd, v));
      else if (a === "-include") inputs.push(path.resolve(cwd, v));
      continue;
    }
    if (a.startsWith("-I")) includeDirs.push(path.resolve(cwd, a.slice(2)));
    else if (a.startsWith("-L")) libDirs.push(path.resolve(cwd, a.slice(2)));
    else if (a === "-c") compileOnly = true;
    else if (a === "-E") preprocessOnly = true;
    else if (!a.startsWith("-")) inputs.push(path.resolve(cwd, a));
  }
  for (const input of inputs) if (SOURCE_EXT.test(input)) includeDirs.push(path.dirname(input));
  let outputs: string[];
  if (output !== undefined) outputs = [path.resolve(cwd, output)];
  else if (preprocessOnly) outputs = [];
  else if (compileOnly) outputs = inputs.filter((f) => /\.[csS]$/.test(f)).map((f) => path.resolve(cwd, path.basename(f).replace(/\.[csS]$/, ".o")));
  else outputs = [path.resolve(cwd, "a.out")];
  return { inputs, includeDirs: [...new Set(includeDirs)], libDirs: [...new Set(libDirs)], outputs, executable: !compileOnly && !preprocessOnly };
}

/** Mirror the headers under `dir` (subdirectories too: `#include "sys/x.h"`). */
function mirrorHeaders(dir: string, add: (file: string) => void, depth = 0): void {
  if (depth > 8 || !fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules") mirrorHeaders(full, add, depth + 1);
    else if (entry.isFile() && entry.name.endsWith(".h")) add(full);
  }
}

/** Mirror the archives and objects in `dir` (a linker searches -L directories, not their subdirectories). */
function mirrorLibraries(dir: string, add: (file: string) => void): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile() && /\.(a|o)$/.test(entry.name)) add(path.join(dir, entry.name));
  }
}
