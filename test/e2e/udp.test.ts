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
});
