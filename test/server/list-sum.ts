// A small but real customization world for the server and edge tests: a
// device whose RAM holds a linked list, and a pipeline that specializes
// `list_sum(head)` for it by hand — walks the list through the customization
// table (misses become FETCHes), asks the device for a scale factor (a CALL),
// emits residual C and compiles it with tcc-wasm for arm. Finalize signs the
// object for the device with HMAC-SHA256, as images are.
//
// Runtime-independent (it is bundled into a test worker for workerd). Over
// the real channel protocol a CUSTOMIZE names a call, not a scenario: call
// `sendto` maps to scenario "udp-sendto", which this catalog serves with the
// same list walk; its static `addr` value carries the list head, and the
// device function is the protocol's `sockfd_lookup`.
import type { Program } from "../../src/c/ast.ts";
import { parseProgram } from "../../src/c/parser.ts";
import type { Compiler } from "../../src/compiler/compiler.ts";
import type { Target } from "../../src/compiler/targets.ts";
import { BespokeError } from "../../src/errors.ts";
import type { DeviceCall } from "../../src/runtime/ctfunctions.ts";
import type { AddressRange } from "../../src/runtime/mirror.ts";
import { signImages } from "../../src/server/finalize.ts";
import { type PreparedFirmware, servePrepared } from "../../src/server/catalog.ts";
import type { SpecializeStage } from "../../src/server/pipeline.ts";
import { specializerStage } from "../../src/server/specializer.ts";
import { parseScenario } from "../../src/specializer/scenario.ts";
import type { Catalog, CustomizeRequest, DeviceLink, Finalize, FirmwareInfo, Pipeline } from "../../src/server/types.ts";

export const RAM_BASE = 0x2000_0000;
export const BUILD_ID = "0123456789abcdef";
export const NODES = [0x2000_0200, 0x2000_1300, 0x2000_2400, 0x2000_3500, 0x2000_4600];

export const DEVICE_FN = "sockfd_lookup";

export const FIRMWARE: FirmwareInfo = {
  buildId: BUILD_ID,
  target: "arm",
  addressLimit: 2 ** 32,
  scenarios: {
    "list-sum": { name: "list-sum", version: 3, call: "sendto" },
    "udp-sendto": { name: "udp-sendto", version: 1, call: "sendto" },
    "list-c": { name: "list-c", version: 1, call: "sendto" },
  },
};

/** The same list walk in C, for the real specializer (scenario "list-c"): `head` static, `x` dynamic. */
export const LIST_C_SOURCE = `struct node { struct node *next; int value; };
int list_sum(struct node *head, int x) {
  int s = 0;
  struct node *p;
  for (p = head; p; p = p->next) s += p->value;
  return s * x;
}
`;

export const LIST_C_SCENARIO = parseScenario({ version: 1, entry: "list_sum", params: { head: "S", x: "D" } });

export function listCProgram(target: Target = "arm"): Program {
  const parsed = parseProgram(LIST_C_SOURCE, { target, file: "list.c" });
  if (!parsed.program) throw new BespokeError("PARSE_FAILED", parsed.diagnostics.map((d) => d.message).join("; "));
  return parsed.program;
}

/**
 * The list world as prepared firmware: "list-sum" and "udp-sendto" are the
 * hand specialization, "list-c" the real specializer over LIST_C_SOURCE.
 */
export const LIST_SUM_FIRMWARE: PreparedFirmware = {
  info: FIRMWARE,
  exports: [],
  specialize: {
    "list-sum": (job) => listSumStage(job),
    "udp-sendto": (job) => listSumStage(job),
    "list-c": specializerStage({ program: listCProgram(), scenario: LIST_C_SCENARIO }),
  },
};

/** The list world for an x86_64 device (64-bit pointers): scenario "list-c" only. */
export const LIST_X86_64_FIRMWARE: PreparedFirmware = {
  info: {
    buildId: "0123456789ab8664",
    target: "x86_64",
    addressLimit: 2 ** 48,
    scenarios: { "list-c": { name: "list-c", version: 1, call: "sendto" } },
  },
  exports: [],
  specialize: { "list-c": specializerStage({ program: listCProgram("x86_64"), scenario: LIST_C_SCENARIO }) },
};

