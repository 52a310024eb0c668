// The device firmware (firmware/): the self tests on every build — native
// (gcc), native under ASan/UBSan, arm (tcc-wasm) under qemu-arm and on our
// VM — and the arm board image's layout: load address, exported symbols,
// per-component sizes.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { readElf } from "../../src/compiler/elf.ts";
import { buildArmFirmware } from "../../src/device/firmware-build.ts";
import { type SelftestReport, parseSelftest, selftestOnHost, selftestOnVm, selftestPassed } from "../../src/device/selftest.ts";

/** What a user of the device cares about: every stream arrived intact, and the API checks held. */
function expectAllIntact(r: SelftestReport): void {
  const byName = Object.fromEntries(r.cases.map((c) => [c.name, c]));
  expect(byName["udp_stream_64"]?.detail).toMatch(/^\(1000\/1000 datagrams of 64 B intact, 0 corrupt/);
  expect(byName["udp_stream_1024"]?.detail).toMatch(/^\(1000\/1000 datagrams of 1024 B intact, 0 corrupt/);
  expect(byName["tcp_stream"]?.detail).toMatch(/^\(65536\/65536 bytes intact, 0 corrupt, eof 1/);
  expect(byName["socket_api"]?.detail).toMatch(/^\(0 failed checks/);
  expect(r.cases.every((c) => c.ok)).toBe(true);
  expect([r.passed, r.failed, r.exitCode]).toEqual([4, 0, 0]);
  expect(selftestPassed(r)).toBe(true);
}

describe("firmware self tests", () => {
  it("host build (x86_64, gcc -O2)", () => {
    expectAllIntact(selftestOnHost({ sanitize: false }));
  });

  it("host build under ASan/UBSan", () => {
    const r = selftestOnHost({ sanitize: true });
    expect(r.console).not.toMatch(/runtime error|AddressSanitizer/);
    expectAllIntact(r);
  });

  it("arm build (tcc-wasm) under qemu-arm", async () => {
    const fw = await buildArmFirmware("linux");
    const q = spawnSync("qemu-arm", [fw.path, "selftest"], { encoding: "utf8", timeout: 60_000 });
    expectAllIntact({ where: "qemu-arm", buildId: fw.buildId, ...parseSelftest(q.stdout), exitCode: q.status, console: q.stdout });
  });

  it("arm build on the VM", async () => {
    const r = await selftestOnVm();
    expect(r.fault).toBeUndefined();
    expectAllIntact(r);
  });

  it("a report with a failed or a missing test is not a pass", () => {
    const r = parseSelftest("test udp_stream_64: ok (x)\ntest tcp_stream: FAIL (y)\nselftest: 1 passed, 1 failed\n");
    expect(selftestPassed({ ...r, where: "", buildId: "", exitCode: 1, console: "" })).toBe(false);
    const truncated = parseSelftest("test udp_stream_64: ok (x)\n");
    expect(truncated.failed).toBe(1);
  });
});

describe("arm board image", () => {
  it("is linked at the board's load address with its exported symbol table", async () => {
    const fw = await buildArmFirmware("board");
    const elf = readElf(fw.elf);
    expect(elf.machine).toBe(40);
    expect(fw.loadAddress).toBe(0x8000);
    expect(fw.entry).toBeGreaterThanOrEqual(0x8000);
    expect(fw.buildId).toMatch(/^[0-9a-f]{16}$/);
    const byName = new Map(fw.exports.map((s) => [s.name, s]));
    for (const name of ["sys_sendto", "sockfd_lookup", "move_addr_to_kernel", "sock_sendmsg", "udp_sendto", "tcp_write", "tcp_output", "memcpy"]) {
      expect(byName.get(name)?.kind, name).toBe("function");
      expect(byName.get(name)!.address).toBeGreaterThanOrEqual(0x8000);
    }
    expect(byName.get("current")?.kind).toBe("object");
    expect(byName.get("net_gen")?.kind).toBe("object");
    // Applications and board support are not linkable from code images.
    expect(byName.has("selftest_run")).toBe(false);
  });

  it("reports .text/.data per component", async () => {
    const fw = await buildArmFirmware("board");
    const sizes = Object.fromEntries(fw.components.map((c) => [c.component, c]));
    for (const name of ["libc", "kernel", "lwip", "board", "apps"]) expect(sizes[name]?.text, name).toBeGreaterThan(0);
    // lwIP dominates the generic stack; the kernel's socket layer is a fraction of it.
    expect(sizes["lwip"]!.text).toBeGreaterThan(sizes["kernel"]!.text);
  });
});
