// A simulated link in virtual time: a discrete-event timeline for the frames
// between the device and the server. A frame is stamped, when sent, with its
// arrival time (the sender's time on the timeline, plus its transmission
// time behind the frames before it in that direction, plus half the
// round-trip time) and kept in flight; no real timer waits for it. The
// timeline's clock runs with `clock` (the host's unqueued clock: wall time
// less the thread's waits for a CPU) while anything on the thread runs — the
// server's processing, the device's — and jumps to the next arrival when
// the device idles with nothing else to do. So a request's time on the
// timeline is the link's one-way delays on its critical path plus what each
// hop took to process, never less than the link alone (each frame arrives at
// least half an RTT after the frame that caused it was received), and the
// same as wall time over a real-timer link on an idle machine, where the
// thread only ever waits for the link. A party still busy when the time
// jumps (a frame sent before its last one) is counted from the jump: time
// is only ever added, never taken away.
// Runtime-independent: no Node or DOM APIs (the host gives the clock).
import type { LinkModel } from "./host.ts";

interface InFlight {
  /** Arrival on the timeline (ms). */
  at: number;
  /** Order sent, for frames arriving at the same time. */
  seq: number;
  deliver: () => void;
}

export class LinkTimeline {
  private base = 0;
  private baseClock: number;
  private readonly flight: InFlight[] = [];
  /** When each direction is next free to transmit, on the timeline. */
  private readonly free = [0, 0];
  private sent = 0;
  /** Called whenever a frame is sent (the host wakes an idle device to deliver it). */
  onSend: () => void = () => {};

  constructor(
    private readonly model: LinkModel,
    private readonly clock: () => number,
  ) {
    this.baseClock = clock();
  }

  /** Milliseconds on the timeline. */
  now(): number {
    return this.base + Math.max(0, this.clock() - this.baseClock);
  }

  /** A sender for one direction (0: device to server, 1: server to device) delivering with `deliver`. */
  direction(way: 0 | 1, deliver: (frame: Uint8Array) => void): (frame: Uint8Array) => void {
    return (frame) => {
      const transmit = this.model.bytesPerSecond ? (frame.length * 1000) / this.model.bytesPerSecond : 0;
      this.free[way] = Math.max(this.free[way]!, this.now()) + transmit;
      this.flight.push({ at: this.free[way]! + this.model.rttMs / 2, seq: this.sent++, deliver: () => deliver(frame) });
      this.onSend();
    };
  }

  get inFlight(): number {
    return this.flight.length;
  }

  /**
   * Deliver the frames whose arrival has come; when `idle` (nothing on the
   * thread has work until a frame arrives) and none has, the earliest one,
   * the timeline's time moving on to its arrival. True if a frame was delivered.
   */
  deliver(idle: boolean): boolean {
    if (!this.flight.length) return false;
    this.flight.sort((a, b) => a.at - b.at || a.seq - b.seq);
    let delivered = false;
    while (this.flight.length && this.flight[0]!.at <= this.now()) {
      this.flight.shift()!.deliver();
      delivered = true;
    }
    if (delivered || !idle || !this.flight.length) return delivered;
    this.flight.sort((a, b) => a.at - b.at || a.seq - b.seq); // frames sent by the deliveries above
    const next = this.flight.shift()!;
    this.base = Math.max(this.now(), next.at);
    this.baseClock = this.clock();
    next.deliver();
    return true;
  }
}
