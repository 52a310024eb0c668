// Builds the device firmware (firmware/: kernel, lwIP, applications, board
// support, customization subsystem, libc) two ways:
//
//   arm:  compiled per component by tcc-wasm and linked by TinyCC's linker at
//         the board's load address; outputs the ELF image, its exported
//         symbol table, a build ID and .text/.data bytes per component.
//   host: one native x86_64 executable built by gcc (optionally under
//         ASan/UBSan) for unit tests and as a native device process.
//
// Both are cached by a hash of every input (sources, options, compiler), in
// the bespoke cache and under build/firmware/, and built once per process.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Compiler, SourceFiles } from "../compiler/compiler.ts";
import { SHF_ALLOC, allocatedSizes, readElf, symbols } from "../compiler/elf.ts";
import { createCompiler } from "../compiler/node.ts";
import { BespokeError } from "../errors.ts";
import { buildDir, buildManifest, repoRoot } from "../node/paths.ts";
import { type LibcBackend, TEXT_ADDRESS, libcSourceNames } from "../vm/link.ts";

/** Which arm board the image is for: the bespoke board, or a static Linux program (qemu-arm, linux-user VM). */
export type ArmBoard = LibcBackend;

export type ComponentName = "libc" | "kernel" | "lwip" | "custom" | "board" | "apps" | "generated";

export interface ComponentSize {
  component: ComponentName;
  /** Bytes of code (allocated, executable sections) over the component's objects. */
  text: number;
  /** Bytes of initialized data, including read-only data. */
  data: number;
  bss: number;
  objects: number;
}

export interface ExportedSymbol {
  name: string;
  address: number;
  size: number;
  kind: "function" | "object";
}

export interface ArmFirmware {
  board: ArmBoard;
  elf: Uint8Array;
  /** The image on disk (under build/firmware/). */
  path: string;
  /** 8 bytes, hex: a hash of every input; also compiled into the image as bsp_build_id when the customization subsystem is linked. */
  buildId: string;
  loadAddress: number;
  entry: number;
  /** Global functions and objects of the kernel, lwIP and libc: what code images may link against. */
  exports: ExportedSymbol[];
  components: ComponentSize[];
}

export interface HostFirmware {
  /** The executable (under build/firmware/). */
  path: string;
  buildId: string;
  sanitize: boolean;
}

/** lwIP's core for NO_SYS, IPv4, UDP, TCP and loopback (see firmware/net/lwipopts.h). */
export const LWIP_SOURCES = [
  "core/init.c",
  "core/def.c",
  "core/inet_chksum.c",
  "core/ip.c",
  "core/mem.c",
  "core/memp.c",
  "core/netif.c",
  "core/pbuf.c",
  "core/tcp.c",
  "core/tcp_in.c",
  "core/tcp_out.c",
  "core/timeouts.c",
  "core/udp.c",
  "core/ipv4/ip4.c",
  "core/ipv4/ip4_addr.c",
  "core/ipv4/icmp.c",
];

/** Components whose global symbols code images may reference. */
const EXPORTING: ReadonlySet<ComponentName> = new Set(["kernel", "lwip", "libc"]);

/** Bump when the build recipe changes in a way the inputs and flags do not show. */
const RECIPE = "firmware-build/1";

/** -g keeps the symbol table in the executable (TinyCC drops it otherwise). */
function armLinkFlags(board: ArmBoard): string[] {
  return ["-nostdlib", "-static", "-g", `-Wl,-Ttext=0x${TEXT_ADDRESS[board].toString(16)}`];
}

interface SourceFile {
  component: ComponentName;
  /** Absolute path on disk. */
  file: string;
}

interface Tree {
  firmware: string;
  lwip: string;
}

function tree(): Tree {
  const lwip = buildManifest().sources["lwip"];
  if (!lwip) throw new BespokeError("NOT_BUILT", "build/manifest.json names no lwip source: run 'node build.mjs'");
  return { firmware: path.join(repoRoot(), "firmware"), lwip: path.join(lwip.dir, "src") };
}

function cFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => path.join(dir, f));
}

function headers(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...headers(full));
    else if (entry.name.endsWith(".h")) out.push(full);
  }
  return out.sort();
}

