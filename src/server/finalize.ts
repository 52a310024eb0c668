// Per-request, per-device finishing of a cached artifact (an image body with
// a zero context hash, see pipeline.ts): put in the request's context hash and
// append the HMAC-SHA256 tag made with the device's key (docs/protocol.md,
// "Code images").
import { BespokeError } from "../errors.ts";
import { IMAGE_HEADER_BYTES, hmacSha256 } from "../runtime/image.ts";
import { CONTEXT_HASH_BYTES } from "../runtime/protocol.ts";
import type { DeviceIdentity, Finalize } from "./types.ts";

/** Offset of the context hash in an image header (docs/protocol.md). */
const CONTEXT_HASH_OFFSET = 16;

/** The key a device's images are authenticated with, or undefined for a device the server does not know. */
export type DeviceKeys = (device: DeviceIdentity) => Promise<Uint8Array | undefined>;

export function signImages(keys: DeviceKeys): Finalize {
  return async (artifact, request, device) => {
    const key = await keys(device);
    if (!key) throw new BespokeError("UNKNOWN_DEVICE", `no image key is provisioned for device ${JSON.stringify(device.id)}`);
    if (artifact.length < IMAGE_HEADER_BYTES) throw new BespokeError("BAD_ARTIFACT", `a cached artifact of ${artifact.length} bytes is not an image body`);
    const body = artifact.slice();
    if (request.contextHash) {
      if (request.contextHash.length !== CONTEXT_HASH_BYTES) {
        throw new BespokeError("BAD_CONTEXT", `the context hash is ${request.contextHash.length} bytes, not ${CONTEXT_HASH_BYTES}`);
      }
      body.set(request.contextHash, CONTEXT_HASH_OFFSET);
    }
    const tag = await hmacSha256(key, body);
    const image = new Uint8Array(body.length + tag.length);
    image.set(body);
    image.set(tag, body.length);
    return image;
  };
}
