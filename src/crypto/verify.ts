/**
 * Verification of one uploaded chunk contribution: every check of PTAU-NOTES.md, returning a typed verdict with a
 * stable code. Hostile bytes never make it throw. Random scalars are drawn after the upload (verify-sums.ts).
 *
 * For a chunk holding absolute indices [a, b) with record τ·G2 (T), and E = (P_{a−1} from the same contributor's
 * previous chunk, when a > 0) ‖ tauG1[a..b):
 *  - powers: e(Σ r_i E_i, T) = e(Σ r_i E_{i+1}, G2) with fresh 64-bit r_i (links the chunk to its neighbour too);
 *  - sections: with the same coefficients c_j on index j, e(Σ c_j P_j + μ1 Σ c_j A_j + μ2 Σ c_j B_j, G2) =
 *    e(G1 + μ1 α·G1 + μ2 β·G1, Σ c_j Q_j) ties tauG2 (Q), alphaTauG1 (A), betaTauG1 (B) to the verified powers;
 *    both are checked in one pairing product (verify-pairing.ts);
 *  - G2 subgroup: E'(Fp2) is cyclic of order r·h with h = 10069 · 5864401 · 1875725156269 · (178-bit prime), so a
 *    random combination S = Σ s_j Q_j lies in G2 while some Q_j does not only if s_j hits one residue modulo the
 *    smallest prime ℓ of that Q_j's stray part: probability ≤ ⌈2^bits/ℓ⌉/2^bits. We check Σ c_j Q_j (64-bit c)
 *    and SUBGROUP_ROUNDS more combinations with 16-bit scalars: for ℓ = 10069, (1/10069)·(7/2^16)^4 < 2^-66,
 *    and less for every larger ℓ.
 * verify-contribution.ts runs the same checks on every chunk of a contribution at once.
 */
import type { Curve } from "ffjavascript";
import { decodeChunk, chunkHash, type Chunk, type ChunkFault } from "./chunk.ts";
import { copyBytes, generators } from "./encoding.ts";
import { g2InSubgroup } from "./engine.ts";
import { bytesEqual, hash, toHex } from "./hash.ts";
import { keyStructure, proofFailure, type KeyFault } from "./keys.ts";
import type { PointFault } from "./msm/engine-types.ts";
import type { CurveOps } from "./ops.ts";
import { initPairing } from "./pairing.ts";
import type { CeremonyParams } from "./params.ts";
import { recordFromChunk0, recordRatios, type AccumulatorRecord } from "./pipeline.ts";
import { firstFailingRatio } from "./ratios.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";
import { chunkFailure, chunksHold, firstPoint, zeroCombination, type SummedChunk } from "./verify-pairing.ts";
import { chunkSums, type ChunkSums, type SumsResult } from "./verify-sums.ts";

/** Chunks of at most this many τ·G1 points are summed as one worker task. */
const SINGLE_TASK_POINTS = 1024;

export type VerifyFault =
  | ChunkFault
  | PointFault
  | KeyFault
  | "WRONG_ROUND"
  | "WRONG_CONTRIBUTOR"
  | "WRONG_PARENT"
  | "MISSING_PUBLIC_KEY"
  | "PUBLIC_KEY_CHANGED"
  | "REUSED_PUBLIC_KEY"
  | "GENERATOR_MISMATCH"
  | "RECORD_INCONSISTENT"
  | "RECORD_MISMATCH"
  | "POWERS_INCONSISTENT"
  | "BOUNDARY_LINK_BROKEN"
  | "SECTIONS_INCONSISTENT"
  | "MALFORMED_CHUNK";

export interface OwnContribution {
  /** This contributor's record, established by its verified chunk 0. */
  record: AccumulatorRecord;
  publicKey: Uint8Array;
  /** The last τ·G1 point of this contributor's verified chunk k−1. */
  boundaryTauG1: Uint8Array;
}

export interface ChunkExpectation {
  params: CeremonyParams;
  chunkIndex: number;
  round: number;
  contributor: number;
  /** Hash of the chunk file this contribution must build on. */
  parentHash: Uint8Array;
  /** Chunk 0: the challenge the contributor's key is bound to, and the record it must follow. */
  challenge: Uint8Array;
  prevRecord: AccumulatorRecord;
  /** Chunks k > 0: what this contributor's earlier chunks established. */
  own?: OwnContribution;
  /** Hex hashes of every public key already accepted in this ceremony. */
  knownPublicKeys?: ReadonlySet<string>;
}

export interface Accepted {
  ok: true;
  hash: Uint8Array;
  record: AccumulatorRecord;
  publicKey: Uint8Array;
  /** Last τ·G1 point: the boundary for this contributor's next chunk. */
  lastTauG1: Uint8Array;
}
export interface Rejected {
  ok: false;
  code: VerifyFault;
  message: string;
}
export type Verdict = Accepted | Rejected;

