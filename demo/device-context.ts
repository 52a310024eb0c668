// Device mode's context -> the console script the virtual device runs
// (firmware/apps/e2e.c commands), and the device code cache's key.
// The e2e commands customize for a destination on the device's loopback
// interface (UDP: any 127.x.y.z; TCP: 127.0.0.1, the stack's own address),
// where every packet is captured and hashed, with
// the context's flags, after setting its socket options (TTL, TOS, SO_NO_CHECK,
// TCP_NODELAY) and O_NONBLOCK on the sender.
import { BespokeError } from "../src/errors.ts";
import type { DeviceContext } from "./types.ts";

/** The sender's fd in the e2e commands' task. */
const SENDER_FD = 1;
export const PACKET_BYTES = 64;
/** The flags the form offers (socket.h). */
export const SEND_FLAGS: Record<number, string> = { 0: "0", 0x40: "MSG_DONTWAIT" };
export const DEFAULT_CONTEXT: Omit<DeviceContext, "scenario" | "port" | "packets"> = { address: "127.0.0.1", flags: 0, nonblock: false, ttl: 64, tos: 0, noCheck: false, noDelay: false };
const LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function validateContext(c: DeviceContext): void {
  if (!Number.isInteger(c.port) || c.port < 1024 || c.port > 65535) throw new BespokeError("BAD_CONTEXT", `destination port ${c.port}: choose 1024-65535`);
  const a = LOOPBACK.exec(c.address);
  if (!a || a.slice(1).some((x) => Number(x) > 255)) throw new BespokeError("BAD_CONTEXT", `destination address '${c.address}': choose a 127.x.y.z address (the virtual device's loopback interface)`);
  if (c.scenario === "tcp-send" && c.address !== DEFAULT_CONTEXT.address) throw new BespokeError("BAD_CONTEXT", `TCP send to ${c.address}: the connection's peer is the device's own listener, and its stack accepts segments only for its interface address; choose ${DEFAULT_CONTEXT.address}`);
  if (!(c.flags in SEND_FLAGS)) throw new BespokeError("BAD_CONTEXT", `flags ${c.flags}: choose ${Object.entries(SEND_FLAGS).map(([v, n]) => `${n} (${v})`).join(" or ")}`);
  if (!Number.isInteger(c.ttl) || c.ttl < 1 || c.ttl > 255) throw new BespokeError("BAD_CONTEXT", `TTL ${c.ttl} is not 1-255`);
  if (!Number.isInteger(c.tos) || c.tos < 0 || c.tos > 255) throw new BespokeError("BAD_CONTEXT", `TOS ${c.tos} is not 0-255`);
  if (!Number.isInteger(c.packets) || c.packets < 1 || c.packets > 5000) throw new BespokeError("BAD_CONTEXT", `packets ${c.packets}: choose 1-5000`);
}

/** The setup both boots share: the socket(s), then the socket options of the context. */
function setup(c: DeviceContext): string[] {
  const lines = [c.scenario === "udp-sendto" ? `e2e udp ${endpoint(c)}` : `e2e tcp ${endpoint(c)}`];
  if (c.ttl !== DEFAULT_CONTEXT.ttl) lines.push(`e2e ttl ${SENDER_FD} ${c.ttl}`);
  if (c.tos !== DEFAULT_CONTEXT.tos) lines.push(`e2e opt ${SENDER_FD} tos ${c.tos}`);
  if (c.noCheck) lines.push(`e2e opt ${SENDER_FD} nocheck 1`);
  if (c.noDelay) lines.push(`e2e opt ${SENDER_FD} nodelay 1`);
  if (c.nonblock) lines.push(`e2e opt ${SENDER_FD} nonblock 1`);
  return lines;
}

/** The e2e commands' PORT: the port alone on 127.0.0.1, else ADDR:PORT. */
function endpoint(c: DeviceContext): string {
  return c.address === DEFAULT_CONTEXT.address ? String(c.port) : `${c.address}:${c.port}`;
}

function dest(c: DeviceContext): string {
  return c.scenario === "udp-sendto" ? endpoint(c) : "-";
}

/** The context in a line, for the cache table. */
export function describeContext(c: DeviceContext): string {
  const parts = [`${c.address}:${c.port}`, `flags ${SEND_FLAGS[c.flags] ?? c.flags}`, `TTL ${c.ttl}`, `TOS ${c.tos}`];
  if (c.nonblock) parts.push("O_NONBLOCK");
  if (c.noCheck) parts.push("checksum off");
  if (c.noDelay) parts.push("TCP_NODELAY");
  return parts.join(", ");
}

/** Packets per `e2e send` command: each batch prints its result as it finishes, and the page's progress moves by it. */
export const BATCH_PACKETS = 25;

/** `e2e send` commands for the context's packets in batches, through the token (c) or the generic call (g); fd and token are both 1. */
function sends(kind: "c" | "g", c: DeviceContext): string[] {
  return Array.from({ length: Math.ceil(c.packets / BATCH_PACKETS) }, (_, i) => {
    const count = Math.min(BATCH_PACKETS, c.packets - i * BATCH_PACKETS);
    return `e2e send ${kind} ${count} ${PACKET_BYTES} ${SENDER_FD} ${dest(c)}${c.flags ? ` ${c.flags}` : ""}`;
  });
}

/** Boot 1: customize, wait for the version, send through the token (as test/e2e does). */
export function customizedScript(c: DeviceContext): string[] {
  validateContext(c);
  return [...setup(c), `e2e customize ${SENDER_FD} ${dest(c)}${c.flags ? ` ${c.flags}` : ""}`, `e2e wait 1`, `e2e state 1`, ...sends("c", c), `e2e state 1`];
}

/** Boot 2, from the same state: the same sends through the generic system call. */
export function genericScript(c: DeviceContext): string[] {
  validateContext(c);
  return [...setup(c), ...sends("g", c)];
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

export interface SendTotals {
  sent: number;
  ok: number;
  /** Mean instructions per call over every send. */
  instret: number;
  /** The digests of the send commands, in order (each over the packets its sends put on the wire). */
  digest: string;
}

/** The `sent` lines of a boot, added up. */
export function sendTotals(lines: string[]): SendTotals {
  const all = lines.flatMap((l) => parseSent(l) ?? []);
  if (all.length === 0) throw new BespokeError("NO_SENDS", `the device printed no send result:\n${lines.join("\n")}`);
  const sent = all.reduce((n, x) => n + x.sent, 0);
  return {
    sent,
    ok: all.reduce((n, x) => n + x.ok, 0),
    instret: Math.round(all.reduce((n, x) => n + x.instret * x.sent, 0) / sent),
    digest: all.map((x) => x.digest).join(","),
  };
}

/** The device code cache's key: a digest of the call and every context value. */
export async function contextKey(c: DeviceContext): Promise<string> {
  const canonical = JSON.stringify([c.scenario, c.address, c.port, c.flags, c.nonblock, c.ttl, c.tos, c.noCheck, c.noDelay]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return [...digest.slice(0, 8)].map((x) => x.toString(16).padStart(2, "0")).join("");
}
