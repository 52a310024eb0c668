// The specializer (src/specializer/: memory.ts, pipeline.ts, specialize.ts)
// uses Node's global Buffer for a few conversions, which browsers do not
// have. The demo build injects this shim into the bundles that run it (the
// core worker and the Service Worker): exactly those conversions, over
// Uint8Array. Remove it when the specializer uses web APIs only.
import { BespokeError } from "../src/errors.ts";

type Encoding = "hex" | "utf8" | "latin1";

/** Bytes whose toString takes an encoding, as a Buffer's does. */
class ShimBytes extends Uint8Array {
  override toString(encoding: Encoding = "utf8"): string {
    if (encoding === "hex") return Array.from(this, (b) => b.toString(16).padStart(2, "0")).join("");
    if (encoding === "latin1") {
      let s = "";
      for (let i = 0; i < this.length; i += 8192) s += String.fromCharCode(...this.subarray(i, i + 8192));
      return s;
    }
    if (encoding === "utf8") return new TextDecoder().decode(this);
    throw new BespokeError("INTERNAL", `the playground's Buffer shim has no encoding '${String(encoding)}'`);
  }
}

function from(value: string | ArrayLike<number>, encoding: Encoding = "utf8"): ShimBytes {
  if (typeof value !== "string") return new ShimBytes(Array.from(value));
  if (encoding === "hex") return new ShimBytes((value.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  if (encoding === "latin1") return new ShimBytes(Array.from(value, (c) => c.charCodeAt(0) & 0xff));
  return new ShimBytes(new TextEncoder().encode(value));
}

export const Buffer = { from };
