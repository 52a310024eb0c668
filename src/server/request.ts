// The one-shot request format (`POST /v1/customize`): JSON carrying the
// context and every piece of device memory the specialization reads.
//
//   { "firmware": "<build id hex>", "scenario": "udp-sendto", "target": "arm", "device": "dev-1",
//     "values": { "fd": 3, "flags": 0, ... },
//     "memory": [ { "addr": "0x2001a040", "hex": "0a000001..." } ],
//     "calls":  [ { "fn": "sockfd_lookup", "args": ["3"], "result": "0x2001a000" } ] }
//
// Validation errors name the offending field, e.g. `request.memory[2].hex`.
import { TARGETS, isTarget } from "../compiler/targets.ts";
import { BespokeError } from "../errors.ts";
import type { CustomizeRequest, JsonValue } from "./types.ts";

export interface OneShotRequest {
  request: CustomizeRequest;
  device: string;
}

const BUILD_ID = /^[0-9a-f]{2,64}$/;
const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

function fail(path: string, message: string): never {
  throw new BespokeError("BAD_REQUEST", `${path}: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseOneShot(text: string, maxBytes: number): OneShotRequest {
  if (text.length > maxBytes) {
    throw new BespokeError("CONTEXT_TOO_LARGE", `the request body is ${text.length} bytes, over the ${maxBytes}-byte limit`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BespokeError("BAD_REQUEST", `the request body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(json)) fail("request", "expected a JSON object");
  for (const key of Object.keys(json)) {
    if (!["firmware", "scenario", "target", "device", "values", "memory", "calls"].includes(key)) fail(`request.${key}`, "unknown field");
  }
  const firmware = json.firmware;
  if (typeof firmware !== "string" || !BUILD_ID.test(firmware)) fail("request.firmware", "expected the firmware build ID as lowercase hex");
  const scenario = json.scenario;
  if (typeof scenario !== "string" || !NAME.test(scenario)) fail("request.scenario", "expected a scenario name such as \"udp-sendto\"");
  const device = json.device ?? "anonymous";
  if (typeof device !== "string" || device.length === 0 || device.length > 128) fail("request.device", "expected a device ID (1-128 characters)");
  const values = json.values ?? {};
  if (!isRecord(values)) fail("request.values", "expected an object of static values");
  const request: CustomizeRequest = {
    firmware,
    scenario,
    values: values as { [name: string]: JsonValue },
    memory: parseMemory(json.memory),
  };
  if (json.calls !== undefined) request.calls = parseCalls(json.calls);
  if (json.target !== undefined) {
    if (typeof json.target !== "string" || !isTarget(json.target)) fail("request.target", `expected one of ${TARGETS.join(", ")}`);
    request.target = json.target;
  }
  return { request, device };
}

function parseMemory(v: unknown): CustomizeRequest["memory"] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail("request.memory", "expected an array of { addr, hex } blocks");
  return v.map((block, i) => {
    const path = `request.memory[${i}]`;
    if (!isRecord(block)) fail(path, "expected { addr, hex }");
    const addr = parseAddress(block.addr, `${path}.addr`);
    if (typeof block.hex !== "string" || block.hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(block.hex)) {
      fail(`${path}.hex`, "expected the block's bytes as an even number of hex digits");
    }
    const bytes = new Uint8Array(block.hex.length / 2);
    for (let j = 0; j < bytes.length; j++) bytes[j] = parseInt(block.hex.slice(2 * j, 2 * j + 2), 16);
    return { addr, bytes };
  });
}

function parseCalls(v: unknown): NonNullable<CustomizeRequest["calls"]> {
  if (!Array.isArray(v)) fail("request.calls", "expected an array of { fn, args, result }");
  return v.map((c, i) => {
    const path = `request.calls[${i}]`;
    if (!isRecord(c)) fail(path, "expected { fn, args, result }");
    if (typeof c.fn !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c.fn)) fail(`${path}.fn`, "expected a C function name");
    if (!Array.isArray(c.args)) fail(`${path}.args`, "expected an array of integers");
    return {
      fn: c.fn,
      args: c.args.map((a, j) => parseInteger(a, `${path}.args[${j}]`)),
      result: parseInteger(c.result, `${path}.result`),
    };
  });
}

function parseAddress(v: unknown, path: string): number {
  const n = parseInteger(v, path);
  if (n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER)) fail(path, "expected a non-negative device address");
  return Number(n);
}

function parseInteger(v: unknown, path: string): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) {
    return v.startsWith("-") ? -BigInt(v.slice(1)) : BigInt(v);
  }
  return fail(path, `expected an integer (number, or decimal/0x-hex string), got ${JSON.stringify(v) ?? String(v)}`);
}
