// The virtual device's Web Worker: the VM's board personality (src/vm/)
// runs a program linked for the board (Scratch mode), or the device firmware
// with its customization channel bridged to the core worker (Device mode,
// as src/device/host.ts does in Node).
import { expose } from "comlink";
import { BespokeError } from "../src/errors.ts";
import { Board, FREQ_MHZ } from "../src/vm/board.ts";
import type { ConsoleLine, DeviceApi, ScriptRun, VmRunInput, VmRunResult } from "./types.ts";

/** Instructions per slice between looks at the channel (as src/device/host.ts runs the firmware). */
const STEP = 2_000_000;
const SCRIPT_BUDGET = 20_000_000_000;

const api: DeviceApi = {
  run(input: VmRunInput): VmRunResult {
    let output = "";
    const decoder = new TextDecoder();
    const board = new Board(input.elf, { console: (bytes) => (output += decoder.decode(bytes, { stream: true })) });
    const r = board.run(input.budget);
    const stop = r.stop.kind === "exit" ? `exit ${r.stop.code}` : r.stop.kind === "fault" ? r.stop.fault.message : `${r.stop.kind} (the program waited for input the playground does not send)`;
    return { output, exitCode: r.stop.kind === "exit" ? r.stop.code : null, stop, instructions: r.instructions, cycles: r.cycles };
  },

  async runScript(elf, script, port, onLine): Promise<ScriptRun> {
    const inbox: Uint8Array[] = [];
    let wake: (() => void) | null = null;
    port.onmessage = ({ data }: MessageEvent<Uint8Array>) => {
      inbox.push(data);
      wake?.();
    };
    const lines: ConsoleLine[] = [];
    const decoder = new TextDecoder();
    let partial = "";
    let framesOut = 0;
    let framesIn = 0;
    const board: Board = new Board(elf, {
      console: (bytes) => {
        partial += decoder.decode(bytes, { stream: true });
        for (let nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
          const line = { text: partial.slice(0, nl), cycles: board.cpu.cycles, instructions: board.cpu.instructions };
          partial = partial.slice(nl + 1);
          lines.push(line);
          void onLine(line);
        }
      },
      send: (frame) => {
        framesOut++;
        const copy = frame.slice();
        port.postMessage(copy, [copy.buffer]);
      },
    });
    board.type(new TextEncoder().encode(script.map((l) => `${l}\n`).join("")));
    try {
      for (;;) {
        while (inbox.length) {
          framesIn++;
          board.deliver(inbox.shift()!);
        }
        if (board.cpu.instructions > SCRIPT_BUDGET) throw new BespokeError("DEVICE_BUDGET", `the device ran ${SCRIPT_BUDGET} instructions without finishing its script`);
        const stop = board.step(STEP);
        if (stop.kind === "exit") return { lines, exitCode: stop.code, framesOut, framesIn, freqMhz: FREQ_MHZ };
        if (stop.kind === "fault") throw new BespokeError("DEVICE_FAULT", `the virtual device faulted: ${stop.fault.message}`);
        if (stop.kind === "sleep" && !inbox.length) {
          // idle: wait (in real time) for a frame from the server, at most what the firmware asked to sleep
          const ms = Math.max(1, Math.min(stop.microseconds / 1000, 50));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
          if (!inbox.length) board.advance(stop.microseconds);
        } else if (stop.kind !== "sleep") await new Promise<void>((resolve) => setTimeout(resolve, 0));
      }
    } finally {
      port.postMessage(null);
    }
  },

};

expose(api);
