// The paper's scenario on the virtual ARM device: the real firmware's
// sys_sendto (kernel + lwIP) customized by the server core for the device's
// context, compiled by tcc-wasm, shipped as a signed image, loaded by the
// firmware's loader and run. Two boots from the same state, one sending
// through the generic system call and one through the token, must put the
// same bytes on the wire (every loopback packet hashed in order, with each
// call's return value).
import { beforeAll, describe, expect, it } from "vitest";
import type { CoreOptions } from "../../src/server/customize.ts";
import { inProcessServer, runDevice } from "../../src/device/host.ts";
import { prepareBoardFirmware } from "../../src/device/prepare.ts";
import { buildArmFirmware } from "../../src/device/firmware-build.ts";
import { imageMemoryBytes } from "../../src/device/paper.ts";
import type { CustomizeOutcome } from "../../src/server/types.ts";
import { boardCore, sends } from "./support.ts";

let core: CoreOptions;

beforeAll(async () => {
  core = await boardCore();
}, 300_000);

const UDP = ["e2e udp 7000"]; // receiver bound to 127.0.0.1:7000, sender fd 1

describe("UDP sendto customized for the real firmware, on the VM", () => {
  it("1000 packets of 64 B: byte-identical packets and return values, the version loaded and used", async () => {
    const generic = await runDevice([...UDP, "e2e send g 1000 64 1 7000"], inProcessServer(core));
    const custom = await runDevice([...UDP, "e2e customize 1 7000", "e2e wait 1", "e2e state 1", "e2e send c 1000 64 1 7000", "e2e state 1", "e2e cancel 1", "e2e state 1"], inProcessServer(core));
    expect(generic.exitCode).toBe(0);
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready", "state ready", "state notoken"]);
    const [g] = sends(generic.lines);
    const [c] = sends(custom.lines);
    expect(g).toMatchObject({ sent: 1000, ok: 1000, first: 64, packets: 1000, bytes: 1000 * (20 + 8 + 64) });
    expect(c!.digest).toBe(g!.digest);
    expect(c).toMatchObject({ ok: 1000, packets: 1000, bytes: g!.bytes });
    expect(custom.framesIn).toBeGreaterThan(0);
  }, 300_000);

  it("after setsockopt(IP_TTL) the token falls back to the generic path, asks again, and the new version sends the new TTL", async () => {
    const generic = await runDevice([...UDP, "e2e send g 50 64 1 7000", "e2e ttl 1 9", "e2e send g 1 64 1 7000", "e2e send g 49 64 1 7000"], inProcessServer(core));
    const custom = await runDevice(
      [...UDP, "e2e customize 1 7000", "e2e wait 1", "e2e send c 50 64 1 7000", "e2e ttl 1 9", "e2e send c 1 64 1 7000", "e2e state 1", "e2e wait 1", "e2e send c 49 64 1 7000"],
      inProcessServer(core),
    );
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state pending", "state ready"]);
    expect(sends(custom.lines).map((x) => x.digest)).toEqual(sends(generic.lines).map((x) => x.digest));
    expect(sends(custom.lines).every((x) => x.ok === x.sent)).toBe(true);
  }, 300_000);
});

describe("guards and contexts", () => {
  it("close + fd reuse: the token falls back, then a version for the new socket behind the fd", async () => {
    const after = ["e2e close 1", "e2e udp 7002"]; // fd 1 becomes the new receiver, bound to 7002
    const generic = await runDevice([...UDP, "e2e send g 20 64 1 7000", ...after, "e2e send g 1 64 1 7000", "e2e send g 19 64 1 7000"], inProcessServer(core));
    const custom = await runDevice([...UDP, "e2e customize 1 7000", "e2e wait 1", "e2e send c 20 64 1 7000", ...after, "e2e send c 1 64 1 7000", "e2e state 1", "e2e wait 1", "e2e send c 19 64 1 7000"], inProcessServer(core));
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state pending", "state ready"]);
    expect(sends(custom.lines).map((x) => x.digest)).toEqual(sends(generic.lines).map((x) => x.digest));
  }, 300_000);

  it("connect to another address: the socket's generation moves, generic fallback, then a new version", async () => {
    const generic = await runDevice([...UDP, "e2e send g 20 64 1 7000", "e2e connect 1 7003", "e2e send g 1 64 1 7000", "e2e send g 19 64 1 7000"], inProcessServer(core));
    const custom = await runDevice([...UDP, "e2e customize 1 7000", "e2e wait 1", "e2e send c 20 64 1 7000", "e2e connect 1 7003", "e2e send c 1 64 1 7000", "e2e state 1", "e2e wait 1", "e2e send c 19 64 1 7000"], inProcessServer(core));
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state pending", "state ready"]);
    expect(sends(custom.lines).map((x) => x.digest)).toEqual(sends(generic.lines).map((x) => x.digest));
  }, 300_000);

  it("an empty context: the dependency-pruned generic path, smaller than the whole stack, same packets", async () => {
    const fw = await prepareBoardFirmware();
    const empty = Object.fromEntries(Object.entries(fw.scenarios).map(([name, s]) => [name, { ...s, scenario: { ...s.scenario, params: {}, globals: {} } }]));
    const outcomes: CustomizeOutcome[] = [];
    const pruned = await boardCore({ firmware: { ...fw, scenarios: empty } });
    const generic = await runDevice([...UDP, "e2e send g 200 64 1 7000"], inProcessServer(core));
    const custom = await runDevice([...UDP, "e2e customize 1 7000", "e2e wait 1", "e2e send c 200 64 1 7000"], inProcessServer(pruned, { onOutcome: (_r, o) => outcomes.push(o) }));
    expect(custom.lines).toContain("state ready");
    expect(sends(custom.lines)[0]!.digest).toBe(sends(generic.lines)[0]!.digest);
    const stack = (await buildArmFirmware("board")).components.filter((c) => c.component === "kernel" || c.component === "lwip").reduce((a, c) => a + c.text + c.data, 0);
    const prunedBytes = outcomes[0]!.ok ? imageMemoryBytes(outcomes[0]!.image) : -1;
    expect(prunedBytes).toBeGreaterThan(0);
    expect(prunedBytes).toBeLessThan(stack);
  }, 300_000);
});

