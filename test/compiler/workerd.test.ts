// tcc-wasm inside workerd (miniflare 4): a module Worker that imports each
// target's .wasm as a CompiledWasm module, as Workers require, compiles with
// src/compiler/web.ts and answers with the object — the same bytes as Node.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompileInput } from "../../src/compiler/compiler.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { TARGETS } from "../../src/compiler/targets.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { bundleEntry, glueImports, wasmFile } from "../support/bundle.ts";

const WORKER = `
${glueImports()}
${TARGETS.map((t) => `import wasm_${t} from "./tcc-${t}.wasm";`).join("\n")}
import { createWebCompiler } from "./src/compiler/web.ts";

const modules = { ${TARGETS.map((t) => `${t}: { factory: tcc_${t}, wasm: wasm_${t} }`).join(", ")} };
const compilers = new Map();

export default {
  async fetch(request) {
    const target = new URL(request.url).searchParams.get("target");
    if (!(target in modules)) return new Response("unknown target", { status: 404 });
    if (!compilers.has(target)) compilers.set(target, createWebCompiler(target, modules[target]));
    const r = await (await compilers.get(target)).compile(await request.json());
    if (!r.ok) return Response.json({ diagnostics: r.diagnostics }, { status: 422 });
    return new Response(r.object, { headers: { "content-type": "application/octet-stream" } });
  },
};
`;

const sample = fs.readFileSync(path.join(repoRoot(), "examples", "sample.c"), "utf8");
const input: CompileInput = { files: { "sample.c": sample }, entry: "sample.c", defines: { SAMPLE_MAIN: true } };
const sha256 = (bytes: Uint8Array): string => crypto.createHash("sha256").update(bytes).digest("hex");

let mf: Miniflare;

beforeAll(async () => {
  const root = repoRoot();
  mf = new Miniflare({
    modulesRoot: root,
    modules: [
      { type: "ESModule", path: path.join(root, "worker.mjs"), contents: await bundleEntry(WORKER) },
      ...TARGETS.map((t) => ({ type: "CompiledWasm" as const, path: path.join(root, `tcc-${t}.wasm`), contents: fs.readFileSync(wasmFile(t, "wasm")) })),
    ],
    compatibilityDate: "2025-01-01",
  });
  await mf.ready;
});

afterAll(async () => {
  await mf?.dispose();
});

const post = (target: string, body: unknown) =>
  mf.dispatchFetch(`http://bespoke.test/compile?target=${target}`, { method: "POST", body: JSON.stringify(body) });

describe("tcc-wasm in workerd", () => {
  it.each(TARGETS)("compiles the sample for %s to the same bytes as Node", async (target) => {
    const res = await post(target, input);
    expect(res.status, res.status === 200 ? "" : await res.clone().text()).toBe(200);
    const inWorker = new Uint8Array(await res.arrayBuffer());
    const inNode = await (await createCompiler({ target })).compile(input);
    expect(inNode.ok).toBe(true);
    expect(inWorker.length).toBeGreaterThan(0);
    expect(sha256(inWorker)).toBe(sha256(inNode.object));
  });

  it("returns diagnostics for bad C, then compiles again in the same isolate", async () => {
    const bad = await post("arm", { files: { "bad.c": "int f(void) {\n  return missing_name;\n}\n" }, entry: "bad.c" });
    expect(bad.status).toBe(422);
    const { diagnostics } = (await bad.json()) as { diagnostics: unknown[] };
    expect(diagnostics[0]).toMatchObject({ file: "bad.c", line: 2, severity: "error", message: "'missing_name' undeclared" });
    const again = await post("arm", input);
    expect(again.status).toBe(200);
    expect(sha256(new Uint8Array(await again.arrayBuffer()))).toBe(sha256((await (await createCompiler({ target: "arm" })).compile(input)).object));
  });
});
