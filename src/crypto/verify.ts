/**
 * Verification of one uploaded chunk contribution: every check of PTAU-NOTES.md, returning a typed verdict with a
 * stable code. Hostile bytes never make it throw. Random scalars are drawn here, after the upload.
 *
 * For a chunk holding absolute indices [a, b) with record τ·G2 (T), and E = (P_{a−1} from the same contributor's
 * previous chunk, when a > 0) ‖ tauG1[a..b):
 *  - powers: e(Σ r_i E_i, T) = e(Σ r_i E_{i+1}, G2) with fresh 64-bit r_i (links the chunk to its neighbour too);
 *  - sections: with the same coefficients c_j on index j, e(Σ c_j P_j + μ1 Σ c_j A_j + μ2 Σ c_j B_j, G2) =
 *    e(G1 + μ1 α·G1 + μ2 β·G1, Σ c_j Q_j) ties tauG2 (Q), alphaTauG1 (A), betaTauG1 (B) to the verified powers;
 *  - G2 subgroup: E'(Fp2) is cyclic of order r·h with h = 10069 · 5864401 · 1875725156269 · (178-bit prime), so a
 *    random combination S = Σ s_j Q_j lies in G2 while some Q_j does not only if s_j hits one residue modulo the
 *    smallest prime ℓ of that Q_j's stray part: probability ≤ ⌈2^bits/ℓ⌉/2^bits. We check Σ c_j Q_j (64-bit c)
 *    and SUBGROUP_ROUNDS more combinations with 16-bit scalars: for ℓ = 10069, (1/10069)·(7/2^16)^4 < 2^-66,
 *    and less for every larger ℓ.
 */
import type { Curve } from "ffjavascript";
import { randomBytes } from "node:crypto";
import { decodeChunk, chunkHash, type Chunk, type ChunkFault } from "./chunk.ts";
import { generators, negate } from "./encoding.ts";
import { bytesEqual, hash, toHex } from "./hash.ts";
import { verifyPublicKey, type KeyFault } from "./keys.ts";
import { g2InSubgroup, initEngine } from "./engine.ts";
import { pairingProductIsOne } from "./mcl.ts";
import type { PointFault } from "./msm/engine-types.ts";
import { encodePoint, type CurveOps } from "./ops.ts";
import { SECTIONS, SECTION_GROUP, type CeremonyParams } from "./params.ts";
import { recordFollows, recordFromChunk0, type AccumulatorRecord } from "./pipeline.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";

/** 64-bit scalars for the ratio checks. */
const RATIO_SCALAR_BYTES = 8;
/** Extra G2 subgroup combinations beyond Σ c_j Q_j, with 16-bit scalars. */
const SUBGROUP_ROUNDS = 4;
const SUBGROUP_SCALAR_BYTES = 2;

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

function reject(code: VerifyFault, message: string): Rejected {
  return { ok: false, code, message };
}

/** What a contributor's next chunk is checked against, once this chunk is accepted. */
export function ownAfter(accepted: Accepted): OwnContribution {
  return { record: accepted.record, publicKey: accepted.publicKey, boundaryTauG1: accepted.lastTauG1 };
}

export function publicKeyId(publicKey: Uint8Array): string {
  return toHex(hash(publicKey));
}

