/** How much two byte strings share at their start and at their end, compared in blocks by native code. */
import { Buffer } from "node:buffer";

/** Block sizes tried in turn, largest first; a block that differs is narrowed down with the next size. */
const BLOCKS = [4096, 128, 1];

/** The length of the longest common prefix of `a` and `b`. */
export function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const limit = Math.min(a.length, b.length);
  let at = 0;
  for (const block of BLOCKS) {
    while (at + block <= limit && Buffer.compare(a.subarray(at, at + block), b.subarray(at, at + block)) === 0) at += block;
  }
  return at;
}

/** The length of the longest common suffix of `a` and `b`, at most `limit`. */
export function commonSuffix(a: Uint8Array, b: Uint8Array, limit: number): number {
  let n = 0;
  for (const block of BLOCKS) {
    while (n + block <= limit && Buffer.compare(a.subarray(a.length - n - block, a.length - n), b.subarray(b.length - n - block, b.length - n)) === 0) n += block;
  }
  return n;
}
