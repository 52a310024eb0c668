// The e2e latency over a link simulated in virtual time (link-timeline.ts):
// the time a request takes on the timeline is the link's one-way delays on
// its critical path plus what each hop's processing took on the timeline's
// clock — so it can never be below the model RTT x (chi + 1), whatever that
// clock says (a loaded machine's clock less run-queue waits can lose time).
// The clocks here are fakes the test moves, so the figures are exact.
import { beforeAll, describe, expect, it } from "vitest";
import { type ServerLink, inProcessServer, runDevice } from "../../src/device/host.ts";
import type { CoreOptions } from "../../src/server/customize.ts";
import type { CustomizeOutcome } from "../../src/server/types.ts";
import { boardCore, sends } from "./support.ts";

let core: CoreOptions;

beforeAll(async () => {
  core = await boardCore();
  // a first request, so that the measured ones are warm ones (the image cache answers after re-reading what it depended on)
  await runDevice(["e2e tcp 7001", "e2e customize 1 -", "e2e wait 1"], inProcessServer(core));
}, 300_000);

const LINK = { rttMs: 20, virtual: true };

/** The in-process server, `perFrame` added to `clock.t` as it takes each frame from the device; frames counted. */
function slowServer(clock: { t: number }, perFrame: number, outcomes: CustomizeOutcome[]): ServerLink & { frames: number } {
  const inner = inProcessServer(core, { onOutcome: (_r, o) => outcomes.push(o) });
  const link = {
    frames: 0,
    send(frame: Uint8Array) {
      link.frames++;
      clock.t += perFrame;
      inner.send(frame);
    },
    onFrame: (h: (frame: Uint8Array) => void) => inner.onFrame(h),
    close: () => inner.close(),
  };
  return link;
}

describe("e2e latency over a virtual link", () => {
  it("with a clock that never moves (a thread that only ever waits for a CPU), a request takes the link's time alone: RTT x (chi + 1)", async () => {
    for (const open of [["e2e tcp 7001", "-"], ["e2e udp 7000", "7000"]] as const) {
      const outcomes: CustomizeOutcome[] = [];
      const run = await runDevice([open[0], `e2e customize 1 ${open[1]}`, "e2e wait 1"], inProcessServer(core, { onOutcome: (_r, o) => outcomes.push(o) }), { link: LINK, timelineClock: () => 0 });
      expect(run.lines).toContain("state ready");
      const chi = outcomes[0]!.ok ? outcomes[0]!.stats.chi : -1;
      expect(chi).toBeGreaterThan(0);
      expect(run.waitsOnTimeline).toEqual([20 * (chi + 1)]);
    }
  }, 300_000);

  it("a slow server hop adds its processing on the critical path: 7 ms per frame it takes on top of the link's time", async () => {
    const clock = { t: 0 };
    const outcomes: CustomizeOutcome[] = [];
    const server = slowServer(clock, 7, outcomes);
    const run = await runDevice(["e2e tcp 7001", "e2e customize 1 -", "e2e wait 1"], server, { link: LINK, timelineClock: () => clock.t });
    const chi = outcomes[0]!.ok ? outcomes[0]!.stats.chi : -1;
    expect(server.frames).toBeGreaterThan(chi); // the CUSTOMIZE and at least an answer per round trip
    expect(run.waitsOnTimeline).toEqual([20 * (chi + 1) + 7 * server.frames]);
  }, 300_000);

  it("on the real clock the time is at least the model, and the customized sends after it stay identical to the generic ones", async () => {
    const outcomes: CustomizeOutcome[] = [];
    const generic = await runDevice(["e2e tcp 7001", "e2e send g 200 1024 1 -"], inProcessServer(core));
    const run = await runDevice(["e2e tcp 7001", "e2e customize 1 -", "e2e wait 1", "e2e send c 200 1024 1 -", "e2e state 1"], inProcessServer(core, { onOutcome: (_r, o) => outcomes.push(o) }), { link: LINK });
    const chi = outcomes[0]!.ok ? outcomes[0]!.stats.chi : -1;
    expect(run.waitsOnTimeline[0]).toBeGreaterThanOrEqual(20 * (chi + 1));
    expect(run.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready"]);
    expect(sends(run.lines)[0]!.digest).toBe(sends(generic.lines)[0]!.digest);
  }, 300_000);
});
