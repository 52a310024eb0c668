// `bespoke bench vm`: interpreter speed (MIPS) on a compute-bound program
// (integer hashing, a sieve and 64-bit arithmetic in registers) and a
// memory-bound one (streaming copies and strided sums over 4 MiB), both
// compiled by tcc-wasm with firmware/libc and run under linux-user.
// `mips` is by wall-clock time; `cpuMips` by this process's CPU time, which
// stays meaningful when other jobs share the machine.
import { createCompiler } from "../compiler/node.ts";
import { BespokeError } from "../errors.ts";
import type { Benchmark } from "../cli/bench.ts";
import { linkProgram } from "../vm/link.ts";
import { createLinuxMachine } from "../vm/linux.ts";

const COMPUTE = `
#include <stdio.h>
static unsigned hash(unsigned x) { x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16; return x; }
int main(void) {
  static char composite[20000];
  unsigned acc = 0, i, j, primes = 0;
  unsigned long long wide = 1;
  for (i = 0; i < 3000000; i++) acc += hash(i) >> (i & 7);
  for (i = 2; i < sizeof composite; i++) {
    if (composite[i]) continue;
    primes++;
    for (j = i * 2; j < sizeof composite; j += i) composite[j] = 1;
  }
  for (i = 1; i < 500000; i++) wide = wide * 6364136223846793005ULL + i;
  printf("%u %u %u\\n", acc, primes, (unsigned)(wide >> 32));
  return 0;
}
`;

const MEMORY = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define WORDS (1u << 20)
int main(void) {
  unsigned *a = malloc(WORDS * 4), *b = malloc(WORDS * 4);
  unsigned i, round, sum = 0;
  for (i = 0; i < WORDS; i++) a[i] = i * 2654435761u;
  for (round = 0; round < 2; round++) {
    memcpy(b, a, WORDS * 4);
    for (i = 0; i < WORDS; i += 1 + (round & 1)) sum += b[i] ^ a[(i * 17) & (WORDS - 1)];
    for (i = 0; i < WORDS; i++) a[i] = b[WORDS - 1 - i] + sum;
  }
  printf("%u\\n", sum);
  return 0;
}
`;

export const vmBench: Benchmark = async (ctx) => {
  const compiler = await createCompiler({ target: "arm" });
  const result: Record<string, unknown> = { goalMips: 50 };
  for (const [name, source] of [["compute", COMPUTE], ["memory", MEMORY]] as const) {
    const built = await linkProgram(compiler, { files: { [`${name}.c`]: source }, backend: "linux" });
    if (!built.ok) throw new BespokeError("BENCH_BUILD", `bench vm: ${name}.c does not build: ${built.stderr}`);
    const runs: { instructions: number; cycles: number; ms: number; cpuMs: number; mips: number; cpuMips: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const machine = createLinuxMachine(built.elf, { ramBytes: 64 * 1024 * 1024 });
      const cpuBefore = process.cpuUsage();
      const r = machine.run();
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      if (r.exitCode !== 0) throw new BespokeError("BENCH_RUN", `bench vm: ${name} did not exit cleanly: ${JSON.stringify(r.stop)}`);
      runs.push({ instructions: r.instructions, cycles: r.cycles, ms: round(r.ms), cpuMs: round(cpuMs), mips: round(r.instructions / r.ms / 1000), cpuMips: round(r.instructions / cpuMs / 1000) });
    }
    const best = runs.reduce((a, b) => (b.mips > a.mips ? b : a));
    result[name] = { ...best, runs: runs.map((r) => ({ mips: r.mips, cpuMips: r.cpuMips })) };
    ctx.stderr(`bench vm: ${name}: ${best.instructions} instructions in ${best.ms} ms = ${best.mips} MIPS (${best.cpuMips} MIPS by CPU time)\n`);
  }
  return result;
};

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
