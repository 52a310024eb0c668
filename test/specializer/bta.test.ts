// The offline binding-time analysis (src/specializer/bta.ts): made once per
// (program, scenario) from the scenario alone, it must be sound for every
// context — a statement it marks static is static in the specialization of
// any context — and polyvariant; the specializer and the binding-time view
// take it from a memo (and, for the firmware, from the build-time
// preparation) instead of analysing per request.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseProgram } from "../../src/c/parser.ts";
import { deserializeProgram, serializeProgram } from "../../src/c/serialize.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { deviceKey } from "../../src/device/firmware-build.ts";
import { inProcessServer, runDevice } from "../../src/device/host.ts";
import { prepareBoardFirmware } from "../../src/device/prepare.ts";
import { MirrorDeviceMemory } from "../../src/runtime/mirror.ts";
import { MemoryCache } from "../../src/server/cache.ts";
import { servePrepared } from "../../src/server/catalog.ts";
import { signImages } from "../../src/server/finalize.ts";
import { type FirmwareProgram, prepareFirmware, specializationInputs } from "../../src/server/firmware.ts";
import { DEFAULT_LIMITS } from "../../src/server/limits.ts";
import type { PipelineJob } from "../../src/server/types.ts";
import { type BindingTimeAnalysis, type BtaPosition, analyzeBindingTimes } from "../../src/specializer/bta.ts";
import { type SpecializeResult, bindingTimeAnalysis, prepareProgram, provideBindingTimes, specializeProgram } from "../../src/specializer/pipeline.ts";
import { type Context, type Scenario, parseContext, parseScenario } from "../../src/specializer/scenario.ts";
import { CASES_DIR } from "./harness.ts";

const key = (p: { file: string; line: number; column: number }): string => `${p.file}:${p.line}:${p.column}`;

/** Positions the analysis marks static where the specialization left residual code (must be none). */
function unsound(positions: BtaPosition[], observed: SpecializeResult["observed"]): string[] {
  const dynamic = new Set(observed.filter((o) => o.bt === "D").map((o) => key(o.pos)));
  return positions.filter((p) => p.bt === "S" && dynamic.has(key(p))).map(key);
}

/** Positions the specialization reached that the analysis never did (must be none: the view covers what runs). */
function uncovered(positions: BtaPosition[], observed: SpecializeResult["observed"]): string[] {
  const seen = new Set(positions.map(key));
  return observed.filter((o) => !seen.has(key(o.pos))).map((o) => key(o.pos));
}

function parse(source: string, file = "t.c") {
  const r = parseProgram(source, { target: "x86_64", file });
  if (!r.program) throw new Error(JSON.stringify(r.diagnostics));
  return r.program;
}

function classicCase(name: string) {
  const dir = path.join(CASES_DIR, name);
  return {
    program: parse(fs.readFileSync(path.join(dir, `${name}.c`), "utf8"), `${name}.c`),
    scenario: parseScenario(JSON.parse(fs.readFileSync(path.join(dir, "scenario.json"), "utf8"))),
    context: parseContext(JSON.parse(fs.readFileSync(path.join(dir, "context.json"), "utf8"))),
  };
}

const CLASSIC = ["power", "format", "interp", "glob", "checksum"];

