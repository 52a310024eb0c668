// Instruction-level differential: 10,000 random sequences of data-processing,
// multiply and load/store instructions, run under qemu-arm and the VM;
// registers, flags and the scratch buffer must be equal after each one.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createLinuxMachine } from "../../src/vm/linux.ts";
import { RECORD_BYTES, type Sequence, batchElf, compareRecords, generateSequence } from "./random-sequences.ts";
import { mulberry32 as prng } from "../../src/c/mutate.ts";
import { cacheDir } from "./support.ts";

const BATCHES = 10;
const PER_BATCH = 1000;
const run = promisify(execFile);

function vmRecords(elf: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  const machine = createLinuxMachine(elf, { write: (fd, bytes) => fd === 1 && out.push(bytes) });
  const result = machine.run(50_000_000);
  if (result.stop.kind !== "exit") throw new Error(`VM stopped: ${JSON.stringify(result.stop)}`);
  return new Uint8Array(Buffer.concat(out));
}

describe("random instruction sequences, qemu-arm vs VM", () => {
  it(`${BATCHES * PER_BATCH} sequences give equal registers, flags and buffers`, async () => {
    const rand = prng(0x5eed1234);
    const batches: { sequences: Sequence[]; file: string }[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const sequences = Array.from({ length: PER_BATCH }, () => generateSequence(rand));
      const file = path.join(cacheDir(), `random-batch-${process.pid}-${b}.elf`);
      fs.writeFileSync(file, batchElf(sequences), { mode: 0o755 });
      batches.push({ sequences, file });
    }
    try {
      const oracle = await Promise.all(batches.map((b) => run("qemu-arm", ["-cpu", "pxa270", b.file], { encoding: "buffer", maxBuffer: 64 << 20 })));
      const mismatches: string[] = [];
      batches.forEach((b, i) => {
        const expected = new Uint8Array(oracle[i]!.stdout);
        expect(expected.length).toBe(PER_BATCH * RECORD_BYTES);
        mismatches.push(...compareRecords(b.sequences, expected, vmRecords(new Uint8Array(fs.readFileSync(b.file)))).map((m) => `batch ${i} ${m}`));
      });
      expect(mismatches.slice(0, 10)).toEqual([]);
    } finally {
      for (const b of batches) fs.rmSync(b.file, { force: true });
    }
  });
});