/**
 * The customization subsystem's platform ports are per board (port-board.c,
 * port-native.c); the rest of firmware/custom is shared. It is linked into a
 * board's firmware once it has a port for that board.
 */
function customSources(t: Tree, board: ArmBoard | "host"): string[] {
  const port = board === "board" ? "port-board.c" : "port-native.c";
  const all = cFiles(path.join(t.firmware, "custom"));
  if (!all.some((f) => path.basename(f) === port)) return [];
  return all.filter((f) => !path.basename(f).startsWith("port-") || path.basename(f) === port);
}

function sources(t: Tree, board: ArmBoard | "host"): SourceFile[] {
  const fw = t.firmware;
  const boardDir = board === "board" ? "arm" : board === "linux" ? "linux-arm" : "host";
  const list: SourceFile[] = [];
  if (board !== "host") for (const name of libcSourceNames(board)) list.push({ component: "libc", file: path.join(fw, "libc", name) });
  for (const file of cFiles(path.join(fw, "kernel"))) list.push({ component: "kernel", file });
  for (const rel of LWIP_SOURCES) list.push({ component: "lwip", file: path.join(t.lwip, rel) });
  for (const file of customSources(t, board)) list.push({ component: "custom", file });
  for (const file of cFiles(path.join(fw, "board", boardDir))) list.push({ component: "board", file });
  if (board !== "board") for (const file of cFiles(path.join(fw, "board", "virtual"))) list.push({ component: "board", file });
  for (const file of cFiles(path.join(fw, "apps"))) list.push({ component: "apps", file });
  return list;
}

function includeDirs(t: Tree, board: ArmBoard | "host"): string[] {
  const fw = t.firmware;
  const dirs = [path.join(fw, "net"), path.join(fw, "kernel"), path.join(fw, "board"), path.join(fw, "apps"), path.join(fw, "custom"), path.join(t.lwip, "include")];
  if (board !== "host") dirs.push(path.join(fw, "libc", "include"), path.join(fw, "libc"));
  return dirs;
}

function hasCustom(list: SourceFile[]): boolean {
  return list.some((s) => s.component === "custom");
}

/** Defines for every translation unit: BESPOKE_CUSTOM when the customization subsystem is linked (kernel hooks, sys_specialize). */
function defines(custom: boolean): string[] {
  return custom ? ["-DBESPOKE_CUSTOM"] : [];
}

/** Hash of every file the build reads (repository files by their path in the repository, so every clone shares it), plus what else decides its output. */
function inputKey(files: string[], extra: string[]): string {
  const h = crypto.createHash("sha256");
  const root = repoRoot() + path.sep;
  h.update(RECIPE);
  for (const e of extra) h.update(`\0${e}`);
  for (const file of [...new Set(files)].sort()) {
    h.update(`\0${file.startsWith(root) ? file.slice(root.length) : file}\0`);
    h.update(fs.readFileSync(file));
  }
  return h.digest("hex");
}

function allInputs(t: Tree, board: ArmBoard | "host"): string[] {
  return [...sources(t, board).map((s) => s.file), ...includeDirs(t, board).flatMap(headers)];
}

/** Builds of one kind kept in the cache; older ones (by last use) are removed. */
const CACHE_KEEP = 6;

function cacheDir(kind: string, key: string): string {
  return path.join(buildManifest().cache, "firmware", `${kind}-${key.slice(0, 24)}`);
}

