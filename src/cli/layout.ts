// `bespoke layout FILES --target T [-I dir] [-D name[=value]] [--json]`: every
// struct/union of the C files with the target's size, alignment and member
// offsets (bit offset/width for bit-fields), as the device compiler lays them out.
import fs from "node:fs";
import path from "node:path";
import type { SourceFiles } from "../compiler/compiler.ts";
import { createCompiler } from "../compiler/node.ts";
import { TARGETS, type Target, isTarget } from "../compiler/targets.ts";
import { mirrorTree } from "../c/corpus.ts";
import { type StructLayout, formatLayouts, mergeLayouts, programLayouts } from "../c/layout.ts";
import { parseProgram } from "../c/parser.ts";
import { BespokeError } from "../errors.ts";
import type { CommandContext } from "./main.ts";

interface LayoutArgs {
  files: string[];
  target: Target;
  includeDirs: string[];
  defines: Record<string, string | true>;
  json: boolean;
}

function parseArgs(args: string[]): LayoutArgs {
  const files: string[] = [];
  const includeDirs: string[] = [];
  const defines: Record<string, string | true> = {};
  let target: string | undefined;
  let json = false;
  const value = (i: number, opt: string): string => {
    const v = args[i];
    if (v === undefined) throw new BespokeError("USAGE", `layout: ${opt} needs an argument`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--target") target = value(++i, a);
    else if (a.startsWith("--target=")) target = a.slice(9);
    else if (a === "--json") json = true;
    else if (a === "-I") includeDirs.push(path.resolve(value(++i, a)));
    else if (a.startsWith("-I")) includeDirs.push(path.resolve(a.slice(2)));
    else if (a === "-D" || a.startsWith("-D")) {
      const d = a === "-D" ? value(++i, a) : a.slice(2);
      const eq = d.indexOf("=");
      if (eq < 0) defines[d] = true;
      else defines[d.slice(0, eq)] = d.slice(eq + 1);
    } else if (a.startsWith("-")) throw new BespokeError("USAGE", `layout: unknown option '${a}'`);
    else files.push(path.resolve(a));
  }
  if (!target) throw new BespokeError("USAGE", `layout: --target is required (one of: ${TARGETS.join(", ")})`);
  if (!isTarget(target)) throw new BespokeError("USAGE", `layout: unknown target '${target}' (one of: ${TARGETS.join(", ")})`);
  if (files.length === 0) throw new BespokeError("USAGE", "usage: bespoke layout FILES --target T [-I dir] [-D name[=value]] [--json]");
  return { files, target, includeDirs, defines, json };
}

export async function layout(args: string[], ctx: CommandContext): Promise<number> {
  const opts = parseArgs(args);
  const headers: SourceFiles = {};
  for (const dir of [...opts.includeDirs, ...opts.files.map((f) => path.dirname(f))]) {
    if (fs.existsSync(dir)) mirrorTree(dir, /\.h$/, headers);
  }
  const cc = await createCompiler({ target: opts.target });
  const lists: StructLayout[][] = [];
  let failed = false;
  for (const file of opts.files) {
    if (!fs.existsSync(file)) throw new BespokeError("NO_INPUT", `${file}: no such file`);
    const pp = await cc.preprocess({ files: { ...headers, [file]: fs.readFileSync(file, "utf8") }, entry: file, includeDirs: opts.includeDirs, defines: opts.defines });
    if (!pp.ok) {
      for (const d of pp.diagnostics) ctx.stderr(`${d.file}:${d.line}: ${d.severity}: ${d.message}\n`);
      failed = true;
      continue;
    }
    const r = parseProgram(pp.text, { target: opts.target, file });
    for (const d of r.diagnostics) {
      if (d.severity === "error") ctx.stderr(`${d.pos.file}:${d.pos.line}:${d.pos.column}: error: ${d.message}\n`);
    }
    if (!r.program) {
      failed = true;
      continue;
    }
    lists.push(programLayouts(r.program));
  }
  if (failed) return 1;
  const report = mergeLayouts(lists);
  ctx.stdout(opts.json ? JSON.stringify(report, null, 2) + "\n" : formatLayouts(report));
  return 0;
}
