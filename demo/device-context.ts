// Device mode's context -> the one-shot request (`POST /v1/customize`, see
// src/server/request.ts) the virtual device would send: the static
// arguments of the call (fd, flags, the destination as a sockaddr_in) and
// the socket options that shape the generic path, as the device encodes
// values (little-endian hex, like the device's CUSTOMIZE message).
import { BespokeError } from "../src/errors.ts";
import type { DeviceContext } from "./types.ts";

/** The socket the virtual device's application opens first (fds 0-2 are the console). */
export const DEVICE_FD = 3;
const O_NONBLOCK = 0x800;
const AF_INET = 2;

function le32(n: number): string {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return hex(b);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((x) => x.toString(16).padStart(2, "0")).join("");
}

/** The destination as the device's `struct sockaddr_in` (16 bytes: family LE, port and address in network order). */
export function sockaddrIn(address: string, port: number): Uint8Array {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new BespokeError("BAD_CONTEXT", `destination address '${address}' is not a dotted IPv4 address such as 10.0.0.2`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new BespokeError("BAD_CONTEXT", `destination port ${port} is not 1-65535`);
  const b = new Uint8Array(16);
  b[0] = AF_INET;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  b.set(parts, 4);
  return b;
}

export function validateContext(c: DeviceContext): void {
  sockaddrIn(c.address, c.port);
  if (!Number.isInteger(c.ttl) || c.ttl < 1 || c.ttl > 255) throw new BespokeError("BAD_CONTEXT", `TTL ${c.ttl} is not 1-255`);
  if (!Number.isInteger(c.tos) || c.tos < 0 || c.tos > 255) throw new BespokeError("BAD_CONTEXT", `TOS ${c.tos} is not 0-255`);
  if (!Number.isInteger(c.flags) || c.flags < 0) throw new BespokeError("BAD_CONTEXT", `flags ${c.flags} is not a non-negative integer`);
}

export function oneShotRequest(c: DeviceContext, firmware: string, device: string): Record<string, unknown> {
  validateContext(c);
  const udp = c.scenario === "udp-sendto";
  const values: Record<string, string> = {
    fd: le32(DEVICE_FD),
    flags: le32(c.flags),
    file_flags: le32(c.nonblock ? O_NONBLOCK : 0),
    ttl: le32(c.ttl),
    tos: le32(c.tos),
  };
  if (udp) {
    values.addr = hex(sockaddrIn(c.address, c.port));
    values.addr_len = le32(16);
    values.no_checksum = le32(c.checksumOff ? 1 : 0);
  } else values.nodelay = le32(c.nodelay ? 1 : 0);
  return { firmware, scenario: c.scenario, target: "arm", device, values };
}

/** The device code cache's key: a digest of the scenario and every context value. */
export async function contextKey(c: DeviceContext): Promise<string> {
  const canonical = JSON.stringify([c.scenario, c.address, c.port, c.flags, c.nonblock, c.ttl, c.tos, c.checksumOff, c.nodelay]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return hex(digest.slice(0, 8));
}
