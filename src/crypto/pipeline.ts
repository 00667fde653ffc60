/**
 * Records and the challenge-hash chain of a pipelined round.
 *
 * Each contributor j of a round holds one key, bound by its proofs of knowledge to a challenge c_j:
 * - c_1 of round 1 is snarkjs's first challenge hash (or the last nextChallenge of an imported .ptau);
 * - its response hash is R_j = H(c_j ‖ U(pubKey_j)), i.e. the record's partialHash is the hasher state after c_j;
 * - inside a round, c_{j+1} = H(TAG ‖ R_j ‖ H(chunk 0 of j)): contributor j+1 may start as soon as j's chunk 0
 *   is verified, and its key is bound to j's key and to j's first chunk, which carries j's record;
 * - the last contributor of a round (and the beacon) gets nextChallenge = H(R_j ‖ U(whole accumulator)), exactly
 *   as snarkjs computes it, once the round is aggregated; that value is the next round's c_1.
 * Why this is sound: a proof of knowledge must be bound to a value the contributor could not have known before
 * the previous contribution existed, unique to its position, so that keys cannot be copied or precomputed.
 * c_{j+1} depends on everything j published first (its key and its verified chunk 0) and chains back to the
 * first challenge, so it has both properties. The other chunks need no hash binding: each is verified against
 * j's record (ratio checks against τ_j·G2, links to the neighbouring chunk), and the record against j−1's record
 * through j's key (snarkjs's same-ratio checks). snarkjs verify never recomputes intermediate nextChallenge
 * values, and the last record of a round or the beacon hashes the real data, so every aggregate verifies.
 */
import type { Curve } from "ffjavascript";
import type { Chunk } from "./chunk.ts";
import { copyBytes, generators } from "./encoding.ts";
import { hash, partialHashOfPrefix } from "./hash.ts";
import { keyElement, publicKeyUncompressed, type KeyPart } from "./keys.ts";
import { sameRatioHolds, type SameRatio } from "./ratios.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";

const PIPELINE_TAG = new TextEncoder().encode("ceremony/pipeline-challenge/v1");

/** The points a contribution record carries: the accumulator's τ·G1, τ·G2, α·G1, β·G1, β·G2 after it. */
export interface AccumulatorRecord {
  tauG1: Uint8Array;
  tauG2: Uint8Array;
  alphaG1: Uint8Array;
  betaG1: Uint8Array;
  betaG2: Uint8Array;
}

export function genesisRecord(curve: Curve): AccumulatorRecord {
  const { g1, g2 } = generators(curve);
  return { tauG1: g1, tauG2: g2, alphaG1: g1, betaG1: g1, betaG2: g2 };
}

/** The record of the accumulator whose chunk 0 this is. */
export function recordFromChunk0(chunk: Chunk): AccumulatorRecord {
  const s = chunk.sections;
  return {
    tauG1: copyBytes(s.tauG1, G1_SIZE, 2 * G1_SIZE),
    tauG2: copyBytes(s.tauG2, G2_SIZE, 2 * G2_SIZE),
    alphaG1: copyBytes(s.alphaTauG1, 0, G1_SIZE),
    betaG1: copyBytes(s.betaTauG1, 0, G1_SIZE),
    betaG2: copyBytes(s.betaG2, 0, G2_SIZE),
  };
}

/** R_j = H(c_j ‖ U(pubKey_j)). */
export function responseHash(curve: Curve, challenge: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return hash(challenge, publicKeyUncompressed(curve, publicKey));
}

/** The record's partialHash: the hasher state after c_j, so that snarkjs derives R_j from it and the key. */
export function recordPartialHash(challenge: Uint8Array): Uint8Array {
  return partialHashOfPrefix(challenge);
}

/** c_{j+1} inside a round. */
export function pipelineChallenge(response: Uint8Array, chunk0Hash: Uint8Array): Uint8Array {
  return hash(PIPELINE_TAG, response, chunk0Hash);
}

/** snarkjs's checks that a record follows the previous one through the key (g2sp from verifyPublicKey), in order. */
export function recordRatios(prev: AccumulatorRecord, cur: AccumulatorRecord, publicKey: Uint8Array, g2sp: Record<KeyPart, Uint8Array>): Array<SameRatio & { failure: string }> {
  const k = (part: KeyPart, name: "g1_s" | "g1_sx" | "g2_spx"): Uint8Array => keyElement(publicKey, part, name);
  return [
    { a1: prev.tauG1, b1: cur.tauG1, a2: g2sp.tau, b2: k("tau", "g2_spx"), failure: "τ·G1 does not follow the previous record" },
    { a1: k("tau", "g1_s"), b1: k("tau", "g1_sx"), a2: prev.tauG2, b2: cur.tauG2, failure: "τ·G2 does not follow the previous record" },
    { a1: prev.alphaG1, b1: cur.alphaG1, a2: g2sp.alpha, b2: k("alpha", "g2_spx"), failure: "α·G1 does not follow the previous record" },
    { a1: prev.betaG1, b1: cur.betaG1, a2: g2sp.beta, b2: k("beta", "g2_spx"), failure: "β·G1 does not follow the previous record" },
    { a1: k("beta", "g1_s"), b1: k("beta", "g1_sx"), a2: prev.betaG2, b2: cur.betaG2, failure: "β·G2 does not follow the previous record" },
  ];
}

/** The first of recordRatios that fails, one check at a time; null when the record follows. */
export function recordFollows(prev: AccumulatorRecord, cur: AccumulatorRecord, publicKey: Uint8Array, g2sp: Record<KeyPart, Uint8Array>): string | null {
  return recordRatios(prev, cur, publicKey, g2sp).find((c) => !sameRatioHolds(c))?.failure ?? null;
}

export const RECORD_POINT_SIZES = { tauG1: G1_SIZE, tauG2: G2_SIZE, alphaG1: G1_SIZE, betaG1: G1_SIZE, betaG2: G2_SIZE } as const;
