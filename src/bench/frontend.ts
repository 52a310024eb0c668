// `bespoke bench frontend`: the C front end on the whole lwIP core,
// preprocessed for arm with the test port (37 translation units): parse +
// type speed, the size of the serialized programs, and how much faster
// loading the serialized form is than parsing.
//
// Load is measured two ways: whole programs (every function body decoded:
// what the specializer uses, the figure the goal is checked on) and lazy
// (function bodies left for first use). Times are CPU time of this process
// (process.cpuUsage: other load on the machine does not inflate it, garbage
// collection and JIT threads are counted). Cold is the first run of each in
// the process. Warm: ROUNDS rounds of parse, whole load, lazy load
// interleaved, so a burst of machine load falls on all of them; reported as
// the best round (least disturbed) and the median, and the speedup as
// best/best beside the median of the per-round ratios.
import path from "node:path";
import zlib from "node:zlib";
import type { Benchmark } from "../cli/bench.ts";
import { NodeKind, type Program } from "../c/ast.ts";
import { preprocessLwipCore } from "../c/corpus.ts";
import { TokKind, tokenize } from "../c/lexer.ts";
import { mulberry32, mutateTokens } from "../c/mutate.ts";
import { parseProgram } from "../c/parser.ts";
import { deserializeProgram, serializeProgram } from "../c/serialize.ts";
import { BespokeError } from "../errors.ts";
import { repoRoot } from "../node/paths.ts";

export const GOALS = { parseMs: 500, loadSpeedup: 5 };

const ROUNDS = 31;
const FUZZ_INPUTS = 2000;

interface Timing {
  cpuMs: number;
  wallMs: number;
}

function timed(fn: () => void): Timing {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  fn();
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/** Best and median CPU time over the rounds. */
function summary(ts: Timing[]): { bestCpuMs: number; medianCpuMs: number; bestWallMs: number } {
  const cpu = ts.map((t) => t.cpuMs);
  return { bestCpuMs: round(Math.min(...cpu)), medianCpuMs: round(median(cpu)), bestWallMs: round(Math.min(...ts.map((t) => t.wallMs))) };
}

export const frontendBench: Benchmark = async (ctx) => {
  const target = "arm";
  ctx.stderr("bench frontend: preprocessing the lwIP core for arm...\n");
  const units = await preprocessLwipCore(target, path.join(repoRoot(), "test", "c", "fixtures", "lwip-port"));
  const lines = units.reduce((n, u) => n + u.text.split("\n").length, 0);
  const textBytes = units.reduce((n, u) => n + Buffer.byteLength(u.text), 0);

  const parseAll = (): Program[] =>
    units.map((u) => {
      const r = parseProgram(u.text, { target });
      if (!r.program) throw new BespokeError("BENCH_FAILED", `${u.file} does not parse: ${r.diagnostics.map((d) => d.message).join("; ")}`);
      return r.program;
    });
  let programs: Program[] = [];
  const coldParse = timed(() => (programs = parseAll()));

  let blobs: Uint8Array[] = [];
  const serialize = timed(() => (blobs = programs.map(serializeProgram)));
  const serializedBytes = blobs.reduce((n, b) => n + b.length, 0);
  const gzipBytes = blobs.reduce((n, b) => n + zlib.gzipSync(b).length, 0);
  const loadWhole = (): void => {
    for (const b of blobs) for (const d of deserializeProgram(b).decls) if (d.kind === NodeKind.FunctionDef) void d.body;
  };
  const loadLazy = (): void => void blobs.forEach(deserializeProgram);
  const coldLoad = timed(loadWhole);

  ctx.stderr(`bench frontend: ${ROUNDS} rounds of parse, whole load, lazy load...\n`);
  const parse: Timing[] = [];
  const whole: Timing[] = [];
  const lazy: Timing[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    parse.push(timed(parseAll));
    whole.push(timed(loadWhole));
    lazy.push(timed(loadLazy));
  }
  const p = summary(parse);
  const w = summary(whole);
  const l = summary(lazy);
  const speedup = p.bestCpuMs / w.bestCpuMs;
  const medianSpeedup = median(parse.map((t, i) => t.cpuMs / whole[i]!.cpuMs));

  // bad input: the parse time of mutated lwIP units (each must parse or be rejected with a diagnostic)
  const tokenLists = units.map((u) => tokenize(u.text).tokens.filter((t) => t.kind !== TokKind.Eof));
  const random = mulberry32(1);
  let worstMs = 0;
  let totalMs = 0;
  let rejected = 0;
  for (let i = 0; i < FUZZ_INPUTS; i++) {
    const { text } = mutateTokens(tokenLists[i % tokenLists.length]!, random);
    const t0 = performance.now();
    const r = parseProgram(text, { target });
    const ms = performance.now() - t0;
    if (!r.program) rejected++;
    totalMs += ms;
    if (ms > worstMs) worstMs = ms;
  }

  return {
    corpus: { what: "lwIP 2.1.3 core, preprocessed by tcc-wasm for arm (test/c/fixtures/lwip-port)", units: units.length, lines, bytes: textBytes },
    timing: `CPU time of the process; cold = first run in the process; warm = ${ROUNDS} interleaved rounds, best and median`,
    parse: {
      coldCpuMs: round(coldParse.cpuMs),
      coldWallMs: round(coldParse.wallMs),
      ...p,
      linesPerSecond: Math.round(lines / (p.bestCpuMs / 1000)),
      goalMs: GOALS.parseMs,
      meetsGoal: coldParse.cpuMs <= GOALS.parseMs && p.medianCpuMs <= GOALS.parseMs,
    },
    serialized: { bytes: serializedBytes, gzipBytes, bytesPerSourceByte: round(serializedBytes / textBytes, 2), serializeMs: round(serialize.wallMs) },
    load: {
      whole: { coldCpuMs: round(coldLoad.cpuMs), ...w },
      lazy: { ...l, speedup: round(p.bestCpuMs / l.bestCpuMs, 2) },
      coldSpeedup: round(coldParse.cpuMs / coldLoad.cpuMs, 2),
      speedup: round(speedup, 2),
      medianSpeedup: round(medianSpeedup, 2),
      goalSpeedup: GOALS.loadSpeedup,
      meetsGoal: speedup >= GOALS.loadSpeedup && medianSpeedup >= GOALS.loadSpeedup,
    },
    badInput: { inputs: FUZZ_INPUTS, rejected, worstMs: round(worstMs), meanMs: round(totalMs / FUZZ_INPUTS, 2), goalWorstMs: 1000 },
  };
};
