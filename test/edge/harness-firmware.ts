// The customization test device (test/custom/harness.c: the real device-side
// subsystem over a small fake kernel) as firmware the edge serves, with the
// real specializer. Its generic send path, written in C the way harness.c
// runs it (bsp_port_generic), is specialized for the CUSTOMIZE context: the
// socket's file found by the customization-time function sockfd_lookup (a
// CALL to the device), its TTL and TOS read from device memory (the `file`
// root the device sent), flags, call and destination from the request's
// values. The residual code builds the header from constants and calls the
// firmware's exported net_output, like the paper's Figure 3.
// Runtime-independent: bundled into the test worker.
import type { Program } from "../../src/c/ast.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { BespokeError } from "../../src/errors.ts";
import type { PreparedFirmware } from "../../src/server/catalog.ts";
import { specializerStage } from "../../src/server/specializer.ts";
import type { FirmwareInfo, PipelineJob } from "../../src/server/types.ts";
import { type Context, parseContext, parseScenario } from "../../src/specializer/scenario.ts";

/** harness.c's build ID, "TESTBLD1". */
export const HARNESS_BUILD_ID = "54455354424c4431";

export const HARNESS_SOURCE = `struct file { int open; unsigned char ttl, tos; unsigned int gen; };
long net_output(const void *hdr, unsigned long hlen, const void *buf, unsigned long len);
long generic_send(struct file *f, int call, const void *buf, unsigned long len, int flags, const unsigned char *addr, unsigned addr_len) {
  unsigned char hdr[5 + 16];
  unsigned i;
  if (!f) return -9;
  hdr[0] = f->ttl;
  hdr[1] = f->tos;
  hdr[2] = (unsigned char)flags;
  hdr[3] = (unsigned char)call;
  hdr[4] = (unsigned char)addr_len;
  for (i = 0; i < addr_len; i++) hdr[5 + i] = addr[i];
  return net_output(hdr, 5 + addr_len, buf, len);
}
`;

const SCENARIO = parseScenario({
  version: 1,
  entry: "generic_send",
  residualName: "customized_send",
  params: { f: "S", call: "S", flags: "S", addr: "S", addr_len: "S", buf: "D", len: "D" },
});

function harnessProgram(): Program {
  const parsed = parseProgram(HARNESS_SOURCE, { target: "arm", file: "harness-send.c" });
  if (!parsed.program) throw new BespokeError("PARSE_FAILED", parsed.diagnostics.map((d) => d.message).join("; "));
  return parsed.program;
}

function int32(job: PipelineJob, name: string): number {
  const v = job.values[name];
  if (typeof v !== "string" || !/^[0-9a-f]{8}$/.test(v)) throw new BespokeError("BAD_CONTEXT", `value ${name}: expected 4 bytes (i32), got ${JSON.stringify(v)}`);
  return new DataView(Uint8Array.from(v.match(/../g)!.map((h) => parseInt(h, 16))).buffer).getInt32(0, true);
}

/** The specializer's context from a CUSTOMIZE: values as the device sent them (hex), the file by a device call. */
function contextOf(job: PipelineJob): Context {
  const fd = int32(job, "fd");
  const file = job.calls.result({ fn: "sockfd_lookup", args: [BigInt(fd)] });
  if (file === 0n) throw new BespokeError("BAD_CONTEXT", `fd ${fd} is not an open socket on the device`);
  const addr = typeof job.values.addr === "string" ? job.values.addr.match(/../g)?.map((h) => parseInt(h, 16)) ?? [] : [];
  return parseContext({
    params: {
      f: { address: `0x${file.toString(16)}` },
      call: job.scenario.call === "sendto" ? 1 : 2,
      flags: int32(job, "flags"),
      addr: addr.length ? addr : null,
      addr_len: addr.length,
    },
  });
}

const INFO: FirmwareInfo = {
  buildId: HARNESS_BUILD_ID,
  target: "arm",
  addressLimit: 2 ** 32,
  scenarios: { "udp-sendto": { name: "udp-sendto", version: 1, call: "sendto" } },
};

export const HARNESS_FIRMWARE: PreparedFirmware = {
  info: INFO,
  exports: ["net_output", "net_generation"],
  specialize: {
    "udp-sendto": specializerStage({
      program: harnessProgram(),
      scenario: SCENARIO,
      contextOf,
      entryOf: (residual) => ({
        entry: "customized",
        source: `long customized(int fd, const void *buf, unsigned long len, const void *args)\n{\n    return ${residual}(buf, len);\n}\n`,
      }),
    }),
  },
};
