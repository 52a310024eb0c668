// The closure reachable from a system call (src/device/reachable.ts): exact
// on a small program with a known call graph compiled by tcc-wasm, and on the
// arm board firmware the UDP closure holds the UDP send path, not TCP's, and
// is smaller than the socket layer + lwIP core it is drawn from.
import { describe, expect, it } from "vitest";
import { readElf, symbols } from "../../src/compiler/elf.ts";
import { createCompiler } from "../../src/compiler/node.ts";
import { buildArmFirmware } from "../../src/device/firmware-build.ts";
import { type ClosureObject, reachableClosure, scenarioClosure } from "../../src/device/reachable.ts";

const MAIN = `
struct ops { int (*a)(int); int (*b)(int); };
int helper(int x);
static int leaf(int x) { return x + 1; }
static int op_a(int x) { return helper(x) + leaf(x); }
static int op_b(int x) { return x - 1; }
const struct ops table = { op_a, op_b };
int unused(int x) { return x * 3 + leaf(x) + op_b(x); }
const char *greeting(void) { return "hello"; }
int entry(int x) { return table.a(x) + (greeting()[0] == 'h'); }
`;
const HELPER = `
static int twice(int x) { return x * 2; }
int helper(int x) { return twice(x) + 7; }
int lonely(int x) { return x; }
`;

async function compileArm(name: string, source: string): Promise<Uint8Array> {
  const cc = await createCompiler({ target: "arm" });
  const r = await cc.invoke({ args: ["-c", `/src/${name}.c`, "-o", `/src/${name}.o`], files: { [`/src/${name}.c`]: source }, outputs: [`/src/${name}.o`], cwd: "/src" });
  expect(r.stderr).toBe("");
  return r.outputs[`/src/${name}.o`]!;
}

function sizeOf(object: Uint8Array, name: string): number {
  const s = symbols(readElf(object)).find((x) => x.name === name);
  expect(s?.size, name).toBeGreaterThan(0);
  return s!.size;
}

describe("reachable closure", () => {
  it("follows calls, cross-object references and a function-pointer table; leaves out what nothing reaches", async () => {
    const main = await compileArm("main", MAIN);
    const helper = await compileArm("helper", HELPER);
    const objects: ClosureObject[] = [
      { name: "main.c", bytes: main, counted: true },
      { name: "helper.c", bytes: helper, counted: true },
    ];
    const c = reachableClosure(objects, ["entry"]);
    expect(c.pieces.map((p) => p.name).sort()).toEqual(["L.0", "entry", "greeting", "helper", "leaf", "op_a", "op_b", "table", "twice"]);
    // L.0: the string literal "hello", a data object of its own
    expect(sizeOf(main, "L.0")).toBe(6);
    const expected = ["entry", "greeting", "leaf", "op_a", "op_b", "table", "L.0"].reduce((a, n) => a + sizeOf(main, n), 0) + sizeOf(helper, "helper") + sizeOf(helper, "twice");
    expect(c.bytes).toBe(expected);
    expect(c.data).toBe(sizeOf(main, "table") + 6);
    // adding the unreachable function as a root adds exactly its bytes (everything it calls is already in)
    expect(reachableClosure(objects, ["entry", "unused"]).bytes).toBe(expected + sizeOf(main, "unused"));
    // objects not counted are followed but add no bytes
    const uncounted = reachableClosure([objects[0]!, { ...objects[1]!, counted: false }], ["entry"]);
    expect(uncounted.pieces.map((p) => p.name)).toContain("twice");
    expect(uncounted.bytes).toBe(expected - sizeOf(helper, "helper") - sizeOf(helper, "twice"));
    expect(() => reachableClosure(objects, ["nowhere"])).toThrow(/no object defines 'nowhere'/);
  });

  it("on the arm board firmware: sys_sendto reaches the UDP send path, not TCP's, within kernel + lwIP", async () => {
    const fw = await buildArmFirmware("board");
    const generic = fw.components.filter((c) => c.component === "kernel" || c.component === "lwip").reduce((a, c) => a + c.text + c.data, 0);
    const udp = await scenarioClosure("udp-sendto");
    const names = udp.pieces.map((p) => p.name);
    expect(udp.bytes).toBeGreaterThan(0);
    expect(udp.bytes).toBeLessThan(generic);
    expect(names).toEqual(expect.arrayContaining(["sys_sendto", "sockfd_lookup", "sock_sendmsg", "udp_sock_sendmsg", "udp_sendto", "ip4_output_if"]));
    expect(names).not.toContain("tcp_write");
    const tcp = await scenarioClosure("tcp-send");
    expect(tcp.pieces.map((p) => p.name)).toEqual(expect.arrayContaining(["sys_send", "tcp_sock_sendmsg", "tcp_write", "tcp_output"]));
    expect(tcp.pieces.map((p) => p.name)).not.toContain("udp_sendto");
    expect(tcp.bytes).toBeLessThan(generic);
  });
});
