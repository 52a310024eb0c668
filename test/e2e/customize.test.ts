// `bespoke customize` offline: the context a real device sent (its CUSTOMIZE
// values and roots, and the memory it served over FETCH) replayed as a
// one-shot request gives the same code as the device got online, with the
// residual C, a report and the binding-time page.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type ServerLink, inProcessServer, runDevice } from "../../src/device/host.ts";
import { imageMemoryBytes } from "../../src/device/paper.ts";
import { decodeFrame } from "../../src/runtime/protocol.ts";
import type { CustomizeOutcome } from "../../src/server/types.ts";
import { boardCore } from "./support.ts";
import { bespoke } from "../support/cli.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("bespoke customize (offline one-shot)", () => {
  it("replays a device's context: residual.c, the same code as online, report.json and the binding-time page", async () => {
    const values: Record<string, string> = {};
    const memory: { addr: string; hex: string }[] = [];
    const outcomes: CustomizeOutcome[] = [];
    const inner = inProcessServer(await boardCore(), { onOutcome: (_r, o) => outcomes.push(o) });
    const recording: ServerLink = {
      send: (frame) => {
        const m = decodeFrame(frame);
        if (m.type === "customize") {
          for (const v of m.values) values[v.param] = hex(v.bytes);
          for (const r of m.roots) memory.push({ addr: `0x${r.address.toString(16)}`, hex: hex(r.bytes) });
        } else if (m.type === "data") memory.push({ addr: `0x${m.address.toString(16)}`, hex: hex(m.bytes) });
        inner.send(frame);
      },
      onFrame: (h) => inner.onFrame(h),
      close: () => inner.close(),
    };
    const online = await runDevice(["e2e udp 7000", "e2e customize 1 7000", "e2e wait 1"], recording);
    expect(online.lines).toContain("state ready");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-customize-"));
    try {
      fs.writeFileSync(path.join(dir, "ctx.json"), JSON.stringify({ values, memory }));
      const r = await bespoke(["customize", "--scenario", "udp-sendto", "--context", path.join(dir, "ctx.json"), "--target", "arm", "-o", path.join(dir, "out")]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const residual = fs.readFileSync(path.join(dir, "out", "residual.c"), "utf8");
      expect(residual).toContain("long customized_sendto(void *buff, unsigned int len)");
      expect(residual).not.toMatch(/sockfd_lookup|fget/); // Figure 2 line 1 folded
      const image = new Uint8Array(fs.readFileSync(path.join(dir, "out", "image.bin")));
      const got = outcomes[0]!.ok ? outcomes[0]!.image : new Uint8Array();
      const code = imageMemoryBytes(got);
      expect(imageMemoryBytes(image)).toBe(code);
      expect(hex(image.subarray(44, 44 + code))).toBe(hex(got.subarray(44, 44 + code)));
      const report = JSON.parse(fs.readFileSync(path.join(dir, "out", "report.json"), "utf8")) as { codeBytes: number; stats: { chi: number }; specializer: { structure: { gotos: number } } };
      expect(report).toMatchObject({ codeBytes: code, stats: { chi: 0 } });
      // the report is the one of the run that wrote residual.c
      expect(report.specializer.structure.gotos).toBe((residual.match(/\bgoto\b/g) ?? []).length);
      expect(fs.readFileSync(path.join(dir, "out", "bta.html"), "utf8")).toContain("sys_sendto");

      fs.writeFileSync(path.join(dir, "short.json"), JSON.stringify({ values, memory: memory.slice(0, 1) }));
      const missing = await bespoke(["customize", "--scenario", "udp-sendto", "--context", path.join(dir, "short.json"), "-o", path.join(dir, "out2")]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/^customize: [A-Z_]+: .+/);
      expect(fs.existsSync(path.join(dir, "out2"))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
