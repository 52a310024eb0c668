// The board personality (docs/board.md): a program linked with the libc's
// board backend talks to the UART, timer, cycle counter, mailbox and system
// control through MMIO, as the firmware does.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { Board } from "../../src/vm/board.ts";
import { tccProgram } from "./support.ts";

const PROGRAM = `
#include <stdio.h>
#include <string.h>
#include "board.h"

static unsigned char buf[256];

int main(void) {
  unsigned c0, c1, t0, t1, n, i;
  printf("hello board, %u MHz, %u KiB RAM\\n", BOARD_TIMER_FREQ, BOARD_SYS_RAM_SIZE / 1024);
  c0 = BOARD_CYCLES_LO;
  c1 = BOARD_CYCLES_LO;
  printf("cycles advance: %d, high word %u\\n", c1 > c0, BOARD_CYCLES_HI);
  t0 = BOARD_TIMER_US_LO;
  BOARD_TIMER_SLEEP = 5000;
  t1 = BOARD_TIMER_US_LO;
  printf("slept at least 5000 us: %d\\n", t1 - t0 >= 5000);
  while (!(BOARD_MBOX_STATUS & BOARD_MBOX_RX_READY))
    BOARD_TIMER_SLEEP = 100;
  n = BOARD_MBOX_RX_LEN;
  BOARD_MBOX_RX_ADDR = (unsigned)buf;
  for (i = 0; i < n / 2; i++) {
    unsigned char t = buf[i];
    buf[i] = buf[n - 1 - i];
    buf[n - 1 - i] = t;
  }
  BOARD_MBOX_TX_ADDR = (unsigned)buf;
  BOARD_MBOX_TX_LEN = n;
  printf("echoed %u bytes, inbox now %u\\n", n, BOARD_MBOX_RX_LEN);
  return 7;
}
`;

async function boardElf(source: string): Promise<Uint8Array> {
  const built = await tccProgram({ "main.c": source }, "board");
  if ("error" in built) throw new Error(built.error);
  return new Uint8Array(fs.readFileSync(built.path));
}

describe("board personality", () => {
  it("runs a program against the UART, timer, cycle counter, mailbox and exit register", async () => {
    let console = "";
    const sent: string[] = [];
    const board = new Board(await boardElf(PROGRAM), {
      console: (b) => (console += Buffer.from(b).toString("latin1")),
      send: (m) => sent.push(Buffer.from(m).toString("latin1")),
    });
    const first = board.step(10_000_000);
    expect(first).toEqual({ kind: "sleep", microseconds: 5000 });
    const before = board.microseconds;
    board.advance(5000);
    const second = board.step(10_000_000);
    expect(second).toEqual({ kind: "sleep", microseconds: 100 });
    board.deliver(new TextEncoder().encode("customize sendto"));
    const r = board.run(10_000_000);
    expect(r.stop).toEqual({ kind: "exit", code: 7 });
    expect(r.exitCode).toBe(7);
    expect(sent).toEqual(["otdnes ezimotsuc"]);
    expect(console).toBe(
      "hello board, 206 MHz, 16384 KiB RAM\ncycles advance: 1, high word 0\nslept at least 5000 us: 1\necho" + "ed 16 bytes, inbox now 0\n",
    );
    expect(board.microseconds).toBeGreaterThanOrEqual(before + 5000);
  });

  it("runs in a caller-supplied WebAssembly.Memory, which then holds the program's RAM", async () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 64 });
    const board = new Board(await boardElf("static char note[] = \"in shared memory\"; int main(void) { note[0] = 'I'; return 0; }\n"), { memory, ramBytes: 64 * 65536 });
    expect(board.run(100_000).exitCode).toBe(0);
    expect(Buffer.from(memory.buffer).includes("In shared memory")).toBe(true);
  });

  it("faults on byte access to MMIO, an unmapped device page, svc, and taking a mailbox message when none is waiting", async () => {
    const cases: [string, RegExp][] = [
      ["*(volatile unsigned char *)0xF0000000 = 'x';", /^bad-access at pc 0x[0-9a-f]{8} \(instruction 0x[0-9a-f]{8}\): STRB of 0xf0000000 \(in main\+0x[0-9a-f]+\)$/],
      ["BOARD_MBOX_RX_ADDR = 0x100000;", /^bad-access .*: STR of 0xf0003008 \(in main\+0x[0-9a-f]+\)$/],
      ["if (*(volatile unsigned *)0xF0005000) return 1;", /^bad-access .*: LDR of 0xf0005000/],
      ["static const unsigned svc[] __attribute__((section(\".text\"))) = { 0xef000000, 0xe12fff1e }; ((void (*)(void))(void *)svc)();", /^unsupported-syscall .*svc on the board/],
    ];
    for (const [statement, message] of cases) {
      const board = new Board(await boardElf(`#include "board.h"\nint main(void) { ${statement} return 0; }\n`));
      const r = board.run(1_000_000);
      expect(r.stop.kind === "fault" ? r.stop.fault.message : r.stop.kind).toMatch(message);
    }
  });
});
