#!/usr/bin/env node
// The single build entry for bespoke. Idempotent and incremental: a rebuild
// with nothing changed only re-checks and re-bundles (seconds).
//
//   1. npm ci when node_modules is missing or stale (package-lock.json changed)
//   2. Debian packages (one apt-get call, as root; else the exact command)
//   3. Debian source packages tcc and lwip (apt-get source, deb-src derived
//      from the machine's own deb entry), unpacked in the cache, never in git
//   4. TinyCC -> WebAssembly for every target, cached by content hash
//   5. the AST codec (src/c/codecgen.mjs) and the CLI bundle (esbuild)
//   6. build/manifest.json: where everything is, and the versions built with
//   7. the browser playground (demo/, esbuild), after the firmware it runs
//
// Outputs live in build/ (git-ignored). Expensive outputs are also kept in
// the cache ($BESPOKE_CACHE, default ~/.cache/bespoke) keyed by a hash of
// their inputs, so a fresh clone on the same machine builds in seconds.
import { execFileSync, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const BUILD = path.join(ROOT, "build");
const CACHE = process.env.BESPOKE_CACHE || path.join(os.homedir(), ".cache", "bespoke");
const IS_ROOT = process.getuid?.() === 0;

/** Command on PATH -> Debian package providing it. */
const DEBIAN_PACKAGES = [
  ["emcc", "emscripten"],
  ["dpkg-source", "dpkg-dev"],
  ["qemu-arm", "qemu-user"],
  ["arm-linux-gnueabi-gcc", "gcc-arm-linux-gnueabi"],
  ["riscv64-linux-gnu-gcc", "gcc-riscv64-linux-gnu"],
  ["i686-linux-gnu-gcc", "gcc-i686-linux-gnu"],
  ["aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu"],
  ["chromium", "chromium"],
  ["valgrind", "valgrind"],
];
const DEBIAN_SOURCES = ["tcc", "lwip"];

const log = (msg) => process.stderr.write(`[build] ${msg}\n`);

function fail(msg) {
  process.stderr.write(`\nbuild.mjs: ${msg}\n`);
  process.exit(1);
}

function onPath(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  if (r.status !== 0) fail(`'${[cmd, ...args].join(" ")}' failed (exit ${r.status ?? r.signal})`);
}

/** npm ci when node_modules is missing or was installed from another package-lock.json. */
function ensureNodeModules() {
  const stamp = path.join(ROOT, "node_modules", ".bespoke-lock-hash");
  const lockHash = sha256(fs.readFileSync(path.join(ROOT, "package-lock.json")));
  const installed = fs.existsSync(path.join(ROOT, "node_modules", ".package-lock.json"));
  if (installed && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === lockHash) return;
  log(installed ? "package-lock.json changed: npm ci" : "node_modules missing: npm ci");
  run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: ROOT });
  fs.writeFileSync(stamp, lockHash);
}

