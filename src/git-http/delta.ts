/**
 * Git's delta format, for sending a tree as the change from its parent's version at the same path. Transcript trees
 * are sorted lists that gain an entry or two per commit, so "copy the common prefix, insert the middle, copy the common
 * suffix" captures almost all of it, and costs one pass over the bytes.
 */
import { commonPrefix, commonSuffix } from "./bytes.ts";

const MAX_INSERT = 0x7f;
const MAX_COPY = 0x10000;

/** The delta that turns `base` into `target`, or null when it would not be much smaller than `target` itself. */
export function encodeDelta(base: Uint8Array, target: Uint8Array): Uint8Array | null {
  const prefix = commonPrefix(base, target);
  const suffix = commonSuffix(base, target, Math.min(base.length, target.length) - prefix);

  const middleEnd = target.length - suffix;
  if (middleEnd - prefix > target.length / 2) return null;
  const out: number[] = [...sizeVarint(base.length), ...sizeVarint(target.length)];
  copy(out, 0, prefix);
  for (let at = prefix; at < middleEnd; at += MAX_INSERT) {
    const piece = target.subarray(at, Math.min(at + MAX_INSERT, middleEnd));
    out.push(piece.length, ...piece);
  }
  copy(out, base.length - suffix, suffix);
  return Uint8Array.from(out);
}

/** Copy instructions: 0x80, flags for the non-zero bytes of offset (4) and size (3), then those bytes. */
function copy(out: number[], offset: number, length: number): void {
  for (let done = 0; done < length; done += MAX_COPY) {
    const from = offset + done;
    const size = Math.min(MAX_COPY, length - done);
    const bytes: number[] = [];
    let flags = 0x80;
    for (let i = 0; i < 4; i++) {
      const byte = Math.floor(from / 2 ** (8 * i)) % 256;
      if (byte !== 0) {
        flags |= 1 << i;
        bytes.push(byte);
      }
    }
    for (let i = 0; i < 3; i++) {
      const byte = Math.floor(size / 2 ** (8 * i)) % 256;
      if (byte !== 0) {
        flags |= 0x10 << i;
        bytes.push(byte);
      }
    }
    out.push(flags, ...bytes);
  }
}

/** Sizes at the head of a delta: 7 bits a byte, low bits first, high bit set while more follow. */
function sizeVarint(size: number): number[] {
  const bytes: number[] = [];
  let rest = size;
  do {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    bytes.push(rest > 0 ? low | 0x80 : low);
  } while (rest > 0);
  return bytes;
}
