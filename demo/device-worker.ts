// The virtual device's Web Worker: the VM's board personality (src/vm/)
// runs a program linked for the board, or the device firmware, and reports
// console output and the VM's own instruction and cycle counts.
import { expose } from "comlink";
import { measureCalls } from "../src/device/measure.ts";
import { BespokeError } from "../src/errors.ts";
import { Board, FREQ_MHZ } from "../src/vm/board.ts";
import { DEFAULT_BUDGET } from "../src/vm/machine.ts";
import type { DeviceApi, SendMeasure, VmRunInput, VmRunResult } from "./types.ts";

const api: DeviceApi = {
  run(input: VmRunInput): VmRunResult {
    let output = "";
    const decoder = new TextDecoder();
    const board = new Board(input.elf, { console: (bytes) => (output += decoder.decode(bytes, { stream: true })) });
    const r = board.run(input.budget);
    const stop = r.stop.kind === "exit" ? `exit ${r.stop.code}` : r.stop.kind === "fault" ? r.stop.fault.message : `${r.stop.kind} (the program waited for input the playground does not send)`;
    return { output, exitCode: r.stop.kind === "exit" ? r.stop.code : null, stop, instructions: r.instructions, cycles: r.cycles };
  },

  async measureGenericSend(firmware, test, progress): Promise<SendMeasure> {
    const board = new Board(firmware.elf, { console: () => {} });
    board.type(new TextEncoder().encode(`selftest ${test}\n`));
    await progress(`virtual device: firmware booted, self test ${test} running (breakpoints on sys_sendto)`);
    let sleeps = 0;
    const run = measureCalls(board.machine, firmware.sysSendto, DEFAULT_BUDGET, (us) => {
      board.advance(us);
      sleeps++;
    });
    if (run.exitCode !== 0) throw new BespokeError("SELFTEST_FAILED", `self test ${test} failed on the virtual device (exit ${run.exitCode})`);
    const ok = run.samples.filter((s) => s.result > 0);
    if (ok.length === 0) throw new BespokeError("NO_SAMPLES", `self test ${test} made no successful sys_sendto`);
    const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    const virtualMs = board.microseconds / 1000;
    await progress(`virtual device: ${ok.length} packets sent (${sleeps} timer waits), ${virtualMs.toFixed(1)} ms of virtual time at ${FREQ_MHZ} MHz`);
    return {
      test,
      packets: ok.length,
      instructions: mean(ok.map((s) => s.instructions)),
      cycles: mean(ok.map((s) => s.cycles)),
      virtualMs,
      packetsPerSecond: Math.round(ok.length / (virtualMs / 1000)),
    };
  },
};

expose(api);
