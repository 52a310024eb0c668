// `bespoke bench frontend`: the C front end on the whole lwIP core,
// preprocessed for arm with the test port (37 translation units): parse +
// type speed, the size of the serialized programs, and how much faster
// loading the serialized form is than parsing (function bodies load on first
// use; the cost of loading every body is reported beside). Timings are the
// best of several passes in one warm process (parse and load alike, so the
// garbage collection one leaves behind does not land on the other), on CPU
// time, which other load on the machine does not inflate; medians and wall
// time are beside, and the first (cold) parse too.
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

const PASSES = 9;
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

function best(xs: number[]): number {
  return Math.min(...xs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

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
  const cold = timed(() => (programs = parseAll()));

  let blobs: Uint8Array[] = [];
  const serialize = timed(() => (blobs = programs.map(serializeProgram)));
  const serializedBytes = blobs.reduce((n, b) => n + b.length, 0);
  const gzipBytes = blobs.reduce((n, b) => n + zlib.gzipSync(b).length, 0);
  const load: Timing[] = [];
  for (let i = 0; i < 4 * PASSES; i++) load.push(timed(() => blobs.forEach(deserializeProgram)));
  // function bodies load on first use; this is the cost when every one of them is used
  const loadAll: Timing[] = [];
  for (let i = 0; i < PASSES; i++) {
    loadAll.push(
      timed(() => {
        for (const b of blobs) for (const d of deserializeProgram(b).decls) if (d.kind === NodeKind.FunctionDef) void d.body;
      }),
    );
  }

  const parse: Timing[] = [];
  for (let i = 0; i < PASSES; i++) parse.push(timed(() => parseAll()));

  const parseCpu = best(parse.map((t) => t.cpuMs));
  const parseWall = best(parse.map((t) => t.wallMs));
  const loadCpu = best(load.map((t) => t.cpuMs));
  const loadWall = best(load.map((t) => t.wallMs));
  const loadAllCpu = best(loadAll.map((t) => t.cpuMs));

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
    parse: {
      coldMs: round(cold.wallMs),
      cpuMs: round(parseCpu),
      medianCpuMs: round(median(parse.map((t) => t.cpuMs))),
      wallMs: round(parseWall),
      linesPerSecond: Math.round(lines / (parseCpu / 1000)),
      goalMs: GOALS.parseMs,
      meetsGoal: parseCpu <= GOALS.parseMs,
    },
    serialized: { bytes: serializedBytes, gzipBytes, bytesPerSourceByte: round(serializedBytes / textBytes, 2), serializeMs: round(serialize.wallMs) },
    load: {
      cpuMs: round(loadCpu),
      medianCpuMs: round(median(load.map((t) => t.cpuMs))),
      wallMs: round(loadWall),
      speedup: round(parseCpu / loadCpu, 2),
      wallSpeedup: round(parseWall / loadWall, 2),
      goalSpeedup: GOALS.loadSpeedup,
      meetsGoal: parseCpu / loadCpu >= GOALS.loadSpeedup,
      allBodiesCpuMs: round(loadAllCpu),
      allBodiesSpeedup: round(parseCpu / loadAllCpu, 2),
    },
    badInput: { inputs: FUZZ_INPUTS, rejected, worstMs: round(worstMs), meanMs: round(totalMs / FUZZ_INPUTS, 2), goalWorstMs: 1000 },
  };
};
