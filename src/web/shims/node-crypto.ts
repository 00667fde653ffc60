/**
 * The browser's twin of the few node:crypto calls the shared modules make (blake2b-512 hashing in crypto/hash.ts,
 * random bytes for keys and nonces), on @noble/hashes and crypto.getRandomValues.
 */
import { Buffer } from "node:buffer";
import { blake2b } from "@noble/hashes/blake2.js";

export function createHash(algorithm: string): { update(data: Uint8Array): unknown; digest(): Buffer } {
  if (algorithm !== "blake2b512") throw new Error(`createHash(${algorithm}) is not available in the browser build`);
  const h = blake2b.create({ dkLen: 64 });
  const self = {
    update(data: Uint8Array) {
      h.update(data);
      return self;
    },
    digest: () => Buffer.from(h.digest()),
  };
  return self;
}

/** Random bytes from the browser's CSPRNG (getRandomValues takes at most 65536 bytes a call). */
export function randomBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}
