// One run of the board firmware to its exit, its customization channel (the
// mailbox) bridged to a server: the loop the Node device host (host.ts) and
// the playground's device worker (demo/device-worker.ts) share. The board
// runs in slices; frames from the server are delivered between slices; an
// idle firmware (asleep, nothing queued) waits in real time for a frame, at
// most what it asked to sleep, and then skips that virtual time — except
// while the server owes it an answer: then it waits for the frame with its
// clock stopped (as long as the host allows), so that how long the server
// takes never moves the firmware's timers (TCP's, which decide segment
// boundaries and ACKs) and runs from the same state stay comparable
// whatever the server's speed. With a simulated link in virtual time
// (link-timeline.ts), frames whose arrival has come are delivered between
// slices, and an idle board lets the timeline move on to the next arrival
// (its own clock stopped all the same).
// Runtime-independent: no Node or DOM APIs (the host says how to yield).
import { BespokeError } from "../errors.ts";
import { MESSAGE_CODES, frameRequest } from "../runtime/protocol.ts";
import type { Board } from "../vm/board.ts";
import type { LinkTimeline } from "./link-timeline.ts";

/** Instructions per slice between looks at the channel. */
const SLICE = 2_000_000;
/** Instructions a run may take before it is stopped as runaway. */
const BUDGET = 20_000_000_000;
/** Longest real-time wait of an idle firmware before its virtual sleep is skipped (ms). */
const MAX_IDLE_MS = 50;

/** Real time a request's answer may take before the board's clock runs again while it waits, by default. */
export const SERVER_ANSWER_MS = 60_000;

const { customize: FRAME_CUSTOMIZE, image: FRAME_IMAGE, error: FRAME_ERROR, cancel: FRAME_CANCEL } = MESSAGE_CODES;

/**
 * The requests the server has not answered yet (CUSTOMIZE sent; no IMAGE or
 * ERROR delivered, no CANCEL or ERROR sent), with when each was sent: what
 * `RunBoardOptions.serverWaitMs` asks. The host and the device worker each
 * show it the frames their board exchanges.
 */
export class OwedAnswers {
  private readonly sentAt = new Map<number, number>();

  constructor(
    private readonly answerMs = SERVER_ANSWER_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A frame the board sent to the server. */
  sent(frame: Uint8Array): void {
    if (frame[3] === FRAME_CUSTOMIZE) this.sentAt.set(frameRequest(frame), this.now());
    else if (frame[3] === FRAME_CANCEL || frame[3] === FRAME_ERROR) this.sentAt.delete(frameRequest(frame));
  }

  /** A frame from the server, delivered to the board. */
  delivered(frame: Uint8Array): void {
    if (frame[3] === FRAME_IMAGE || frame[3] === FRAME_ERROR) this.sentAt.delete(frameRequest(frame));
  }

  /** Real time (ms) the board may still wait with its clock stopped: until the latest owed answer's time runs out; 0 when none is owed. */
  waitMs(): number {
    let wait = 0;
    const now = this.now();
    for (const at of this.sentAt.values()) wait = Math.max(wait, at + this.answerMs - now);
    return wait;
  }
}

/** Frames from the server, queued for the board's next slice; a frame wakes an idle board at once. */
export class FrameInbox {
  private readonly frames: Uint8Array[] = [];
  private wake: (() => void) | null = null;

  push(frame: Uint8Array): void {
    this.frames.push(frame);
    this.wake?.();
  }

  /** End a wait without a frame (a frame was sent on a virtual link: the board's loop delivers it). */
  nudge(): void {
    this.wake?.();
  }

  get length(): number {
    return this.frames.length;
  }

  take(): Uint8Array | undefined {
    return this.frames.shift();
  }

  /** Resolves when a frame arrives, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

/** A console handler that calls `onLine` with each complete line (without its newline) the firmware prints. */
export function consoleLines(onLine: (line: string) => void): (bytes: Uint8Array) => void {
  const decoder = new TextDecoder();
  let partial = "";
  return (bytes) => {
    partial += decoder.decode(bytes, { stream: true });
    for (let nl = partial.indexOf("\n"); nl >= 0; nl = partial.indexOf("\n")) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      onLine(line);
    }
  };
}

export interface RunOptions {
  /**
   * How long (real milliseconds) an idle firmware still waits, its clock
   * stopped, for a server that owes it an answer (a request of its has no
   * final reply yet); 0 when the server owes none, or has taken too long
   * (a server that never answers must not hang the device). Absent: 0.
   */
  serverWaitMs?: () => number;
  /** The simulated link in virtual time the frames cross, if any; its frames for the board end in `inbox`. */
  timeline?: LinkTimeline;
}

export interface BoardRun {
  exitCode: number;
  /** Instructions the run executed. */
  instructions: number;
  /** Frames delivered to the firmware. */
  framesIn: number;
}

/**
 * Run `board` until its firmware exits, delivering the frames `inbox`
 * receives. `yieldToHost` lets the host's event loop run (timers, frames)
 * after a slice that did not sleep: Node's setImmediate, a worker's message
 * to itself.
 */
export async function runBoard(board: Board, inbox: FrameInbox, yieldToHost: () => Promise<void>, options: RunOptions = {}): Promise<BoardRun> {
  const start = board.cpu.instructions;
  let framesIn = 0;
  const timeline = options.timeline;
  for (;;) {
    timeline?.deliver(false);
    for (let frame = inbox.take(); frame; frame = inbox.take()) {
      framesIn++;
      board.deliver(frame);
    }
    if (board.cpu.instructions - start > BUDGET) throw new BespokeError("DEVICE_BUDGET", `the device ran ${BUDGET} instructions without finishing its script`);
    const stop = board.step(SLICE);
    if (stop.kind === "exit") return { exitCode: stop.code, instructions: board.cpu.instructions - start, framesIn };
    if (stop.kind === "fault") throw new BespokeError("DEVICE_FAULT", `the device faulted: ${stop.fault.message}`);
    if (stop.kind !== "sleep") await yieldToHost();
    else if (!inbox.length && !timeline?.deliver(true)) {
      const owed = options.serverWaitMs?.() ?? 0;
      await inbox.wait(owed > 0 ? owed : Math.max(1, Math.min(stop.microseconds / 1000, MAX_IDLE_MS)));
      if (!inbox.length && !timeline?.inFlight) board.advance(stop.microseconds);
    }
  }
}
