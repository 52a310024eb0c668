// The customization subsystem in the real firmware: the kernel's sockets
// over lwIP (firmware/kernel/, its customization port) on a test device,
// natively under ASan/UBSan and for arm under qemu-arm. Customized code is
// the Figure 3 shape — socket lookup, O_NONBLOCK test and address copy done
// at customization time, the protocol's sendmsg called directly — written
// from the CUSTOMIZE message's values and roots and compiled by tcc-wasm.
import { afterEach, describe, expect, it } from "vitest";
import { type CustomizeMessage, type ImageTarget, encodeFrame } from "../../src/runtime/protocol.ts";
import { type Reply, TestDevice, customizeOf, hex, imageFrame } from "./device.ts";

const O_NONBLOCK = 0o4000;
const MSG_DONTWAIT = 0x40;
const EBADF = 9;

/** Residual sys_sendto / sys_send for the request's context (Figure 3). */
function residual(target: ImageTarget, request: CustomizeMessage): string {
  const file = request.roots.find((r) => r.root === "file")!;
  const v = new DataView(file.bytes.buffer, file.bytes.byteOffset);
  const fFlags = v.getUint32(0, true);
  const sock = target === "x86_64" ? v.getBigUint64(8, true) : BigInt(v.getUint32(8, true));
  const flags = new DataView(request.values.find((x) => x.param === "flags")!.bytes.buffer).getInt32(0, true) | (fFlags & O_NONBLOCK ? MSG_DONTWAIT : 0);
  const addr = request.values.find((x) => x.param === "addr")?.bytes;
  const ops = request.call === "sendto" ? "inet_dgram_ops" : "inet_stream_ops";
  return `typedef unsigned long size_t;
struct iovec { void *iov_base; size_t iov_len; };
struct msghdr { void *msg_name; int msg_namelen; struct iovec *msg_iov; size_t msg_iovlen; void *msg_control; size_t msg_controllen; unsigned msg_flags; };
struct socket;
struct proto_ops { int family; int type; void *create, *release, *bind, *connect, *listen, *accept, *getname;
  long (*sendmsg)(struct socket *, struct msghdr *, size_t); };
extern const struct proto_ops ${ops};
extern void test_mark(void);
${addr ? `static const unsigned char address[${addr.length}] = {${[...addr].join(", ")}};` : ""}
long customized(int fd, const void *buf, unsigned long len, const void *args) {
  struct iovec iov;
  struct msghdr msg;
  test_mark();
  iov.iov_base = (void *)buf;
  iov.iov_len = len;
  msg.msg_name = ${addr ? "(void *)address" : "0"};
  msg.msg_namelen = ${addr?.length ?? 0};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = 0;
  msg.msg_controllen = 0;
  msg.msg_flags = ${flags >>> 0}u;
  return ${ops}.sendmsg((struct socket *)0x${sock.toString(16)}ul, &msg, len);
}
`;
}

/** IP packets with the identification and header checksum blanked: they count packets, not content. */
const normalized = (r: Reply) => r.packets.map((p) => p.slice(0, 8) + "0000" + p.slice(12, 20) + "0000" + p.slice(24));

