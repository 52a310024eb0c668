// `bespoke device --selftest [--host] [--sanitize] [--verbose]`: boot the
// firmware and run its self tests. By default the arm image on the VM; with
// --host the native build. Prints one summary line (the firmware's whole
// console with --verbose); exits 0 only if every test passed.
// `bespoke device --server URL [--rtt MS]`: boot the arm firmware on the VM
// with its channel bridged to an edge session at URL (over a simulated link
// of MS round-trip time), customize UDP sendto and send through the token.
import { BespokeError } from "../errors.ts";
import { selftestOnHost, selftestOnVm, selftestPassed, selftestSummary } from "../device/selftest.ts";
import type { CommandContext } from "./main.ts";

const USAGE = "usage: bespoke device --selftest [--host [--sanitize]] [--verbose] | bespoke device --server URL [--rtt MS]";

export async function device(args: string[], ctx: CommandContext): Promise<number> {
  if (args.includes("--server")) return connected(args, ctx);
  let selftest = false;
  let host = false;
  let sanitize = false;
  let verbose = false;
  for (const a of args) {
    if (a === "--selftest") selftest = true;
    else if (a === "--host") host = true;
    else if (a === "--sanitize") sanitize = true;
    else if (a === "--verbose" || a === "-v") verbose = true;
    else throw new BespokeError("USAGE", `device: unexpected argument '${a}' (${USAGE})`);
  }
  if (!selftest) throw new BespokeError("USAGE", `device: what to do? (${USAGE})`);
  if (sanitize && !host) throw new BespokeError("USAGE", "device: --sanitize applies to the native build (--host)");
  const report = host ? selftestOnHost({ sanitize }) : await selftestOnVm();
  if (verbose) ctx.stdout(report.console.endsWith("\n") ? report.console : `${report.console}\n`);
  ctx.stdout(`${selftestSummary(report)}\n`);
  return selftestPassed(report) ? 0 : 1;
}

/** The device on the VM against an edge: customize UDP sendto, send through the token, print what the firmware reports. */
async function connected(args: string[], ctx: CommandContext): Promise<number> {
  let url: URL | undefined;
  let rttMs = 0;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = args[++i];
    if (a === "--server" && value) {
      try {
        url = new URL(value);
      } catch {
        throw new BespokeError("USAGE", `device: --server takes the edge's URL (e.g. http://127.0.0.1:8787), not '${value}'`);
      }
    } else if (a === "--rtt" && value && /^\d+(\.\d+)?$/.test(value)) rttMs = Number(value);
    else throw new BespokeError("USAGE", `device: unexpected argument '${a}'${value === undefined ? " (missing its value)" : ""} (${USAGE})`);
  }
  if (!url) throw new BespokeError("USAGE", `device: --server needs a URL (${USAGE})`);
  const { edgeServer, runDevice } = await import("../device/host.ts");
  const link = await edgeServer(url, "bespoke-device");
  try {
    const script = ["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1", "e2e send c 1000 64 1 7000", "e2e cancel 1"];
    const run = await runDevice(script, link, { link: { rttMs }, onLine: (line) => ctx.stdout(`device: ${line}\n`) });
    for (const e of run.serverErrors) ctx.stderr(`device: the server answered ERROR ${e}\n`);
    if (run.waits[0] !== undefined) ctx.stdout(`device: customization took ${run.waits[0].toFixed(0)} ms (rtt ${rttMs} ms)\n`);
    return run.exitCode === 0 && run.lines.includes("state ready") ? 0 : 1;
  } finally {
    link.close();
  }
}
