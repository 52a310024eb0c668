import { describe, expect, it } from "vitest";
import { runCase } from "./harness.ts";

describe("classic partial-evaluation cases (tcc-wasm x86_64, linked natively, 1000 random inputs)", () => {
  it("power with n static: straight-line multiplies, same results", async () => {
    const r = await runCase("power", 1000);
    expect(r.residual.split("\n").length).toBeGreaterThan(1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/goto|while|for \(|\bn\b/);
  });

  it("checksum with a static length: the summing loop is unrolled, same results", async () => {
    const r = await runCase("checksum", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/\bi\b/);
  });

  it("glob with a static pattern: only character tests remain, same results", async () => {
    const r = await runCase("glob", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toContain("class_match");
    expect(r.residualCode).not.toMatch(/\bp\b/);
  });
});
