// `bespoke specialize FILES --target T --scenario S.json [--context C.json]
//   -o residual.c [--bta out.html] [--report r.json] [-D NAME[=V]]`:
// preprocess (system headers of the target), parse, specialize, print.
import fs from "node:fs";
import path from "node:path";
import { SystemPreprocessor } from "../c/corpus.ts";
import { parseProgram } from "../c/parser.ts";
import { TARGETS, type Target, isTarget } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import { bindingTimePage, bindingTimeSpans } from "../specializer/btaview.ts";
import { specializeProgram } from "../specializer/pipeline.ts";
import { emptyContext, parseContext, parseJsonText, parseScenario } from "../specializer/scenario.ts";
import type { CommandContext } from "./main.ts";

interface Options {
  files: string[];
  target?: Target;
  scenario?: string;
  context?: string;
  output?: string;
  bta?: string;
  report?: string;
  defines: Record<string, string | true>;
}

function parseArgs(args: string[]): Options {
  const o: Options = { files: [], defines: {} };
  const value = (i: number, name: string): string => {
    const v = args[i];
    if (v === undefined) throw new BespokeError("USAGE", `specialize: ${name} needs an argument`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--target") {
      const t = value(++i, a);
      if (!isTarget(t)) throw new BespokeError("USAGE", `specialize: unknown target '${t}' (one of: ${TARGETS.join(", ")})`);
      o.target = t;
    } else if (a === "--scenario") o.scenario = value(++i, a);
    else if (a === "--context") o.context = value(++i, a);
    else if (a === "-o") o.output = value(++i, a);
    else if (a === "--bta") o.bta = value(++i, a);
    else if (a === "--report") o.report = value(++i, a);
    else if (a === "-D" || a.startsWith("-D")) {
      const def = a === "-D" ? value(++i, a) : a.slice(2);
      const eq = def.indexOf("=");
      if (eq < 0) o.defines[def] = true;
      else o.defines[def.slice(0, eq)] = def.slice(eq + 1);
    } else if (a.startsWith("-")) throw new BespokeError("USAGE", `specialize: unknown option '${a}'`);
    else o.files.push(a);
  }
  return o;
}

export async function specialize(args: string[], ctx: CommandContext): Promise<number> {
  const o = parseArgs(args);
  if (o.files.length === 0) throw new BespokeError("USAGE", "specialize: no input files (usage: bespoke specialize FILES --target T --scenario S.json [--context C.json] -o residual.c [--bta out.html] [--report r.json])");
  if (!o.target) throw new BespokeError("USAGE", `specialize: --target is required (one of: ${TARGETS.join(", ")})`);
  if (!o.scenario) throw new BespokeError("USAGE", "specialize: --scenario S.json is required");
  if (!o.output) throw new BespokeError("USAGE", "specialize: -o residual.c is required");
  const read = (file: string): string => {
    if (!fs.existsSync(file)) throw new BespokeError("NO_INPUT", `${file}: no such file`);
    return fs.readFileSync(file, "utf8");
  };
  const scenario = parseScenario(parseJsonText(read(o.scenario), o.scenario));
  const context = o.context ? parseContext(parseJsonText(read(o.context), o.context)) : emptyContext();

  const pp = await SystemPreprocessor.create(o.target);
  const texts: string[] = [];
  const sources = new Map<string, string>();
  for (const file of o.files) {
    const abs = path.resolve(file);
    sources.set(abs, read(abs));
    texts.push((await pp.preprocess(abs, o.defines)).text);
  }
  // several files are specialized as one program (their file-scope names must not clash)
  const parsed = parseProgram(texts.join("\n"), { target: o.target, file: path.resolve(o.files[0]!) });
  for (const d of parsed.diagnostics) ctx.stderr(`${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.severity}: ${d.message}\n`);
  if (!parsed.program) return 1;

  const result = specializeProgram({ program: parsed.program, target: o.target, scenario, context });
  fs.writeFileSync(o.output, result.code);
  if (o.report) fs.writeFileSync(o.report, JSON.stringify(result.report, null, 2) + "\n");
  if (o.bta) {
    const spans = bindingTimeSpans(result.bindingTimes, sources);
    fs.writeFileSync(o.bta, bindingTimePage(`Binding times: ${scenario.entry}`, spans, sources));
  }
  const r = result.report;
  ctx.stderr(`specialize: ${r.entry} -> ${r.residualName} in ${o.output} (${r.residualBytes} bytes; analysis ${r.analysisMs.toFixed(1)} ms, specialization ${r.specializationMs.toFixed(1)} ms)\n`);
  return 0;
}
