// `bespoke bench firmware`: the generic firmware's size and the cost of its
// generic sendto, the baseline customized code is measured against.
//
//   sizes: .text/.data/.bss bytes per component of the arm board image
//          (tcc-wasm), summed over each component's objects;
//   sendto: instructions and cycles per successful generic sys_sendto on the
//          VM (arm image), per case of the self tests: UDP 64 B, UDP 1024 B,
//          TCP (1024 B sends on a connected stream).
import { buildArmFirmware } from "../device/firmware-build.ts";
import { type CallSample, measureCalls } from "../device/measure.ts";
import { BespokeError } from "../errors.ts";
import { createLinuxMachine } from "../vm/linux.ts";
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

export const firmwareBench: Benchmark = async (ctx) => {
  const board = await buildArmFirmware("board");
  const sizes = Object.fromEntries(board.components.map((c) => [c.component, { text: c.text, data: c.data, bss: c.bss }]));
  const total = board.components.reduce((t, c) => ({ text: t.text + c.text, data: t.data + c.data }), { text: 0, data: 0 });

  // The VM has no board personality yet: the linux-user build runs the same kernel, lwIP and tests.
  const linux = await buildArmFirmware("linux");
  const sendto = linux.exports.find((s) => s.name === "sys_sendto");
  if (!sendto) throw new BespokeError("NO_SYMBOL", "the firmware exports no sys_sendto");
  // One self test per run, so every call measured belongs to it; successful
  // sends only (EAGAIN/ENOBUFS retries return early).
  const measure = (test: string): CallCost => {
    ctx.stderr(`bench firmware: ${test} on the VM, breakpoints on sys_sendto\n`);
    const machine = createLinuxMachine(linux.elf, { argv: ["firmware", `selftest ${test}`] });
    const run = measureCalls(machine, sendto.address, DEFAULT_BUDGET);
    if (run.exitCode !== 0) throw new BespokeError("SELFTEST_FAILED", `self test ${test} failed on the VM (exit ${run.exitCode}): run 'bespoke device --selftest --verbose'`);
    const ok = run.samples.filter((s) => s.result > 0);
    if (ok.length === 0) throw new BespokeError("NO_SAMPLES", `self test ${test} made no successful generic sendto`);
    return cost(ok);
  };
  return {
    firmware: { buildId: board.buildId, loadAddress: board.loadAddress, compiler: "tcc-wasm arm" },
    sizes: { ...sizes, total },
    genericSendto: {
      vm: "arm VM (linux-user personality), instruction counts from the VM, cycles from its SA-1100 cost table",
      udp64: measure("udp_stream_64"),
      udp1024: measure("udp_stream_1024"),
      tcp1024: measure("tcp_stream"),
    },
  };
};