function ensureDebianPackages() {
  const missing = DEBIAN_PACKAGES.filter(([cmd]) => !onPath(cmd)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (!IS_ROOT) fail(`missing Debian packages: ${missing.join(", ")}\nInstall them as root:\n  ${cmd}`);
  log(`installing Debian packages: ${missing.join(" ")}`);
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** Add a deb-src entry mirroring the machine's deb entries (same archive, same suites). */
function ensureDebSrc() {
  const files = ["/etc/apt/sources.list", ...listDir("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`)];
  const texts = files.filter((f) => fs.existsSync(f) && /\.(list|sources)$/.test(f)).map((f) => [f, fs.readFileSync(f, "utf8")]);
  if (texts.some(([, t]) => /^\s*deb-src\s/m.test(t) || /^Types:.*\bdeb-src\b/m.test(t))) return false;
  const deb822 = texts.filter(([f, t]) => f.endsWith(".sources") && /^Types:\s*deb\s*$/m.test(t));
  const oneLine = texts.flatMap(([f, t]) => (f.endsWith(".list") ? t.split("\n").filter((l) => /^\s*deb\s/.test(l)) : []));
  let entry;
  let dest;
  if (deb822.length > 0) {
    entry = deb822.map(([, t]) => t.replace(/^Types:\s*deb\s*$/gm, "Types: deb-src")).join("\n");
    dest = "/etc/apt/sources.list.d/bespoke-src.sources";
  } else if (oneLine.length > 0) {
    entry = oneLine.map((l) => l.replace(/^\s*deb\s/, "deb-src ")).join("\n") + "\n";
    dest = "/etc/apt/sources.list.d/bespoke-src.list";
  } else {
    fail("no Debian 'deb' entry found in /etc/apt to derive a deb-src entry from");
  }
  log(`adding ${dest} (deb-src for the same archive and suites)`);
  fs.writeFileSync(dest, entry);
  return true;
}

function listDir(dir) {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Unpacked Debian source dir for `pkg` in the cache, fetching it if needed. */
function ensureDebianSource(pkg) {
  const dir = path.join(CACHE, "src");
  fs.mkdirSync(dir, { recursive: true });
  const find = () => {
    const dsc = listDir(dir).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".dsc")).sort().pop();
    if (!dsc) return null;
    const version = dsc.slice(pkg.length + 1, -4);
    const upstream = version.replace(/-[^-]*$/, "");
    const unpacked = path.join(dir, `${pkg}-${upstream}`);
    return fs.existsSync(unpacked) ? { dir: unpacked, version } : null;
  };
  const found = find();
  if (found) return found;
  if (!IS_ROOT) {
    fail(
      `missing Debian source package '${pkg}' in ${dir}\n` +
        `Fetch it (needs a deb-src entry for your Debian archive, and dpkg-dev):\n  cd ${dir} && apt-get source ${pkg}`,
    );
  }
  if (ensureDebSrc()) run("apt-get", ["update", "-qq"]);
  log(`fetching Debian source package ${pkg}`);
  run("apt-get", ["source", "-q", pkg], { cwd: dir });
  return find() ?? fail(`apt-get source ${pkg} did not produce an unpacked source in ${dir}`);
}

function sha256(...parts) {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex").slice(0, 24);
}

async function buildTinyccWasm(tccSource) {
  const tinycc = await import("./wasm/tinycc.mjs");
  const emccVersion = execFileSync("emcc", ["--version"], {
    encoding: "utf8",
    env: { ...process.env, NODE_PATH: "/usr/share/nodejs" },
  }).split("\n")[0];
  const key = sha256(fs.readFileSync(path.join(ROOT, "wasm", "tinycc.mjs")), tccSource.version, emccVersion);
  const outDir = path.join(BUILD, "wasm");
  const stamp = path.join(outDir, "key");
  const targets = Object.keys(tinycc.TARGETS);
  const info = { key, tcc: tccSource.version, emscripten: emccVersion };
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === key) return { ...info, ...readJson(path.join(outDir, "fixes.json")) };

  const cached = path.join(CACHE, "tcc-wasm", key);
  if (!fs.existsSync(path.join(cached, "fixes.json"))) {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-tcc-"));
    const src = path.join(work, "tcc");
    const fixes = tinycc.preparePatchedSource(tccSource.dir, src);
    for (const name of fixes.applied) log(`tcc source fix applied: ${name}`);
    for (const name of fixes.absent) log(`tcc source fix not needed (original text absent): ${name}`);
    const staging = path.join(work, "out");
    for (const target of targets) {
      log(`tcc-wasm: building ${target} (emscripten)`);
      tinycc.buildWasm(src, target, staging);
    }
    fs.writeFileSync(path.join(staging, "fixes.json"), JSON.stringify(fixes));
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.rmSync(cached, { recursive: true, force: true });
    fs.cpSync(staging, cached, { recursive: true });
    fs.rmSync(work, { recursive: true, force: true });
  } else {
    log(`tcc-wasm: from cache ${key}`);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.cpSync(cached, outDir, { recursive: true });
  fs.writeFileSync(stamp, key);
  return { ...info, ...readJson(path.join(outDir, "fixes.json")) };
}

/** The device firmware's arm board image (src/device/firmware-build.ts, cached by content hash). */
async function buildFirmware() {
  const esbuild = await import("esbuild");
  const out = path.join(BUILD, "firmware-build.mjs");
  await esbuild.build({
    entryPoints: [path.join(ROOT, "src", "device", "firmware-build.ts")],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  const { buildArmFirmware } = await import(pathToFileURL(out).href);
  try {
    const fw = await buildArmFirmware("board");
    log(`firmware: arm board image ${fw.buildId} (${path.relative(ROOT, fw.path)})`);
  } catch (e) {
    // Reported, not fatal: the firmware tests show the diagnostic, and the rest of the tree stays testable.
    log(`firmware: arm board image does not build: ${e.message}`);
  }
}

/** Readers running concurrently (tests, another build) never see a half-written file. */
function writeFileAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The AST codec that src/c/serialize.ts imports, generated from the AST declarations by src/c/codecgen.mjs; regenerated when its inputs change. */
async function generateAstCodec() {
  const gen = await import("./src/c/codecgen.mjs");
  const out = path.join(ROOT, gen.CODEC_OUTPUT);
  const key = sha256(...gen.CODEC_INPUTS.map((f) => fs.readFileSync(path.join(ROOT, f))));
  const stamp = `${out}.key`;
  if (fs.existsSync(out) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === key) return;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  writeFileAtomic(out, gen.generateAstCodec(ROOT));
  fs.writeFileSync(stamp, key);
  log(`AST codec: generated ${gen.CODEC_OUTPUT}`);
}

async function bundleCli() {
  const esbuild = await import("esbuild");
  await esbuild.build({
    entryPoints: [path.join(ROOT, "src", "cli", "main.ts")],
    outfile: path.join(BUILD, "cli.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
  });
}

// ---- the browser playground (demo/): esbuild bundles + static files in build/demo ----
// Skipped when none of the inputs esbuild read last time (nor the copied
// files) changed: the stamp holds their list and a hash of their contents.
const DEMO_OUT = path.join(BUILD, "demo");
const DEMO_BUNDLES = ["app.js", "core-worker.js", "device-worker.js"];
const DEMO_STATIC = ["index.html", "style.css"];
const DEMO_TARGETS = ["arm", "x86_64", "riscv64", "i386", "arm64"];

/** Files copied as they are: the page, tcc-wasm (glue + module per target). */
function demoCopies() {
  const copies = DEMO_STATIC.map((f) => [path.join(ROOT, "demo", f), f]);
  for (const t of DEMO_TARGETS) for (const ext of ["mjs", "wasm"]) copies.push([path.join(BUILD, "wasm", `tcc-${t}.${ext}`), `wasm/tcc-${t}.${ext}`]);
  return copies;
}

function demoPlugins(precache) {
  const libcDir = path.join(ROOT, "firmware", "libc");
  return [
    {
      name: "bespoke-demo",
      setup(b) {
        b.onResolve({ filter: /^bespoke:/ }, (a) => ({ path: a.path, namespace: "bespoke" }));
        // the server's specialize stage reports no binding times: record them (demo/specialize-recorder.ts)
        b.onResolve({ filter: /\/specializer\/pipeline\.ts$/ }, (a) =>
          a.importer === path.join(ROOT, "src", "server", "specializer.ts") ? { path: path.join(ROOT, "demo", "specialize-recorder.ts") } : undefined,
        );
        b.onLoad({ filter: /^bespoke:libc-board$/, namespace: "bespoke" }, () => {
          // what src/vm/link.ts gives tcc for the board backend, read at build time
          const sources = ["string.c", "ctype.c", "stdio.c", "stdlib.c", "aeabi.c", "board.c"];
          const files = {};
          for (const f of [...sources, "sys.h", "board.h"]) files[`libc/${f}`] = fs.readFileSync(path.join(libcDir, f), "utf8");
          for (const f of fs.readdirSync(path.join(libcDir, "include"))) files[`libc/include/${f}`] = fs.readFileSync(path.join(libcDir, "include", f), "utf8");
          const watchFiles = Object.keys(files).map((k) => path.join(libcDir, k.slice(5)));
          return { contents: `export default ${JSON.stringify(files)};\nexport const sources = ${JSON.stringify(sources.map((f) => `libc/${f}`))};`, loader: "js", watchFiles, resolveDir: ROOT };
        });
        b.onLoad({ filter: /^bespoke:precache$/, namespace: "bespoke" }, () => ({
          contents: `export const VERSION = ${JSON.stringify(precache?.version ?? "")};\nexport const FILES = ${JSON.stringify(precache?.files ?? [])};`,
          loader: "js",
        }));
      },
    },
  ];
}

async function bundleDemo() {
  const esbuild = await import("esbuild");
  const stampFile = path.join(DEMO_OUT, ".stamp.json");
  const copies = demoCopies();
  // this file too: the step's own options and plugins shape the output
  const hashOf = (files) => sha256(...[fileURLToPath(import.meta.url), ...files].map((f) => (fs.existsSync(f) ? fs.readFileSync(f) : "missing:" + f)));
  if (fs.existsSync(stampFile)) {
    const stamp = readJson(stampFile);
    const inputs = [...stamp.inputs, ...copies.map(([from]) => from)];
    if (stamp.hash === hashOf(inputs)) return log("demo: up to date");
  }
  fs.rmSync(DEMO_OUT, { recursive: true, force: true });
  fs.mkdirSync(DEMO_OUT, { recursive: true });
  const common = { bundle: true, format: "esm", platform: "browser", target: "es2022", minify: true, sourcemap: "linked", loader: { ".c": "text" }, logLevel: "warning", metafile: true };
  const inputs = new Set();
  const note = (result) => Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("bespoke:")).forEach((f) => inputs.add(path.resolve(ROOT, f)));
  // the bundles that run the specializer get demo/buffer-shim.ts for its uses of Node's Buffer
  const shim = { inject: [path.join(ROOT, "demo", "buffer-shim.ts")] };
  note(await esbuild.build({ ...common, entryPoints: { app: path.join(ROOT, "demo", "main.ts"), "device-worker": path.join(ROOT, "demo", "device-worker.ts") }, outdir: DEMO_OUT, plugins: demoPlugins(null) }));
  note(await esbuild.build({ ...common, ...shim, entryPoints: { "core-worker": path.join(ROOT, "demo", "core-worker.ts") }, outdir: DEMO_OUT, plugins: demoPlugins(null) }));
  for (const [from, to] of copies) {
    fs.mkdirSync(path.dirname(path.join(DEMO_OUT, to)), { recursive: true });
    fs.copyFileSync(from, path.join(DEMO_OUT, to));
  }
  // the Service Worker precaches everything above; its cache is named by their hash
  const built = [...DEMO_STATIC, ...DEMO_BUNDLES, ...copies.slice(DEMO_STATIC.length).map(([, to]) => to)].map((f) => `/${f}`);
  const version = sha256(...built.map((f) => fs.readFileSync(path.join(DEMO_OUT, f)))).slice(0, 16);
  // and the virtual device's firmware, which demo/server.ts makes when asked (firmware build + its preparation)
  const files = ["/", ...built, "/firmware/firmware.elf", "/firmware/firmware.json", "/firmware/device.key", "/prepared/firmware.json"];
  note(await esbuild.build({ ...common, ...shim, entryPoints: { sw: path.join(ROOT, "demo", "sw.ts") }, outdir: DEMO_OUT, plugins: demoPlugins({ version, files }) }));
  const list = [...inputs].filter((f) => fs.existsSync(f)).sort();
  fs.writeFileSync(stampFile, JSON.stringify({ inputs: list, hash: hashOf([...list, ...copies.map(([from]) => from)]) }) + "\n");
  log(`demo: playground bundled into ${path.relative(ROOT, DEMO_OUT)} (${files.length} files precached, version ${version})`);
}
// ---- end of the playground step ----

async function main() {
  const started = Date.now();
  ensureNodeModules();
  ensureDebianPackages();
  const sources = Object.fromEntries(DEBIAN_SOURCES.map((pkg) => [pkg, ensureDebianSource(pkg)]));
  fs.mkdirSync(BUILD, { recursive: true });
  const tccWasm = await buildTinyccWasm(sources.tcc);
  await generateAstCodec();
  await bundleCli();
  const manifest = {
    debian: fs.readFileSync("/etc/debian_version", "utf8").trim(),
    cache: CACHE,
    sources,
    tccWasm,
  };
  writeFileAtomic(path.join(BUILD, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  await buildFirmware();
  await bundleDemo();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
