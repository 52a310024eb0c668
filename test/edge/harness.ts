// Edge workers for the tests run the way they deploy (bundleWorker, runWorker:
// the pinned wrangler's dry-run bundle in real workerd through miniflare),
// reached over HTTP and real WebSockets.
import { fetch } from "miniflare";
import { type Message, decodeFrame, encodeFrame } from "../../src/runtime/protocol.ts";

export { bundleSize, bundleWorker, runWorker } from "../../src/cli/serve.ts";

/** A device's end of a real WebSocket channel: protocol frames out, decoded messages in, in order. */
export class Channel {
  private readonly inbox: Message[] = [];
  private readonly waiters: ((m: Message) => void)[] = [];
  readonly raw: Uint8Array[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener("message", (event: MessageEvent) => {
      const frame = new Uint8Array(event.data as ArrayBuffer);
      this.raw.push(frame);
      const m = decodeFrame(frame);
      const waiter = this.waiters.shift();
      if (waiter) waiter(m);
      else this.inbox.push(m);
    });
  }

  static async open(url: URL, device: string): Promise<Channel> {
    const response = await fetch(new URL(`/v1/session?device=${encodeURIComponent(device)}`, url), { headers: { upgrade: "websocket" } });
    const socket = response.webSocket;
    if (response.status !== 101 || !socket) throw new Error(`no WebSocket: HTTP ${response.status} ${await response.text()}`);
    socket.accept();
    return new Channel(socket as unknown as WebSocket);
  }

  send(m: Message): void {
    this.sendRaw(encodeFrame(m));
  }

  sendRaw(frame: Uint8Array | string): void {
    this.socket.send(frame);
  }

  next(timeoutMs = 20_000): Promise<Message> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no message from the edge")), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  close(): void {
    this.socket.close();
  }
}
