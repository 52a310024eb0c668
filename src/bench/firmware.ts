// `bespoke bench firmware`: the generic firmware's size and the cost of its
// generic sendto, the baseline customized code is measured against.
//
//   sizes: .text/.data/.bss bytes per component of the arm board image
//          (tcc-wasm), summed over each component's objects;
//   customFunctions: .text bytes per function of the customization
//          subsystem (its objects' symbol sizes), largest first;
//   sendto: instructions and cycles per successful generic sys_sendto on the
//          VM's board personality, per case of the self tests: UDP 64 B, UDP
//          1024 B, TCP (1024 B sends on a connected stream).
import { armObjects, buildArmFirmware } from "../device/firmware-build.ts";
import { readElf, symbols } from "../compiler/elf.ts";
import { type CallSample, measureCalls } from "../device/measure.ts";
import { BespokeError } from "../errors.ts";
import { parseSelftest } from "../device/selftest.ts";
import { Board } from "../vm/board.ts";
import { DEFAULT_BUDGET } from "../vm/machine.ts";
import type { Benchmark } from "../cli/bench.ts";

interface CallCost {
  calls: number;
  instructions: { mean: number; min: number; max: number };
  cycles: { mean: number; min: number; max: number };
}

function cost(samples: CallSample[]): CallCost {
  const stats = (xs: number[]) => ({ mean: Math.round(xs.reduce((a, b) => a + b, 0) / xs.length), min: Math.min(...xs), max: Math.max(...xs) });
  return { calls: samples.length, instructions: stats(samples.map((s) => s.instructions)), cycles: stats(samples.map((s) => s.cycles)) };
}

/** The firmware's own count around each successful send of the application (board counters, read overhead subtracted). */
function selfMeasured(console: string, test: string): { instructions: number; cycles: number } {
  const m = parseSelftest(console).measures.find((x) => x.name === test);
  if (!m || m.calls === 0) throw new BespokeError("NO_SAMPLES", `self test ${test} reported no measured sends`);
  return {
    instructions: Math.round(m.instret / m.calls - m.overheadInstret),
    cycles: Math.round(m.cycles / m.calls - m.overheadCycles),
  };
}

const STT_FUNC = 2;

/** Code bytes per function of the customization subsystem's arm objects, largest first. */
async function customFunctions(): Promise<{ name: string; source: string; text: number }[]> {
  const out: { name: string; source: string; text: number }[] = [];
  for (const o of await armObjects("board")) {
    if (o.component !== "custom") continue;
    for (const s of symbols(readElf(o.bytes))) if (s.type === STT_FUNC && s.shndx !== 0) out.push({ name: s.name, source: o.source, text: s.size });
  }
  return out.sort((a, b) => b.text - a.text);
}

export const firmwareBench: Benchmark = async (ctx) => {
  const fw = await buildArmFirmware("board");
  const sizes = Object.fromEntries(fw.components.map((c) => [c.component, { text: c.text, data: c.data, bss: c.bss }]));
  const total = fw.components.reduce((t, c) => ({ text: t.text + c.text, data: t.data + c.data }), { text: 0, data: 0 });
  const sendto = fw.exports.find((s) => s.name === "sys_sendto");
  if (!sendto) throw new BespokeError("NO_SYMBOL", "the firmware exports no sys_sendto");

  // One self test per run, so every call measured belongs to it; successful
  // sends only (EAGAIN/ENOBUFS retries return early).
  const measure = (test: string) => {
    ctx.stderr(`bench firmware: ${test} on the VM board, breakpoints on sys_sendto\n`);
    const decoder = new TextDecoder();
    let console = "";
    const board = new Board(fw.elf, { console: (bytes) => (console += decoder.decode(bytes, { stream: true })) });
    board.type(new TextEncoder().encode(`selftest ${test}\n`));
    const run = measureCalls(board.machine, sendto.address, DEFAULT_BUDGET, (us) => board.advance(us));
    if (run.exitCode !== 0) throw new BespokeError("SELFTEST_FAILED", `self test ${test} failed on the VM (exit ${run.exitCode}): run 'bespoke device --selftest --verbose'`);
    const ok = run.samples.filter((s) => s.result > 0);
    if (ok.length === 0) throw new BespokeError("NO_SAMPLES", `self test ${test} made no successful generic sendto`);
    return { sys_sendto: cost(ok), application: selfMeasured(console + decoder.decode(), test) };
  };
  return {
    firmware: { buildId: fw.buildId, loadAddress: fw.loadAddress, compiler: "tcc-wasm arm" },
    sizes: { ...sizes, total },
    customFunctions: await customFunctions(),
    genericSendto: {
      vm: "arm VM, board personality: sys_sendto counted by the VM between breakpoints on its entry and return; application = the whole send as netperf makes it (system call stub, dispatcher, sys_sendto; or customized_sendto), counted by the firmware with the board's counters, mean per call",
      udp64: measure("udp_stream_64"),
      udp1024: measure("udp_stream_1024"),
      tcp1024: measure("tcp_stream"),
    },
    // customized_sendto with no server attached: the token's lookup and guard
    // checks, then the generic path.
    customizedNoServer: { udp64: measure("udp_stream_64_customized") },
  };
};
