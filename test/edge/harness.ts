// Edge workers for the tests run the way they deploy (bundleWorker, runWorker:
// the pinned wrangler's dry-run bundle in real workerd through miniflare),
// reached over HTTP and real WebSockets.
import { EdgeChannel } from "../../src/cli/serve.ts";
import { type Message, decodeFrame, encodeFrame } from "../../src/runtime/protocol.ts";

export { bundleSize, bundleWorker, runWorker } from "../../src/cli/serve.ts";

/** A device's end of a real WebSocket session, in protocol messages. */
export class Channel {
  private constructor(private readonly channel: EdgeChannel) {}

  static async open(url: URL, device: string): Promise<Channel> {
    return new Channel(await EdgeChannel.connect(url, device));
  }

  send(m: Message): void {
    this.channel.send(encodeFrame(m));
  }

  sendRaw(frame: Uint8Array | string): void {
    this.channel.send(frame);
  }

  async next(timeoutMs = 20_000): Promise<Message> {
    return decodeFrame(await this.channel.next(timeoutMs));
  }

  close(): void {
    this.channel.close();
  }
}
