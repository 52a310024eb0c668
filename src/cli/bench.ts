// `bespoke bench NAME --json FILE`: one benchmark per component, each in src/bench/.
import fs from "node:fs";
import path from "node:path";
import { BespokeError } from "../errors.ts";
import type { CommandContext } from "./main.ts";

export type Benchmark = (ctx: CommandContext) => Promise<Record<string, unknown>>;

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  compiler: async () => (await import("../bench/compiler.ts")).compilerBench,
  specializer: async () => (await import("../bench/specializer.ts")).benchSpecializer,
  frontend: async () => (await import("../bench/frontend.ts")).frontendBench,
  firmware: async () => (await import("../bench/firmware.ts")).firmwareBench,
  vm: async () => (await import("../bench/vm.ts")).vmBench,
  edge: async () => (await import("../bench/edge.ts")).edgeBench,
  custom: async () => (await import("../bench/custom.ts")).customBench,
  browser: async () => (await import("../bench/browser.ts")).browserBench,
  e2e: async () => (await import("../bench/e2e.ts")).e2eBench,

};

export async function bench(args: string[], ctx: CommandContext): Promise<number> {
  let name: string | undefined;
  let json: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--json") json = args[++i];
    else if (a.startsWith("--json=")) json = a.slice(7);
    else if (!a.startsWith("-") && name === undefined) name = a;
    else throw new BespokeError("USAGE", `bench: unexpected argument '${a}'`);
  }
  const names = Object.keys(BENCHMARKS);
  if (!name) name = "e2e"; // the paper's figures
  const load = BENCHMARKS[name];
  if (!load) throw new BespokeError("USAGE", `bench: unknown benchmark '${name}' (${names.join(", ")})`);
  const result = await (await load())(ctx);
  const text = JSON.stringify(result, null, 2) + "\n";
  if (json) {
    fs.mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
    fs.writeFileSync(json, text);
    ctx.stderr(`bench ${name}: wrote ${json}\n`);
  } else {
    ctx.stdout(text);
  }
  return 0;
}
