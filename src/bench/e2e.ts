// `bespoke bench --json FILE` (no name, or `e2e`): the paper's figures on the
// arm VM, TinyCC on both sides (src/device/paper.ts).
import type { CommandContext } from "../cli/main.ts";
import { paperFigures } from "../device/paper.ts";

export async function e2eBench(ctx: CommandContext): Promise<Record<string, unknown>> {
  const figures = await paperFigures();
  for (const [call, f] of Object.entries(figures)) {
    ctx.stderr(`bench e2e ${call}: size ${f.generic_bytes}/${f.customized_bytes} = ${f.size_ratio}x, instructions 64 B ${f.generic_instructions_64} -> ${f.customized_instructions_64}, packets identical ${f.packets_identical}, chi ${f.chi}, edge p50 ${f.edge_ms_p50} ms\n`);
  }
  return figures;
}
