// The device firmware (firmware/): the self tests on every build — native
// (gcc), native under ASan/UBSan, arm (tcc-wasm) under qemu-arm and on our
// VM — and the arm board image's layout: load address, exported symbols,
// per-component sizes.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readElf } from "../../src/compiler/elf.ts";
import { buildArmFirmware, buildHostFirmware } from "../../src/device/firmware-build.ts";
import { measureCalls } from "../../src/device/measure.ts";
import { repoRoot } from "../../src/node/paths.ts";
import { type SelftestReport, parseSelftest, selftestOnHost, selftestOnVm, selftestPassed } from "../../src/device/selftest.ts";
import { Board } from "../../src/vm/board.ts";
import { DEFAULT_BUDGET } from "../../src/vm/machine.ts";

/** What a user of the device cares about: every stream arrived intact, and the API checks held. */
function expectAllIntact(r: SelftestReport): void {
  const byName = Object.fromEntries(r.cases.map((c) => [c.name, c]));
  expect(byName["udp_stream_64"]?.detail).toMatch(/^\(1000\/1000 datagrams of 64 B intact, 0 corrupt/);
  expect(byName["udp_stream_1024"]?.detail).toMatch(/^\(1000\/1000 datagrams of 1024 B intact, 0 corrupt/);
  expect(byName["tcp_stream"]?.detail).toMatch(/^\(65536\/65536 bytes intact, 0 corrupt, eof 1/);
  expect(byName["socket_api"]?.detail).toMatch(/^\(0 failed checks/);
  // Through customization tokens, with no server attached: the generic path, intact.
  expect(byName["udp_stream_64_customized"]?.detail).toMatch(/^\(1000\/1000 datagrams of 64 B intact, 0 corrupt/);
  expect(byName["tcp_stream_customized"]?.detail).toMatch(/^\(65536\/65536 bytes intact, 0 corrupt, eof 1/);
  expect(r.cases.every((c) => c.ok)).toBe(true);
  expect([r.passed, r.failed, r.exitCode]).toEqual([6, 0, 0]);
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

  it("runs one named test, and fails on an unknown name", () => {
    const one = spawnSync(buildHostFirmware({ sanitize: false }).path, [], { input: "selftest socket_api\n", encoding: "utf8" });
    expect(one.stdout).toMatch(/^test socket_api: ok .*\nselftest: 1 passed, 0 failed\n$/);
    expect(one.status).toBe(0);
    const unknown = spawnSync(buildHostFirmware({ sanitize: false }).path, [], { input: "selftest nonesuch\n", encoding: "utf8" });
    expect(unknown.stdout).toContain("selftest: no test named nonesuch");
    expect(unknown.status).toBe(1);
  });

  it("a report with a failed or a missing test is not a pass", () => {
    const r = parseSelftest("test udp_stream_64: ok (x)\ntest tcp_stream: FAIL (y)\nselftest: 1 passed, 1 failed\n");
    expect(selftestPassed({ ...r, where: "", buildId: "", exitCode: 1, console: "" })).toBe(false);
    const truncated = parseSelftest("test udp_stream_64: ok (x)\n");
    expect(truncated.failed).toBe(1);
  });
});

describe("bespoke device --selftest", () => {
  it("boots the arm firmware on the VM and prints one summary line, exit 0", () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot(), "bin", "bespoke.mjs"), "device", "--selftest"], { encoding: "utf8" });
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^device selftest PASS on arm VM board .*: 6 passed, 0 failed \[udp_stream_64 ok, udp_stream_1024 ok, tcp_stream ok, udp_stream_64_customized ok, tcp_stream_customized ok, socket_api ok\]/);
    expect(r.status).toBe(0);
  });

  it("rejects what it cannot do", () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot(), "bin", "bespoke.mjs"), "device", "--sanitize", "--selftest"], { encoding: "utf8" });
    expect(r.stderr).toContain("--sanitize applies to the native build (--host)");
    expect(r.status).toBe(1);
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
    for (const name of ["sys_sendto", "sockfd_lookup", "move_addr_to_kernel", "sock_sendmsg", "udp_sock_sendmsg", "tcp_sock_sendmsg", "udp_sendto", "tcp_write", "tcp_output", "memcpy"]) {
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

describe("generic sendto cost on the VM", () => {
  it("profiles calls by firmware symbol: the same instruction counts as unprofiled calls, spread over the socket layer and lwIP", async () => {
    const fw = await buildArmFirmware("board");
    const entry = fw.exports.find((s) => s.name === "sys_sendto")!.address;
    const run = (profile: number) => {
      const board = new Board(fw.elf, { console: () => {} });
      board.type(new TextEncoder().encode("selftest udp_stream_64\n"));
      return measureCalls(board.machine, entry, DEFAULT_BUDGET, (us) => board.advance(us), profile).samples.slice(0, 3);
    };
    const profiled = run(3);
    expect(profiled.map((s) => s.instructions)).toEqual(run(0).map((s) => s.instructions));
    for (const s of profiled) {
      const by = s.bySymbol!;
      expect(Object.values(by).reduce((a, b) => a + b, 0)).toBe(s.instructions);
      for (const name of ["sys_sendto", "udp_sock_sendmsg", "udp_sendto_if_src", "ip4_output_if_src", "lwip_standard_chksum", "netif_loop_output", "memcpy"]) expect(by[name], name).toBeGreaterThan(0);
      expect(by["tcp_write"]).toBeUndefined();
    }
  });


  it("measures every successful call with breakpoints, without disturbing the run, in agreement with the firmware's own counters", async () => {
    const fw = await buildArmFirmware("board");
    const entry = fw.exports.find((s) => s.name === "sys_sendto")!.address;
    const measure = (test: string) => {
      let console = "";
      const board = new Board(fw.elf, { console: (b) => (console += String.fromCharCode(...b)) });
      board.type(new TextEncoder().encode(`selftest ${test}\n`));
      const run = measureCalls(board.machine, entry, DEFAULT_BUDGET, (us) => board.advance(us));
      expect(run.exitCode).toBe(0);
      expect(console).toContain("selftest: 1 passed, 0 failed");
      return { ok: run.samples.filter((s) => s.result > 0), self: parseSelftest(console).measures[0]! };
    };
    const { ok: udp, self } = measure("udp_stream_64");
    expect(udp).toHaveLength(1000);
    expect(udp.every((s) => s.args[2] === 64 && s.args[4] !== 0 && s.result === 64)).toBe(true);
    // The firmware counts around u_sendto (stub + dispatcher + sys_sendto): a little more, never less.
    expect(self.calls).toBe(1000);
    const perCall = self.instret / self.calls - self.overheadInstret;
    const sysSendto = udp.reduce((n, s) => n + s.instructions, 0) / udp.length;
    expect(perCall).toBeGreaterThan(sysSendto);
    expect(perCall - sysSendto).toBeLessThan(300);
    // TCP sends (no address) add up to the stream's 64 KiB.
    const { ok: tcp } = measure("tcp_stream");
    expect(tcp.every((s) => s.args[4] === 0)).toBe(true);
    expect(tcp.reduce((n, s) => n + s.result, 0)).toBe(65536);
    for (const s of [...udp, ...tcp]) expect(s.instructions).toBeGreaterThan(100);
  });
});
