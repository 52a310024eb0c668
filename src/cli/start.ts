// `npm start`: the main job. For now: compile the sample for every target
// with tcc-wasm and describe the objects. (The remote-customization demo
// replaces this once the edge server and the device exist.)
import fs from "node:fs";
import path from "node:path";
import { createCompiler } from "../compiler/node.ts";
import { allocatedSizes, readElf } from "../compiler/elf.ts";
import { TARGETS, TARGET_INFO } from "../compiler/targets.ts";
import { repoRoot } from "../node/paths.ts";
import type { CommandContext } from "./main.ts";

export async function start(_args: string[], ctx: CommandContext): Promise<number> {
  const file = path.join(repoRoot(), "examples", "sample.c");
  const source = fs.readFileSync(file, "utf8");
  ctx.stdout(`bespoke: compiling ${path.relative(process.cwd(), file)} with tcc-wasm for every target\n\n`);
  ctx.stdout(`${"target".padEnd(8)} ${"ok".padEnd(3)} ${"machine".padEnd(8)} ${".text".padStart(6)} ${".data".padStart(6)} ${"ms".padStart(7)}\n`);
  let failures = 0;
  for (const target of TARGETS) {
    const compiler = await createCompiler({ target });
    const r = await compiler.compile({ files: { "sample.c": source }, entry: "sample.c" });
    if (!r.ok) {
      failures++;
      ctx.stdout(`${target.padEnd(8)} no  ${r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`).join("; ")}\n`);
      continue;
    }
    const elf = readElf(r.object);
    const sizes = allocatedSizes(elf);
    const machineOk = elf.machine === TARGET_INFO[target].elfMachine;
    ctx.stdout(
      `${target.padEnd(8)} ${machineOk ? "yes" : "NO "} ${String(elf.machine).padEnd(8)} ${String(sizes.text).padStart(6)} ${String(sizes.data).padStart(6)} ${r.ms.toFixed(1).padStart(7)}\n`,
    );
    if (!machineOk) failures++;
  }
  return failures ? 1 : 0;
}
