// `bespoke bench custom`: the size of the device-side customization
// subsystem (firmware/custom/: context manager, code manager, loader with
// HMAC-SHA256, channel endpoint, sys_specialize, the board's port) in arm
// code, compiled by tcc-wasm as the firmware build does; the goal is 4 KB
// of .text. Each file is compiled alone against the firmware's headers.
import fs from "node:fs";
import path from "node:path";
import { allocatedSizes, readElf } from "../compiler/elf.ts";
import { createCompiler } from "../compiler/node.ts";
import { BespokeError } from "../errors.ts";
import { repoRoot } from "../node/paths.ts";
import type { Benchmark } from "../cli/bench.ts";

const GOAL_TEXT_BYTES = 4096;

export const customBench: Benchmark = async (ctx) => {
  const root = repoRoot();
  const dir = path.join(root, "firmware", "custom");
  const includes = ["firmware/custom", "firmware/libc", "firmware/libc/include"];
  const files: Record<string, Uint8Array> = {};
  for (const inc of includes) {
    for (const f of fs.readdirSync(path.join(root, inc))) if (f.endsWith(".h")) files[`/src/${inc}/${f}`] = new Uint8Array(fs.readFileSync(path.join(root, inc, f)));
  }
  const sources = fs.readdirSync(dir).filter((f) => f.endsWith(".c") && f !== "port-native.c").sort();
  const cc = await createCompiler({ target: "arm" });
  const perFile: Record<string, { text: number; data: number; bss: number }> = {};
  for (const f of sources) {
    const name = `/src/firmware/custom/${f}`;
    files[name] = new Uint8Array(fs.readFileSync(path.join(dir, f)));
    const r = await cc.invoke({ args: [...includes.map((i) => `-I/src/${i}`), "-c", name, "-o", "/src/out.o"], files, outputs: ["/src/out.o"], cwd: "/src" });
    const object = r.outputs["/src/out.o"];
    if (r.exitCode !== 0 || !object) throw new BespokeError("BENCH_COMPILE", `bench custom: ${f} does not compile for arm:\n${r.stderr}`);
    perFile[f] = allocatedSizes(readElf(object));
    ctx.stderr(`bench custom: ${f} ${perFile[f]!.text} bytes of .text\n`);
  }
  const text = Object.values(perFile).reduce((t, s) => t + s.text, 0);
  const data = Object.values(perFile).reduce((t, s) => t + s.data, 0);
  return { compiler: "tcc-wasm arm", text_bytes: text, data_bytes: data, goal_text_bytes: GOAL_TEXT_BYTES, goal_met: text <= GOAL_TEXT_BYTES, files: perFile };
};
