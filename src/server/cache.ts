// The image cache: keys and an in-memory implementation. An artifact is
// keyed by (firmware build ID, scenario and its version, digest of every
// value the specialization read: static values, device memory, device call
// results). Finding that key needs the values, so a first level keyed by the
// request alone stores the *recipe* (which addresses and calls were read);
// a warm request re-reads just those (one batched FETCH) and looks the
// artifact up by their digest.
import { BespokeError } from "../errors.ts";
import type { RecordedCall } from "../runtime/ctfunctions.ts";
import type { AddressRange } from "../runtime/mirror.ts";
import type { CustomizeRequest, ImageCache, JsonValue, Recipe, ScenarioInfo } from "./types.ts";

/** Key of the recipe: the request's firmware, scenario (with version) and static values. */
export async function recipeKey(request: CustomizeRequest, scenario: ScenarioInfo): Promise<string> {
  const text = canonicalJson({ firmware: request.firmware, scenario: scenario.name, version: scenario.version, values: request.values });
  return `recipe/${await sha256Hex(new TextEncoder().encode(text))}`;
}

/** Key of the artifact: the recipe key plus the digest of the device values and call results read. */
export async function artifactKey(recipe: string, valuesDigest: Uint8Array, calls: RecordedCall[]): Promise<string> {
  const callsText = calls.map((c) => `${c.fn}(${c.args.join(",")})=${c.result}`).join(";");
  const text = `${recipe}\n${hex(valuesDigest)}\n${callsText}`;
  return `artifact/${await sha256Hex(new TextEncoder().encode(text))}`;
}

/**
 * Key of a scenario's read profile: the device memory its specializations
 * read on this firmware build (the same addresses for every device of the
 * build when they are its static tables), prefetched by a request that has
 * no recipe yet. The page of the request's first root stands for the memory
 * layout: devices that randomize their addresses do not share profiles.
 */
export async function profileKey(request: CustomizeRequest, scenario: ScenarioInfo): Promise<string> {
  const root = request.memory[0];
  const layout = root ? Math.floor(root.addr / 4096) : null;
  const text = canonicalJson({ firmware: request.firmware, scenario: scenario.name, version: scenario.version, layout, profile: 1 });
  return `${PROFILE_PREFIX}${await sha256Hex(new TextEncoder().encode(text))}`;
}

/** Profile keys start with this; recipes and artifacts do not. */
export const PROFILE_PREFIX = "profile/";

/** A profile stays small: beyond these it restarts from the last read set. */
export const PROFILE_MAX_RANGES = 64;
export const PROFILE_MAX_BYTES = 4096;

/** The ranges of `profile` and `reads` together, ascending and coalesced; just `reads` when that would exceed the bounds. */
export function mergeProfile(profile: AddressRange[], reads: AddressRange[]): AddressRange[] {
  const out: AddressRange[] = [];
  for (const r of [...profile, ...reads].sort((a, b) => a.addr - b.addr)) {
    const last = out[out.length - 1];
    if (last && r.addr <= last.addr + last.length) last.length = Math.max(last.length, r.addr + r.length - last.addr);
    else out.push({ ...r });
  }
  const bytes = out.reduce((n, r) => n + r.length, 0);
  return out.length > PROFILE_MAX_RANGES || bytes > PROFILE_MAX_BYTES ? reads : out;
}

export function encodeProfile(ranges: AddressRange[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(ranges));
}

/** A profile's ranges; an unreadable one is empty (it is only a hint). */
export function decodeProfile(bytes: Uint8Array): AddressRange[] {
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (!Array.isArray(r) || r.length > PROFILE_MAX_RANGES) return [];
    const ok = r.every((x: { addr?: unknown; length?: unknown }) => Number.isSafeInteger(x.addr) && Number.isSafeInteger(x.length) && (x.addr as number) >= 0 && (x.length as number) > 0);
    return ok ? (r as AddressRange[]) : [];
  } catch {
    return [];
  }
}

export function encodeRecipe(reads: AddressRange[], calls: RecordedCall[]): Uint8Array {
  const recipe: Recipe = { reads, calls: calls.map((c) => ({ fn: c.fn, args: c.args.map(String) })) };
  return new TextEncoder().encode(JSON.stringify(recipe));
}

export function decodeRecipe(bytes: Uint8Array): Recipe {
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as Recipe;
    if (!Array.isArray(r.reads) || !Array.isArray(r.calls)) throw new Error("fields missing");
    return r;
  } catch (e) {
    throw new BespokeError("BAD_CACHE_ENTRY", `a cached recipe is unreadable (${String(e)}); clear the image cache`);
  }
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(",")}}`;
}

export async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

export function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** A least-recently-used cache bounded in bytes (Node's local edge, tests, and a Worker isolate's first level). */
export class MemoryCache implements ImageCache {
  private readonly entries = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(readonly maxBytes = 64 * 1024 * 1024) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value.slice();
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    if (value.length > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.length;
      this.entries.delete(key);
    }
    this.entries.set(key, value.slice());
    this.bytes += value.length;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.length;
    }
  }

  size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }
}
