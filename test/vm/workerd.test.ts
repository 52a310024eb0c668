// The VM at the edge: a module Worker in workerd (miniflare) runs a
// linux-user program posted to it and answers with its output and counters,
// the same as in Node.
import fs from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../src/node/paths.ts";
import { createLinuxMachine } from "../../src/vm/linux.ts";
import { bundleEntry } from "../support/bundle.ts";
import { tccProgram } from "./support.ts";
import { programFiles } from "./tests2-programs.ts";

const WORKER = `
import { createLinuxMachine } from "./src/vm/linux.ts";

export default {
  async fetch(request) {
    const elf = new Uint8Array(await request.arrayBuffer());
    let output = "";
    const machine = createLinuxMachine(elf, { write: (fd, b) => { if (fd === 1) for (const x of b) output += String.fromCharCode(x); } });
    const r = machine.run(10000000);
    return Response.json({ output, stop: r.stop, instructions: r.instructions, cycles: r.cycles });
  },
};
`;

let mf: Miniflare;

beforeAll(async () => {
  const root = repoRoot();
  mf = new Miniflare({
    modulesRoot: root,
    modules: [{ type: "ESModule", path: path.join(root, "worker.mjs"), contents: await bundleEntry(WORKER) }],
    compatibilityDate: "2025-01-01",
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
});

describe("the VM in workerd", () => {
  it.each(["25_quicksort.c", "61_integers.c"])("runs %s as in Node", async (name) => {
    const built = await tccProgram(programFiles(name));
    if ("error" in built) throw new Error(built.error);
    const elf = new Uint8Array(fs.readFileSync(built.path));
    const res = await mf.dispatchFetch("http://bespoke.test/run", { method: "POST", body: elf });
    expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
    let output = "";
    const r = createLinuxMachine(elf, { write: (fd, b) => fd === 1 && (output += Buffer.from(b).toString("latin1")) }).run(10_000_000);
    expect(await res.json()).toEqual({ output, stop: r.stop, instructions: r.instructions, cycles: r.cycles });
    expect(r.stop).toEqual({ kind: "exit", code: 0 });
  });
});
