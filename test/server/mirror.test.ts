import { describe, expect, it } from "vitest";
import { type AddressRange, CustomizationTable, FetchRefused, MirrorDeviceMemory, MirrorMiss, digestValues } from "../../src/runtime/mirror.ts";
import type { BespokeError } from "../../src/errors.ts";

/** A device's RAM: 64 KiB at 0x20000000 with a recognisable pattern, and the FETCH requests it served. */
function deviceRam(base = 0x2000_0000, size = 0x10000) {
  const ram = new Uint8Array(size);
  for (let i = 0; i < size; i++) ram[i] = (i * 7 + (i >> 8)) & 0xff;
  const requests: AddressRange[][] = [];
  const fetch = async (ranges: AddressRange[]) => {
    requests.push(ranges.map((r) => ({ ...r })));
    return ranges.map((r) => ram.slice(r.addr - base, r.addr - base + r.length));
  };
  const at = (addr: number, n: number) => ram.slice(addr - base, addr - base + n);
  return { ram, fetch, requests, at };
}

function missOf(f: () => unknown): MirrorMiss {
  try {
    f();
  } catch (e) {
    if (e instanceof MirrorMiss) return e;
    throw e;
  }
  throw new Error("expected a MirrorMiss");
}

describe("customization table (mirror of device memory)", () => {
  it("misses on unknown memory, then one FETCH of whole lines serves every read in them", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 64 });
    const miss = missOf(() => table.read(0x2000_0104, 8));
    expect(miss.ranges).toEqual([{ addr: 0x2000_0100, length: 64 }]);
    await table.ensure(miss.ranges, dev.fetch);
    expect(table.read(0x2000_0104, 8)).toEqual(dev.at(0x2000_0104, 8));
    expect(table.read(0x2000_0100, 64)).toEqual(dev.at(0x2000_0100, 64));
    expect(dev.requests).toEqual([[{ addr: 0x2000_0100, length: 64 }]]);
    expect(table.stats()).toEqual({ fetches: 1, fetchedBytes: 64, lines: 1 });
  });

  it("batches every missing line of several reads into one round trip, coalescing adjacent lines", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 64 });
    table.fill(0x2000_0040, dev.at(0x2000_0040, 64)); // already known: the context manager sent it
    const wanted = [
      { addr: 0x2000_0010, length: 0x90 }, // lines 0x00, 0x40 (known), 0x80
      { addr: 0x2000_00c0, length: 4 }, // line 0xc0, adjacent to 0x80
      { addr: 0x2000_1000, length: 200 }, // crosses into 4 lines
    ];
    await table.ensure(wanted, dev.fetch);
    expect(dev.requests).toEqual([
      [
        { addr: 0x2000_0000, length: 64 },
        { addr: 0x2000_0080, length: 128 },
        { addr: 0x2000_1000, length: 256 },
      ],
    ]);
    for (const r of wanted) expect(table.read(r.addr, r.length)).toEqual(dev.at(r.addr, r.length));
    await table.ensure(wanted, dev.fetch);
    expect(table.stats().fetches).toBe(1); // chi does not grow for memory already mirrored
  });

  it("counts chi as one per round trip over a pointer-chasing walk (a linked list on the device)", async () => {
    const dev = deviceRam();
    const view = new DataView(dev.ram.buffer);
    // Five nodes { next: u32, value: u32 } on distinct pages; the walk must chase each pointer.
    const nodes = [0x2000_0200, 0x2000_1300, 0x2000_2400, 0x2000_3500, 0x2000_4600];
    nodes.forEach((addr, i) => {
      view.setUint32(addr - 0x2000_0000, i + 1 < nodes.length ? nodes[i + 1]! : 0, true);
      view.setUint32(addr - 0x2000_0000 + 4, 100 + i, true);
    });
    const table = new CustomizationTable({ lineBytes: 64 });
    const sumList = (head: number): number => {
      let sum = 0;
      for (let p = head; p !== 0; ) {
        const node = new DataView(table.read(p, 8).buffer);
        sum += node.getUint32(4, true);
        p = node.getUint32(0, true);
      }
      return sum;
    };
    let result: number | undefined;
    while (result === undefined) {
      try {
        result = sumList(nodes[0]!);
      } catch (e) {
        if (!(e instanceof MirrorMiss)) throw e;
        await table.ensure(e.ranges, dev.fetch);
      }
    }
    expect(result).toBe(100 + 101 + 102 + 103 + 104);
    expect(table.stats().fetches).toBe(5);
    expect(table.readSet()).toEqual(nodes.map((addr) => ({ addr, length: 8 })));
  });

  it("page granularity: one 4 KiB fetch serves a whole structure spread over a page", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 4096 });
    await table.ensure([{ addr: 0x2000_3010, length: 4 }], dev.fetch);
    expect(dev.requests).toEqual([[{ addr: 0x2000_3000, length: 4096 }]]);
    expect(table.read(0x2000_3ff0, 16)).toEqual(dev.at(0x2000_3ff0, 16));
  });

  it("an object sent with the request serves reads inside it without a FETCH, whatever its alignment", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 64 });
    table.fill(0x2000_010c, dev.at(0x2000_010c, 16)); // a 16-byte struct across two 16-byte regions
    const memory = new MirrorDeviceMemory(table);
    expect(memory.regionOf(0x2000_010c)).toEqual({ base: 0x2000_010c, size: 4 });
    expect(memory.regionOf(0x2000_0114)).toEqual({ base: 0x2000_0110, size: 12 });
    expect(memory.read(0x2000_0110, 12)).toEqual(dev.at(0x2000_0110, 12));
    // its neighbours are still misses, and once fetched the regions are whole again
    const miss = missOf(() => memory.regionOf(0x2000_0108));
    expect(miss.ranges).toEqual([{ addr: 0x2000_0100, length: 64 }]);
    await table.ensure(miss.ranges, dev.fetch);
    expect(memory.regionOf(0x2000_010c)).toEqual({ base: 0x2000_0100, size: 16 });
    expect(table.stats().fetches).toBe(1);
  });

  it("ensureExact fetches just the bytes asked for, in one round trip, never the rest of their lines", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 64 });
    table.fill(0x2000_0204, dev.at(0x2000_0204, 4));
    await table.ensureExact([{ addr: 0x2000_0200, length: 12 }, { addr: 0x2000_0400, length: 8 }], dev.fetch);
    expect(dev.requests).toEqual([[{ addr: 0x2000_0200, length: 4 }, { addr: 0x2000_0208, length: 4 }, { addr: 0x2000_0400, length: 8 }]]);
    expect(table.read(0x2000_0200, 12)).toEqual(dev.at(0x2000_0200, 12));
    expect(() => table.read(0x2000_0408, 1)).toThrow(MirrorMiss);
    await table.ensureExact([{ addr: 0x2000_0400, length: 8 }], dev.fetch);
    expect(table.stats().fetches).toBe(1);
  });

  it("prefetches the line after each miss in the same round trip; a refusal of it costs nothing, of a needed line one exact retry", async () => {
    const dev = deviceRam();
    const refusing = (bad: (r: AddressRange) => boolean) => async (ranges: AddressRange[]) => {
      const blocks = await dev.fetch(ranges);
      if (!ranges.some(bad)) return blocks;
      throw new FetchRefused("refused", blocks.map((b, i) => (bad(ranges[i]!) ? null : b)));
    };
    const table = new CustomizationTable({ lineBytes: 64, prefetchLines: 1 });
    // a 16-byte object straddling a line boundary: one round trip serves both halves
    await table.ensure([{ addr: 0x2000_0138, length: 4 }], dev.fetch);
    expect(dev.requests).toEqual([[{ addr: 0x2000_0100, length: 64 }, { addr: 0x2000_0140, length: 64 }]]);
    expect(table.read(0x2000_0138, 16)).toEqual(dev.at(0x2000_0138, 16));
    // known lines are not asked again
    await table.ensure([{ addr: 0x2000_00f0, length: 4 }], dev.fetch);
    expect(dev.requests[1]).toEqual([{ addr: 0x2000_00c0, length: 64 }]);
    // the device refuses the prefetched line: still one round trip, what was needed is known
    await table.ensure([{ addr: 0x2000_0800, length: 4 }], refusing((r) => r.addr === 0x2000_0840));
    expect(dev.requests[2]).toEqual([{ addr: 0x2000_0800, length: 64 }, { addr: 0x2000_0840, length: 64 }]);
    expect(table.read(0x2000_0800, 4)).toEqual(dev.at(0x2000_0800, 4));
    expect(() => table.read(0x2000_0840, 4)).toThrow(MirrorMiss);
    // the device refuses a needed line (it reaches into memory it hides): the prefetched line is kept, the exact bytes asked again
    await table.ensure([{ addr: 0x2000_0a3c, length: 4 }], refusing((r) => r.addr === 0x2000_0a00 && r.length === 64));
    expect(dev.requests.slice(3)).toEqual([[{ addr: 0x2000_0a00, length: 64 }, { addr: 0x2000_0a40, length: 64 }], [{ addr: 0x2000_0a3c, length: 4 }]]);
    expect(table.read(0x2000_0a3c, 8)).toEqual(dev.at(0x2000_0a3c, 8));
    expect(table.stats().fetches).toBe(5);
  });

  it("keeps the specializer's own writes out of the read set and never lets a fetch overwrite them", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 64 });
    table.write(0x2000_0008, new Uint8Array([1, 2, 3, 4]));
    expect(table.read(0x2000_0008, 4)).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(table.stats().fetches).toBe(0);
    const miss = missOf(() => table.read(0x2000_0000, 16));
    await table.ensure(miss.ranges, dev.fetch);
    const seen = table.read(0x2000_0000, 16);
    expect(seen.subarray(8, 12)).toEqual(new Uint8Array([1, 2, 3, 4]));
    expect(seen.subarray(0, 8)).toEqual(dev.at(0x2000_0000, 8));
    expect(table.readSet()).toEqual([
      { addr: 0x2000_0000, length: 8 },
      { addr: 0x2000_000c, length: 4 },
    ]);
    expect(table.originValues(table.readSet())).toEqual(new Uint8Array([...dev.at(0x2000_0000, 8), ...dev.at(0x2000_000c, 4)]));
  });

  it("the digest of values read changes exactly when a value read changes", async () => {
    const ranges = [{ addr: 0x1000, length: 4 }];
    const a = await digestValues(ranges, new Uint8Array([1, 2, 3, 4]));
    expect(await digestValues(ranges, new Uint8Array([1, 2, 3, 4]))).toEqual(a);
    expect(await digestValues(ranges, new Uint8Array([1, 2, 3, 5]))).not.toEqual(a);
    expect(await digestValues([{ addr: 0x1004, length: 4 }], new Uint8Array([1, 2, 3, 4]))).not.toEqual(a);
  });

  it("finds lines by hash for 64-bit host addresses and thousands of lines", async () => {
    const table = new CustomizationTable({ lineBytes: 16, maxBytes: 1 << 20, addressLimit: 2 ** 48 });
    const base = 0x7ffd_1234_5000;
    for (let i = 0; i < 4000; i++) table.fill(base + i * 160, new Uint8Array([i & 0xff, i >> 8]));
    for (let i = 0; i < 4000; i++) expect(table.read(base + i * 160, 2)).toEqual(new Uint8Array([i & 0xff, i >> 8]));
    expect(table.stats().lines).toBe(4000);
  });

  it("rejects garbage answers (wrong block count or length) without changing the table", async () => {
    const table = new CustomizationTable({ lineBytes: 64 });
    const short = async (ranges: AddressRange[]) => ranges.map((r) => new Uint8Array(r.length - 1));
    await expect(table.ensure([{ addr: 0x100, length: 4 }], short)).rejects.toMatchObject({ code: "BAD_DATA" });
    const none = async () => [] as Uint8Array[];
    await expect(table.ensure([{ addr: 0x100, length: 4 }], none)).rejects.toMatchObject({ code: "BAD_DATA" });
    expect(table.stats().lines).toBe(0);
    expect(table.missing([{ addr: 0x100, length: 4 }])).toEqual([{ addr: 0x100, length: 64 }]);
  });

  it("enforces its byte limit and the device's address space with clear errors", async () => {
    const dev = deviceRam();
    const table = new CustomizationTable({ lineBytes: 64, maxBytes: 256 });
    await expect(table.ensure([{ addr: 0x2000_0000, length: 512 }], dev.fetch)).rejects.toMatchObject({
      code: "MIRROR_FULL",
      message: expect.stringContaining("256-byte limit"),
    });
    expect(dev.requests).toEqual([]);
    const err = (() => {
      try {
        table.read(0xffff_fffe, 4);
      } catch (e) {
        return e as BespokeError;
      }
    })();
    expect(err?.code).toBe("BAD_ADDRESS");
  });
});
