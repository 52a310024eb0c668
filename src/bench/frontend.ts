// `bespoke bench frontend`: the C front end on the whole lwIP core,
// preprocessed for arm with the test port (37 translation units): parse +
// type speed, the size of the serialized programs, and how much faster
// loading the serialized form is than parsing.
//
// Load decodes whole programs (nothing is left for later: the loaded program
// is the one the specializer uses). Times are CPU time of the process
// (process.cpuUsage: other load on the machine does not inflate it, garbage
// collection and JIT threads are counted).
//
// The goal's speedup is the cold one, because that is the use: the edge
// worker loads the pre-parsed firmware once per isolate, where the
// alternative is parsing it once per isolate. Cold: the first parse or load in
// a fresh Node process (the same CLI, the input already in memory), COLD_RUNS
// of each, alternating so a burst of machine load falls on both; the speedup
// is the ratio of the medians, with the paired ratios (parse run i / load run
// i) beside it. Warm, reported but not the goal: ROUNDS rounds of parse and
// load interleaved in one process (best round, median, best/best and the
// median of the per-round ratios). Those rounds repeat the load of the same
// program into one heap, which no isolate does, and each round also pays for
// collecting the 8 MB graphs that earlier rounds dropped (the allocation is
// pretenured after the first rounds: a mark-compact every few rounds,
// incremental marking steps between them), so single load rounds of the same
// code take 4 or 16-50 ms, also in a process that only loads.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { Benchmark } from "../cli/bench.ts";
import type { Program } from "../c/ast.ts";
import { preprocessLwipCore } from "../c/corpus.ts";
import { TokKind, tokenize } from "../c/lexer.ts";
import { mulberry32, mutateTokens } from "../c/mutate.ts";
import { parseProgram } from "../c/parser.ts";
import { deserializeProgram, serializeProgram } from "../c/serialize.ts";
import { BespokeError } from "../errors.ts";
import { buildDir, repoRoot } from "../node/paths.ts";

export const GOALS = { parseMs: 500, loadSpeedup: 5 };

const ROUNDS = 31;
const COLD_RUNS = 9;
/** Set in the child processes of the cold runs: "parse:DIR" or "load:DIR" (DIR holds N.i and N.bin per unit). */
const COLD_ENV = "BESPOKE_BENCH_FRONTEND_COLD";
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

const TARGET = "arm";

