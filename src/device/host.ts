// The device host: runs the arm board firmware on the VM (src/vm/board.ts)
// and bridges its mailbox — the customization channel, one frame per
// message — to a server: the in-process core, or an edge over a WebSocket
// (EdgeChannel). An optional simulated link delays every frame by half the
// round-trip time plus its transmission time, in each direction, keeping
// order: with real timers, or in virtual time (link-timeline.ts: no real
// wait; the time a request takes there is the link's delays on its critical
// path plus the processing of each hop). The firmware is driven by console commands (firmware/apps/e2e.c);
// it exits when they run out, so a run is one script. While a CUSTOMIZE has
// no IMAGE or ERROR back yet, the board's clock stops when it idles
// (board-run.ts): server and link latency take no virtual time, so two
// boots from the same state meet their timers at the same points.
import { BespokeError } from "../errors.ts";
import { MESSAGE_CODES } from "../runtime/protocol.ts";
import type { CoreOptions } from "../server/customize.ts";
import { DeviceSession } from "../server/session.ts";
import type { CustomizeOutcome } from "../server/types.ts";
import { protocolCodec } from "../server/wire.ts";
import { Board } from "../vm/board.ts";
import { FrameInbox, OwedAnswers, consoleLines, runBoard } from "./board-run.ts";
import { unqueuedClock } from "./cpu-clock.ts";
import { buildArmFirmware } from "./firmware-build.ts";
import { LinkTimeline } from "./link-timeline.ts";

/** Frames to and from a customization server. */
export interface ServerLink {
  send(frame: Uint8Array): void;
  /** Called with every frame the server sends. */
  onFrame(handler: (frame: Uint8Array) => void): void;
  close(): void;
}

/** A simulated network between device and server. */
export interface LinkModel {
  /** Round-trip time in milliseconds. */
  rttMs: number;
  /** Bytes per second each way; unlimited when absent. */
  bytesPerSecond?: number;
  /** Frames cross in virtual time (link-timeline.ts) instead of after real timers. */
  virtual?: boolean;
}

export interface DeviceRun {
  /** Console output, line by line. */
  lines: string[];
  exitCode: number | null;
  instructions: number;
  /** Frames each way over the channel. */
  framesOut: number;
  framesIn: number;
  /** Wall-clock milliseconds from each CUSTOMIZE the firmware sends to the end of its `e2e wait`. */
  waits: number[];
  /** Over a virtual link: the same spans on its timeline (link delays on the critical path + processing of server and device, link-timeline.ts); empty otherwise. */
  waitsOnTimeline: number[];
  /** VM instructions from each IMAGE frame's arrival to the end of the `e2e wait` it ends: the device verifying, copying, relocating and installing the image. */
  loads: number[];
  /** ERROR messages the server sent the device ("CODE: message"). */
  serverErrors: string[];
}

const { customize: FRAME_CUSTOMIZE, image: FRAME_IMAGE, error: FRAME_ERROR } = MESSAGE_CODES;

/** The text of a server ERROR frame (header, code u16, message). */
function errorText(frame: Uint8Array): string {
  const code = frame.length >= 14 ? frame[12]! | (frame[13]! << 8) : 0;
  return `${code}: ${new TextDecoder().decode(frame.subarray(14))}`;
}

/** The in-process server core as a link (device frames decoded by the protocol codec, answers encoded). */
export function inProcessServer(core: CoreOptions, options: { device?: string; onOutcome?: (request: number, outcome: CustomizeOutcome) => void } = {}): ServerLink {
  let handler: (frame: Uint8Array) => void = () => {};
  const session = new DeviceSession({
    core,
    device: { id: options.device ?? "vm-device" },
    ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
    send: (message) => {
      for (const frame of protocolCodec.encode(message)) handler(frame);
    },
  });
  return {
    send(frame) {
      let message;
      try {
        message = protocolCodec.decode(frame);
      } catch (e) {
        const request = protocolCodec.requestOf(frame);
        for (const f of protocolCodec.encode({ kind: "error", request, code: "BAD_FRAME", message: e instanceof Error ? e.message : String(e) })) handler(f);
        return;
      }
      session.receive(message);
    },
    onFrame(h) {
      handler = h;
    },
    close() {
      session.close();
    },
  };
}

/** An edge session over a WebSocket (EdgeChannel) as a link. */
export async function edgeServer(url: URL, device = "vm-device"): Promise<ServerLink> {
  const { EdgeChannel } = await import("../cli/serve.ts");
  const channel = await EdgeChannel.connect(url, device);
  let handler: (frame: Uint8Array) => void = () => {};
  let open = true;
  void (async () => {
    while (open) {
      try {
        const frame = await channel.next(60_000);
        handler(frame); // the handler of now: runDevice installs its own after connecting
      } catch (e) {
        if (!(e instanceof BespokeError) || e.code !== "EDGE_TIMEOUT") open = false;
      }
    }
  })();
  return {
    send: (frame) => channel.send(frame),
    onFrame(h) {
      handler = h;
    },
    close() {
      open = false;
      channel.close();
    },
  };
}

