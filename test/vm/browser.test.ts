// The VM inside a Web Worker in headless Chromium (src/vm uses only web
// APIs): a linux-user program, a board program and a faulting program give
// the same output, counters and fault message as in Node.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Board } from "../../src/vm/board.ts";
import { createLinuxMachine } from "../../src/vm/linux.ts";
import type { RunResult } from "../../src/vm/types.ts";
import { bundleEntry } from "../support/bundle.ts";
import { tccProgram } from "./support.ts";
import { programFiles } from "./tests2-programs.ts";

const WORKER = `
import { Board } from "./src/vm/board.ts";
import { createLinuxMachine } from "./src/vm/linux.ts";

self.onmessage = ({ data: { id, personality, elf } }) => {
  try {
    const bytes = Uint8Array.from(atob(elf), (c) => c.charCodeAt(0));
    let output = "";
    const collect = (b) => { for (const x of b) output += String.fromCharCode(x); };
    const r = personality === "board"
      ? new Board(bytes, { console: collect }).run(10000000)
      : createLinuxMachine(bytes, { write: (fd, b) => fd === 1 && collect(b) }).run(10000000);
    self.postMessage({ id, output, stop: r.stop, instructions: r.instructions, cycles: r.cycles });
  } catch (e) {
    self.postMessage({ id, error: String((e && e.stack) || e) });
  }
};
`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>bespoke vm</title>
<script type="module">
  const worker = new Worker("/worker.mjs", { type: "module" });
  const pending = new Map();
  let next = 0;
  worker.onmessage = ({ data: { id, ...outcome } }) => { pending.get(id)(outcome); pending.delete(id); };
  window.runInWorker = (personality, elf) => new Promise((resolve) => {
    const id = next++;
    pending.set(id, resolve);
    worker.postMessage({ id, personality, elf });
  });
</script>`;

interface Outcome {
  output?: string;
  stop?: RunResult["stop"];
  instructions?: number;
  cycles?: number;
  error?: string;
}

let server: http.Server;
let browser: Browser;
let origin: string;

beforeAll(async () => {
  const worker = await bundleEntry(WORKER);
  server = http.createServer((req, res) => {
    if (req.url === "/") res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    else if (req.url === "/worker.mjs") res.writeHead(200, { "content-type": "text/javascript" }).end(worker);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

function inNode(personality: "linux" | "board", elf: Uint8Array): Outcome {
  let output = "";
  const collect = (b: Uint8Array) => (output += Buffer.from(b).toString("latin1"));
  const r = personality === "board" ? new Board(elf, { console: collect }).run(10_000_000) : createLinuxMachine(elf, { write: (fd, b) => fd === 1 && collect(b) }).run(10_000_000);
  return { output, stop: r.stop, instructions: r.instructions, cycles: r.cycles };
}

async function elfOf(files: Record<string, string>, backend: "linux" | "board"): Promise<Uint8Array> {
  const built = await tccProgram(files, backend);
  if ("error" in built) throw new Error(built.error);
  return new Uint8Array(fs.readFileSync(built.path));
}

describe("the VM in a Web Worker in headless Chromium", () => {
  it("runs linux-user and board programs, and faults, exactly as in Node", async () => {
    const programs: ["linux" | "board", Uint8Array][] = [
      ["linux", await elfOf(programFiles("30_hanoi.c"), "linux")],
      ["linux", await elfOf(programFiles("61_integers.c"), "linux")],
      ["board", await elfOf({ "main.c": '#include <stdio.h>\n#include "board.h"\nint main(void) { printf("%u MHz\\n", BOARD_TIMER_FREQ); return 5; }\n' }, "board")],
      ["linux", await elfOf({ "main.c": "int main(void) { *(volatile int *)16 = 1; return 0; }\n" }, "linux")],
    ];
    const page = await browser.newPage();
    await page.goto(origin);
    await page.waitForFunction(() => "runInWorker" in window);
    for (const [personality, elf] of programs) {
      const inBrowser = (await page.evaluate(
        ([p, e]) => (window as unknown as { runInWorker: (p: string, e: string) => Promise<unknown> }).runInWorker(p, e),
        [personality, Buffer.from(elf).toString("base64")] as const,
      )) as Outcome;
      expect(inBrowser.error).toBeUndefined();
      expect(inBrowser).toEqual(inNode(personality, elf));
    }
    await page.close();
  });
});
