import { describe, expect, it } from "vitest";
import { runCase } from "./harness.ts";

// Each case: residual and original, compiled by tcc-wasm for x86_64 and linked
// natively with the case's driver, agree on 1000 random dynamic inputs; the
// residual executes fewer instructions in the specialized function (callgrind).
describe("classic partial-evaluation cases", () => {
  it("power with n static: straight-line multiplies", async () => {
    const r = await runCase("power", 1000);
    expect(r.residual.split("\n").length).toBeGreaterThan(1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/goto|while|for \(|\bn\b/);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });

  it("printf-style formatter with a static format string: no format parsing left", async () => {
    const r = await runCase("format", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/\bctx\b|\bfmt\b/);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });

  it("bytecode interpreter with a static program: no dispatch loop left (first Futamura projection)", async () => {
    const r = await runCase("interp", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/switch|\bctx\b|\bcode\b/);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });

  it("glob with a static pattern: only character tests remain", async () => {
    const r = await runCase("glob", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toContain("class_match");
    expect(r.residualCode).not.toMatch(/\bp\b/);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });

  it("checksum with a static length: the summing loop is unrolled", async () => {
    const r = await runCase("checksum", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/\bi\b|\blen\b/);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });

  it("an lwIP-style header: memcpy of static data folds, pure helpers inline, the payload loop stays a call, no division is left", async () => {
    const r = await runCase("header", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residualCode).not.toMatch(/memcpy\(|swap16|routes|default_route/);
    expect(r.residualCode).toMatch(/= sum16\(/);
    expect(r.residualCode).not.toMatch(/ [/%] /);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });

  it("a partially static struct in device memory: static fields fold, the send buffer and queue are read and written by the residual code, also through a pointer to the field", async () => {
    const r = await runCase("partial", 1000);
    expect(r.residual).toBe(r.original);
    expect(r.residual).toMatch(/^-1 /m); // the send buffer runs out and is refilled
    // mss (offset 0) and ttl (offset 8) folded: mss / 2 is 730, ttl 64; snd_buf (+ 2) and queued (+ 4) accessed at the struct's address
    expect(r.residualCode).toMatch(/\b730\b/);
    expect(r.residualCode).toMatch(/\b64\b/);
    expect(r.residualCode).toMatch(/0x30000000ul \+ 2\b/);
    expect(r.residualCode).toMatch(/0x30000000ul \+ 4\b/);
    expect(r.residualCode).not.toMatch(/0x30000000ul \+ 8\b|room_of|\bc\b/);
    expect(r.residualInstructions).toBeLessThan(r.originalInstructions);
  });
});
