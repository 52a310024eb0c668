// Scratch mode's pipeline, in the customization core's worker: the editor's C
// file and scenario -> preprocess (tcc-wasm) -> parse -> specialize -> the
// residual C, its binding-time spans over the editor's source, and the sizes
// of the generic file and of the residual code compiled for the chosen
// target. Every failure becomes a PlaygroundError at its editor line.
import { parseProgram } from "../src/c/parser.ts";
import type { Compiler, Diagnostic } from "../src/compiler/compiler.ts";
import { allocatedSizes, readElf } from "../src/compiler/elf.ts";
import { BespokeError } from "../src/errors.ts";
import { bindingTimeSpans } from "../src/specializer/btaview.ts";
import { specializeProgram } from "../src/specializer/pipeline.ts";
import { parseContext, parseScenario } from "../src/specializer/scenario.ts";
import type { PlaygroundError, ScratchInput, ScratchResult } from "./types.ts";

/** The editor's file name, in diagnostics and line markers. */
export const SOURCE_FILE = "input.c";

const now = (): number => performance.now();

function emptyResult(errors: PlaygroundError[], timings: ScratchResult["timings"]): ScratchResult {
  return { ok: false, errors, residual: "", residualName: "", spans: [], genericBytes: 0, residualBytes: 0, timings };
}

/** A JSON editor's text parsed, or the error at the line JSON.parse stopped at. */
function parseJson(text: string, where: "scenario" | "context"): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const position = /position (\d+)/.exec(message);
    const line = position ? lineOfOffset(text, Number(position[1])) : 1;
    throw new EditorError({ code: "BAD_JSON", message: `${where}: not valid JSON: ${message}`, where, line });
  }
}

function lineOfOffset(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}

/** The line of a validation error's field path (e.g. `scenario.params.n`) in the JSON text: each segment's key found after the previous one. */
export function lineOfPath(text: string, path: string): number {
  let from = 0;
  let line = 1;
  for (const segment of path.split(".").slice(1)) {
    const key = segment.replace(/\[\d+\]$/, "");
    const at = text.indexOf(JSON.stringify(key), from);
    if (at < 0) break;
    from = at + 1;
    line = lineOfOffset(text, at);
  }
  return line;
}

class EditorError extends Error {
  constructor(readonly error: PlaygroundError) {
    super(error.message);
  }
}

/** A scenario/context validation error (BAD_SCENARIO, "scenario.params.n: ...") at its field's line. */
function validationError(e: unknown, where: "scenario" | "context", text: string): never {
  if (e instanceof BespokeError) {
    const path = /^((?:scenario|context)[\w.[\]]*):/.exec(e.message)?.[1];
    throw new EditorError({ code: e.code, message: e.message, where, line: path ? lineOfPath(text, path) : 1 });
  }
  throw e;
}

function fromDiagnostics(diagnostics: Diagnostic[]): PlaygroundError[] {
  return diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => ({ code: "C_ERROR", message: `${d.file}:${d.line}: ${d.message}`, where: "source" as const, line: d.file.endsWith(SOURCE_FILE) ? d.line : 1 }));
}

function shippedBytes(object: Uint8Array): number {
  const sizes = allocatedSizes(readElf(object));
  return sizes.text + sizes.data;
}

/**
 * `headers`: the C library the file may include (the device's libc, under
 * `libc/include`), so `#include <stdio.h>` works as it does on the device.
 */
export async function runScratch(cc: Compiler, input: ScratchInput, headers: Record<string, string>): Promise<ScratchResult> {
  const files = { ...headers, [SOURCE_FILE]: input.source };
  const includeDirs = ["libc/include"];
  const timings = { preprocessMs: 0, parseMs: 0, specializeMs: 0, compileMs: 0 };
  try {
    const scenarioJson = parseJson(input.scenario, "scenario");
    const contextJson = parseJson(input.context, "context");
    let scenario;
    let context;
    try {
      scenario = parseScenario(scenarioJson);
    } catch (e) {
      validationError(e, "scenario", input.scenario);
    }
    try {
      context = parseContext(contextJson);
    } catch (e) {
      validationError(e, "context", input.context);
    }

    let t = now();
    const pp = await cc.preprocess({ files, entry: SOURCE_FILE, includeDirs });
    timings.preprocessMs = now() - t;
    if (!pp.ok) return emptyResult(fromDiagnostics(pp.diagnostics), timings);

    t = now();
    const parsed = parseProgram(pp.text, { target: input.target, file: SOURCE_FILE });
    timings.parseMs = now() - t;
    const parseErrors = parsed.diagnostics.filter((d) => d.severity === "error");
    if (!parsed.program || parseErrors.length) {
      return emptyResult(
        parseErrors.map((d) => ({ code: "C_ERROR", message: `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.message}`, where: "source", line: d.pos.line })),
        timings,
      );
    }

    t = now();
    let specialized;
    try {
      specialized = specializeProgram({ program: parsed.program, target: input.target, scenario, context });
    } catch (e) {
      if (e instanceof BespokeError && e.position) throw new EditorError({ code: e.code, message: e.message, where: "source", line: e.position.line });
      if (e instanceof BespokeError) validationError(e, e.message.startsWith("context") ? "context" : "scenario", e.message.startsWith("context") ? input.context : input.scenario);
      throw e;
    }
    timings.specializeMs = now() - t;
    const spans = bindingTimeSpans(
      specialized.bindingTimes.filter((b) => b.pos.file.endsWith(SOURCE_FILE)).map((b) => ({ ...b, pos: { ...b.pos, file: SOURCE_FILE } })),
      new Map([[SOURCE_FILE, input.source]]),
    );

    t = now();
    const generic = await cc.compile({ files, entry: SOURCE_FILE, includeDirs });
    const residual = await cc.compile({ files: { "residual.c": specialized.code }, entry: "residual.c" });
    timings.compileMs = now() - t;
    const errors = [...fromDiagnostics(generic.diagnostics)];
    if (!residual.ok) {
      const d = residual.diagnostics.find((x) => x.severity === "error");
      errors.push({ code: "RESIDUAL_COMPILE_FAILED", message: `the residual code does not compile (residual.c:${d?.line ?? 0}: ${d?.message ?? "unknown error"}): a specializer bug` });
    }
    return {
      ok: errors.length === 0,
      errors,
      residual: specialized.code,
      residualName: specialized.report.residualName,
      spans,
      genericBytes: generic.ok ? shippedBytes(generic.object) : 0,
      residualBytes: residual.ok ? shippedBytes(residual.object) : 0,
      timings,
    };
  } catch (e) {
    if (e instanceof EditorError) return emptyResult([e.error], timings);
    if (e instanceof BespokeError) return emptyResult([{ code: e.code, message: e.message }], timings);
    throw e;
  }
}
