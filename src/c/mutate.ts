// Token-level mutations for fuzzing the parser (used by the fuzz test and by
// `bespoke bench frontend`'s timing of bad inputs).
import type { Token } from "./lexer.ts";

/** Small deterministic PRNG (mulberry32): the same seed gives the same mutations. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Delete, duplicate or swap tokens, and lay the tokens out again on their original lines. */
export function mutateTokens(tokens: Token[], random: () => number): { text: string; description: string } {
  const list = tokens.slice();
  const pick = (): number => Math.floor(random() * list.length);
  const op = Math.floor(random() * 3);
  const i = pick();
  let description: string;
  if (op === 0) {
    description = `delete '${list[i]!.text}' at ${list[i]!.pos.line}:${list[i]!.pos.column}`;
    list.splice(i, 1);
  } else if (op === 1) {
    description = `duplicate '${list[i]!.text}' at ${list[i]!.pos.line}:${list[i]!.pos.column}`;
    list.splice(i, 0, list[i]!);
  } else {
    const j = random() < 0.5 ? Math.min(list.length - 1, i + 1) : pick();
    description = `swap '${list[i]!.text}' and '${list[j]!.text}'`;
    const a = list[i]!;
    list[i] = { ...list[j]!, pos: a.pos };
    list[j] = { ...a, pos: list[j]!.pos };
  }
  const lines: string[] = [];
  for (const t of list) {
    const line = t.pos.line - 1;
    while (lines.length <= line) lines.push("");
    lines[line] += (lines[line] ? " " : "") + t.text;
  }
  return { text: lines.join("\n") + "\n", description };
}
