// Test support: the customization subsystem (firmware/custom/) built into a
// test device (harness.c) natively with gcc + ASan/UBSan, or for arm with the
// Debian cross gcc and run under qemu-arm; and a small "server" that answers
// CUSTOMIZE with a real code image compiled by tcc-wasm.
import { type ChildProcess, type StdioOptions, execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Writable } from "node:stream";
import { createCompiler } from "../../src/compiler/node.ts";
import { type CodeImage, type GuardRequest, buildImage, encodeImage } from "../../src/runtime/image.ts";
import { type CustomizeMessage, FrameReader, type ImageTarget, type Message, decodeFrame, encodeFrame } from "../../src/runtime/protocol.ts";
import { LWIP_SOURCES } from "../../src/device/firmware-build.ts";
import { buildDir, buildManifest, repoRoot } from "../../src/node/paths.ts";

export const SUBSYSTEM = ["sha256.c", "loader.c", "codemgr.c", "context.c", "channel.c", "specialize.c"];
/** The harness's device key and build ID (harness.c). */
export const DEVICE_KEY = Uint8Array.from([
  0x0b, 0x1e, 0x57, 0x9a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
  0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
]);
export const BUILD_ID = new TextEncoder().encode("TESTBLD1");
export const FIRMWARE_EXPORTS = new Set(["net_output", "net_generation"]);
/** struct file in harness.c: int open; u8 ttl, tos; u32 gen. */
const FILE_TTL = 4;
const FILE_TOS = 5;

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

/** Which test device: harness.c over a fake kernel, kernel-harness.c over the real kernel and lwIP,
 * or harness.c with the native platform port (frames on fds 3 and 4). */
export type DeviceKind = "fake" | "kernel" | "native-port";