describe("binding-time analysis", () => {
  it("is sound on the classic cases: what it marks static was static in the specialization, and it covers all the specialization ran", () => {
    for (const name of CLASSIC) {
      const { program, scenario, context } = classicCase(name);
      const r = specializeProgram({ program, target: "x86_64", scenario, context });
      const bta = bindingTimeAnalysis(program, "x86_64", scenario);
      expect(unsound(bta.positions, r.observed), name).toEqual([]);
      expect(uncovered(bta.positions, r.observed), name).toEqual([]);
      expect(bta.positions.filter((p) => p.bt === "S").length, name).toBeGreaterThan(0);
      // the view is the analysis, the same for every context
      expect(r.bindingTimes.map((b) => `${key(b.pos)}=${b.bt}`)).toEqual(bta.positions.map((p) => `${key(p)}=${p.bt}`));
    }
  });

  it("is sound where the specializer's choices depend on the program: a loop callee with no static argument stays residual, functions reached through initialized tables", () => {
    const programs = {
      // no static argument and a loop: the specializer calls kb residually even though a static global exists
      loop: `extern int printf(const char *, ...);
static int global;
static void kb(void) { unsigned long t = 2; do { printf("t=%ld\\n", t); t--; } while (t); }
static void bump(int i) { global += i; }
int main(void) { kb(); bump(2); return global; }`,
      // a dynamic global initialized with a function: residual code calls it through the pointer
      table: `extern int printf(const char *, ...);
int fred(int p) { printf("yo %d\\n", p); return 42; }
int (*f)(int) = &fred;
int main(void) { return (*f)(24); }`,
    };
    for (const [name, source] of Object.entries(programs)) {
      const program = parse(source, `${name}.c`);
      for (const scenario of [parseScenario({ version: 1, entry: "main", globals: { "*": "S" }, owned: ["*"] }), parseScenario({ version: 1, entry: "main" })]) {
        const r = specializeProgram({ program, target: "x86_64", scenario });
        const bta = bindingTimeAnalysis(program, "x86_64", scenario);
        expect(unsound(bta.positions, r.observed), name).toEqual([]);
        expect(uncovered(bta.positions, r.observed), name).toEqual([]);
      }
    }
  });

  it("the check fails on a wrong annotation: an analysis of 'n static' against a specialization with n dynamic", () => {
    const { program, scenario, context } = classicCase("power");
    const wrong = analyzeBindingTimes(prepareProgram(program, "x86_64"), scenario);
    const dynamicN = parseScenario({ ...scenario, params: { x: "D", n: "D" } });
    const r = specializeProgram({ program, target: "x86_64", scenario: dynamicN, context: { ...context, params: {} } });
    // the loop test and the shift of n were analysed static: the specialization left them residual
    expect(unsound(wrong.positions, r.observed).length).toBeGreaterThanOrEqual(2);
    expect(unsound(bindingTimeAnalysis(program, "x86_64", dynamicN).positions, r.observed)).toEqual([]);
  });

  it("is polyvariant: a function called with two binding-time patterns gets two variants, each specialized for its pattern", () => {
    const program = parse(`
int scale(int a, int b) { int r = 0; for (int i = 0; i < b; i++) r += a; return r; }
int f(int s, int d) { return scale(d, s) + scale(s, d); }
`);
    const scenario = parseScenario({ version: 1, entry: "f", params: { s: "S", d: "D" } });
    const bta = bindingTimeAnalysis(program, "x86_64", scenario);
    // the parameters' part of each signature (a "+" follows when entered after a dynamic branch)
    const params = (id: number): string => bta.variants[id]!.signature.split(/[+#]/)[0]!;
    const scales = bta.variants.filter((v) => v.fn === "scale");
    expect(scales.map((v) => params(v.id)).sort()).toEqual(["DS", "SD"]);
    const entry = bta.variants[bta.entry]!;
    expect(Object.values(entry.calls).map((ids) => ids.map(params))).toEqual([["DS"], ["SD"]]);
    // in scale(d, s) the loop's test is static, in scale(s, d) dynamic
    const loopTest = (id: number): string => bta.variants[id]!.blocks.map((b) => b.slice(-1)).join("");
    expect(new Set(scales.map((v) => loopTest(v.id))).size).toBe(2);
    // scale(d, s) with s = 3 unrolls: three additions of d, no loop
    const code = specializeProgram({ program, target: "x86_64", scenario, context: parseContext({ params: { s: 3 } }) }).code;
    expect(code).not.toContain("scale(");
  });

  it("runs once per (program, scenario): every context's run shares it, and runs take the one given at build time", () => {
    const { program, scenario } = classicCase("power");
    const first = bindingTimeAnalysis(program, "x86_64", scenario);
    const codes = [3, 5, 13].map((n) => specializeProgram({ program, target: "x86_64", scenario, context: parseContext({ params: { n } }) }).code);
    expect(new Set(codes).size).toBe(3);
    expect(bindingTimeAnalysis(program, "x86_64", parseScenario(JSON.parse(JSON.stringify(scenario))))).toBe(first);
    expect(bindingTimeAnalysis(program, "x86_64", parseScenario({ ...scenario, params: { x: "S", n: "S" } }))).not.toBe(first);
    expect(bindingTimeAnalysis(program, "arm", scenario)).not.toBe(first);
    // an analysis given from outside (the firmware's, made at build time) is the one runs use, as plain data
    const other = parse(fs.readFileSync(path.join(CASES_DIR, "power", "power.c"), "utf8"), "power.c");
    const given: BindingTimeAnalysis = JSON.parse(JSON.stringify(first));
    provideBindingTimes(other, "x86_64", [given]);
    expect(bindingTimeAnalysis(other, "x86_64", scenario)).toBe(given);
    // one for another IR is refused (and made again)
    const third = parse("int power(int x, int n) { return x + n; }", "power.c");
    provideBindingTimes(third, "x86_64", [given]);
    expect(bindingTimeAnalysis(third, "x86_64", scenario)).not.toBe(given);
  });

  it("static globals through a file-scope compound literal (static int *p = (int[]){1,2,3}) fold, and writes through it stay correct", async () => {
    const source = `
static int *p = (int[]){1, 2, 3};
int get(int i) { return p[1] + i; }
int put(int i) { p[0] = i; return p[0] + p[2]; }
`;
    const program = parse(source);
    const statics = (entry: string): Scenario => parseScenario({ version: 1, entry, globals: { "*": "S" } });
    const get = specializeProgram({ program, target: "x86_64", scenario: statics("get") }).code;
    expect(get).toMatch(/return 2 \+ i;/);
    const put = specializeProgram({ program, target: "x86_64", scenario: statics("put") }).code;
    // both residuals, compiled by tcc-wasm and linked with a driver, compute what the original does
    expect(await runInts(get, "get", [-3, -2, -1, 0, 1, 2, 3])).toBe("-1 0 1 2 3 4 5 ");
    expect(await runInts(put, "put", [-3, -2, -1, 0, 1, 2, 3])).toBe("0 1 2 3 4 5 6 ");
  });

  it("generic code follows it: a register dynamic at a loop head is not unrolled in the generic version of a function", async () => {
    const work = "int work(int *a, int n) { int s = 0; for (int i = 0; i < n; i++) if (a[i] > 0) s += a[i]; return s; }\n";
    const program = parse(`${work}int f(int *a, int n, int k) { return work(a, n) * k; }\n`);
    const scenario = parseScenario({ version: 1, entry: "f", params: { k: "S" }, functions: { work: "dynamic" } });
    const bta = bindingTimeAnalysis(program, "x86_64", scenario);
    const fn = prepareProgram(program, "x86_64").functions.get("work")!;
    const dynamicAt = Object.values(bta.variants[bta.generic["work"]!]!.dynamicAt ?? {});
    expect(dynamicAt.flat().map((id) => fn.vars[id]!.name)).toContain("i");
    const code = specializeProgram({ program, target: "x86_64", scenario, context: parseContext({ params: { k: 3 } }) }).code;
    // one loop with its one test of a[i], not a copy of the body for i = 0, 1, 2, ...
    expect(code.match(/> 0\b/g)?.length).toBe(1);
    const driver = "int f(int *, int);\nint g(int i) { int a[9]; for (int j = 0; j < 9; j++) a[j] = (j * 7 + i) % 5 - 2; return f(a, i + 4); }\n";
    const inputs = [0, 1, 2, 3, 4, 5];
    expect(await runInts(code + driver, "g", inputs)).toBe(await runInts(`${work}int f(int *a, int n) { return work(a, n) * 3; }\n${driver}`, "g", inputs));
  });
});

/** Compile `code` with tcc-wasm (x86_64), link it with a driver printing `fn(i)` for each input, run it natively. */
async function runInts(code: string, fn: string, inputs: number[]): Promise<string> {
  const cc = await createCompiler({ target: "x86_64" });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "bta-run-"));
  try {
    const o = await cc.compile({ files: { "unit.c": code }, entry: "unit.c" });
    if (!o.ok) throw new Error(`${JSON.stringify(o.diagnostics)}\n${code}`);
    fs.writeFileSync(path.join(work, "unit.o"), o.object);
    fs.writeFileSync(path.join(work, "main.c"), `#include <stdio.h>\nint ${fn}(int);\nint main(void) { int in[] = { ${inputs.join(", ")} }; for (int i = 0; i < ${inputs.length}; i++) printf("%d ", ${fn}(in[i])); return 0; }\n`);
    execFileSync("gcc", ["-w", "-o", path.join(work, "run"), path.join(work, "main.c"), path.join(work, "unit.o")]);
    return execFileSync(path.join(work, "run"), { encoding: "utf8" });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Firmware customizations run through the server core, each specialization's job kept. */
async function recordJobs(fw: FirmwareProgram): Promise<{ scenario: string; job: PipelineJob; source: string }[]> {
  const prepared = prepareFirmware(fw);
  const jobs: { scenario: string; job: PipelineJob; source: string }[] = [];
  const specialize = Object.fromEntries(
    Object.entries(prepared.specialize).map(([name, stage]) => [
      name,
      async (job: PipelineJob) => {
        const r = await stage(job);
        jobs.push({ scenario: name, job, source: r.source });
        return r;
      },
    ]),
  );
  const { catalog, pipeline } = servePrepared([{ ...prepared, specialize }], (t) => createCompiler({ target: t }));
  const k = deviceKey();
  // the time budget is the server's concern, not this test's: a loaded machine must not fail it
  const core = { catalog, pipeline, finalize: signImages(async () => k), cache: new MemoryCache(), limits: { ...DEFAULT_LIMITS, cpuMs: 120_000 } };
  const errors: string[] = [];
  for (const script of [
    ["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1"],
    ["e2e udp 7000", "e2e customize 1 127.0.0.9:7005", "e2e wait 1"],
    ["e2e udp 7000", "e2e opt 1 nonblock 1", "e2e customize 1 7002", "e2e wait 1"],
    ["e2e tcp 7001", "e2e customize 1 -", "e2e wait 1"],
    ["e2e tcp 7001", "e2e opt 1 nodelay 1", "e2e customize 1 -", "e2e wait 1"],
  ]) {
    const run = await runDevice(script, inProcessServer(core, { onOutcome: (_r, o) => void (o.ok || errors.push(`${o.error.code}: ${o.error.message}`)) }));
    expect(run.lines, errors.join("\n")).toContain("state ready");
  }
  return jobs;
}

describe("binding-time analysis of the firmware", () => {
  let fw: FirmwareProgram;
  let jobs: { scenario: string; job: PipelineJob; source: string }[];
  const specialize = (program: FirmwareProgram["program"], scenario: Scenario, context: Context, job: PipelineJob): SpecializeResult => {
    const byAddress = new Map((fw.functions ?? []).map((f) => [f.address, f.name]));
    return specializeProgram({ program, target: fw.target, scenario, context, device: new MirrorDeviceMemory(job.memory), deviceGlobals: true, deviceFunction: (a) => byAddress.get(a) });
  };

  beforeAll(async () => {
    fw = await prepareBoardFirmware();
    jobs = await recordJobs(fw);
  }, 300_000);

  it("is made at build time with the prepared firmware, and the server's runs use it", () => {
    expect(jobs.map((j) => j.scenario)).toEqual(["udp-sendto", "udp-sendto", "udp-sendto", "tcp-send", "tcp-send"]);
    for (const { scenario, job } of jobs) {
      const built = fw.scenarios[scenario]!.bta!;
      expect(built.variants.length).toBeGreaterThan(10);
      const inputs = specializationInputs(fw, scenario, job);
      expect(bindingTimeAnalysis(fw.program, fw.target, inputs.scenario)).toBe(built);
    }
  });

  it("is sound for udp-sendto and tcp-send under several device contexts, and covers what each specialization ran", () => {
    for (const { scenario, job } of jobs) {
      const { scenario: sc, context } = specializationInputs(fw, scenario, job);
      const r = specialize(fw.program, sc, context, job);
      const bta = fw.scenarios[scenario]!.bta!;
      expect(unsound(bta.positions, r.observed), scenario).toEqual([]);
      expect(uncovered(bta.positions, r.observed), scenario).toEqual([]);
      // static where the paper says: the descriptor lookup (Figure 2, line 1)
      expect(bta.positions.some((p) => p.file.endsWith("socket.c") && p.bt === "S")).toBe(true);
    }
  });

  it("one analysis serves every context: the residuals are those of a fresh program with its own analysis", () => {
    const fresh = deserializeProgram(serializeProgram(fw.program));
    for (const { scenario, job, source } of jobs) {
      const { scenario: sc, context } = specializationInputs(fw, scenario, job);
      const shared = specialize(fw.program, sc, context, job).code;
      expect(source.startsWith(shared)).toBe(true);
      expect(specialize(fresh, sc, context, job).code).toBe(shared);
    }
    expect(bindingTimeAnalysis(fresh, fw.target, fw.scenarios["udp-sendto"]!.scenario)).not.toBe(fw.scenarios["udp-sendto"]!.bta);
  });
});
