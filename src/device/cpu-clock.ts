// The server core's clock in Node (CoreOptions.clock): CPU time of the thread
// that runs the pipeline, so its CPU-time limit and the bench's pipeline
// figures mean CPU time, as on Workers, not wall time that a loaded machine
// stretches. On Linux: wall time minus the time this thread waited for a CPU
// (the run-queue delay in /proc/thread-self/schedstat). That delay is
// accounted each time the thread is scheduled in, so it is exact whenever the
// thread can read it, unlike the run time beside it, which the kernel only
// brings up to date at scheduler events (steps of up to a tick). Elsewhere:
// the process's CPU time (which also counts V8's background threads).
import fs from "node:fs";

function runQueueClock(): (() => number) | null {
  try {
    const fd = fs.openSync("/proc/thread-self/schedstat", "r");
    const buf = Buffer.alloc(64);
    const waitedMs = (): number => Number(buf.toString("latin1", 0, fs.readSync(fd, buf, 0, buf.length, 0)).split(" ")[1]) / 1e6;
    return Number.isFinite(waitedMs()) ? () => performance.now() - waitedMs() : null;
  } catch {
    return null;
  }
}

/** Wall-clock milliseconds less the time the calling (main) thread waited for a CPU; null where the system does not tell. */
export const unqueuedClock: (() => number) | null = runQueueClock();

/** Milliseconds of CPU time of the calling (main) thread, or of the process where the system does not tell. */
export const threadCpuClock: () => number =
  unqueuedClock ??
  (() => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  });
