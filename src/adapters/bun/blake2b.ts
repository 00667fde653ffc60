/**
 * blake2b-512 of many small inputs (one per event-log line): under Bun one reused Bun.CryptoHasher (its digest
 * resets it, and writing into a caller's buffer allocates nothing), about twice as fast per call as a fresh
 * node:crypto hash; under Node (the tests) node:crypto. Both are blake2b-512 byte for byte (tested against @noble/hashes).
 */
import { createHash } from "node:crypto";

/** Hashes the concatenation of `parts` into `out` (64 bytes). Not reentrant: one caller at a time. */
export type Blake2b512Into = (parts: readonly Uint8Array[], out: Uint8Array) => void;

export function blake2b512Into(): Blake2b512Into {
  if (typeof Bun !== "undefined") {
    const hasher = new Bun.CryptoHasher("blake2b512");
    return (parts, out) => {
      for (const part of parts) hasher.update(part);
      hasher.digest(out);
    };
  }
  return (parts, out) => {
    const h = createHash("blake2b512");
    for (const part of parts) h.update(part);
    out.set(h.digest());
  };
}

/** A running blake2b-512 over a stream of bytes (an event log's whole prefix), whose digest can be read at any point. */
export interface Blake2b512Stream {
  update(bytes: Uint8Array): void;
  /** The hex digest of everything so far; the stream goes on. */
  hex(): string;
}

export function blake2b512Stream(): Blake2b512Stream {
  if (typeof Bun !== "undefined") {
    const hasher = new Bun.CryptoHasher("blake2b512");
    return { update: (bytes) => void hasher.update(bytes), hex: () => hasher.copy().digest("hex") };
  }
  const hash = createHash("blake2b512");
  return { update: (bytes) => void hash.update(bytes), hex: () => hash.copy().digest("hex") };
}
