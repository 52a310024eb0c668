// The edge's image cache: the isolate's memory first, then the Workers Cache
// API (shared by the isolates of a colo). Keys become synthetic URLs; entries
// are immutable (a key names its contents), so they can live long.
import { MemoryCache } from "../src/server/cache.ts";
import type { ImageCache } from "../src/server/types.ts";

const ORIGIN = "https://image-cache.bespoke.invalid/";
const MAX_AGE_SECONDS = 7 * 24 * 3600;

export class EdgeCache implements ImageCache {
  private readonly local = new MemoryCache(16 * 1024 * 1024);

  constructor(private readonly shared: Cache | null) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = await this.local.get(key);
    if (hit || !this.shared) return hit;
    const response = await this.shared.match(ORIGIN + key);
    if (!response) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    await this.local.put(key, bytes);
    return bytes;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.local.put(key, value);
    if (!this.shared) return;
    const body = value.slice();
    await this.shared.put(
      ORIGIN + key,
      new Response(body, { headers: { "content-type": "application/octet-stream", "cache-control": `public, max-age=${MAX_AGE_SECONDS}, immutable` } }),
    );
  }
}
