// What the server owes a board (board-run.ts OwedAnswers): the Node host and
// the playground's device worker both stop the board's clock while an
// answer is owed, for at most the answer time from its request.
import { describe, expect, it } from "vitest";
import { OwedAnswers } from "../../src/device/board-run.ts";
import { BUILD_ID_BYTES, CONTEXT_HASH_BYTES, type Message, encodeFrame } from "../../src/runtime/protocol.ts";

const customize = (id: number): Message => ({ type: "customize", id, call: "sendto", target: "arm", buildId: new Uint8Array(BUILD_ID_BYTES), contextHash: new Uint8Array(CONTEXT_HASH_BYTES), values: [], roots: [] });

describe("OwedAnswers", () => {
  let now = 0;
  const owed = () => new OwedAnswers(1000, () => now);

  it("owes an answer from a CUSTOMIZE until its IMAGE or ERROR arrives, for at most the answer time", () => {
    now = 0;
    const o = owed();
    expect(o.waitMs()).toBe(0);
    o.sent(encodeFrame(customize(7)));
    now = 300;
    expect(o.waitMs()).toBe(700);
    o.delivered(encodeFrame({ type: "image", id: 8, image: new Uint8Array(4) })); // another request's
    expect(o.waitMs()).toBe(700);
    o.delivered(encodeFrame({ type: "image", id: 7, image: new Uint8Array(4) }));
    expect(o.waitMs()).toBe(0);

    o.sent(encodeFrame(customize(9)));
    o.delivered(encodeFrame({ type: "error", id: 9, code: 101, message: "no" }));
    expect(o.waitMs()).toBe(0);

    o.sent(encodeFrame(customize(10)));
    now = 5000;
    expect(o.waitMs()).toBe(0); // a server that never answers stops holding the clock
  });

  it("owes nothing for a request the device cancelled or answered with an ERROR itself", () => {
    now = 0;
    const o = owed();
    o.sent(encodeFrame(customize(1)));
    o.sent(encodeFrame(customize(2)));
    now = 100;
    o.sent(encodeFrame({ type: "cancel", id: 1 }));
    expect(o.waitMs()).toBe(900);
    o.sent(encodeFrame({ type: "error", id: 2, code: 3, message: "bad FETCH" }));
    expect(o.waitMs()).toBe(0);
  });
});
