import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { specialize } from "../../src/cli/specialize.ts";
import { CASES_DIR } from "./harness.ts";

describe("bespoke specialize", () => {
  it("writes the residual, the report and the coloured binding-time page", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spec-cli-"));
    const c = (f: string) => path.join(CASES_DIR, "power", f);
    const out = path.join(dir, "residual.c");
    const err: string[] = [];
    const code = await specialize(
      [c("power.c"), "--target", "x86_64", "--scenario", c("scenario.json"), "--context", c("context.json"), "-o", out, "--bta", path.join(dir, "bta.html"), "--report", path.join(dir, "r.json")],
      { stdout: () => undefined, stderr: (s) => err.push(s) },
    );
    expect(code).toBe(0);
    expect(fs.readFileSync(out, "utf8")).toMatch(/int power\(int x\)/);
    const report = JSON.parse(fs.readFileSync(path.join(dir, "r.json"), "utf8"));
    expect(report).toMatchObject({ entry: "power", residualName: "power" });
    const html = fs.readFileSync(path.join(dir, "bta.html"), "utf8");
    // the loop test on the static exponent is static, the multiply into r dynamic
    expect(html).toMatch(/<span class="S"[^>]*>while \(n &gt; 0\) \{<\/span>/);
    expect(html).toMatch(/<span class="D"[^>]*>r = r \* x;<\/span>/);
    expect(err.join("")).toMatch(/specialize: power -> power/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a scenario naming a missing function, pointing at the field", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spec-cli-"));
    const scenario = path.join(dir, "s.json");
    fs.writeFileSync(scenario, JSON.stringify({ version: 1, entry: "pow" }));
    await expect(
      specialize([path.join(CASES_DIR, "power", "power.c"), "--target", "x86_64", "--scenario", scenario, "-o", path.join(dir, "r.c")], { stdout: () => undefined, stderr: () => undefined }),
    ).rejects.toThrow(/scenario\.entry: no function named 'pow'/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