export const catalog: Catalog = {
  firmware: (id) => (id === BUILD_ID ? FIRMWARE : undefined),
  buildIds: () => [BUILD_ID],
};

/** The device: 64 KiB of RAM with a list of { next, value } nodes, and the round trips it served. */
export class ScriptedDevice {
  readonly ram = new Uint8Array(0x10000);
  readonly view = new DataView(this.ram.buffer);
  readonly fetches: AddressRange[][] = [];
  readonly calls: DeviceCall[] = [];

  /** `pointerBytes`: 4 for an arm device, 8 for x86_64 (struct node's layout follows). */
  constructor(
    values = [10, 20, 30, 40, 50],
    readonly pointerBytes: 4 | 8 = 4,
  ) {
    NODES.forEach((addr, i) => {
      const next = i + 1 < NODES.length ? NODES[i + 1]! : 0;
      if (pointerBytes === 8) this.view.setBigUint64(addr - RAM_BASE, BigInt(next), true);
      else this.view.setUint32(addr - RAM_BASE, next, true);
      this.view.setUint32(addr - RAM_BASE + pointerBytes, values[i]!, true);
    });
    this.view.setUint32(0x8000, 3, true); // scale, read by the device-side sockfd_lookup()
  }

  setValue(node: number, value: number): void {
    this.view.setUint32(NODES[node]! - RAM_BASE + this.pointerBytes, value, true);
  }

  read(range: AddressRange): Uint8Array {
    const off = range.addr - RAM_BASE;
    if (off < 0 || off + range.length > this.ram.length) {
      throw new BespokeError("DEVICE_FAULT", `device has no memory at 0x${range.addr.toString(16)}`);
    }
    return this.ram.slice(off, off + range.length);
  }

  link(): DeviceLink {
    return {
      fetch: async (ranges) => {
        this.fetches.push(ranges.map((r) => ({ ...r })));
        return ranges.map((r) => this.read(r));
      },
      call: async (call) => {
        this.calls.push(call);
        if (call.fn !== DEVICE_FN) throw new BespokeError("DEVICE_FAULT", `no function ${call.fn}`);
        return BigInt(this.view.getUint32(0x8000, true));
      },
    };
  }
}

export function listSumSource(sum: number, scale: bigint): string {
  return `int list_sum(void) { return ${sum} * ${scale}; }\n`;
}

/** The hand specialization: walk the list through the table, ask the device for the scale, emit C. */
export const listSumStage: SpecializeStage = (job) => {
  const head = listHead(job.values);
  let sum = 0;
  for (let p = head; p !== 0; ) {
    const node = new DataView(job.memory.read(p, 8).buffer);
    sum += node.getUint32(4, true);
    p = node.getUint32(0, true);
  }
  const scale = job.calls.result({ fn: DEVICE_FN, args: [BigInt(head)] });
  return { source: listSumSource(sum, scale), entry: "list_sum", guards: [] };
};

export function makeListSumPipeline(compiler: () => Promise<Compiler>): Pipeline {
  return servePrepared([LIST_SUM_FIRMWARE], compiler).pipeline;
}

/** The list head: `values.head` (a number), or the first 4 bytes (LE) of `values.addr` in hex, as a CUSTOMIZE frame carries it. */
function listHead(values: CustomizeRequest["values"]): number {
  if (typeof values.head === "number") return values.head;
  if (typeof values.addr === "string" && /^[0-9a-f]{8,}$/.test(values.addr)) {
    const b = values.addr.match(/../g)!.slice(0, 4).map((x) => parseInt(x, 16));
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  throw new BespokeError("BAD_CONTEXT", "values.head: expected the list's address (or values.addr holding it)");
}

/** A test key per device: 32 bytes spelled from its ID. */
export function testDeviceKey(id: string): Uint8Array {
  return new TextEncoder().encode(`${id}:`.padEnd(32, "k").slice(0, 32));
}

export const signForDevice: Finalize = signImages(async (device) => (device.id === "stranger" ? undefined : testDeviceKey(device.id)));