/** Mark `dir` as just used and drop the least recently used builds of its kind beyond CACHE_KEEP. */
function touchAndPrune(dir: string): void {
  const now = new Date();
  fs.utimesSync(dir, now, now);
  const parent = path.dirname(dir);
  const kind = path.basename(dir).replace(/-[0-9a-f]{24}$/, "");
  const same = fs
    .readdirSync(parent)
    .filter((name) => name.replace(/-[0-9a-f]{24}$/, "") === kind && /-[0-9a-f]{24}$/.test(name))
    .map((name) => ({ full: path.join(parent, name), used: fs.statSync(path.join(parent, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const old of same.slice(CACHE_KEEP)) fs.rmSync(old.full, { recursive: true, force: true });
}

/** The per-machine key code images for this device are authenticated with (HMAC-SHA256). */
export function deviceKey(): Uint8Array {
  const file = path.join(buildManifest().cache, "firmware", "device.key");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, crypto.randomBytes(32), { mode: 0o600 });
  }
  const key = new Uint8Array(fs.readFileSync(file));
  if (key.length !== 32) throw new BespokeError("BAD_DEVICE_KEY", `${file} must hold 32 bytes (delete it to make a new key)`);
  return key;
}

const cByte = (b: number) => `0x${b.toString(16).padStart(2, "0")}`;

/** The C the build generates: the export table, build ID and device key the customization subsystem reads (firmware/custom/port.h). */
function generatedSource(exportNames: string[], buildId: string, key: Uint8Array): string {
  const id = buildId.match(/../g)!.map((h) => `0x${h}`);
  const lines = [
    "/* Generated by src/device/firmware-build.ts: do not edit. */",
    '#include "port.h"',
    "",
    // bsp_* (the kernel's customization hooks) are declared by port.h itself
    ...exportNames.filter((n) => !n.startsWith("bsp_")).map((n) => `extern char ${n}[];`),
    "",
    "const struct bsp_export bsp_exports[] = {",
    ...exportNames.map((n) => `  { "${n}", (void *)${n} },`),
    "};",
    `const bsp_u32 bsp_nexports = ${exportNames.length};`,
    `const bsp_u8 bsp_build_id[BSP_BUILD_ID] = { ${id.join(", ")} };`,
    `const bsp_u8 bsp_device_key[32] = { ${[...key].map(cByte).join(", ")} };`,
    "",
  ];
  return lines.join("\n");
}

/** C identifiers, minus what sanitizers add to instrumented objects. */
const EXPORTABLE = /^(?!__(odr_)?asan|__ubsan|__sanitizer)[A-Za-z_][A-Za-z0-9_]*$/;

function globalDefinitions(object: Uint8Array): { name: string; kind: "function" | "object" }[] {
  const elf = readElf(object);
  return symbols(elf)
    .filter((s) => s.bind === 1 && s.shndx !== 0 && (s.type === 1 || s.type === 2) && EXPORTABLE.test(s.name))
    .filter((s) => {
      const section = elf.sections[s.shndx];
      return s.shndx >= 0xff00 || (section !== undefined && (section.flags & SHF_ALLOC) !== 0);
    })
    .map((s) => ({ name: s.name, kind: s.type === 2 ? "function" : "object" }));
}

/**
 * Replaces one component's translation units before compilation: each unit is
 * preprocessed with the firmware's flags (line markers kept) and `rewrite`
 * gives the C compiled in its place. The C front end's round trip test builds
 * the board firmware from its printed lwIP this way.
 */
export interface SourceRewrite {
  /** Names the variant: its cache entry and build/firmware/arm-BOARD-NAME. */
  name: string;
  component: ComponentName;
  /** `file` is the unit's path on disk. */
  rewrite(preprocessed: string, file: string): string;
}

const armBuilds = new Map<ArmBoard, Promise<ArmFirmware>>();

/** The arm firmware for `board`, from cache when its inputs are unchanged. */
export function buildArmFirmware(board: ArmBoard = "board"): Promise<ArmFirmware> {
  let build = armBuilds.get(board);
  if (!build) {
    build = buildArm(board);
    armBuilds.set(board, build);
    build.catch(() => armBuilds.delete(board));
  }
  return build;
}

/** The arm firmware for `board` with `rewrite` applied, from cache when the rewritten units and other inputs are unchanged. */
export function buildRewrittenArmFirmware(board: ArmBoard, rewrite: SourceRewrite): Promise<ArmFirmware> {
  return buildArm(board, rewrite);
}

interface ArmManifest {
  buildId: string;
  loadAddress: number;
  entry: number;
  exports: ExportedSymbol[];
  components: ComponentSize[];
}

async function buildArm(board: ArmBoard, rewrite?: SourceRewrite): Promise<ArmFirmware> {
  const t = tree();
  const list = sources(t, board);
  const custom = hasCustom(list);
  const compiler = rewrite ? await createCompiler({ target: "arm" }) : undefined;
  const replaced = compiler && rewrite ? await rewriteUnits(compiler, t, board, list, custom, rewrite) : new Map<string, string>();
  const rewritten = [...replaced].flatMap(([file, text]) => [`rewritten ${file}`, text]);
  const key = inputKey(allInputs(t, board), [`arm-${board}`, ...armLinkFlags(board), buildManifest().tccWasm.key, custom ? Buffer.from(deviceKey()).toString("hex") : "", ...rewritten]);
  const buildId = key.slice(0, 16);
  const variant = rewrite ? `arm-${board}-${rewrite.name}` : `arm-${board}`;
  const cached = cacheDir(variant, key);
  const elfFile = path.join(cached, "firmware.elf");
  const manifestFile = path.join(cached, "firmware.json");
  if (!fs.existsSync(manifestFile)) {
    const { elf, manifest } = await compileAndLink(compiler ?? (await createCompiler({ target: "arm" })), t, board, list, buildId, custom, replaced);
    const staging = `${cached}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    fs.writeFileSync(path.join(staging, "firmware.elf"), elf);
    fs.writeFileSync(path.join(staging, "firmware.json"), JSON.stringify(manifest, null, 2) + "\n");
    try {
      fs.renameSync(staging, cached);
    } catch (e) {
      // Another process finished the same build meanwhile: keep the first.
      if (!fs.existsSync(manifestFile)) throw e;
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as ArmManifest;
  const elf = new Uint8Array(fs.readFileSync(elfFile));
  touchAndPrune(cached);
  const out = path.join(buildDir(), "firmware", variant);
  fs.mkdirSync(out, { recursive: true });
  const outElf = path.join(out, "firmware.elf");
  fs.writeFileSync(outElf, elf, { mode: 0o755 });
  fs.writeFileSync(path.join(out, "firmware.json"), JSON.stringify(manifest, null, 2) + "\n");
  return { board, elf, path: outElf, ...manifest };
}

/** One translation unit of the arm build, compiled: a relocatable object. */
export interface ArmObject {
  component: ComponentName;
  /** The source's path relative to its tree (firmware/... or lwIP's src/...). */
  source: string;
  bytes: Uint8Array;
}

/**
 * The relocatable object of every unit of the arm build for `board`, compiled
 * as the build compiles them, from cache when the inputs are unchanged. The
 * linked image keeps no relocations; analyses of what references what (the
 * closure reachable from a system call, src/device/reachable.ts) read these.
 */
export async function armObjects(board: ArmBoard = "board"): Promise<ArmObject[]> {
  const t = tree();
  const list = sources(t, board);
  const custom = hasCustom(list);
  const key = inputKey(allInputs(t, board), [`arm-${board}-objects`, buildManifest().tccWasm.key, ...defines(custom)]);
  const cached = cacheDir(`arm-${board}-objects`, key);
  const index = path.join(cached, "objects.json");
  if (!fs.existsSync(index)) {
    const compiler = await createCompiler({ target: "arm" });
    const { files, include } = armInputs(t, board, custom);
    const staging = `${cached}.tmp-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging, { recursive: true });
    const entries: { component: ComponentName; source: string; file: string }[] = [];
    for (const [i, s] of list.entries()) {
      const source = virtualPath(t, s.file);
      const name = `/src/${i}-${path.basename(source).replace(/\.c$/, ".o")}`;
      const r = await compiler.invoke({ args: [...include, "-c", source, "-o", name], files, outputs: [name], cwd: "/src" });
      const object = r.outputs[name];
      if (r.exitCode !== 0 || object === undefined) throw new BespokeError("FIRMWARE_COMPILE", `arm firmware: ${source.replace(/^\/src\//, "")} does not compile:\n${r.stderr}`);
      fs.writeFileSync(path.join(staging, path.basename(name)), object);
      entries.push({ component: s.component, source: source.replace(/^\/src\//, ""), file: path.basename(name) });
    }
    fs.writeFileSync(path.join(staging, "objects.json"), JSON.stringify(entries, null, 2) + "\n");
    try {
      fs.renameSync(staging, cached);
    } catch (e) {
      if (!fs.existsSync(index)) throw e;
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }
  touchAndPrune(cached);
  const entries = JSON.parse(fs.readFileSync(index, "utf8")) as { component: ComponentName; source: string; file: string }[];
  return entries.map((e) => ({ component: e.component, source: e.source, bytes: new Uint8Array(fs.readFileSync(path.join(cached, e.file))) }));
}

/** A virtual path inside the compiler's filesystem for a file on disk. */
function virtualPath(t: Tree, file: string): string {
  if (file.startsWith(t.lwip + path.sep)) return `/src/lwip/${path.relative(t.lwip, file)}`;
  return `/src/${path.relative(repoRoot(), file)}`;
}

/** The compiler's view of the arm build: every input file at its virtual path, and the defines and include flags of every unit. */
function armInputs(t: Tree, board: ArmBoard, custom: boolean): { files: SourceFiles; include: string[] } {
  const files: SourceFiles = {};
  for (const file of allInputs(t, board)) files[virtualPath(t, file)] = new Uint8Array(fs.readFileSync(file));
  return { files, include: [...defines(custom), ...includeDirs(t, board).map((d) => `-I${virtualPath(t, d)}`)] };
}

/** The rewritten text of each unit of `rewrite.component`, by path on disk. */
async function rewriteUnits(compiler: Compiler, t: Tree, board: ArmBoard, list: SourceFile[], custom: boolean, rewrite: SourceRewrite): Promise<Map<string, string>> {
  const { files, include } = armInputs(t, board, custom);
  const out = new Map<string, string>();
  for (const s of list) {
    if (s.component !== rewrite.component) continue;
    const source = virtualPath(t, s.file);
    const name = "/src/rewrite-input.i";
    const r = await compiler.invoke({ args: [...include, "-E", source, "-o", name], files, outputs: [name], cwd: "/src" });
    const text = r.outputs[name];
    if (r.exitCode !== 0 || text === undefined) throw new BespokeError("FIRMWARE_COMPILE", `arm firmware: ${source.replace(/^\/src\//, "")} does not preprocess:\n${r.stderr}`);
    out.set(s.file, rewrite.rewrite(new TextDecoder().decode(text), s.file));
  }
  return out;
}

/** `replaced`: C compiled instead of a unit's file (by path on disk). */
async function compileAndLink(
  compiler: Compiler,
  t: Tree,
  board: ArmBoard,
  list: SourceFile[],
  buildId: string,
  custom: boolean,
  replaced: ReadonlyMap<string, string>,
): Promise<{ elf: Uint8Array; manifest: ArmManifest }> {
  const { files, include } = armInputs(t, board, custom);
  for (const [file, text] of replaced) files[virtualPath(t, file)] = new TextEncoder().encode(text);
  const objects: { component: ComponentName; name: string; bytes: Uint8Array }[] = [];

  const compileOne = async (component: ComponentName, source: string, index: number) => {
    const name = `/src/${index}-${path.basename(source).replace(/\.c$/, ".o")}`;
    const r = await compiler.invoke({ args: [...include, "-c", source, "-o", name], files, outputs: [name], cwd: "/src" });
    const object = r.outputs[name];
    if (r.exitCode !== 0 || object === undefined) {
      throw new BespokeError("FIRMWARE_COMPILE", `arm firmware: ${source.replace(/^\/src\//, "")} does not compile:\n${r.stderr}`);
    }
    objects.push({ component, name, bytes: object });
  };
  let index = 0;
  for (const s of list) await compileOne(s.component, virtualPath(t, s.file), index++);

  const exportNames = new Map<string, "function" | "object">();
  for (const o of objects) if (EXPORTING.has(o.component)) for (const d of globalDefinitions(o.bytes)) exportNames.set(d.name, d.kind);
  if (custom) {
    const generated = "/src/generated/firmware_exports.c";
    files[generated] = generatedSource([...exportNames.keys()].sort(), buildId, deviceKey());
    await compileOne("generated", generated, index++);
  }

  const linkFiles: SourceFiles = {};
  for (const o of objects) linkFiles[o.name] = o.bytes;
  const elfName = "firmware.elf";
  const address = TEXT_ADDRESS[board];
  const r = await compiler.invoke({
    args: [...armLinkFlags(board), "-o", elfName, ...objects.map((o) => o.name)],
    files: linkFiles,
    outputs: [elfName],
  });
  const elf = r.outputs[elfName];
  if (r.exitCode !== 0 || elf === undefined) throw new BespokeError("FIRMWARE_LINK", `arm firmware does not link:\n${r.stderr}`);

  const image = readElf(elf);
  const exports: ExportedSymbol[] = symbols(image)
    .filter((s) => exportNames.has(s.name) && s.bind === 1 && s.shndx !== 0)
    .map((s) => ({ name: s.name, address: s.value, size: s.size, kind: exportNames.get(s.name)! }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const components = new Map<ComponentName, ComponentSize>();
  for (const o of objects) {
    const sizes = allocatedSizes(readElf(o.bytes));
    const c = components.get(o.component) ?? { component: o.component, text: 0, data: 0, bss: 0, objects: 0 };
    c.text += sizes.text;
    c.data += sizes.data;
    c.bss += sizes.bss;
    c.objects++;
    components.set(o.component, c);
  }
  return {
    elf,
    manifest: { buildId, loadAddress: address, entry: image.entry, exports, components: [...components.values()] },
  };
}

const hostBuilds = new Map<boolean, HostFirmware>();

/** The native x86_64 firmware (gcc), optionally with AddressSanitizer and UndefinedBehaviorSanitizer. */
export function buildHostFirmware(options: { sanitize: boolean }): HostFirmware {
  const memo = hostBuilds.get(options.sanitize);
  if (memo) return memo;
  const t = tree();
  const list = sources(t, "host");
  const custom = hasCustom(list);
  const flags = ["-std=c99", "-g", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-D_DEFAULT_SOURCE", ...defines(custom)];
  if (options.sanitize) flags.push("-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer");
  else flags.push("-O2");
  const gcc = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (gcc.status !== 0) throw new BespokeError("NO_GCC", "the host firmware build needs gcc on PATH");
  const key = inputKey(allInputs(t, "host"), ["host", ...flags, gcc.stdout.split("\n")[0] ?? "", custom ? Buffer.from(deviceKey()).toString("hex") : ""]);
  const buildId = key.slice(0, 16);
  const variant = options.sanitize ? "host-asan" : "host";
  const cached = path.join(cacheDir(variant, key), "firmware");
  if (!fs.existsSync(cached)) {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.tmp-${process.pid}`;
    linkHost(t, list, flags, custom, buildId, tmp);
    fs.renameSync(tmp, cached);
  }
  const out = path.join(buildDir(), "firmware", variant);
  fs.mkdirSync(out, { recursive: true });
  const exe = path.join(out, "firmware");
  fs.copyFileSync(cached, exe);
  touchAndPrune(path.dirname(cached));
  fs.chmodSync(exe, 0o755);
  const result = { path: exe, buildId, sanitize: options.sanitize };
  hostBuilds.set(options.sanitize, result);
  return result;
}

/** Compile every source once, generate the export table from the exporting components' objects, link. */
function linkHost(t: Tree, list: SourceFile[], flags: string[], custom: boolean, buildId: string, output: string): void {
  const include = includeDirs(t, "host").map((d) => `-I${d}`);
  const work = fs.mkdtempSync(path.join(buildDir(), "fw-host-"));
  try {
    const gcc = (args: string[], what: string) => {
      const r = spawnSync("gcc", [...flags, ...include, ...args], { encoding: "utf8" });
      if (r.status !== 0) throw new BespokeError("FIRMWARE_COMPILE", `host firmware: ${what} does not build:\n${r.stderr}`);
    };
    const objects: string[] = [];
    const names = new Map<string, "function" | "object">();
    for (const [i, s] of list.entries()) {
      const obj = path.join(work, `${i}.o`);
      gcc(["-c", s.file, "-o", obj], s.file);
      objects.push(obj);
      if (EXPORTING.has(s.component)) for (const d of globalDefinitions(new Uint8Array(fs.readFileSync(obj)))) names.set(d.name, d.kind);
    }
    if (custom) {
      const generated = path.join(work, `firmware_exports-${buildId}.c`);
      fs.writeFileSync(generated, generatedSource([...names.keys()].sort(), buildId, deviceKey()));
      const obj = path.join(work, "generated.o");
      gcc(["-c", generated, "-o", obj], "the generated export table");
      objects.push(obj);
    }
    gcc([...objects, "-o", output], "the link");
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
