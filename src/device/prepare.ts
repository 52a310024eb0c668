// Build-time preparation of the real firmware for the customization server:
// the socket layer of the arm board build (firmware/kernel: the system calls,
// sockets, files, the UDP and TCP protocol halves) preprocessed as one unit
// with the firmware's own flags, parsed for the target, serialized and cached
// under the firmware's build ID; the scenarios of firmware/scenarios/. The
// result is what src/server/firmware.ts serves.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Program } from "../c/ast.ts";
import { parseProgram } from "../c/parser.ts";
import { readElf, symbols } from "../compiler/elf.ts";
import { SERIALIZED_FORMAT, deserializeProgram, serializeProgram } from "../c/serialize.ts";
import type { SourceFiles } from "../compiler/compiler.ts";
import { createCompiler } from "../compiler/node.ts";
import { BespokeError } from "../errors.ts";
import { buildDir, buildManifest, repoRoot } from "../node/paths.ts";
import type { CallName } from "../runtime/protocol.ts";
import type { FirmwareProgram, FirmwareScenario, PreparedFirmwareData } from "../server/firmware.ts";
import { analyzeBindingTimes } from "../specializer/bta.ts";
import { prepareProgram } from "../specializer/pipeline.ts";
import { type FirmwareObject, parseJsonText, parseScenario } from "../specializer/scenario.ts";
import { type ArmFirmware, buildArmFirmware } from "./firmware-build.ts";

/** The kernel files the customizable calls run through, specialized as one program. */
export const SOCKET_LAYER = ["sys_socket.c", "socket.c", "file.c", "task.c", "sock_udp.c", "sock_tcp.c", "inet.c"];

/** lwIP's output path under the socket layer (paths under lwIP's src/), specialized with it: UDP, TCP output, IPv4 routing and output, checksums, byte order, the interfaces. */
export const LWIP_OUTPUT_PATH = ["core/udp.c", "core/tcp_out.c", "core/ipv4/ip4.c", "core/inet_chksum.c", "core/def.c", "core/ipv4/ip4_addr.c", "core/netif.c"];

/** The firmware's scenarios: the call each one customizes. */
export const FIRMWARE_SCENARIOS: Record<string, CallName> = { "udp-sendto": "sendto", "tcp-send": "send" };

/** Bump when the preparation changes what a specialization produces. */
const PREPARE_VERSION = 9;

function scenarioDir(): string {
  return path.join(repoRoot(), "firmware", "scenarios");
}

export function loadFirmwareScenarios(): Record<string, FirmwareScenario> {
  const out: Record<string, FirmwareScenario> = {};
  for (const [name, call] of Object.entries(FIRMWARE_SCENARIOS)) {
    const file = path.join(scenarioDir(), `${name}.json`);
    const scenario = parseScenario(parseJsonText(fs.readFileSync(file, "utf8"), file));
    out[name] = { scenario, call, version: PREPARE_VERSION * 1000 + scenario.version };
  }
  return out;
}

function includeDirs(lwip: string): string[] {
  const fw = path.join(repoRoot(), "firmware");
  return [path.join(fw, "net"), path.join(fw, "kernel"), path.join(fw, "board"), path.join(fw, "apps"), path.join(fw, "custom"), path.join(lwip, "include"), path.join(fw, "libc", "include"), path.join(fw, "libc")];
}

function readTree(dir: string, into: SourceFiles): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) readTree(f, into);
    else if (e.name.endsWith(".h") || e.name.endsWith(".c")) into[f] = fs.readFileSync(f, "utf8");
  }
}

/** The socket layer as one preprocessed unit, as the board build compiles it (BESPOKE_CUSTOM). */
async function socketLayerText(): Promise<string> {
  const lwip = buildManifest().sources["lwip"];
  if (!lwip) throw new BespokeError("NOT_BUILT", "build/manifest.json names no lwip source: run 'node build.mjs'");
  const dirs = includeDirs(path.join(lwip.dir, "src"));
  const files: SourceFiles = {};
  for (const d of dirs) readTree(d, files);
  const kernel = path.join(repoRoot(), "firmware", "kernel");
  const unit = path.join(kernel, "__socket_layer.c");
  files[unit] = [...SOCKET_LAYER.map((f) => path.join(kernel, f)), ...LWIP_OUTPUT_PATH.map((f) => path.join(lwip.dir, "src", f))].map((f) => `#include "${f}"`).join("\n") + "\n";
  for (const f of LWIP_OUTPUT_PATH) files[path.join(lwip.dir, "src", f)] = fs.readFileSync(path.join(lwip.dir, "src", f), "utf8");
  const cc = await createCompiler({ target: "arm" });
  const r = await cc.preprocess({ files, entry: unit, includeDirs: dirs, defines: { BESPOKE_CUSTOM: true } });
  if (!r.ok) throw new BespokeError("PREPROCESS_FAILED", `the firmware's socket layer does not preprocess: ${r.diagnostics.map((d) => `${d.file}:${d.line}: ${d.message}`).join("; ")}`);
  return r.text;
}

