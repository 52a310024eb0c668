// Runs the firmware's self tests (firmware/apps/selftest.c) and reads their
// report: on the VM (arm image) or as a native host process.
import { spawnSync } from "node:child_process";
import { BespokeError } from "../errors.ts";
import { Board } from "../vm/board.ts";
import { DEFAULT_BUDGET } from "../vm/machine.ts";
import { type ArmFirmware, buildArmFirmware, buildHostFirmware } from "./firmware-build.ts";

export interface SelftestCase {
  name: string;
  ok: boolean;
  detail: string;
}

/** Counters the firmware reports for its generic send paths (boards with counters only). */
export interface SendMeasure {
  name: string;
  calls: number;
  cycles: number;
  instret: number;
  overheadCycles: number;
  overheadInstret: number;
}

export interface SelftestReport {
  /** Where it ran, e.g. "arm VM linux-user" or "host x86_64 (ASan/UBSan)". */
  where: string;
  buildId: string;
  cases: SelftestCase[];
  measures: SendMeasure[];
  passed: number;
  failed: number;
  /** The firmware's exit status; null when it did not exit (a VM fault). */
  exitCode: number | null;
  /** Everything the firmware printed. */
  console: string;
  /** VM runs only. */
  instructions?: number;
  cycles?: number;
  /** Why a VM run stopped, when it was not an exit. */
  fault?: string;
}

/** True when every test ran and passed and the firmware exited 0. */
export function selftestPassed(r: SelftestReport): boolean {
  return r.exitCode === 0 && r.failed === 0 && r.passed > 0 && r.passed === r.cases.length;
}

const CASE = /^test (\S+): (ok|FAIL)\s*(.*)$/;
const SUMMARY = /^selftest: (\d+) passed, (\d+) failed$/;
const MEASURE = /^measure (\S+): calls=(\d+) cycles=(\d+) instret=(\d+) overhead_cycles=(\d+) overhead_instret=(\d+)$/;

export function parseSelftest(text: string): Pick<SelftestReport, "cases" | "measures" | "passed" | "failed"> {
  const cases: SelftestCase[] = [];
  const measures: SendMeasure[] = [];
  let passed = 0;
  let failed = -1;
  for (const line of text.split("\n")) {
    const c = CASE.exec(line);
    if (c) cases.push({ name: c[1]!, ok: c[2] === "ok", detail: c[3]! });
    const m = MEASURE.exec(line);
    if (m) {
      const n = m.slice(2).map(Number);
      measures.push({ name: m[1]!, calls: n[0]!, cycles: n[1]!, instret: n[2]!, overheadCycles: n[3]!, overheadInstret: n[4]! });
    }
    const s = SUMMARY.exec(line);
    if (s) {
      passed = Number(s[1]);
      failed = Number(s[2]);
    }
  }
  // No summary line: the firmware died before the end; count what is missing as failed.
  if (failed < 0) {
    passed = cases.filter((c) => c.ok).length;
    failed = cases.length - passed + 1;
  }
  return { cases, measures, passed, failed };
}

/** The arm firmware (by default the board build) on the VM's board personality: the command goes in on the console UART. */
export async function selftestOnVm(firmware?: ArmFirmware): Promise<SelftestReport> {
  const fw = firmware ?? (await buildArmFirmware("board"));
  const decoder = new TextDecoder();
  let text = "";
  const board = new Board(fw.elf, { console: (bytes) => (text += decoder.decode(bytes, { stream: true })) });
  board.type(new TextEncoder().encode("selftest\n"));
  const run = board.run(DEFAULT_BUDGET);
  text += decoder.decode();
  return {
    where: "arm VM board",
    buildId: fw.buildId,
    ...parseSelftest(text),
    exitCode: run.exitCode ?? null,
    console: text,
    instructions: run.instructions,
    cycles: run.cycles,
    ...(run.stop.kind === "fault" ? { fault: run.stop.fault.message } : {}),
  };
}

/** The native host build (gcc), optionally under ASan/UBSan. */
export function selftestOnHost(options: { sanitize: boolean }): SelftestReport {
  const fw = buildHostFirmware(options);
  const r = spawnSync(fw.path, [], { input: "selftest\n", encoding: "utf8", timeout: 120_000 });
  if (r.error) throw new BespokeError("FIRMWARE_RUN", `${fw.path}: ${r.error.message}`);
  const text = r.stdout + r.stderr;
  return {
    where: `host x86_64${options.sanitize ? " (ASan/UBSan)" : ""}`,
    buildId: fw.buildId,
    ...parseSelftest(text),
    exitCode: r.status,
    console: text,
  };
}

/** One line for people: where, build, the verdict and each test. */
export function selftestSummary(r: SelftestReport): string {
  const verdict = selftestPassed(r) ? "PASS" : "FAIL";
  const cases = r.cases.map((c) => `${c.name} ${c.ok ? "ok" : "FAIL"}`).join(", ");
  const cost = r.instructions !== undefined ? `; ${r.instructions} instructions, ${r.cycles} cycles` : "";
  const fault = r.fault ? `; ${r.fault}` : "";
  return `device selftest ${verdict} on ${r.where} (build ${r.buildId}): ${r.passed} passed, ${r.failed} failed [${cases}]${cost}${fault}`;
}
