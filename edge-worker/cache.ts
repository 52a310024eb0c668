// The edge's image cache: the isolate's memory first, then the Workers Cache
// API (shared by the isolates of a colo). Keys become synthetic URLs; entries
// are immutable (a key names its contents), so they can live long — all but
// a scenario's read profile, a prefetch hint rewritten as the edge learns:
// an isolate holding an older one only fetches less ahead.
import { MemoryCache } from "../src/server/cache.ts";
import type { ImageCache } from "../src/server/types.ts";

/** Where an entry lives in the Cache API: this origin + its key. */
export const CACHE_ORIGIN = "https://image-cache.bespoke.invalid/";
const MAX_AGE_SECONDS = 7 * 24 * 3600;

export class EdgeCache implements ImageCache {
  private readonly local = new MemoryCache(16 * 1024 * 1024);
  /**
   * Writes to the Cache API, one after the other (a recipe is stored after its
   * artifact, so whoever finds the recipe finds the artifact); they do not hold
   * up the request (see `settled`).
   */
  private writes: Promise<void> = Promise.resolve();

  constructor(private readonly shared: Cache | null) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const hit = await this.local.get(key);
    if (hit || !this.shared) return hit;
    const response = await this.shared.match(CACHE_ORIGIN + key);
    if (!response) return undefined;
    const bytes = new Uint8Array(await response.arrayBuffer());
    await this.local.put(key, bytes);
    return bytes;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.local.put(key, value);
    if (!this.shared) return;
    const response = new Response(value.slice(), {
      headers: { "content-type": "application/octet-stream", "cache-control": `public, max-age=${MAX_AGE_SECONDS}, immutable` },
    });
    const shared = this.shared;
    // A failed write only costs a later miss in another isolate; say so in the log and go on.
    this.writes = this.writes.then(() =>
      shared.put(CACHE_ORIGIN + key, response).catch((e: unknown) => console.error(`image cache: storing ${key} failed: ${String(e)}`)),
    );
  }

  /** Resolves when the Cache API writes started so far are done (pass it to `ctx.waitUntil`). */
  settled(): Promise<void> {
    return this.writes;
  }
}
