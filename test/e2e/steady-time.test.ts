// The TCP comparison does not depend on how fast each path runs: from its
// first command the e2e app keeps board time steady (firmware/apps/e2e.c:
// the timer counts sleeps and a tick per send, not cycles), so TCP's timers
// (delayed ACKs, window updates, Nagle's coalescing) fire at the same sends
// of a generic and a customized run however many cycles their calls take.
// A customized run slowed by `e2e slow` (a spin before each customized send,
// outside the counted call) by some 400 ms of cycles still puts
// the same segments on the wire; with the timer counting cycles again
// (`e2e clock cycles`) the same slowdown changes them, and a header byte
// that differs is still seen with the time steady.
import { beforeAll, describe, expect, it } from "vitest";
import { inProcessServer, runDevice } from "../../src/device/host.ts";
import type { CoreOptions } from "../../src/server/customize.ts";
import { FREQ_MHZ } from "../../src/vm/board.ts";
import { boardCore, sends } from "./support.ts";

let core: CoreOptions;

beforeAll(async () => {
  core = await boardCore();
}, 300_000);

const SENDS = 200;
/** Iterations of the spin before each customized send: about 390 K instructions, some 2 ms of cycles a send. */
const SPIN = 30_000;

async function compare(clock: "steady" | "cycles"): Promise<{ generic: string; customized: string; shiftMs: number }> {
  const generic = await runDevice(["e2e tcp 7001", `e2e clock ${clock}`, `e2e send g ${SENDS} 1024 1 -`], inProcessServer(core));
  const custom = await runDevice(["e2e tcp 7001", `e2e clock ${clock}`, `e2e slow ${SPIN}`, "e2e customize 1 -", "e2e wait 1", `e2e send c ${SENDS} 1024 1 -`, "e2e state 1"], inProcessServer(core));
  expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready"]);
  const [g] = sends(generic.lines);
  const [c] = sends(custom.lines);
  expect(g).toMatchObject({ sent: SENDS, ok: SENDS });
  expect(c).toMatchObject({ sent: SENDS, ok: SENDS });
  // every instruction takes at least a cycle: the customized run's extra instructions are at least this much time on a cycle-counting timer
  return { generic: g!.digest, customized: c!.digest, shiftMs: (custom.instructions - generic.instructions) / FREQ_MHZ / 1000 };
}

describe("TCP segments compared whatever each path's speed", () => {
  it("a customized run slowed by over 300 ms of cycles sends the same segments as the generic run", async () => {
    const steady = await compare("steady");
    expect(steady.shiftMs).toBeGreaterThan(300);
    expect(steady.customized).toBe(steady.generic);
  }, 300_000);

  it("with the timer counting cycles, the same slowdown moves TCP's timers and the segments differ", async () => {
    const cycles = await compare("cycles");
    expect(cycles.shiftMs).toBeGreaterThan(300);
    expect(cycles.customized).not.toBe(cycles.generic);
  }, 300_000);

  it("with the time steady, a header byte that differs (the TTL, and the checksum with it) changes the digest, not the segments' sizes", async () => {
    const plain = await runDevice(["e2e tcp 7001", `e2e send g ${SENDS} 1024 1 -`], inProcessServer(core));
    const ttl = await runDevice(["e2e tcp 7001", "e2e ttl 1 63", `e2e send g ${SENDS} 1024 1 -`], inProcessServer(core));
    const [a] = sends(plain.lines);
    const [b] = sends(ttl.lines);
    expect(ttl.lines).toContain("ret 0");
    expect({ packets: b!.packets, bytes: b!.bytes }).toEqual({ packets: a!.packets, bytes: a!.bytes });
    expect(b!.digest).not.toBe(a!.digest);
  }, 300_000);
});
