// Bad input never crashes the parser: 10,000 mutations (a token deleted,
// duplicated, or two tokens swapped) of TinyCC's tests2 programs each give a
// program or an error diagnostic with a position, never an exception.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type PreprocessedUnit, preprocessWithHeaders, tccDir } from "../../src/c/corpus.ts";
import { TokKind, type Token, tokenize } from "../../src/c/lexer.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { mulberry32, mutateTokens } from "../../src/c/mutate.ts";

const MUTATIONS = 10_000;

/** tests2 programs preprocessed over small declaration-only C library headers (so each parses in about a millisecond). */
async function corpus(): Promise<PreprocessedUnit[]> {
  const cc = await createCompiler({ target: "x86_64" });
  const dir = path.join(tccDir(), "tests", "tests2");
  const libc = path.join(repoRoot(), "test", "c", "fixtures", "mini-libc");
  const units: PreprocessedUnit[] = [];
  for (const f of fs.readdirSync(dir).filter((f) => /^\d+_.*\.c$/.test(f)).sort()) {
    try {
      units.push(await preprocessWithHeaders(cc, path.join(dir, f), [libc]));
    } catch {
      // programs needing headers the mini C library lacks (pthread, signal, mman...) are not mutated
    }
  }
  return units;
}

describe("parser on mutated input", () => {
  it("10,000 token mutations of tests2 programs: each parses or yields an error with a position", async () => {
    // 101_cleanup expands to 3.8 MB of C: parsed by the round-trip test, too big to mutate 100 times here
    const units = (await corpus()).filter((u) => u.text.length < 200_000 && parseProgram(u.text, { target: "x86_64" }).program !== null);
    const tokenLists: Token[][] = units.map((u) => tokenize(u.text).tokens.filter((t) => t.kind !== TokKind.Eof)).filter((t) => t.length > 10);
    expect(tokenLists.length).toBeGreaterThan(90);
    const random = mulberry32(0x5eed);
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const tokens = tokenLists[i % tokenLists.length]!;
      const { text, description } = mutateTokens(tokens, random);
      let result: ReturnType<typeof parseProgram>;
      try {
        result = parseProgram(text, { target: "x86_64" });
      } catch (e) {
        throw new Error(`mutation ${i} (${description}) threw: ${e instanceof Error ? e.stack : String(e)}`);
      }
      if (result.program) {
        parsed++;
        continue;
      }
      rejected++;
      const err = result.diagnostics.find((d) => d.severity === "error");
      expect(err, `mutation ${i} (${description}): no error diagnostic`).toBeDefined();
      expect(err!.message.length).toBeGreaterThan(5);
      expect(err!.pos.line).toBeGreaterThanOrEqual(1);
      expect(err!.pos.column).toBeGreaterThanOrEqual(1);
    }
    expect(parsed + rejected).toBe(MUTATIONS);
    // a mutation fuzzer that never produces a rejected input would test nothing
    expect(rejected).toBeGreaterThan(MUTATIONS / 4);
  }, 180_000);
});
