// The board timer's STEADY and TICK registers (docs/board.md): while steady,
// virtual time counts sleeps and ticks but not cycles; turned off, it counts
// cycles again from where it stood (no jump for the cycles run meanwhile;
// the same spin then takes the same time, to the microsecond it rounds to).
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { Board } from "../../src/vm/board.ts";
import { tccProgram } from "./support.ts";

const PROGRAM = `
#include <stdio.h>
#include "board.h"

static unsigned spin_us(void) {
  volatile unsigned i;
  unsigned t0 = BOARD_TIMER_US_LO;
  for (i = 0; i < 20000; i++) {
  }
  return BOARD_TIMER_US_LO - t0;
}

int main(void) {
  unsigned counted, steady, ticked, slept, resumed, again, t;
  counted = spin_us();
  BOARD_TIMER_STEADY = 1;
  steady = spin_us();
  t = BOARD_TIMER_US_LO;
  BOARD_TIMER_TICK = 250;
  ticked = BOARD_TIMER_US_LO - t;
  t = BOARD_TIMER_US_LO;
  BOARD_TIMER_SLEEP = 3000;
  slept = BOARD_TIMER_US_LO - t;
  t = BOARD_TIMER_US_LO;
  BOARD_TIMER_STEADY = 0;
  resumed = BOARD_TIMER_US_LO - t;
  again = spin_us();
  printf("counted %d steady %u ticked %u slept %u resumed %d again %d\\n", counted > 100, steady, ticked, slept, resumed <= 1, again + 1 >= counted && again <= counted + 1);
  return 0;
}
`;

describe("board timer: steady time", () => {
  it("does not count cycles while steady, counts ticks and sleeps, and counts cycles again from where it stood", async () => {
    const built = await tccProgram({ "main.c": PROGRAM }, "board");
    if ("error" in built) throw new Error(built.error);
    let out = "";
    const board = new Board(new Uint8Array(fs.readFileSync(built.path)), { console: (b) => (out += Buffer.from(b).toString("latin1")) });
    const stop = board.run(100_000_000);
    expect(stop.stop).toEqual({ kind: "exit", code: 0 });
    expect(out).toBe("counted 1 steady 0 ticked 250 slept 3000 resumed 1 again 1\n");
  });
});
