// tcc-wasm objects are real objects: Debian's gcc links them against glibc
// and the programs print what they should — under qemu-user for the cross
// targets, natively for x86_64.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCompiler } from "../../src/compiler/node.ts";
import { TARGETS, type Target } from "../../src/compiler/targets.ts";
import { buildManifest, repoRoot } from "../../src/node/paths.ts";
import { hostedArgs, inputClosure } from "../support/tcc-pair.ts";
import { toolchain } from "../support/toolchains.ts";

const tests2 = path.join(buildManifest().sources.tcc!.dir, "tests", "tests2");

interface Program {
  source: string;
  defines: Record<string, true>;
  expected: string;
}

const PROGRAMS: Program[] = [
  { source: path.join(repoRoot(), "examples", "sample.c"), defines: { SAMPLE_MAIN: true }, expected: "total area 27\n" },
  ...[
    "06_case",
    "15_recursion",
    "22_floating_point",
    "24_math_library",
    "28_strings",
    "40_stdio",
    "42_function_pointer",
    "70_floating_point_literals",
    "72_long_long_constant",
    "90_struct-init",
  ].map((name) => ({
    source: path.join(tests2, `${name}.c`),
    defines: {},
    expected: fs.readFileSync(path.join(tests2, `${name}.expect`), "utf8"),
  })),
];

const work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-link-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** tests2 compares output ignoring whitespace amounts (diff -b); so do we, per line. */
const normalize = (s: string): string[] => s.split("\n").map((l) => l.replace(/\s+/g, " ").trimEnd()).filter((l, i, a) => l !== "" || i < a.length - 1);

describe.each(TARGETS)("tcc-wasm %s objects linked by gcc", (target: Target) => {
  const tc = toolchain(target);
  const where = tc.runner.length ? `under ${tc.runner[0]}` : "natively";

  it.each(PROGRAMS.map((p) => [path.basename(p.source), p] as const))(`%s links and runs ${where} with the expected output`, async (name, program) => {
    const compiler = await createCompiler({ target });
    const args = hostedArgs(target);
    const r = await compiler.compile({
      files: inputClosure(target, args, program.source).files,
      entry: program.source,
      defines: program.defines,
      options: args,
    });
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const dir = path.join(work, `${target}-${name}`);
    fs.mkdirSync(dir);
    const object = path.join(dir, "prog.o");
    const exe = path.join(dir, "prog");
    fs.writeFileSync(object, r.object);
    const link = spawnSync(tc.gcc, [...tc.linkFlags, "-o", exe, object, "-lm"], { encoding: "utf8" });
    expect(link.status, link.stderr).toBe(0);
    const [cmd, ...pre] = [...tc.runner, exe];
    const run = spawnSync(cmd!, pre, { cwd: dir, encoding: "utf8", timeout: 20_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(normalize(run.stdout + run.stderr)).toEqual(normalize(program.expected));
  });
});
