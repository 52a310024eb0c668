// `bespoke device --selftest [--host] [--sanitize] [--verbose]`: boot the
// firmware and run its self tests. By default the arm image on the VM; with
// --host the native build. Prints one summary line (the firmware's whole
// console with --verbose); exits 0 only if every test passed.
import { BespokeError } from "../errors.ts";
import { selftestOnHost, selftestOnVm, selftestPassed, selftestSummary } from "../device/selftest.ts";
import type { CommandContext } from "./main.ts";

export async function device(args: string[], ctx: CommandContext): Promise<number> {
  let selftest = false;
  let host = false;
  let sanitize = false;
  let verbose = false;
  for (const a of args) {
    if (a === "--selftest") selftest = true;
    else if (a === "--host") host = true;
    else if (a === "--sanitize") sanitize = true;
    else if (a === "--verbose" || a === "-v") verbose = true;
    else throw new BespokeError("USAGE", `device: unexpected argument '${a}' (usage: bespoke device --selftest [--host [--sanitize]] [--verbose])`);
  }
  if (!selftest) throw new BespokeError("USAGE", "device: what to do? (--selftest)");
  if (sanitize && !host) throw new BespokeError("USAGE", "device: --sanitize applies to the native build (--host)");
  const report = host ? selftestOnHost({ sanitize }) : await selftestOnVm();
  if (verbose) ctx.stdout(report.console.endsWith("\n") ? report.console : `${report.console}\n`);
  ctx.stdout(`${selftestSummary(report)}\n`);
  return selftestPassed(report) ? 0 : 1;
}
