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
 * which holds for a false pair of checks only if λ hits one value modulo r. When it fails, each chunk is checked on
 * its own (chunkFailure), as verification one chunk at a time would, to name the chunk and the reason.
 */
import type { Curve } from "ffjavascript";
import { generators, negate } from "./encoding.ts";
import { toHex } from "./hash.ts";
import { pairingProductIsOne } from "./mcl.ts";
import { encodePoint } from "./ops.ts";
import type { AccumulatorRecord } from "./pipeline.ts";
import { G1_SIZE } from "./sizes.ts";
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

type G1Elem = Uint8Array;

/** Every check of the given chunks in one pairing product (see the top of this file). */
export function chunksHold(curve: Curve, rec: AccumulatorRecord, chunks: readonly SummedChunk[]): boolean {
  const G1 = curve.G1;
  const at = (p: Uint8Array): G1Elem => G1.fromRprLEM(p, 0);
  const add = (acc: G1Elem, p: Uint8Array): G1Elem => G1.add(acc, at(p));
  let A = G1.zero;
  let B = G1.zero;
  let low = G1.zero;
  let alpha = G1.zero;
  let beta = G1.zero;
  const qs: Uint8Array[] = [];
  for (const { sums } of chunks) {
    A = add(A, sums.a);
    B = add(B, sums.b);
    if (!sums.sections) continue;
    low = add(low, sums.b);
    alpha = add(alpha, sums.sections.alpha);
    beta = add(beta, sums.sections.beta);
    qs.push(sums.sections.q);
  }
  const { g2 } = generators(curve);
  const pairs: Array<[Uint8Array, Uint8Array]> = [[encodePoint(curve, "G1", A), rec.tauG2]];
  if (qs.length === 0) {
    pairs.push([negate("G1", encodePoint(curve, "G1", B)), g2]);
    return pairingProductIsOne(pairs);
  }
  const [mu1, mu2, lambda] = [random64(), random64(), random64()];
  const lhs = G1.add(G1.add(low, G1.timesScalar(alpha, mu1)), G1.timesScalar(beta, mu2));
  const rhs = G1.add(G1.add(G1.g, G1.timesScalar(at(rec.alphaG1), mu1)), G1.timesScalar(at(rec.betaG1), mu2));
  const x = G1.add(G1.timesScalar(lhs, lambda), G1.neg(B));
  const y = G1.neg(G1.timesScalar(rhs, lambda));
  pairs.push([encodePoint(curve, "G1", x), g2], [encodePoint(curve, "G1", y), sumG2(curve, qs)]);
  return pairingProductIsOne(pairs);
}

/** The sum of .ptau-encoded G2 points, encoded. */
export function sumG2(curve: Curve, points: readonly Uint8Array[]): Uint8Array {
  let acc = curve.G2.zero;
  for (const p of points) acc = curve.G2.add(acc, curve.G2.fromRprLEM(p, 0));
  return encodePoint(curve, "G2", acc);
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
  const G1 = curve.G1;
  const at = (p: Uint8Array): G1Elem => G1.fromRprLEM(p, 0);
  const [mu1, mu2] = [random64(), random64()];
  const lhs = G1.add(G1.add(at(b), G1.timesScalar(at(s.alpha), mu1)), G1.timesScalar(at(s.beta), mu2));
  const rhs = G1.add(G1.add(G1.g, G1.timesScalar(at(rec.alphaG1), mu1)), G1.timesScalar(at(rec.betaG1), mu2));
  return pairingProductIsOne([[encodePoint(curve, "G1", lhs), generators(curve).g2], [negate("G1", encodePoint(curve, "G1", rhs)), s.q]]);
}

/** The first τ·G1 point of a chunk's section, for chunkFailure's link check. */
export function firstPoint(tauG1: Uint8Array): Uint8Array {
  return tauG1.subarray(0, G1_SIZE);
}
