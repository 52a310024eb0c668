// Bad input end to end: a tampered image at the device, a firmware build the
// server does not know, a device answer the server cannot use. Each ends the
// customization with a clear error, nothing crashes, and the device keeps
// sending on the generic path (the same bytes as a generic boot).
import { beforeAll, describe, expect, it } from "vitest";
import { type ServerLink, inProcessServer, runDevice } from "../../src/device/host.ts";
import { NO_SERVER } from "../../src/device/paper.ts";
import { prepareBoardFirmware } from "../../src/device/prepare.ts";
import type { CoreOptions } from "../../src/server/customize.ts";
import type { CustomizeOutcome } from "../../src/server/types.ts";
import { boardCore, sends } from "./support.ts";

const FRAME_DATA = 3;
const FRAME_IMAGE = 6;
const FRAME_ERROR = 7;
// the wait is bounded: a refused image leaves the request pending (the server may send a corrected one)
const SCRIPT = ["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1 2000", "e2e send c 100 64 1 7000", "e2e state 1"];

let core: CoreOptions;
let genericDigest: string;

beforeAll(async () => {
  core = await boardCore();
  genericDigest = sends((await runDevice(["e2e udp 7000", "e2e send g 100 64 1 7000"], NO_SERVER)).lines)[0]!.digest;
}, 300_000);

/** The link to `server`, with frames to the device rewritten by `edit` and the device's ERROR codes collected. */
function tampered(server: ServerLink, edit: (frame: Uint8Array) => Uint8Array, deviceErrors: number[], toServer: (frame: Uint8Array) => Uint8Array = (f) => f): ServerLink {
  return {
    send: (frame) => {
      if (frame[3] === FRAME_ERROR) deviceErrors.push(frame[12]! | (frame[13]! << 8));
      server.send(toServer(frame));
    },
    onFrame: (h) => server.onFrame((frame) => h(edit(frame))),
    close: () => server.close(),
  };
}

describe("bad input ends with a clear error; the device keeps sending on the generic path", () => {
  it("a tampered image: the loader refuses it (TAG), the token stays generic", async () => {
    const deviceErrors: number[] = [];
    const flip = (frame: Uint8Array) => {
      if (frame[3] !== FRAME_IMAGE) return frame;
      const copy = frame.slice();
      copy[12 + 44] ^= 0x01; // the first byte of the image's code
      return copy;
    };
    const run = await runDevice(SCRIPT, tampered(inProcessServer(core), flip, deviceErrors));
    expect(deviceErrors).toContain(14); // BSP_E_TAG
    expect(run.lines).not.toContain("state ready");
    expect(run.exitCode).toBe(0);
    expect(sends(run.lines)[0]).toMatchObject({ ok: 100, digest: genericDigest });
  }, 300_000);

  it("a firmware build the server does not know: UNKNOWN_FIRMWARE, the token fails over to the generic path", async () => {
    const fw = await prepareBoardFirmware();
    const other = await boardCore({ firmware: { ...fw, buildId: "0011223344556677" } });
    const outcomes: CustomizeOutcome[] = [];
    const run = await runDevice(SCRIPT, inProcessServer(other, { onOutcome: (_r, o) => outcomes.push(o) }));
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: "UNKNOWN_FIRMWARE" } });
    expect(run.serverErrors[0]).toMatch(/UNKNOWN_FIRMWARE: .*0011223344556677/);
    expect(run.lines).toContain("state failed");
    expect(sends(run.lines)[0]).toMatchObject({ ok: 100, digest: genericDigest });
  }, 300_000);

  it("a device answer for memory the server did not ask for: the request ends with an error, the device stays generic", async () => {
    const moved = (frame: Uint8Array) => {
      if (frame[3] !== FRAME_DATA) return frame;
      const copy = frame.slice();
      copy[12] ^= 0x40; // the DATA's address, moved
      return copy;
    };
    const run = await runDevice(SCRIPT, tampered(inProcessServer(core), (f) => f, [], moved));
    expect(run.serverErrors[0]).toMatch(/UNEXPECTED_MESSAGE: DATA at 0x[0-9a-f]+ for request 1/);
    expect(run.lines).toContain("state failed");
    expect(sends(run.lines)[0]).toMatchObject({ ok: 100, digest: genericDigest });
  }, 300_000);

  it("a server that never answers: the device waits for it with its clock stopped only so long, then its wait runs out and it sends generic", async () => {
    const silent: ServerLink = { send: () => {}, onFrame: () => {}, close: () => {} };
    const run = await runDevice(["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1 50", "e2e send c 100 64 1 7000"], silent, { serverAnswerMs: 200 });
    expect(run.lines).toContain("state pending");
    expect(sends(run.lines)[0]).toMatchObject({ ok: 100, digest: genericDigest });
  }, 300_000);
});
