// Where the repository and its build outputs are, for Node-side code
// (sources under src/ run from src/, the CLI bundle from build/).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { BespokeError } from "../errors.ts";

let root: string | null = null;

export function repoRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, "build.mjs")) && fs.existsSync(path.join(dir, "package.json"))) return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new BespokeError("NO_REPO", "cannot find the bespoke repository (build.mjs) above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function buildDir(): string {
  return path.join(repoRoot(), "build");
}

export interface BuildManifest {
  debian: string;
  cache: string;
  sources: Record<string, { dir: string; version: string }>;
  tccWasm: { key: string; tcc: string; emscripten: string; applied: string[]; absent: string[] };
}

export function buildManifest(): BuildManifest {
  const file = path.join(buildDir(), "manifest.json");
  if (!fs.existsSync(file)) throw new BespokeError("NOT_BUILT", `${file} missing: run 'node build.mjs'`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as BuildManifest;
}
