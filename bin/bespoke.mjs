#!/usr/bin/env node
// Launcher: the CLI is bundled by build.mjs into build/cli.mjs.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "build", "cli.mjs");
if (!fs.existsSync(cli)) {
  process.stderr.write(`bespoke: ${cli} is missing; run 'node build.mjs' (or 'npm start') first\n`);
  process.exit(1);
}
await import(pathToFileURL(cli).href);
