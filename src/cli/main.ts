// `bespoke` command line: one subcommand per file in this folder.
import { BespokeError } from "../errors.ts";

export interface CommandContext {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

type Command = (args: string[], ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  cc: { summary: "compile C with tcc-wasm: bespoke cc --target T [tcc options] FILES", load: async () => (await import("./cc.ts")).cc },
  specialize: { summary: "specialize C for a scenario: bespoke specialize FILES --target T --scenario S.json [--context C.json] -o residual.c [--bta out.html] [--report r.json]", load: async () => (await import("./specialize.ts")).specialize },
  bench: { summary: "benchmarks: bespoke bench NAME --json FILE", load: async () => (await import("./bench.ts")).bench },
  vm: { summary: "virtual ARM device: bespoke vm run PROG.elf [--stats] [--budget N]", load: async () => (await import("./vm.ts")).vm },
  device: { summary: "boot the firmware: bespoke device --selftest [--host [--sanitize]] [--verbose]", load: async () => (await import("./device.ts")).device },
  start: { summary: "the main job (npm start)", load: async () => (await import("./start.ts")).start },
  serve: { summary: "the local edge (workerd): bespoke serve [--port 8787]", load: async () => (await import("./serve.ts")).serve },
  customize: { summary: "offline one-shot customization: bespoke customize --scenario udp-sendto --context ctx.json --target arm -o DIR", load: async () => (await import("./customize.ts")).customize },
  layout: { summary: "struct layouts: bespoke layout FILES --target T [-I dir] [-D name] [--json]", load: async () => (await import("./layout.ts")).layout },
};

export const VERSION = "0.1.0";

async function main(argv: string[]): Promise<number> {
  const ctx: CommandContext = {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  };
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V") return (await import("./version.ts")).version(rest, ctx);
  if (!name || name === "--help" || name === "-h" || name === "help") {
    ctx.stdout(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    ctx.stderr(`bespoke: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest, ctx);
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: bespoke COMMAND [options]\n\ncommands:\n${lines.join("\n")}\n  --version  version and the targets available\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof BespokeError) process.stderr.write(`bespoke: ${e.message}\n`);
    else process.stderr.write(`bespoke: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = e instanceof BespokeError ? 1 : 70;
  },
);
