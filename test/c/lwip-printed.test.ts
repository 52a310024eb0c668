// The printed lwIP core is a working network stack: the board firmware is
// built with every lwIP core unit replaced by its round trip through the C
// front end (preprocessed by tcc-wasm for arm with the firmware's own flags,
// parsed, printed with #line markers), linked, and booted on the VM, where
// its self tests send 1000 x 64 B and 1000 x 1024 B datagrams over lwIP's
// loopback (and TCP streams, and the socket API checks). The build is cached
// by the printed texts, so a rerun only preprocesses, parses and prints.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { lwipDir } from "../../src/c/corpus.ts";
import { parseProgram } from "../../src/c/parser.ts";
import { printProgram } from "../../src/c/printer.ts";
import { LWIP_SOURCES, buildArmFirmware, buildRewrittenArmFirmware } from "../../src/device/firmware-build.ts";
import { BespokeError } from "../../src/errors.ts";
import { selftestOnVm, selftestPassed } from "../../src/device/selftest.ts";

describe("printed lwIP core in the board firmware", () => {
  it("compiles, links to lwIP code of the original's size, and passes the UDP loopback self tests on the VM", async () => {
    const printed: string[] = [];
    const firmware = await buildRewrittenArmFirmware("board", {
      name: "printed-lwip",
      component: "lwip",
      rewrite(preprocessed, file) {
        const r = parseProgram(preprocessed, { target: "arm" });
        if (!r.program) throw new BespokeError("PARSE_FAILED", `${file} does not parse: ${r.diagnostics.map((d) => `${d.pos.file}:${d.pos.line}:${d.pos.column}: ${d.message}`).join("; ")}`);
        const text = printProgram(r.program, { lineMarkers: true });
        expect(text).not.toBe(preprocessed);
        printed.push(path.relative(path.join(lwipDir(), "src"), file));
        return text;
      },
    });
    expect(printed.sort()).toEqual([...LWIP_SOURCES].sort());

    const original = await buildArmFirmware("board");
    expect(firmware.buildId).not.toBe(original.buildId);
    const lwip = (fw: typeof firmware) => fw.components.find((c) => c.component === "lwip");
    expect(lwip(firmware)).toEqual(lwip(original));

    const report = await selftestOnVm(firmware);
    expect(report.buildId).toBe(firmware.buildId);
    expect(report.fault).toBeUndefined();
    const byName = Object.fromEntries(report.cases.map((c) => [c.name, c.detail]));
    expect(byName["udp_stream_64"]).toMatch(/^\(1000\/1000 datagrams of 64 B intact, 0 corrupt/);
    expect(byName["udp_stream_1024"]).toMatch(/^\(1000\/1000 datagrams of 1024 B intact, 0 corrupt/);
    expect(byName["tcp_stream"]).toMatch(/^\(65536\/65536 bytes intact, 0 corrupt, eof 1/);
    expect(selftestPassed(report), report.console).toBe(true);
  }, 240_000);
});
