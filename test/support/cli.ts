// The bespoke CLI as a user runs it (bin/bespoke.mjs in a child process), for tests that need it running while they do other work.
import { spawn } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../../src/node/paths.ts";

export function bespoke(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(repoRoot(), "bin", "bespoke.mjs"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