/** Delay frames in one direction as the link model says, in order, with real timers. */
function delayed(model: LinkModel | undefined, deliver: (frame: Uint8Array) => void): (frame: Uint8Array) => void {
  if (!model || (model.rttMs <= 0 && !model.bytesPerSecond)) return deliver;
  let free = 0; // when the link is next free to transmit (ms, performance.now clock)
  return (frame) => {
    const now = performance.now();
    const transmit = model.bytesPerSecond ? (frame.length * 1000) / model.bytesPerSecond : 0;
    free = Math.max(free, now) + transmit;
    const at = free + model.rttMs / 2;
    setTimeout(() => deliver(frame), Math.max(0, at - now));
  };
}

/** Boot the board firmware, run `script` (console commands), bridging the channel to `server`; resolves when the firmware exits. */
export interface RunDeviceOptions {
  link?: LinkModel;
  onLine?: (line: string) => void;
  /** Real time (ms) the board waits for a request's answer with its clock stopped; SERVER_ANSWER_MS (board-run.ts) by default. */
  serverAnswerMs?: number;
  /** The clock of a virtual link's timeline: by default wall time less this thread's waits for a CPU (cpu-clock.ts; wall time where the system does not tell). */
  timelineClock?: () => number;
}

/**
 * RAM of boards whose run has ended, zeroed and reused by the next boot. A
 * fresh 16 MiB memory per boot is external memory that V8 counts toward its
 * collection heuristics: the bench, which boots a device per request in the
 * server core's thread, had an extra scavenge per request and a mark-compact
 * every few, whose marking steps ran inside the server's pipeline — work a
 * real edge, whose devices are other machines, never does. At most SPARE_RAM
 * are kept.
 */
const spareRam: WebAssembly.Memory[] = [];
const SPARE_RAM = 2;

function bootRam(): WebAssembly.Memory | undefined {
  const ram = spareRam.pop();
  if (ram) new Uint8Array(ram.buffer).fill(0); // as a fresh memory is
  return ram;
}

function releaseRam(board: Board): void {
  if (spareRam.length < SPARE_RAM) spareRam.push(board.cpu.mem.memory);
}

export async function runDevice(script: string[], server: ServerLink, options: RunDeviceOptions = {}): Promise<DeviceRun> {
  const fw = await buildArmFirmware("board");
  const inbox = new FrameInbox();
  const serverErrors: string[] = [];
  const owed = new OwedAnswers(options.serverAnswerMs);
  const loads: number[] = [];
  let imageAt = -1; // the board's instruction count when an IMAGE arrived
  const timeline = options.link?.virtual ? new LinkTimeline(options.link, options.timelineClock ?? unqueuedClock ?? (() => performance.now())) : undefined;
  if (timeline) timeline.onSend = () => inbox.nudge();
  const link = (way: 0 | 1, deliver: (frame: Uint8Array) => void) => (timeline ? timeline.direction(way, deliver) : delayed(options.link, deliver));
  const toDevice = link(1, (frame) => {
    if (frame[3] === FRAME_ERROR) serverErrors.push(errorText(frame));
    if (frame[3] === FRAME_IMAGE && imageAt < 0) imageAt = board.cpu.instructions;
    owed.delivered(frame);
    inbox.push(frame);
  });
  server.onFrame(toDevice);
  const toServer = link(0, (frame) => server.send(frame));
  const lines: string[] = [];
  const waits: number[] = [];
  const waitsOnTimeline: number[] = [];
  let framesOut = 0;
  let customizeAt = -1;
  let customizeOnTimeline = 0;
  const ram = bootRam();
  const board = new Board(fw.elf, {
    ...(ram ? { memory: ram } : {}),
    console: consoleLines((line) => {
      lines.push(line);
      if (line.startsWith("state ") && customizeAt >= 0) {
        waits.push(performance.now() - customizeAt);
        if (timeline) waitsOnTimeline.push(timeline.now() - customizeOnTimeline);
        customizeAt = -1;
      }
      if (line.startsWith("state ") && imageAt >= 0) {
        loads.push(board.cpu.instructions - imageAt);
        imageAt = -1;
      }
      options.onLine?.(line);
    }),
    send: (frame) => {
      framesOut++;
      owed.sent(frame);
      if (customizeAt < 0 && frame[3] === FRAME_CUSTOMIZE) {
        customizeAt = performance.now();
        customizeOnTimeline = timeline?.now() ?? 0;
      }
      toServer(frame.slice()); // the mailbox hands a view of RAM the firmware reuses
    },
  });
  board.type(new TextEncoder().encode(script.map((l) => `${l}\n`).join("")));
  let run;
  try {
    run = await runBoard(board, inbox, () => new Promise<void>((resolve) => setImmediate(resolve)), {
      ...(timeline ? { timeline } : {}),
      serverWaitMs: () => owed.waitMs(),
    });
  } finally {
    releaseRam(board);
  }
  return { lines, exitCode: run.exitCode, instructions: run.instructions, framesOut, framesIn: run.framesIn, waits, waitsOnTimeline, loads, serverErrors };
}
