/**
 * blake2b-512, the hash of every challenge, response and chunk, and the 216-byte partial-hash state snarkjs stores
 * in records. Bulk hashing uses node:crypto (OpenSSL, about 17× faster than pure JS on chunk files); restoring a
 * snarkjs partial state needs a hasher whose internals we can set, so that one uses @noble/hashes.
 */
import { createHash } from "node:crypto";
import { blake2b } from "@noble/hashes/blake2.js";

export interface Hasher {
  update(data: Uint8Array): Hasher;
  digest(): Uint8Array;
}

class NodeBlake2b implements Hasher {
  private readonly h = createHash("blake2b512");
  update(data: Uint8Array): Hasher {
    this.h.update(data);
    return this;
  }
  digest(): Uint8Array {
    return new Uint8Array(this.h.digest());
  }
}

export function newHasher(): Hasher {
  return new NodeBlake2b();
}

export function hash(...parts: Uint8Array[]): Uint8Array {
  const h = newHasher();
  for (const p of parts) h.update(p);
  return h.digest();
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

export function fromHex(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error("invalid hex string");
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return d === 0;
}

// blake2b-512 initial chaining value with the parameter block for a 64-byte digest and no key XORed into h0.
const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];

/**
 * The 216-byte state snarkjs stores as a record's partialHash, for a hasher that has absorbed exactly `prefix`
 * (at most one 128-byte block, so nothing is compressed yet): 128 bytes of buffer, then the eight chaining
 * words as little-endian u32 pairs, then the compressed length and the buffer position.
 */
export function partialHashOfPrefix(prefix: Uint8Array): Uint8Array {
  if (prefix.length > 128) throw new RangeError("partial-hash prefix must be at most one block");
  const out = new Uint8Array(216);
  out.set(prefix, 0);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) {
    let w = IV[i] ?? 0n;
    if (i === 0) w ^= 0x01010040n;
    dv.setUint32(128 + 8 * i, Number(w & 0xffffffffn), true);
    dv.setUint32(128 + 8 * i + 4, Number(w >> 32n), true);
  }
  dv.setUint32(128 + 64, 0, true); // bytes already compressed (low)
  dv.setUint32(128 + 68, 0, true); // (high)
  dv.setUint32(128 + 72, prefix.length, true); // position in the buffer
  return out;
}

/** Decodes a partialHash produced by {@link partialHashOfPrefix}; returns null for any other state. */
export function prefixOfPartialHash(state: Uint8Array): Uint8Array | null {
  if (state.length !== 216) return null;
  const dv = new DataView(state.buffer, state.byteOffset, state.byteLength);
  const pos = dv.getUint32(128 + 72, true);
  if (pos > 128) return null;
  const prefix = state.slice(0, pos);
  return bytesEqual(partialHashOfPrefix(prefix), state) ? prefix : null;
}

interface Blake2bInternals {
  buffer: Uint8Array;
  pos: number;
  length: number;
  set(...words: number[]): void;
}

/** A hasher restored from any 216-byte snarkjs partialHash (the state after absorbing a response). */
export function hasherFromPartialHash(state: Uint8Array): Hasher {
  if (state.length !== 216) throw new RangeError("partialHash must be 216 bytes");
  const dv = new DataView(state.buffer, state.byteOffset, state.byteLength);
  const words = Array.from({ length: 16 }, (_, i) => dv.getUint32(128 + 4 * i, true) | 0);
  const compressed = dv.getUint32(192, true) + dv.getUint32(196, true) * 2 ** 32;
  const pos = dv.getUint32(200, true);
  if (pos > 128) throw new RangeError("partialHash buffer position out of range");
  const h = blake2b.create({ dkLen: 64 });
  const internals = h as unknown as Blake2bInternals;
  internals.set(...words);
  internals.buffer.set(state.subarray(0, 128));
  internals.pos = pos;
  internals.length = compressed + pos;
  return h;
}