export async function verifyChunk(ops: CurveOps, curve: Curve, bytes: Uint8Array, exp: ChunkExpectation): Promise<Verdict> {
  await initEngine(); // this thread's subgroup and key checks
  try {
    return await verifyChunkUnsafe(ops, curve, bytes, exp);
  } catch (err) {
    return reject("MALFORMED_CHUNK", `chunk could not be processed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function verifyChunkUnsafe(ops: CurveOps, curve: Curve, bytes: Uint8Array, exp: ChunkExpectation): Promise<Verdict> {
  const decoded = decodeChunk(bytes, exp.params, exp.chunkIndex);
  if (!decoded.ok) return reject(decoded.code, decoded.message);
  const chunk = decoded.chunk;
  const { header, sections } = chunk;
  if (header.round !== exp.round) return reject("WRONG_ROUND", `expected round ${exp.round}, chunk says ${header.round}`);
  if (header.contributor !== exp.contributor) return reject("WRONG_CONTRIBUTOR", `expected contributor ${exp.contributor}, chunk says ${header.contributor}`);
  if (!bytesEqual(header.parentHash, exp.parentHash)) return reject("WRONG_PARENT", "chunk does not build on the current state of this chunk");
  const publicKey = chunk.publicKey;
  if (!publicKey) return reject("MISSING_PUBLIC_KEY", "a contribution must carry the contributor's public key");
  const first = exp.chunkIndex === 0;
  if (!first) {
    if (!exp.own) throw new Error("verifyChunk: chunk k > 0 needs the contributor's verified chunk k−1");
    if (!bytesEqual(publicKey, exp.own.publicKey)) return reject("PUBLIC_KEY_CHANGED", "the public key differs from the one of this contributor's chunk 0");
  }

  let record: AccumulatorRecord;
  if (first) {
    if (exp.knownPublicKeys?.has(publicKeyId(publicKey))) return reject("REUSED_PUBLIC_KEY", "this public key was already used in the ceremony");
    record = recordFromChunk0(chunk);
  } else {
    record = (exp.own as OwnContribution).record;
  }
  const structural = await verifyAccumulatorChunk(ops, curve, chunk, record, first ? null : (exp.own as OwnContribution).boundaryTauG1, async () => {
    // Runs after the point checks, before the ratio checks: the key and the record link of chunk 0.
    const key = verifyPublicKey(curve, publicKey, exp.challenge);
    if (!key.ok) return reject(key.code, key.message);
    const broken = recordFollows(exp.prevRecord, record, publicKey, key.g2sp);
    return broken ? reject("RECORD_INCONSISTENT", broken) : null;
  });
  if (structural) return structural;
  const tauG1 = sections.tauG1;
  return {
    ok: true,
    hash: chunkHash(bytes),
    record,
    publicKey: publicKey.slice(),
    lastTauG1: tauG1.slice(tauG1.length - G1_SIZE),
  };
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
  const { sections } = chunk;
  for (const s of SECTIONS) {
    if (sections[s].length === 0) continue;
    const check = await ops.checkPoints(SECTION_GROUP[s], sections[s]);
    if (!check.ok) return reject(check.fault, `${s} point ${chunk.layout[s].start + check.index}: ${describe(check.fault)}`);
  }
  const subgroup = await g2SubgroupRounds(ops, sections.tauG2);
  if (subgroup) return subgroup;
  if (chunk.header.chunkIndex === 0) {
    const gens = generators(curve);
    if (!bytesEqual(sections.tauG1.subarray(0, G1_SIZE), gens.g1) || !bytesEqual(sections.tauG2.subarray(0, G2_SIZE), gens.g2)) {
      return reject("GENERATOR_MISMATCH", "chunk 0 must start with the generators of G1 and G2");
    }
    if (!g2InSubgroup(sections.betaG2)) return reject("G2_NOT_IN_SUBGROUP", "betaG2 is outside the G2 subgroup");
    const own = recordFromChunk0(chunk);
    for (const name of ["tauG1", "tauG2", "alphaG1", "betaG1", "betaG2"] as const) {
      if (!bytesEqual(own[name], record[name])) return reject("RECORD_MISMATCH", `chunk 0's ${name} differs from the record`);
    }
    const early = await chunk0Checks?.();
    if (early) return early;
  } else if (!boundary) {
    throw new Error("verifyAccumulatorChunk: chunk k > 0 needs the last τ·G1 point of chunk k−1");
  }
  const powers = await checkPowers(ops, curve, chunk, record, boundary);
  return powers ? powers.rejected : null;
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

function randomScalars(n: number, bytes: number): Uint8Array {
  return new Uint8Array(randomBytes(n * bytes));
}

async function g2SubgroupRounds(ops: CurveOps, points: Uint8Array): Promise<Rejected | null> {
  if (points.length === 0) return null;
  const n = points.length / G2_SIZE;
  const sums = await Promise.all(
    Array.from({ length: SUBGROUP_ROUNDS }, () => ops.msm("G2", points, randomScalars(n, SUBGROUP_SCALAR_BYTES), SUBGROUP_SCALAR_BYTES)),
  );
  for (const s of sums) if (!g2InSubgroup(s)) return reject("G2_NOT_IN_SUBGROUP", "a tauG2 point is outside the G2 subgroup");
  return null;
}

const isZero = (p: Uint8Array): boolean => p.every((b) => b === 0);

/** The powers and sections checks described at the top of this file; null when they hold. */
async function checkPowers(ops: CurveOps, curve: Curve, chunk: Chunk, rec: AccumulatorRecord, boundary: Uint8Array | null): Promise<{ rejected: Rejected } | null> {
  const { sections } = chunk;
  const gens = generators(curve);
  const e = boundary ? concat(boundary, sections.tauG1) : sections.tauG1;
  const m = e.length / G1_SIZE;
  const r = randomScalars(m - 1, RATIO_SCALAR_BYTES);
  // Index j of the chunk carries coefficient c_j = r_{j−a} when a boundary point leads E, else r_{j−1} (j ≥ 1).
  const skip = boundary ? 0 : 1;
  const low = sections.tauG2.length > 0;
  const tail = (s: Uint8Array, size: number): Uint8Array => s.subarray(skip * size);
  const [r1, r2, qr, ar, br] = await Promise.all([
    ops.msm("G1", e.subarray(0, (m - 1) * G1_SIZE), r, RATIO_SCALAR_BYTES),
    ops.msm("G1", e.subarray(G1_SIZE), r, RATIO_SCALAR_BYTES),
    low ? ops.msm("G2", tail(sections.tauG2, G2_SIZE), r, RATIO_SCALAR_BYTES) : null,
    low ? ops.msm("G1", tail(sections.alphaTauG1, G1_SIZE), r, RATIO_SCALAR_BYTES) : null,
    low ? ops.msm("G1", tail(sections.betaTauG1, G1_SIZE), r, RATIO_SCALAR_BYTES) : null,
  ]);
  if (isZero(r1) || isZero(r2)) return { rejected: reject("POWERS_INCONSISTENT", "a random combination of τ·G1 points is zero") };
  if (!pairingProductIsOne([[r1, rec.tauG2], [negate("G1", r2), gens.g2]])) {
    if (boundary && !pairingProductIsOne([[boundary, rec.tauG2], [negate("G1", sections.tauG1.subarray(0, G1_SIZE)), gens.g2]])) {
      return { rejected: reject("BOUNDARY_LINK_BROKEN", `the first τ·G1 point of chunk ${chunk.header.chunkIndex} does not follow the last one of chunk ${chunk.header.chunkIndex - 1}`) };
    }
    return { rejected: reject("POWERS_INCONSISTENT", "consecutive τ·G1 points do not have the record's ratio τ") };
  }
  if (qr && ar && br) {
    if (isZero(qr)) return { rejected: reject("SECTIONS_INCONSISTENT", "a random combination of τ·G2 points is zero") };
    if (!g2InSubgroup(qr)) return { rejected: reject("G2_NOT_IN_SUBGROUP", "a tauG2 point is outside the G2 subgroup") };
    const mu1 = BigInt(`0x${toHex(randomScalars(1, RATIO_SCALAR_BYTES))}`);
    const mu2 = BigInt(`0x${toHex(randomScalars(1, RATIO_SCALAR_BYTES))}`);
    const G1 = curve.G1;
    const at = (p: Uint8Array): Uint8Array => G1.fromRprLEM(p, 0);
    const lhs = G1.add(G1.add(at(r2), G1.timesScalar(at(ar), mu1)), G1.timesScalar(at(br), mu2));
    const rhs = G1.add(G1.add(G1.g, G1.timesScalar(at(rec.alphaG1), mu1)), G1.timesScalar(at(rec.betaG1), mu2));
    if (!pairingProductIsOne([[encodePoint(curve, "G1", lhs), gens.g2], [negate("G1", encodePoint(curve, "G1", rhs)), qr]])) {
      return { rejected: reject("SECTIONS_INCONSISTENT", "tauG2, alphaTauG1 or betaTauG1 does not match the powers of τ·G1 and the record") };
    }
  }
  return null;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Verifies every chunk of one contribution, up to `concurrency` chunks at a time. Chunk k > 0 is checked against
 * the record of the verified chunk 0 and the boundary point of the uploaded chunk k−1, so chunks need not wait
 * for each other; the contribution stands only if every verdict is ok, which is what the result says.
 */
export async function verifyContribution(
  ops: CurveOps,
  curve: Curve,
  uploads: Uint8Array[],
  parentHashes: Uint8Array[],
  exp: Omit<ChunkExpectation, "chunkIndex" | "parentHash" | "own">,
  concurrency = Math.max(2, ops.parallelism),
): Promise<{ ok: true; verdicts: Accepted[] } | (Rejected & { chunkIndex: number })> {
  const at = (k: number): ChunkExpectation => ({ ...exp, chunkIndex: k, parentHash: parentHashes[k] ?? new Uint8Array(0) });
  const first = await verifyChunk(ops, curve, uploads[0] ?? new Uint8Array(0), at(0));
  if (!first.ok) return { ...first, chunkIndex: 0 };
  const verdicts: Verdict[] = [first];
  let next = 1;
  const worker = async (): Promise<void> => {
    for (let k = next++; k < uploads.length; k = next++) {
      const previous = decodeChunk(uploads[k - 1] as Uint8Array, exp.params, k - 1);
      if (!previous.ok) {
        verdicts[k] = reject(previous.code, `chunk ${k - 1}: ${previous.message}`);
        continue;
      }
      const tau = previous.chunk.sections.tauG1;
      const own = { record: first.record, publicKey: first.publicKey, boundaryTauG1: tau.slice(tau.length - G1_SIZE) };
      verdicts[k] = await verifyChunk(ops, curve, uploads[k] as Uint8Array, { ...at(k), own });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  for (let k = 0; k < verdicts.length; k++) {
    const v = verdicts[k];
    if (v && !v.ok) return { ...v, chunkIndex: k };
  }
  return { ok: true, verdicts: verdicts as Accepted[] };
}
