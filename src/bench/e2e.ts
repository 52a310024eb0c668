// `bespoke bench --json FILE` (no name, or `e2e`): the paper's figures on the
// arm VM, TinyCC on both sides (src/device/paper.ts), with the closure
// reachable from each call's system call (src/device/reachable.ts).
import type { CommandContext } from "../cli/main.ts";
import { type CallFigures, paperFigures } from "../device/paper.ts";
import { scenarioClosure } from "../device/reachable.ts";

/** The firmware scenario of each measured call. */
const SCENARIO: Record<string, string> = { udp_sendto: "udp-sendto", tcp_send: "tcp-send" };

/**
 * Issue #6's goals, the paper's figures to beat. The instruction goal is
 * judged at 64 B: the paper's "about 25%" counts the cycles of the socket,
 * UDP and IP layers, which at 1 KB are dominated by the payload's copy and
 * checksum (the same work on both paths); the 1024 B reduction is reported
 * beside it. The size goal is the paper's UDP figure.
 */
export const E2E_GOALS = { udpSizeRatio: 20, instructionReduction: 0.25, edgeMsP50: 10, e2eOverModelMs: 15 };

/** The fraction of the generic call's instructions the customized call saves. */
const reduction = (generic: number, customized: number): number => 1 - customized / generic;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** A call's instruction reductions and which of the goals its figures meet. */
export function e2eGoals(call: string, f: CallFigures) {
  const saved64 = reduction(f.generic_instructions_64, f.customized_instructions_64);
  const goals_met = {
    ...(call === "udp_sendto" ? { size_ratio: f.size_ratio >= E2E_GOALS.udpSizeRatio } : {}),
    instructions_64: saved64 >= E2E_GOALS.instructionReduction,
    edge_ms_p50: f.edge_ms_p50 <= E2E_GOALS.edgeMsP50,
    e2e_ms_rtt20: f.e2e_ms_rtt20 - f.model_ms_rtt20 <= E2E_GOALS.e2eOverModelMs,
    packets_identical: f.packets_identical,
  };
  return { instruction_reduction_64: round3(saved64), instruction_reduction_1024: round3(reduction(f.generic_instructions_1024, f.customized_instructions_1024)), goals_met };
}

export async function e2eBench(ctx: CommandContext): Promise<Record<string, unknown>> {
  const figures = await paperFigures();
  const out: Record<string, unknown> = {};
  for (const [call, f] of Object.entries(figures)) {
    const { generic_bytes, ...rest } = f;
    const reachable = (await scenarioClosure(SCENARIO[call] ?? call)).bytes;
    const { instruction_reduction_64, instruction_reduction_1024, goals_met } = e2eGoals(call, f);
    out[call] = { generic_bytes, reachable_bytes: reachable, ...rest, instruction_reduction_64, instruction_reduction_1024, goals_met };
    ctx.stderr(`bench e2e ${call}: size ${generic_bytes} (reachable ${reachable})/${f.customized_bytes} = ${f.size_ratio}x, instructions 64 B ${f.generic_instructions_64} -> ${f.customized_instructions_64}, packets identical ${f.packets_identical}, chi ${f.chi}, edge p50 ${f.edge_ms_p50} ms (early requests ${f.edge_ms_p50_early}; specialize ${f.edge_breakdown_ms.specialize}, compile ${f.edge_breakdown_ms.compile}, image ${f.edge_breakdown_ms.image}, runs a miss ended ${f.edge_breakdown_ms.missed_runs}; chi ${f.edge_chi}, ${f.edge_runs} runs; first contact ${f.edge_ms_p50_first_contact} ms), e2e ${f.e2e_ms_rtt20} ms (link in virtual time + processing; wall ${f.e2e_wall_ms_rtt20} ms over real timers; the device loads the image in ${f.e2e_load_instructions} instructions) vs model ${f.model_ms_rtt20} ms\n`);
    const unmet = Object.entries(goals_met).filter(([, met]) => !met).map(([goal]) => goal);
    ctx.stderr(`bench e2e ${call}: goals ${unmet.length ? `not met: ${unmet.join(", ")}` : "all met"} (instructions saved ${(instruction_reduction_64 * 100).toFixed(1)}% at 64 B, ${(instruction_reduction_1024 * 100).toFixed(1)}% at 1024 B)\n`);
  }
  return out;
}
