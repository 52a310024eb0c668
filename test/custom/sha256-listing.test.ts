// firmware/custom/sha256.c carries the arm SHA-256 block as A32 machine words
// with the assembler listing beside each word (TinyCC has no ARM assembler).
// The listing is the source a reader trusts: GNU as assembles it here, and
// every word must be what the listing says.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { repoRoot } from "../../src/node/paths.ts";

interface Line {
  /** The word in the C source, or null for a word the linker fills in (`.word SYMBOL`). */
  word: number | null;
  asm: string;
}

/** The words and listing of `block_arm` in sha256.c, labels as their own lines. */
function listing(): Line[] {
  const source = fs.readFileSync(path.join(repoRoot(), "firmware/custom/sha256.c"), "utf8");
  const body = /block_arm\[\][^{]*\{([\s\S]*?)\n\};/.exec(source);
  if (!body) throw new Error("sha256.c: no block_arm array");
  const out: Line[] = [];
  for (const raw of body[1]!.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const label = /^\/\* (\.L\w+:) \*\/$/.exec(line);
    const word = /^0x([0-9a-f]{8}), \/\* (.+) \*\/$/.exec(line);
    const symbol = /^\(bsp_u32\)\w+, \/\* (\.word \w+) \*\/$/.exec(line);
    if (label) out.push({ word: null, asm: label[1]! });
    else if (word) out.push({ word: parseInt(word[1]!, 16), asm: word[2]! });
    else if (symbol) out.push({ word: null, asm: ".word 0" });
    else throw new Error(`sha256.c block_arm: a line that is neither a word with its listing nor a label: ${line}`);
  }
  return out;
}

it("the arm SHA-256 block's machine words are what GNU as makes of the listing beside them", () => {
  const lines = listing();
  const instructions = lines.filter((l) => !l.asm.endsWith(":"));
  expect(instructions.length).toBeGreaterThan(50);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sha-listing-"));
  try {
    fs.writeFileSync(path.join(dir, "block.s"), `.arm\n.text\n${lines.map((l) => l.asm).join("\n")}\n`);
    const as = spawnSync("arm-linux-gnueabi-as", ["-march=armv7-a", "-o", "block.o", "block.s"], { cwd: dir, encoding: "utf8" });
    expect(as.status, as.stderr).toBe(0);
    const copy = spawnSync("arm-linux-gnueabi-objcopy", ["-O", "binary", "-j", ".text", "block.o", "block.bin"], { cwd: dir, encoding: "utf8" });
    expect(copy.status, copy.stderr).toBe(0);
    const bin = fs.readFileSync(path.join(dir, "block.bin"));
    expect(bin.length).toBe(instructions.length * 4);
    const mismatches = instructions
      .map((l, i) => ({ ...l, assembled: bin.readUInt32LE(i * 4) }))
      .filter((l) => l.word !== null && l.word !== l.assembled)
      .map((l) => `${l.asm}: source 0x${l.word!.toString(16).padStart(8, "0")}, as 0x${l.assembled.toString(16).padStart(8, "0")}`);
    expect(mismatches).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
