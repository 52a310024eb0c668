// `bespoke layout`: the JSON report's exact shape and values for a header
// with include dirs and defines, on a 32-bit and a 64-bit target.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { layout } from "../../src/cli/layout.ts";

async function runLayout(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await layout(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe("bespoke layout", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bespoke-layout-"));
  fs.mkdirSync(path.join(dir, "inc"));
  fs.writeFileSync(path.join(dir, "inc", "cfg.h"), "#define NAME_LEN 6\n");
  fs.writeFileSync(
    path.join(dir, "dev.c"),
    '#include "cfg.h"\n' +
      "typedef struct { char name[NAME_LEN]; long id; } dev_t;\n" +
      "struct flags { unsigned ready : 1, mode : 3; unsigned short count; };\n" +
      "#ifdef WITH_UNION\nunion word { int i; char c[5]; };\n#endif\n",
  );

  it("--json gives every struct/union with size, align and member offsets (bit-fields with bit offset/width)", async () => {
    const arm = await runLayout([path.join(dir, "dev.c"), "--target", "arm", "-I", path.join(dir, "inc"), "-D", "WITH_UNION", "--json"]);
    expect(arm.stderr).toBe("");
    expect(arm.code).toBe(0);
    expect(JSON.parse(arm.stdout)).toEqual({
      structs: [
        { name: "dev_t", kind: "struct", size: 12, align: 4, fields: [ { name: "name", offset: 0, size: 6 }, { name: "id", offset: 8, size: 4 } ] },
        {
          name: "flags",
          kind: "struct",
          size: 4,
          align: 4,
          fields: [
            { name: "ready", offset: 0, size: 4, bitOffset: 0, bitWidth: 1 },
            { name: "mode", offset: 0, size: 4, bitOffset: 1, bitWidth: 3 },
            { name: "count", offset: 2, size: 2 },
          ],
        },
        { name: "word", kind: "union", size: 8, align: 4, fields: [ { name: "i", offset: 0, size: 4 }, { name: "c", offset: 0, size: 5 } ] },
      ],
    });
    const x64 = JSON.parse((await runLayout([path.join(dir, "dev.c"), "--target=x86_64", `-I${path.join(dir, "inc")}`, "--json"])).stdout);
    expect(x64.structs.map((s: { name: string; size: number }) => [s.name, s.size])).toEqual([
      ["dev_t", 16],
      ["flags", 4],
    ]);
  });

  it("prints a readable report without --json, and positioned errors for bad C", async () => {
    const text = await runLayout([path.join(dir, "dev.c"), "--target", "i386", "-I", path.join(dir, "inc")]);
    expect(text.stdout).toContain("struct dev_t {");
    expect(text.stdout).toContain("/* size: 12, align: 4 */");
    fs.writeFileSync(path.join(dir, "bad.c"), "struct s { int a; }\nint x;\n");
    const bad = await runLayout([path.join(dir, "bad.c"), "--target", "arm"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.c:2:1: error: /);
    await expect(runLayout([path.join(dir, "dev.c")])).rejects.toThrow(/--target is required/);
  });
});