/** Function symbols of the linked image whose names are unique in it (static functions of one name in two files are left out). */
function functionSymbols(elf: Uint8Array): { name: string; address: number }[] {
  const count = new Map<string, number>();
  const fns = symbols(readElf(elf)).filter((s) => s.type === 2 && s.shndx !== 0 && s.name !== "");
  for (const s of fns) count.set(s.name, (count.get(s.name) ?? 0) + 1);
  return fns.filter((s) => count.get(s.name) === 1).map((s) => ({ name: s.name, address: s.value }));
}

/** Data objects of the linked image whose names are unique in it: where each lives, and whether the export table names it. */
function firmwareObjects(elf: Uint8Array, exports: { name: string }[]): Record<string, FirmwareObject> {
  const all = symbols(readElf(elf)).filter((s) => s.type === 1 && s.shndx !== 0 && s.name !== "");
  const count = new Map<string, number>();
  for (const s of all) count.set(s.name, (count.get(s.name) ?? 0) + 1);
  const exported = new Set(exports.map((e) => e.name));
  return Object.fromEntries(all.filter((s) => count.get(s.name) === 1).map((s) => [s.name, { address: s.value, exported: exported.has(s.name) }]));
}

const prepared = new Map<string, Promise<FirmwareProgram>>();

/** The board firmware prepared for serving (cached by build ID under the bespoke cache). */
export function prepareBoardFirmware(): Promise<FirmwareProgram> {
  const key = "arm-board";
  let p = prepared.get(key);
  if (!p) {
    p = buildArmFirmware("board").then(prepareBuild);
    prepared.set(key, p);
    p.catch(() => prepared.delete(key));
  }
  return p;
}

async function prepareBuild(fw: ArmFirmware): Promise<FirmwareProgram> {
  const objects = firmwareObjects(fw.elf, fw.exports);
  const scenarios = Object.fromEntries(Object.entries(loadFirmwareScenarios()).map(([name, s]) => [name, { ...s, scenario: { ...s.scenario, firmwareObjects: objects } }]));
  // the units in the program are part of the key (the build ID covers their contents, not which are specialized), and
  // so is the serialized format: checkouts at other commits sharing the cache folder do not overwrite each other's files
  const units = crypto.createHash("sha256").update(JSON.stringify([SOCKET_LAYER, LWIP_OUTPUT_PATH, SERIALIZED_FORMAT])).digest("hex").slice(0, 8);
  const file = path.join(buildManifest().cache, "prepared", `${fw.buildId}-${PREPARE_VERSION}-${units}.bin`);
  let program = fs.existsSync(file) ? cachedProgram(new Uint8Array(fs.readFileSync(file))) : null;
  if (!program) {
    const parsed = parseProgram(await socketLayerText(), { target: "arm", file: "firmware/kernel/socket-layer.c" });
    if (!parsed.program) throw new BespokeError("PARSE_FAILED", `the firmware's socket layer does not parse: ${parsed.diagnostics.slice(0, 3).map((d) => `${d.pos.file}:${d.pos.line}: ${d.message}`).join("; ")}`);
    const bytes = serializeProgram(parsed.program);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
    program = deserializeProgram(bytes);
  }
  // the binding-time analysis of each scenario, done here once: the server only specializes
  const prepared = prepareProgram(program, "arm");
  for (const s of Object.values(scenarios)) s.bta = analyzeBindingTimes(prepared, s.scenario);
  return {
    buildId: fw.buildId,
    target: "arm",
    exports: fw.exports.map((e) => ({ name: e.name, address: e.address })),
    functions: functionSymbols(fw.elf),
    program,
    scenarios,
  };
}

/** A cached serialized program, or null when it is in a format this build no longer reads (it is then prepared again). */
function cachedProgram(bytes: Uint8Array): Program | null {
  try {
    return deserializeProgram(bytes);
  } catch (e) {
    if (e instanceof BespokeError && e.code === "BAD_SERIALIZED_AST") return null;
    throw e;
  }
}

/** Where bundles find the prepared firmware (the `bespoke-prepared-firmware` alias of edge-worker/wrangler.toml). */
export function preparedModulePath(): string {
  return path.join(buildDir(), "prepared", "firmware.mjs");
}

/** Write the board firmware, prepared, as the module the edge bundle imports. */
export async function writePreparedModule(): Promise<string> {
  const fw = await prepareBoardFirmware();
  const data: PreparedFirmwareData = {
    buildId: fw.buildId,
    target: fw.target,
    exports: fw.exports,
    functions: fw.functions,
    program: Buffer.from(serializeProgram(fw.program)).toString("base64"),
    scenarios: fw.scenarios,
  };
  const file = preparedModulePath();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  fs.writeFileSync(tmp, `// Generated by src/device/prepare.ts: the board firmware ${fw.buildId}, prepared.\nexport const PREPARED_FIRMWARE_DATA = [${JSON.stringify(data)}];\n`);
  fs.renameSync(tmp, file);
  return file;
}