describe("TCP send customized for the real firmware, on the VM", () => {
  // The e2e app keeps board time steady (it does not count cycles: firmware/apps/e2e.c), so the customized sender,
  // faster per call, meets TCP's timers at the same sends as the generic one (test/e2e/steady-time.test.ts).
  it("1000 sends of 64 B over a loopback connection: identical segments and return values", async () => {
    const TCP = ["e2e tcp 7001"]; // connected pair, sender fd 1
    const generic = await runDevice([...TCP, "e2e send g 1000 64 1 -"], inProcessServer(core));
    const custom = await runDevice([...TCP, "e2e customize 1 -", "e2e wait 1", "e2e send c 1000 64 1 -", "e2e state 1"], inProcessServer(core));
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready"]);
    const [g] = sends(generic.lines);
    const [c] = sends(custom.lines);
    expect(g).toMatchObject({ sent: 1000, ok: 1000, first: 64 });
    expect(g!.packets).toBeGreaterThan(0);
    expect(c!.digest).toBe(g!.digest);
  }, 300_000);

  it("1000 sends of 1024 B: identical segments and return values", async () => {
    const TCP = ["e2e tcp 7001"];
    const generic = await runDevice([...TCP, "e2e send g 1000 1024 1 -"], inProcessServer(core));
    const custom = await runDevice([...TCP, "e2e customize 1 -", "e2e wait 1", "e2e send c 1000 1024 1 -", "e2e state 1"], inProcessServer(core));
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready"]);
    const [g] = sends(generic.lines);
    const [c] = sends(custom.lines);
    expect(g).toMatchObject({ sent: 1000, ok: 1000, first: 1024 });
    expect(c!.digest).toBe(g!.digest);
  }, 300_000);

  it("the server's latency does not move the device's timers: the 1024 B segments stay identical when the version comes over slow links", async () => {
    // The board's clock stops while it waits for the server (board-run.ts); were it to run, these waits (~180 and
    // ~300 ms) would put TCP's 250 ms timer at other points of the sends, and the delayed ACKs and segments with it.
    const TCP = ["e2e tcp 7001"];
    const [g] = sends((await runDevice([...TCP, "e2e send g 200 1024 1 -"], inProcessServer(core))).lines);
    for (const rttMs of [80, 140]) {
      const custom = await runDevice([...TCP, "e2e customize 1 -", "e2e wait 1", "e2e send c 200 1024 1 -", "e2e state 1"], inProcessServer(core), { link: { rttMs } });
      expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state ready"]);
      expect(sends(custom.lines)[0]!.digest).toBe(g!.digest);
    }
  }, 300_000);

  it("after setsockopt(TCP_NODELAY) the token falls back, asks again, and the new version sends as the generic call does", async () => {
    const TCP = ["e2e tcp 7001"];
    const generic = await runDevice([...TCP, "e2e send g 50 64 1 -", "e2e opt 1 nodelay 1", "e2e send g 1 64 1 -", "e2e send g 49 64 1 -"], inProcessServer(core));
    const custom = await runDevice([...TCP, "e2e customize 1 -", "e2e wait 1", "e2e send c 50 64 1 -", "e2e opt 1 nodelay 1", "e2e send c 1 64 1 -", "e2e state 1", "e2e wait 1", "e2e send c 49 64 1 -"], inProcessServer(core));
    expect(custom.lines.filter((l) => l.startsWith("state "))).toEqual(["state ready", "state pending", "state ready"]);
    const g = sends(generic.lines);
    expect(g.every((x) => x.ok === x.sent)).toBe(true);
    expect(sends(custom.lines).map((x) => x.digest)).toEqual(g.map((x) => x.digest));
  }, 300_000);

  it("the peer closes (FIN, then RST for data it no longer takes): the connection's state moves under the residual code, which falls back as the generic call fails", async () => {
    const TCP = ["e2e tcp 7001"]; // fd 2 is the receiving end
    const generic = await runDevice([...TCP, "e2e send g 20 64 1 -", "e2e close 2", "e2e send g 30 64 1 -"], inProcessServer(core));
    const custom = await runDevice([...TCP, "e2e customize 1 -", "e2e wait 1", "e2e send c 20 64 1 -", "e2e close 2", "e2e send c 30 64 1 -", "e2e state 1"], inProcessServer(core));
    const g = sends(generic.lines);
    // the closed peer refuses the sender at some point: later sends fail
    expect(g[1]!.ok).toBeLessThan(30);
    expect(custom.lines.filter((l) => l.startsWith("state ")).at(-1)).not.toBe("state ready");
    expect(sends(custom.lines)).toEqual(g.map((x) => ({ ...x, instret: expect.any(Number) })));
  }, 300_000);
});
