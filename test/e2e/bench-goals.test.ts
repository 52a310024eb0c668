// The e2e bench's verdict on issue #6's goals, from a call's figures (the
// figures themselves are measured by `bespoke bench --json`, never in tests).
import { describe, expect, it } from "vitest";
import { e2eGoals } from "../../src/bench/e2e.ts";
import type { CallFigures } from "../../src/device/paper.ts";

const figures: CallFigures = {
  generic_bytes: 98_000,
  customized_bytes: 3_000,
  size_ratio: 32.7,
  generic_instructions_64: 4_000,
  customized_instructions_64: 3_000,
  generic_instructions_1024: 17_000,
  customized_instructions_1024: 16_000,
  packets_identical: true,
  chi: 5,
  cold_ms: 90,
  edge_ms_p50: 9.9,
  edge_ms_p50_early: 12,
  edge_breakdown_ms: { specialize: 8, compile: 1.5, image: 0.4, missed_runs: 0 },
  edge_chi: 1,
  edge_runs: 1,
  edge_ms_p50_first_contact: 18,
  e2e_ms_rtt20: 54.9,
  e2e_wall_ms_rtt20: 55,
  e2e_load_instructions: 260_000,
  model_ms_rtt20: 40,
};

describe("bench e2e goals", () => {
  it("meets every goal at the thresholds, judging instructions at 64 B and reporting 1024 B", () => {
    const g = e2eGoals("udp_sendto", figures);
    expect(g.instruction_reduction_64).toBe(0.25);
    expect(g.instruction_reduction_1024).toBe(0.059);
    expect(g.goals_met).toEqual({ size_ratio: true, instructions_64: true, edge_ms_p50: true, e2e_ms_rtt20: true, packets_identical: true });
  });

  it("names each goal a figure misses", () => {
    const g = e2eGoals("udp_sendto", { ...figures, size_ratio: 19.9, customized_instructions_64: 3_001, edge_ms_p50: 10.1, e2e_ms_rtt20: 55.1, packets_identical: false });
    expect(g.goals_met).toEqual({ size_ratio: false, instructions_64: false, edge_ms_p50: false, e2e_ms_rtt20: false, packets_identical: false });
  });

  it("holds TCP to no size goal (the paper's size figure is UDP's)", () => {
    expect(e2eGoals("tcp_send", { ...figures, size_ratio: 10 }).goals_met).not.toHaveProperty("size_ratio");
  });
});
