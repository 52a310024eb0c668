// The virtual device's Web Worker: the VM's board personality (src/vm/)
// runs a program linked for the board (Scratch mode), or the device firmware
// with its customization channel bridged to the core worker (Device mode,
// by the loop the Node device host runs too: src/device/board-run.ts).
// The firmware is the device's own: fetched when the worker starts, and the
// next boot's board (RAM with the image loaded) made while nothing runs.
import { expose } from "comlink";
import { BespokeError } from "../src/errors.ts";
import { FrameInbox, OwedAnswers, consoleLines, runBoard } from "../src/device/board-run.ts";
import { Board, FREQ_MHZ } from "../src/vm/board.ts";
import { mark, timeline } from "./timeline.ts";
import type { ConsoleLine, DeviceApi, ScriptRun, VmRunInput, VmRunResult } from "./types.ts";

mark("device: worker started");

async function fetchFirmware(): Promise<Uint8Array> {
  const r = await fetch("/firmware/firmware.elf");
  if (!r.ok) throw new BespokeError("NO_FIRMWARE", `/firmware/firmware.elf: HTTP ${r.status}: ${(await r.text()).slice(0, 300)}`);
  const elf = new Uint8Array(await r.arrayBuffer());
  mark("device: firmware fetched");
  return elf;
}

let firmware: Promise<Uint8Array> | null = null;

/** The firmware image (fetched once; a failed fetch is tried again next time). */
function firmwareImage(): Promise<Uint8Array> {
  firmware ??= fetchFirmware();
  firmware.catch(() => (firmware = null));
  return firmware;
}

/** A board with the firmware loaded; whoever runs it sets where its console output and mailbox frames go. */
interface FreshBoard {
  board: Board;
  to: { console: (bytes: Uint8Array) => void; send: (frame: Uint8Array) => void };
}

async function freshBoard(): Promise<FreshBoard> {
  const elf = await firmwareImage();
  const to: FreshBoard["to"] = { console: () => {}, send: () => {} };
  const board = new Board(elf, { console: (bytes) => to.console(bytes), send: (frame) => to.send(frame) });
  mark("device: board ready");
  return { board, to };
}

let nextBoard: Promise<FreshBoard> | null = null;

/** Make the next boot's board now. */
function bootAhead(): void {
  nextBoard ??= freshBoard();
  nextBoard.catch(() => (nextBoard = null)); // the boot that needs it tries again, and reports the failure
}

/** The board made ahead, or a new one. */
function takeBoard(): Promise<FreshBoard> {
  const board = nextBoard ?? freshBoard();
  nextBoard = null;
  return board;
}

/** Let the worker's event loop run (frames from the core worker): a message to itself, which browsers do not throttle as they do nested timers. */
const yieldChannel = new MessageChannel();
const yielded: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yielded.shift()?.();
function yieldToHost(): Promise<void> {
  return new Promise<void>((resolve) => {
    yielded.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

const api: DeviceApi = {
  run(input: VmRunInput): VmRunResult {
    let output = "";
    const decoder = new TextDecoder();
    const board = new Board(input.elf, { console: (bytes) => (output += decoder.decode(bytes, { stream: true })) });
    const r = board.run(input.budget);
    const stop = r.stop.kind === "exit" ? `exit ${r.stop.code}` : r.stop.kind === "fault" ? r.stop.fault.message : `${r.stop.kind} (the program waited for input the playground does not send)`;
    return { output, exitCode: r.stop.kind === "exit" ? r.stop.code : null, stop, instructions: r.instructions, cycles: r.cycles };
  },

  async runScript(script, port, onLine): Promise<ScriptRun> {
    const inbox = new FrameInbox();
    // while the server owes an answer, an idle board waits for it with its clock stopped (board-run.ts), as the Node host's does
    const owed = new OwedAnswers();
    port.onmessage = ({ data }: MessageEvent<Uint8Array>) => {
      owed.delivered(data);
      inbox.push(data);
    };
    try {
      mark("device: boot");
      const { board, to } = await takeBoard();
      const lines: ConsoleLine[] = [];
      let framesOut = 0;
      to.console = consoleLines((text) => {
        const line = { text, cycles: board.cpu.cycles, instructions: board.cpu.instructions };
        lines.push(line);
        if (text.startsWith("state ")) mark(`device: ${text}`);
        void onLine(line);
      });
      to.send = (frame) => {
        if (framesOut++ === 0) mark("device: first frame to the server");
        owed.sent(frame);
        const copy = frame.slice(); // the mailbox hands a view of RAM the firmware reuses
        port.postMessage(copy, [copy.buffer]);
      };
      board.type(new TextEncoder().encode(script.map((l) => `${l}\n`).join("")));
      const run = await runBoard(board, inbox, yieldToHost, { serverWaitMs: () => owed.waitMs() });
      return { lines, exitCode: run.exitCode, framesOut, framesIn: run.framesIn, freqMhz: FREQ_MHZ };
    } finally {
      port.postMessage(null);
      bootAhead();
    }
  },

  timeline,
};

expose(api);
bootAhead(); // while the page loads: the first customization finds its board ready
