// `bespoke bench --json FILE` (no name, or `e2e`): the paper's figures on the
// arm VM, TinyCC on both sides (src/device/paper.ts), with the closure
// reachable from each call's system call (src/device/reachable.ts).
import type { CommandContext } from "../cli/main.ts";
import { paperFigures } from "../device/paper.ts";
import { scenarioClosure } from "../device/reachable.ts";

/** The firmware scenario of each measured call. */
const SCENARIO: Record<string, string> = { udp_sendto: "udp-sendto", tcp_send: "tcp-send" };

export async function e2eBench(ctx: CommandContext): Promise<Record<string, unknown>> {
  const figures = await paperFigures();
  const out: Record<string, unknown> = {};
  for (const [call, f] of Object.entries(figures)) {
    const { generic_bytes, ...rest } = f;
    const reachable = (await scenarioClosure(SCENARIO[call] ?? call)).bytes;
    out[call] = { generic_bytes, reachable_bytes: reachable, ...rest };
    ctx.stderr(`bench e2e ${call}: size ${generic_bytes} (reachable ${reachable})/${f.customized_bytes} = ${f.size_ratio}x, instructions 64 B ${f.generic_instructions_64} -> ${f.customized_instructions_64}, packets identical ${f.packets_identical}, chi ${f.chi}, edge p50 ${f.edge_ms_p50} ms (specialize ${f.edge_breakdown_ms.specialize}, compile ${f.edge_breakdown_ms.compile}, image ${f.edge_breakdown_ms.image}, runs a miss ended ${f.edge_breakdown_ms.missed_runs}; chi ${f.edge_chi}, ${f.edge_runs} runs; first contact ${f.edge_ms_p50_first_contact} ms), e2e ${f.e2e_ms_rtt20} ms (link in virtual time + processing; wall ${f.e2e_wall_ms_rtt20} ms over real timers; the device loads the image in ${f.e2e_load_instructions} instructions) vs model ${f.model_ms_rtt20} ms\n`);
  }
  return out;
}
