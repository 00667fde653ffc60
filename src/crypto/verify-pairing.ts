/**
 * The pairing checks of chunk verification, on the combinations of verify-sums.ts, for one chunk or for many
 * chunks of one contribution at once (their combinations added up: the scalars of different chunks are
 * independent, so the sum is one random combination over all of them, with the same soundness).
 *
 * With A = Σ a_k, B = Σ b_k over the chunks, and B', Α, Β, Q the sums of b, alpha, beta, q over the chunks that hold
 * the sections, the two checks of verify.ts,
 *   powers:   e(A, τ·G2) = e(B, G2)
 *   sections: e(B' + μ1·Α + μ2·Β, G2) = e(G1 + μ1·α·G1 + μ2·β·G1, Q)
 * are joined with a fresh 64-bit λ into one product of three pairings,
 *   e(A, τ·G2) · e(λ(B' + μ1·Α + μ2·Β) − B, G2) · e(−λ(G1 + μ1·α·G1 + μ2·β·G1), Q) = 1,
 * which holds for a false pair of checks only if λ hits one value modulo r. The point arithmetic is the engine's msm. When it fails, each chunk is checked on
 * its own (chunkFailure), as verification one chunk at a time would, to name the chunk and the reason.
 */
import type { Curve } from "ffjavascript";
import { copyBytes, generators, negate } from "./encoding.ts";
import { toHex } from "./hash.ts";
import { pairingProductIsOne } from "./pairing.ts";
import type { AccumulatorRecord } from "./pipeline.ts";
import { engine } from "./engine.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";
import { randomScalars, RATIO_SCALAR_BYTES, type ChunkSums } from "./verify-sums.ts";

/** One chunk's combinations with what is needed to explain a failure. */
export interface SummedChunk {
  chunkIndex: number;
  sums: ChunkSums;
  /** The last τ·G1 point of the chunk before, and this chunk's first; null for chunk 0. */
  link: { boundary: Uint8Array; first: Uint8Array } | null;
}

export interface PairingFailure {
  code: "POWERS_INCONSISTENT" | "BOUNDARY_LINK_BROKEN" | "SECTIONS_INCONSISTENT";
  message: string;
}

const isZero = (p: Uint8Array): boolean => p.every((b) => b === 0);
const random64 = (): bigint => BigInt(`0x${toHex(randomScalars(1, RATIO_SCALAR_BYTES))}`);

/** A combination that is zero makes a check pass vacuously: refused, per chunk. */
export function zeroCombination(c: SummedChunk): PairingFailure | null {
  const { a, b, sections } = c.sums;
  if (isZero(a) || isZero(b)) return { code: "POWERS_INCONSISTENT", message: "a random combination of τ·G1 points is zero" };
  if (sections && isZero(sections.q)) return { code: "SECTIONS_INCONSISTENT", message: "a random combination of τ·G2 points is zero" };
  return null;
}

/** Σ s_i·P_i for scalars below 2^64, with this thread's engine (points canonical and on the curve, or zero). */
function combine(g: "G1" | "G2", points: readonly Uint8Array[], scalars: readonly bigint[]): Uint8Array {
  const size = g === "G1" ? G1_SIZE : G2_SIZE;
  const p = new Uint8Array(points.length * size);
  const s = new Uint8Array(points.length * 8);
  points.forEach((pt, i) => {
    p.set(pt, i * size);
    let v = scalars[i] ?? 0n;
    for (let j = 0; j < 8; j++, v >>= 8n) s[i * 8 + j] = Number(v & 0xffn);
  });
  return engine().msm(g, p, s, 8);
}

/** The sum of .ptau-encoded points. */
export function sumOf(g: "G1" | "G2", points: readonly Uint8Array[]): Uint8Array {
  return combine(g, points, points.map(() => 1n));
}

/** Every check of the given chunks in one pairing product (see the top of this file). */
export function chunksHold(curve: Curve, rec: AccumulatorRecord, chunks: readonly SummedChunk[]): boolean {
  const low = chunks.flatMap((c) => (c.sums.sections ? [{ b: c.sums.b, ...c.sums.sections }] : []));
  const A = sumOf("G1", chunks.map((c) => c.sums.a));
  const B = sumOf("G1", chunks.map((c) => c.sums.b));
  const { g1, g2 } = generators(curve);
  if (low.length === 0) return pairingProductIsOne([[A, rec.tauG2], [negate("G1", B), g2]]);
  const [mu1, mu2, lambda] = [random64(), random64(), random64()];
  const lhs = combine("G1", [sumOf("G1", low.map((l) => l.b)), sumOf("G1", low.map((l) => l.alpha)), sumOf("G1", low.map((l) => l.beta))], [1n, mu1, mu2]);
  const rhs = combine("G1", [g1, rec.alphaG1, rec.betaG1], [1n, mu1, mu2]);
  const x = combine("G1", [lhs, negate("G1", B)], [lambda, 1n]);
  const y = combine("G1", [negate("G1", rhs)], [lambda]);
  return pairingProductIsOne([[A, rec.tauG2], [x, g2], [y, sumOf("G2", low.map((l) => l.q))]]);
}

/** The checks of one chunk on their own, in the order of verification one chunk at a time; null when they hold. */
export function chunkFailure(curve: Curve, rec: AccumulatorRecord, c: SummedChunk): PairingFailure | null {
  const { g2 } = generators(curve);
  const { a, b, sections } = c.sums;
  if (!pairingProductIsOne([[a, rec.tauG2], [negate("G1", b), g2]])) {
    if (c.link && !pairingProductIsOne([[c.link.boundary, rec.tauG2], [negate("G1", c.link.first), g2]])) {
      return { code: "BOUNDARY_LINK_BROKEN", message: `the first τ·G1 point of chunk ${c.chunkIndex} does not follow the last one of chunk ${c.chunkIndex - 1}` };
    }
    return { code: "POWERS_INCONSISTENT", message: "consecutive τ·G1 points do not have the record's ratio τ" };
  }
  if (sections && !sectionsHold(curve, rec, b, sections)) {
    return { code: "SECTIONS_INCONSISTENT", message: "tauG2, alphaTauG1 or betaTauG1 does not match the powers of τ·G1 and the record" };
  }
  return null;
}

function sectionsHold(curve: Curve, rec: AccumulatorRecord, b: Uint8Array, s: NonNullable<ChunkSums["sections"]>): boolean {
  const { g1, g2 } = generators(curve);
  const [mu1, mu2] = [random64(), random64()];
  const lhs = combine("G1", [b, s.alpha, s.beta], [1n, mu1, mu2]);
  const rhs = combine("G1", [g1, rec.alphaG1, rec.betaG1], [1n, mu1, mu2]);
  return pairingProductIsOne([[lhs, g2], [negate("G1", rhs), s.q]]);
}

/** The first τ·G1 point of a chunk's section, for chunkFailure's link check: a copy, so as not to keep the chunk file. */
export function firstPoint(tauG1: Uint8Array): Uint8Array {
  return copyBytes(tauG1, 0, G1_SIZE);
}