export function reject(code: VerifyFault, message: string): Rejected {
  return { ok: false, code, message };
}

/** What a contributor's next chunk is checked against, once this chunk is accepted. */
export function ownAfter(accepted: Accepted): OwnContribution {
  return { record: accepted.record, publicKey: accepted.publicKey, boundaryTauG1: accepted.lastTauG1 };
}

export function publicKeyId(publicKey: Uint8Array): string {
  return toHex(hash(publicKey));
}

export function lastPoint(tauG1: Uint8Array): Uint8Array {
  return copyBytes(tauG1, tauG1.length - G1_SIZE);
}

export async function verifyChunk(ops: CurveOps, curve: Curve, bytes: Uint8Array, exp: ChunkExpectation): Promise<Verdict> {
  await initPairing(); // this thread's subgroup, key and pairing checks
  try {
    const upload = decodeUpload(bytes, exp);
    if (!upload.ok) return upload;
    const { chunk, publicKey, record } = upload;
    const first = exp.chunkIndex === 0;
    const boundary = first ? null : (exp.own as OwnContribution).boundaryTauG1;
    const structural = await verifyAccumulatorChunk(ops, curve, chunk, record, boundary, async () => keyChecks(curve, publicKey, record, exp));
    if (structural) return structural;
    return { ok: true, hash: chunkHash(bytes), record, publicKey: copyBytes(publicKey), lastTauG1: lastPoint(chunk.sections.tauG1) };
  } catch (err) {
    return reject("MALFORMED_CHUNK", `chunk could not be processed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export type Upload = { ok: true; chunk: Chunk; publicKey: Uint8Array; record: AccumulatorRecord } | Rejected;

/** The checks of an upload's bytes and header against what it must be: no curve arithmetic. */
export function decodeUpload(bytes: Uint8Array, exp: ChunkExpectation): Upload {
  const decoded = decodeChunk(bytes, exp.params, exp.chunkIndex);
  if (!decoded.ok) return reject(decoded.code, decoded.message);
  const chunk = decoded.chunk;
  const { header } = chunk;
  if (header.round !== exp.round) return reject("WRONG_ROUND", `expected round ${exp.round}, chunk says ${header.round}`);
  if (header.contributor !== exp.contributor) return reject("WRONG_CONTRIBUTOR", `expected contributor ${exp.contributor}, chunk says ${header.contributor}`);
  if (!bytesEqual(header.parentHash, exp.parentHash)) return reject("WRONG_PARENT", "chunk does not build on the current state of this chunk");
  const publicKey = chunk.publicKey;
  if (!publicKey) return reject("MISSING_PUBLIC_KEY", "a contribution must carry the contributor's public key");
  if (exp.chunkIndex === 0) {
    if (exp.knownPublicKeys?.has(publicKeyId(publicKey))) return reject("REUSED_PUBLIC_KEY", "this public key was already used in the ceremony");
    return { ok: true, chunk, publicKey, record: recordFromChunk0(chunk) };
  }
  if (!exp.own) throw new Error("verifyChunk: chunk k > 0 needs the contributor's verified chunk k−1");
  if (!bytesEqual(publicKey, exp.own.publicKey)) return reject("PUBLIC_KEY_CHANGED", "the public key differs from the one of this contributor's chunk 0");
  return { ok: true, chunk, publicKey, record: exp.own.record };
}

/**
 * Chunk 0's key: valid, bound to the challenge, and carrying the previous record to this one. The three proofs of
 * knowledge and the five record links are checked together (ratios.ts); the first that fails is named, proofs first.
 */
export function keyChecks(curve: Curve, publicKey: Uint8Array, record: AccumulatorRecord, exp: ChunkExpectation): Rejected | null {
  const key = keyStructure(curve, publicKey, exp.challenge);
  if (!key.ok) return reject(key.code, key.message);
  const proofs = key.proofs ?? [];
  const links = recordRatios(exp.prevRecord, record, publicKey, key.g2sp);
  const bad = firstFailingRatio([...proofs, ...links]);
  if (bad < 0) return null;
  if (bad < proofs.length) {
    const f = proofFailure(bad);
    return f.ok ? null : reject(f.code, f.message);
  }
  return reject("RECORD_INCONSISTENT", links[bad - proofs.length]?.failure ?? "the record does not follow the previous one");
}

/**
 * The checks that need no key: every point valid, G2 points in the subgroup, chunk 0 anchored on the generators
 * and the record, powers and sections consistent with the record (and linked to `boundary`, the last τ·G1
 * point of the previous chunk of the same accumulator). `chunk0Checks` runs in between for chunk 0.
 * Used for uploads and for accumulators imported from a .ptau.
 */
export async function verifyAccumulatorChunk(
  ops: CurveOps,
  curve: Curve,
  chunk: Chunk,
  record: AccumulatorRecord,
  boundary: Uint8Array | null,
  chunk0Checks?: () => Promise<Rejected | null>,
): Promise<Rejected | null> {
  await initPairing();
  if (chunk.header.chunkIndex > 0 && !boundary) throw new Error("verifyAccumulatorChunk: chunk k > 0 needs the last τ·G1 point of chunk k−1");
  const input = { sections: chunk.sections, boundary };
  // A small chunk is one task on one worker (its msms would be too short to split); a large one splits every msm
  // across the workers, so that a lone chunk is verified on every core.
  const small = chunk.sections.tauG1.length <= SINGLE_TASK_POINTS * G1_SIZE;
  const result = await (small && ops.chunkSums ? ops.chunkSums(input) : chunkSums(ops, input));
  const summed = summedOrRejected(chunk, result, boundary);
  if (!summed.ok) return summed;
  const stray = strayFromSubgroup(summed.chunk.sums);
  if (stray) return stray;
  if (chunk.header.chunkIndex === 0) {
    const anchors = chunk0Anchors(curve, chunk, record);
    if (anchors) return anchors;
    const early = await chunk0Checks?.();
    if (early) return early;
  }
  return pairingVerdict(curve, record, [summed.chunk]);
}

/** The point fault of chunkSums as a rejection, or the chunk's combinations ready for the pairing checks. */
export function summedOrRejected(chunk: Chunk, result: SumsResult, boundary: Uint8Array | null): { ok: true; chunk: SummedChunk } | Rejected {
  if (!result.ok) return reject(result.fault, `${result.section} point ${chunk.layout[result.section].start + result.index}: ${describe(result.fault)}`);
  const link = boundary ? { boundary, first: firstPoint(chunk.sections.tauG1) } : null;
  return { ok: true, chunk: { chunkIndex: chunk.header.chunkIndex, sums: result.sums, link } };
}

/** The G2 subgroup check on the combinations of tauG2 (see the top of this file). */
export function strayFromSubgroup(sums: ChunkSums): Rejected | null {
  const s = sums.sections;
  if (!s) return null;
  for (const p of [...s.subgroup, s.q]) if (!g2InSubgroup(p)) return reject("G2_NOT_IN_SUBGROUP", "a tauG2 point is outside the G2 subgroup");
  return null;
}

/** Chunk 0 starts with the generators, its betaG2 is in the subgroup, and its first points are the record's. */
export function chunk0Anchors(curve: Curve, chunk: Chunk, record: AccumulatorRecord): Rejected | null {
  const { sections } = chunk;
  const gens = generators(curve);
  if (!bytesEqual(sections.tauG1.subarray(0, G1_SIZE), gens.g1) || !bytesEqual(sections.tauG2.subarray(0, G2_SIZE), gens.g2)) {
    return reject("GENERATOR_MISMATCH", "chunk 0 must start with the generators of G1 and G2");
  }
  if (!g2InSubgroup(sections.betaG2)) return reject("G2_NOT_IN_SUBGROUP", "betaG2 is outside the G2 subgroup");
  const own = recordFromChunk0(chunk);
  for (const name of ["tauG1", "tauG2", "alphaG1", "betaG1", "betaG2"] as const) {
    if (!bytesEqual(own[name], record[name])) return reject("RECORD_MISMATCH", `chunk 0's ${name} differs from the record`);
  }
  return null;
}

/**
 * The pairing checks of the given chunks, all at once; when they fail, the first chunk (in the given order) whose
 * own checks fail, with its index when there are several.
 */
export function pairingVerdict(curve: Curve, record: AccumulatorRecord, chunks: readonly SummedChunk[]): (Rejected & { chunkIndex?: number }) | null {
  const named = (c: SummedChunk, f: { code: VerifyFault; message: string }): Rejected & { chunkIndex?: number } =>
    chunks.length > 1 ? { ...reject(f.code, f.message), chunkIndex: c.chunkIndex } : reject(f.code, f.message);
  for (const c of chunks) {
    const zero = zeroCombination(c);
    if (zero) return named(c, zero);
  }
  if (chunksHold(curve, record, chunks)) return null;
  for (const c of chunks) {
    const f = chunkFailure(curve, record, c);
    if (f) return named(c, f);
  }
  // The joint product failed while every chunk's own checks hold: only when λ hit one value mod r (never in
  // practice); refusing is the safe side.
  const last = chunks[chunks.length - 1];
  const f = { code: "POWERS_INCONSISTENT" as const, message: "the joint pairing check failed" };
  return last ? named(last, f) : reject(f.code, f.message);
}

function describe(fault: PointFault): string {
  switch (fault) {
    case "POINT_AT_INFINITY":
      return "the point at infinity is not allowed";
    case "POINT_NOT_CANONICAL":
      return "a coordinate is not reduced modulo q";
    case "POINT_NOT_ON_CURVE":
      return "the point is not on the curve";
    default: {
      const never: never = fault;
      return never;
    }
  }
}