/** Build a test device for a target once per content hash; the command that runs it. */
export function harnessCommand(target: ImageTarget, kind: DeviceKind = "fake"): string[] {
  const root = repoRoot();
  const rel = (f: string) => path.relative(root, f);
  const transport = kind === "native-port" ? "firmware/custom/port-native.c" : "test/custom/test-transport.c";
  const custom = [...SUBSYSTEM.map((f) => `firmware/custom/${f}`), "test/custom/test-port.c", transport];
  const headers = ["test/custom/test-port.h", ...["bespoke.h", "custom.h", "port.h"].map((f) => `firmware/custom/${f}`)];
  let sources = ["test/custom/harness.c", ...custom].map((f) => path.join(root, f));
  let defines: string[] = [];
  if (kind === "kernel") {
    const lwip = path.join(buildManifest().sources["lwip"]!.dir, "src");
    const kernelDir = path.join(root, "firmware/kernel");
    const kernel = fs.readdirSync(kernelDir).filter((f) => f.endsWith(".c")).sort().map((f) => path.join(kernelDir, f));
    sources = [path.join(root, "test/custom/kernel-harness.c"), ...custom.map((f) => path.join(root, f)), ...kernel, ...LWIP_SOURCES.map((f) => path.join(lwip, f))];
    const includes = ["firmware/net", "firmware/kernel", "firmware/board", "firmware/custom"].map((d) => path.join(root, d));
    for (const dir of [...includes]) for (const f of fs.readdirSync(dir, { recursive: true }) as string[]) if (f.endsWith(".h")) headers.push(rel(path.join(dir, f)));
    defines = ["-DBESPOKE_CUSTOM", "-D_DEFAULT_SOURCE", ...includes.map((d) => `-I${d}`), `-I${path.join(lwip, "include")}`];
  }
  const digest = crypto.createHash("sha256");
  for (const f of [...sources, ...headers.map((h) => path.join(root, h))]) digest.update(fs.readFileSync(f));
  const flags =
    target === "x86_64"
      ? ["gcc", "-std=c99", "-Wall", "-Wextra", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
      : ["arm-linux-gnueabi-gcc", "-std=c99", "-Wall", "-Wextra", "-O1", "-static"];
  if (kind === "fake") flags.push("-Werror");
  digest.update([...flags, ...defines].join(" "));
  const dir = path.join(buildDir(), "test-custom");
  const name = `${kind}-${target}-${digest.digest("hex").slice(0, 16)}`;
  const exe = path.join(dir, name);
  if (!fs.existsSync(exe)) {
    fs.mkdirSync(dir, { recursive: true });
    for (const old of fs.readdirSync(dir)) {
      if (old.startsWith(`${kind}-${target}-`) && !old.startsWith(name)) fs.rmSync(path.join(dir, old), { force: true }); // superseded builds
    }
    const tmp = `${exe}.${process.pid}.tmp`;
    execFileSync(flags[0]!, [...flags.slice(1), ...defines, "-o", tmp, ...sources], { stdio: "pipe" });
    fs.renameSync(tmp, exe);
  }
  return target === "x86_64" ? [exe] : ["qemu-arm", exe];
}

export interface Reply {
  lines: string[];
  /** Frames the device sent, decoded. */
  sent: Message[];
  packets: string[];
  /** How many times the generic path ran (fake kernel). */
  generic: number;
  /** How many times customized code ran (real kernel: test_mark). */
  custom: number;
  ret: number | null;
}

export class TestDevice {
  private out = "";
  private waiting: ((lines: string[]) => void) | null = null;
  private readonly frames = new FrameReader();
  /** The device's stderr (its console, sanitizer reports). */
  private stderr = "";
  private readonly received: Message[] = [];
  private constructor(
    readonly target: ImageTarget,
    private readonly proc: ChildProcess,
  ) {
    proc.stderr!.on("data", (chunk: Buffer) => void (this.stderr += chunk.toString()));
    proc.stdio[4]?.on("data", (chunk: Buffer) => {
      for (const f of this.frames.push(new Uint8Array(chunk))) this.received.push(decodeFrame(f));
    });
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (s: string) => {
      this.out += s;
      const end = this.out.indexOf("\n.\n");
      const first = this.out.startsWith(".\n") ? 0 : end;
      if (this.waiting && first >= 0) {
        const lines = first === 0 ? [] : this.out.slice(0, end).split("\n");
        this.out = this.out.slice(first === 0 ? 2 : end + 3);
        const w = this.waiting;
        this.waiting = null;
        w(lines);
      }
    });
  }

  static start(target: ImageTarget, kind: DeviceKind = "fake", env: Record<string, string> = {}): TestDevice {
    const [cmd, ...args] = harnessCommand(target, kind);
    const stdio: StdioOptions = kind === "native-port" ? ["pipe", "pipe", "pipe", "pipe", "pipe"] : ["pipe", "pipe", "pipe"];
    return new TestDevice(target, spawn(cmd!, args, { stdio, env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0", ...env } }));
  }

  /** Native-port device: write a frame to its channel input (fd 3). */
  writeFrame(frame: Uint8Array): void {
    (this.proc.stdio[3] as Writable).write(frame);
  }

  /** Native-port device: the frames it wrote to fd 4 so far, taken. */
  async takeFrames(count: number): Promise<Message[]> {
    for (let i = 0; i < 200 && this.received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
    return this.received.splice(0);
  }

  run(line: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.proc.once("exit", (code) => reject(new Error(`test device exited (${code}) during '${line.slice(0, 60)}':\n${this.stderr.slice(-4000)}`)));
      this.waiting = (lines) => {
        this.proc.removeAllListeners("exit");
        resolve(parseReply(lines));
      };
      this.proc.stdin!.write(`${line}\n`);
    });
  }

  close(): void {
    this.proc.stdin!.end();
  }
}

function parseReply(lines: string[]): Reply {
  const r: Reply = { lines, sent: [], packets: [], generic: 0, custom: 0, ret: null };
  for (const l of lines) {
    if (l.startsWith("tx ")) r.sent.push(decodeFrame(unhex(l.slice(3))));
    else if (l.startsWith("packet ")) r.packets.push(l.slice(7));
    else if (l === "generic") r.generic++;
    else if (l === "custom") r.custom++;
    else if (l.startsWith("ret ")) r.ret = Number(l.slice(4));
  }
  return r;
}

/** The one CUSTOMIZE a reply carries. */
export function customizeOf(reply: Reply): CustomizeMessage {
  const c = reply.sent.filter((m): m is CustomizeMessage => m.type === "customize");
  if (c.length !== 1) throw new Error(`expected one CUSTOMIZE, got ${reply.lines.join(" | ")}`);
  return c[0]!;
}

/** Residual C the way a specializer would emit it for the harness's generic
 * send path: the header (TTL, TOS, flags, call, address) folded to constants. */
export function residualC(request: CustomizeMessage, extra = ""): string {
  const file = request.roots.find((r) => r.root === "file")!;
  const flags = request.values.find((v) => v.param === "flags")!.bytes[0]!;
  const addr = request.values.find((v) => v.param === "addr")?.bytes ?? new Uint8Array(0);
  const hdr = [file.bytes[FILE_TTL]!, file.bytes[FILE_TOS]!, flags, request.call === "sendto" ? 1 : 2, addr.length, ...addr];
  return `extern long net_output(const void *, unsigned long, const void *, unsigned long);
static const unsigned char hdr[] = {${hdr.join(", ")}};
static long calls;
long customized(int fd, const void *buf, unsigned long len, const void *args) {
  calls++;
  return net_output(hdr, sizeof hdr, buf, len);
}
${extra}`;
}

const compilers = new Map<ImageTarget, ReturnType<typeof createCompiler>>();

export async function compileFor(target: ImageTarget, source: string): Promise<Uint8Array> {
  let cc = compilers.get(target);
  if (!cc) compilers.set(target, (cc = createCompiler({ target })));
  const r = await (await cc).compile({ files: { "residual.c": source }, entry: "residual.c" });
  if (!r.ok) throw new Error(`residual C does not compile: ${JSON.stringify(r.diagnostics)}`);
  return r.object;
}

export interface ServeOptions {
  source?: string;
  guards?: GuardRequest[];
  /** Change the image before it is signed. */
  edit?: (image: CodeImage) => void;
  key?: Uint8Array;
}

/** The IMAGE frame answering a CUSTOMIZE (a real compile by tcc-wasm). */
export async function imageFrame(target: ImageTarget, request: CustomizeMessage, options: ServeOptions = {}): Promise<Uint8Array> {
  const object = await compileFor(target, options.source ?? residualC(request));
  const image = buildImage({
    object,
    target,
    entry: "customized",
    call: request.call,
    buildId: BUILD_ID,
    contextHash: request.contextHash,
    guards: options.guards ?? [],
  });
  options.edit?.(image);
  return encodeFrame({ type: "image", id: request.id, image: await encodeImage(image, options.key ?? DEVICE_KEY) });
}