function parseUnit(text: string, file: string): Program {
  const r = parseProgram(text, { target: TARGET });
  if (!r.program) throw new BespokeError("BENCH_FAILED", `${file} does not parse: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.program;
}

function loadAll(blobs: Uint8Array[]): Program[] {
  return blobs.map(deserializeProgram);
}

/** In a cold-run child: the first parse or load of the corpus in this process. */
function coldRun(spec: string): Timing {
  const [what, dir] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
  const names = fs.readdirSync(dir).filter((f) => f.endsWith(".i")).map((f) => path.join(dir, f.slice(0, -2)));
  if (what === "parse") {
    const texts = names.map((n) => fs.readFileSync(`${n}.i`, "utf8"));
    return timed(() => texts.forEach((t, i) => parseUnit(t, names[i]!)));
  }
  const blobs = names.map((n) => new Uint8Array(fs.readFileSync(`${n}.bin`)));
  return timed(() => loadAll(blobs));
}

/** COLD_RUNS fresh processes (this CLI, the same benchmark) for each of parse and load, alternating. */
function coldRuns(texts: string[], blobs: Uint8Array[]): { parse: Timing[]; load: Timing[] } {
  const dir = path.join(buildDir(), "c-frontend", "bench-cold");
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  texts.forEach((t, i) => fs.writeFileSync(path.join(dir, `${i}.i`), t));
  blobs.forEach((b, i) => fs.writeFileSync(path.join(dir, `${i}.bin`), b));
  const run = (what: "parse" | "load"): Timing => {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, "bench", "frontend"], { env: { ...process.env, [COLD_ENV]: `${what}:${dir}` }, encoding: "utf8" });
    if (r.status !== 0) throw new BespokeError("BENCH_FAILED", `cold ${what} run failed: ${r.stderr || r.error?.message}`);
    return JSON.parse(r.stdout) as Timing;
  };
  const out = { parse: [] as Timing[], load: [] as Timing[] };
  for (let i = 0; i < COLD_RUNS; i++) {
    out.parse.push(run("parse"));
    out.load.push(run("load"));
  }
  return out;
}

export const frontendBench: Benchmark = async (ctx) => {
  const coldSpec = process.env[COLD_ENV];
  if (coldSpec) return { ...coldRun(coldSpec) };
  const target = TARGET;
  ctx.stderr("bench frontend: preprocessing the lwIP core for arm...\n");
  const units = await preprocessLwipCore(target, path.join(repoRoot(), "test", "c", "fixtures", "lwip-port"));
  const lines = units.reduce((n, u) => n + u.text.split("\n").length, 0);
  const textBytes = units.reduce((n, u) => n + Buffer.byteLength(u.text), 0);

  const parseAll = (): Program[] => units.map((u) => parseUnit(u.text, u.file));
  const programs = parseAll();
  let blobs: Uint8Array[] = [];
  const serialize = timed(() => (blobs = programs.map(serializeProgram)));
  const serializedBytes = blobs.reduce((n, b) => n + b.length, 0);
  const gzipBytes = blobs.reduce((n, b) => n + zlib.gzipSync(b).length, 0);

  ctx.stderr(`bench frontend: ${COLD_RUNS} fresh processes each for a cold parse and a cold load...\n`);
  const cold = coldRuns(units.map((u) => u.text), blobs);
  const coldParse = summary(cold.parse);
  const coldLoad = summary(cold.load);

  ctx.stderr(`bench frontend: ${ROUNDS} rounds of parse and load...\n`);
  const parse: Timing[] = [];
  const load: Timing[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    parse.push(timed(parseAll));
    load.push(timed(() => loadAll(blobs)));
  }
  const p = summary(parse);
  const l = summary(load);
  const speedup = p.bestCpuMs / l.bestCpuMs;
  const medianSpeedup = median(parse.map((t, i) => t.cpuMs / load[i]!.cpuMs));
  const coldSpeedup = coldParse.medianCpuMs / coldLoad.medianCpuMs;
  const pairedCold = cold.parse.map((t, i) => t.cpuMs / cold.load[i]!.cpuMs);

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
    timing: `CPU time of the process, best and median; cold = first run in a fresh process (${COLD_RUNS} processes each, alternating), the goal's speedup; warm = ${ROUNDS} interleaved rounds in one process`,
    parse: {
      cold: coldParse,
      ...p,
      linesPerSecond: Math.round(lines / (p.bestCpuMs / 1000)),
      goalMs: GOALS.parseMs,
      meetsGoalCold: coldParse.medianCpuMs <= GOALS.parseMs,
      meetsGoalWarm: p.medianCpuMs <= GOALS.parseMs,
      meetsGoal: coldParse.medianCpuMs <= GOALS.parseMs && p.medianCpuMs <= GOALS.parseMs,
    },
    serialized: { bytes: serializedBytes, gzipBytes, bytesPerSourceByte: round(serializedBytes / textBytes, 2), serializeMs: round(serialize.wallMs) },
    load: {
      cold: coldLoad,
      ...l,
      coldSpeedup: round(coldSpeedup, 2),
      coldPairedSpeedup: { min: round(Math.min(...pairedCold), 2), median: round(median(pairedCold), 2) },
      speedup: round(speedup, 2),
      medianSpeedup: round(medianSpeedup, 2),
      goalSpeedup: GOALS.loadSpeedup,
      meetsGoalWarm: speedup >= GOALS.loadSpeedup && medianSpeedup >= GOALS.loadSpeedup,
      meetsGoalCold: coldSpeedup >= GOALS.loadSpeedup,
      meetsGoal: coldSpeedup >= GOALS.loadSpeedup,
    },
    badInput: { inputs: FUZZ_INPUTS, rejected, worstMs: round(worstMs), meanMs: round(totalMs / FUZZ_INPUTS, 2), goalWorstMs: 1000 },
  };
};
