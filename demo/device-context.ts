// Device mode's context -> the console script the virtual device runs
// (firmware/apps/e2e.c commands), and the device code cache's key.
// The e2e commands customize for a destination on the device's loopback
// interface (127.0.0.1, where every packet is captured and hashed), with
// flags 0; the socket options they can set are the TTL.
import { BespokeError } from "../src/errors.ts";
import type { DeviceContext } from "./types.ts";

/** The sender's fd in the e2e commands' task. */
const SENDER_FD = 1;
export const PACKET_BYTES = 64;

export function validateContext(c: DeviceContext): void {
  if (!Number.isInteger(c.port) || c.port < 1024 || c.port > 65535) throw new BespokeError("BAD_CONTEXT", `destination port ${c.port}: choose 1024-65535`);
  if (!Number.isInteger(c.ttl) || c.ttl < 1 || c.ttl > 255) throw new BespokeError("BAD_CONTEXT", `TTL ${c.ttl} is not 1-255`);
  if (!Number.isInteger(c.packets) || c.packets < 1 || c.packets > 5000) throw new BespokeError("BAD_CONTEXT", `packets ${c.packets}: choose 1-5000`);
}

/** The setup both boots share: the socket(s), then the socket options of the context. */
function setup(c: DeviceContext): string[] {
  const lines = [c.scenario === "udp-sendto" ? `e2e udp ${c.port}` : `e2e tcp ${c.port}`];
  if (c.ttl !== 64) lines.push(`e2e ttl ${SENDER_FD} ${c.ttl}`);
  return lines;
}

function dest(c: DeviceContext): string {
  return c.scenario === "udp-sendto" ? String(c.port) : "-";
}

/** Boot 1: customize, wait for the version, send through the token (as test/e2e does). */
export function customizedScript(c: DeviceContext): string[] {
  validateContext(c);
  return [...setup(c), `e2e customize ${SENDER_FD} ${dest(c)}`, `e2e wait 1`, `e2e state 1`, `e2e send c ${c.packets} ${PACKET_BYTES} 1 ${dest(c)}`, `e2e state 1`];
}

/** Boot 2, from the same state: the same sends through the generic system call. */
export function genericScript(c: DeviceContext): string[] {
  validateContext(c);
  return [...setup(c), `e2e send g ${c.packets} ${PACKET_BYTES} ${SENDER_FD} ${dest(c)}`];
}

export interface SendLine {
  sent: number;
  ok: number;
  packets: number;
  bytes: number;
  instret: number;
  digest: string;
}

const SENT = /^sent (\d+) ok (\d+) first (-?\d+) packets (\d+) bytes (\d+) instret (\d+) least (\d+) digest ([0-9a-f]+)$/;

export function parseSent(line: string): SendLine | null {
  const m = SENT.exec(line);
  if (!m) return null;
  return { sent: Number(m[1]), ok: Number(m[2]), packets: Number(m[4]), bytes: Number(m[5]), instret: Number(m[6]), digest: m[8]! };
}

/** The device code cache's key: a digest of the call and every context value. */
export async function contextKey(c: DeviceContext): Promise<string> {
  const canonical = JSON.stringify([c.scenario, c.port, c.ttl]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return [...digest.slice(0, 8)].map((x) => x.toString(16).padStart(2, "0")).join("");
}