describe.each<ImageTarget>(["x86_64", "arm"])("customization in the real kernel (%s)", (target) => {
  let dev: TestDevice;
  afterEach(() => dev?.close());
  const run = (line: string) => dev.run(line);

  /** A receiver on 5000, a sender socket (fd 1), a token for sendto(fd 1 -> 127.0.0.1:5000) with its image installed. */
  async function customizedSender(): Promise<CustomizeMessage> {
    dev = TestDevice.start(target, "kernel");
    expect((await run("udp")).ret).toBe(0);
    expect((await run("bind 0 5000")).ret).toBe(0);
    expect((await run("udp")).ret).toBe(1);
    const c = await run("customize 1 1 0 5000");
    expect(c.ret).toBe(1);
    const request = customizeOf(c);
    expect((await run(`deliver ${hex(await imageFrame(target, request, { source: residual(target, request) }))}`)).ret).toBe(0);
    return request;
  }
  /** Send with the token, then the same through the generic sys_sendto; the packets of each. */
  async function sendBoth(len: number): Promise<{ custom: Reply; generic: Reply }> {
    const call = await run(`call 1 ${len}`);
    const custom = { ...call, packets: (await run("poll")).packets };
    await run(`generic 1 1 0 5000 ${len}`);
    const generic = await run("poll");
    return { custom, generic };
  }

  it("UDP: customized sendto gives the generic path's packets, 64 B and 1024 B; the receiver gets them intact", async () => {
    await customizedSender();
    for (const len of [64, 1024]) {
      const { custom, generic } = await sendBoth(len);
      expect(custom.custom).toBe(1);
      expect(custom.ret).toBe(len);
      expect(custom.packets).toHaveLength(1);
      expect(normalized(custom)).toEqual(normalized(generic));
      const first = await run("recv 0");
      const second = await run("recv 0");
      expect(first.ret).toBe(len);
      expect(first.lines[0]).toBe(second.lines[0]);
    }
  });

  it("before the image arrives the token takes the generic path", async () => {
    dev = TestDevice.start(target, "kernel");
    await run("udp");
    await run("bind 0 5000");
    await run("udp");
    customizeOf(await run("customize 1 1 0 5000"));
    const r = await run("call 1 64");
    expect(r.custom).toBe(0);
    expect(r.ret).toBe(64);
    expect((await run("poll")).packets).toHaveLength(1);
  });

  it("guard after setsockopt(IP_TTL): generic path with the new TTL, byte-identical packets, then a new version", async () => {
    const request = await customizedSender();
    expect((await run("ttl 1 7")).ret).toBe(0);
    const { custom, generic } = await sendBoth(64);
    expect(custom.custom).toBe(0);
    expect(normalized(custom)).toEqual(normalized(generic));
    expect(custom.packets[0]!.slice(16, 18)).toBe("07"); // TTL
    const again = customizeOf(custom);
    expect(hex(again.contextHash)).not.toBe(hex(request.contextHash));
    await run(`deliver ${hex(await imageFrame(target, again, { source: residual(target, again) }))}`);
    const renewed = await sendBoth(64);
    expect(renewed.custom.custom).toBe(1);
    expect(normalized(renewed.custom)).toEqual(normalized(renewed.generic));
  });

  it("guard after fcntl(O_NONBLOCK): generic path, then a version with MSG_DONTWAIT folded in", async () => {
    await customizedSender();
    await run("nonblock 1");
    const { custom, generic } = await sendBoth(64);
    expect(custom.custom).toBe(0);
    expect(normalized(custom)).toEqual(normalized(generic));
    const again = customizeOf(custom);
    expect(residual(target, again)).toContain(`msg.msg_flags = ${MSG_DONTWAIT}u;`);
  });

  it("guard after close: the same error as the generic path, no packet, nothing re-requested", async () => {
    await customizedSender();
    await run("close 1");
    const r = await run("call 1 64");
    expect(r.custom).toBe(0);
    expect(r.ret).toBe(-EBADF);
    expect((await run("generic 1 1 0 5000 64")).ret).toBe(-EBADF);
    expect(r.sent).toEqual([]);
    expect((await run("poll")).packets).toEqual([]);
    expect((await run("cache")).lines).toEqual(["code 0"]);
  });

  it("guard after close and fd reuse: the new socket's packets through the generic path, then a new version", async () => {
    const request = await customizedSender();
    await run("close 1");
    expect((await run("udp")).ret).toBe(1); // the lowest free descriptor again
    await run("ttl 1 9");
    const { custom, generic } = await sendBoth(64);
    expect(custom.custom).toBe(0);
    expect(normalized(custom)).toEqual(normalized(generic));
    expect(custom.packets[0]!.slice(16, 18)).toBe("09");
    const again = customizeOf(custom);
    expect(again.roots[0]!.address === request.roots[0]!.address && hex(again.contextHash) === hex(request.contextHash)).toBe(false);
  });

  it("TCP: customized send on a connected stream delivers the bytes intact", async () => {
    dev = TestDevice.start(target, "kernel");
    await run("tcp"); // 0: listener
    await run("bind 0 6000");
    await run("listen 0");
    await run("tcp"); // 1: client
    await run("connect 1 6000");
    await run("poll");
    expect((await run("accept 0")).ret).toBe(2);
    const request = customizeOf(await run("customize 2 1 0 -"));
    expect(request.call).toBe("send");
    await run(`deliver ${hex(await imageFrame(target, request, { source: residual(target, request) }))}`);
    const r = await run("call 1 1000");
    expect(r.custom).toBe(1);
    expect(r.ret).toBe(1000);
    await run("poll");
    const got = await run("recv 2");
    expect(got.ret).toBe(1000);
    await run("generic 2 1 0 - 1000");
    await run("poll");
    expect((await run("recv 2")).lines[0]).toBe(got.lines[0]);
  });
});

describe.each<ImageTarget>(["x86_64", "arm"])("FETCH in the real kernel (%s)", (target) => {
  it("serves kernel memory (the socket behind the file root) but never the device key", async () => {
    const dev = TestDevice.start(target, "kernel");
    try {
      await dev.run("udp");
      const request = customizeOf(await dev.run("customize 1 0 0 5000"));
      const file = request.roots[0]!;
      const fetch = (address: bigint, length: number) => dev.run(`deliver ${hex(encodeFrame({ type: "fetch", id: request.id, address, length }))}`);
      expect((await fetch(file.address, file.bytes.length)).sent).toEqual([{ type: "data", id: request.id, address: file.address, bytes: file.bytes }]);
      const key = BigInt(`0x${(await dev.run("key")).lines[0]!.slice(4)}`);
      // the kernel exposes the memory around the key (so the refusals below are the key's own)
      expect((await fetch(key - 4n, 4)).sent[0]!.type).toBe("data");
      expect((await fetch(key + 32n, 4)).sent[0]!.type).toBe("data");
      for (const [address, length] of [[key, 32], [key + 31n, 1], [key - 4n, 5]] as const) {
        expect((await fetch(address, length)).sent).toEqual([{ type: "error", id: request.id, code: 3, message: "" }]);
      }
    } finally {
      dev.close();
    }
  });
});
