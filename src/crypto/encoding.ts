/** Point encodings: .ptau bytes (affine LE Montgomery) to the uncompressed big-endian form that hashes use, negation, generators. */
import type { Curve } from "ffjavascript";
import { G1_SIZE, G2_SIZE, N8 } from "./sizes.ts";
import { loadedEngine } from "./engine.ts";
import type { Group } from "./msm/engine-types.ts";

const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

export function groupSize(g: Group): number {
  return g === "G1" ? G1_SIZE : G2_SIZE;
}

/**
 * .ptau bytes of n points to their uncompressed big-endian encoding (what snarkjs hashes): with this thread's curve
 * engine where one is loaded (well over 100× faster), else ffjavascript's; the same bytes (tested).
 */
export async function toUncompressed(curve: Curve, g: Group, lem: Uint8Array): Promise<Uint8Array> {
  if (lem.length === 0) return new Uint8Array(0);
  const e = loadedEngine();
  return e ? e.toUncompressed(g, lem) : curve[g].batchLEMtoU(lem);
}

function readLE(b: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = N8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}
function writeLE(b: Uint8Array, off: number, v: bigint): void {
  let x = v;
  for (let i = 0; i < N8; i++) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

/**
 * A copy of `bytes` in an ArrayBuffer of its own. Not .slice(): on a Node Buffer (a file read) that returns a view of
 * the same memory, so writing to it would change the caller's bytes, and keeping it would keep the whole file.
 */
export function copyBytes(bytes: Uint8Array, from = 0, to = bytes.length): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes.subarray(from, to));
}

/** −P for one .ptau-encoded point: y ↦ q − y in Montgomery form, coordinate-wise for G2. */
export function negate(g: Group, p: Uint8Array): Uint8Array {
  const out = copyBytes(p);
  if (out.every((b) => b === 0)) return out;
  const half = groupSize(g) / 2;
  for (let off = half; off < 2 * half; off += N8) {
    const y = readLE(p, off);
    writeLE(out, off, y === 0n ? 0n : Q - y);
  }
  return out;
}

export interface Generators {
  g1: Uint8Array;
  g2: Uint8Array;
}

export function generators(curve: Curve): Generators {
  const g1 = new Uint8Array(G1_SIZE);
  const g2 = new Uint8Array(G2_SIZE);
  curve.G1.toRprLEM(g1, 0, curve.G1.g);
  curve.G2.toRprLEM(g2, 0, curve.G2.g);
  return { g1, g2 };
}

/** n copies of one encoded point. */
export function repeat(point: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(point.length * n);
  for (let i = 0; i < n; i++) out.set(point, i * point.length);
  return out;
}
