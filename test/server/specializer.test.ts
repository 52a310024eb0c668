// The server core with the real specializer as its specialize stage: device
// memory reached through a static pointer is served by the customization
// table, each miss is one FETCH, and the image holds the residual code.
import { describe, expect, it } from "vitest";
import { createCompiler } from "../../src/compiler/node.ts";
import { buildImage, decodeImage, encodeImage } from "../../src/runtime/image.ts";
import { CustomizationTable, MirrorDeviceMemory, MirrorMiss } from "../../src/runtime/mirror.ts";
import { MemoryCache } from "../../src/server/cache.ts";
import { servePrepared } from "../../src/server/catalog.ts";
import { customize } from "../../src/server/customize.ts";
import { DEFAULT_LIMITS } from "../../src/server/limits.ts";
import { specializerStage } from "../../src/server/specializer.ts";
import { specializeProgram } from "../../src/specializer/pipeline.ts";
import { parseContext } from "../../src/specializer/scenario.ts";
import { BUILD_ID, FIRMWARE, LIST_C_SCENARIO, NODES, ScriptedDevice, listCProgram, signForDevice, testDeviceKey } from "./list-sum.ts";

const program = listCProgram;
const scenario = LIST_C_SCENARIO;
const head = { address: `0x${NODES[0]!.toString(16)}` };

describe("the specializer over the customization table", () => {
  it("reads device memory only through the table: one miss per pointer hop, then residual code with the sum folded", async () => {
    const device = new ScriptedDevice();
    const table = new CustomizationTable();
    let code = "";
    for (let runs = 0; !code; runs++) {
      expect(runs).toBeLessThan(10);
      try {
        code = specializeProgram({ program: program(), target: "arm", scenario, context: parseContext({ params: { head } }), device: new MirrorDeviceMemory(table) }).code;
      } catch (e) {
        if (!(e instanceof MirrorMiss)) throw e;
        await table.ensure(e.ranges, device.link().fetch);
      }
    }
    expect(code).toMatch(/int list_sum\(int x\)\s*\{\s*return 150 \* x;\s*\}/);
    expect(table.stats().fetches).toBe(5);
    // the values read: each node's 16-byte region, not whole lines
    expect(table.readSet()).toEqual(NODES.map((addr) => ({ addr, length: 16 })));
  });

  it("serves a request end to end in the core: FETCH round trips, tcc-wasm, a signed image of the residual code", async () => {
    const device = new ScriptedDevice();
    const firmware = {
      info: { ...FIRMWARE, scenarios: { "list-c": FIRMWARE.scenarios["list-c"]! } },
      exports: [],
      specialize: { "list-c": specializerStage({ program: program(), scenario }) },
    };
    const { catalog, pipeline } = servePrepared([firmware], (target) => createCompiler({ target }));
    const options = { catalog, pipeline, finalize: signForDevice, cache: new MemoryCache(), limits: DEFAULT_LIMITS };
    const request = { firmware: BUILD_ID, scenario: "list-c", values: { head }, memory: [] };
    const out = await customize(options, request, { id: "dev-1" }, device.link());
    if (!out.ok) throw new Error(out.error.message);
    expect(out.stats).toMatchObject({ chi: 5, fetches: 5, runs: 6, cache: "miss" });

    const cc = await createCompiler({ target: "arm" });
    const expected = await cc.compile({ files: { "r.c": "int list_sum(int x)\n{\n    return ((150) * (x));\n}\n" }, entry: "r.c" });
    const image = await decodeImage(out.image, testDeviceKey("dev-1"));
    const direct = buildImage({ object: expected.object, target: "arm", entry: "list_sum", call: "sendto", buildId: image.buildId, contextHash: image.contextHash });
    expect(image.memory).toEqual(direct.memory);
    expect(out.image).toEqual(await encodeImage(direct, testDeviceKey("dev-1")));

    device.fetches.length = 0;
    const warm = await customize(options, request, { id: "dev-1" }, device.link());
    expect(warm.ok && warm.stats).toMatchObject({ chi: 1, runs: 0, cache: "hit" });
    expect(device.fetches).toEqual([NODES.map((addr) => ({ addr, length: 16 }))]);
  });
});
