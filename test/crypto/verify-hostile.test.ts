/**
 * verifyChunk against hostile uploads. An honest contributor's chunks are accepted first; then every test builds
 * one specific forgery (a real construction, so that only the check it targets stands between it and acceptance,
 * unless a comment says otherwise) and asserts the exact fault code. verifyChunk must never throw.
 */
import { randomBytes } from "node:crypto";
import { ChaCha, type Curve, type Elem } from "ffjavascript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chunkHash, decodeChunk, encodeChunk, HEADER_SIZE, type Chunk, type ChunkSections } from "../../src/crypto/chunk.ts";
import { contributeChunk } from "../../src/crypto/contribute.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { firstChallengeHash, initialChunk } from "../../src/crypto/initial.ts";
import { createContributorKey, keyFromSecrets, keyOffsets, type KeyPair, type KeyPart } from "../../src/crypto/keys.ts";
import { checkPoints, g2InSubgroup } from "../../src/crypto/engine.ts";
import { encodePoint, FR_ORDER, LocalOps, modPow } from "../../src/crypto/ops.ts";
import { chunkLayout, numChunks, SECTIONS, SECTION_GROUP, type CeremonyParams, type SectionName } from "../../src/crypto/params.ts";
import { genesisRecord } from "../../src/crypto/pipeline.ts";
import { G1_SIZE, G2_SIZE, N8, PUBKEY_SIZE } from "../../src/crypto/sizes.ts";
import { publicKeyId, verifyChunk, type Accepted, type ChunkExpectation, type Verdict, type VerifyFault } from "../../src/crypto/verify.ts";

/** BN254 base-field modulus. */
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

// power 4, chunk size 8: tauG1 has 31 points in 4 chunks; chunks 0 and 1 also hold tauG2/alphaTauG1/betaTauG1
// (16 points each), chunks 2 and 3 hold only tauG1 (chunk 3 has 7 points), chunk 0 also holds betaG2.
const params: CeremonyParams = { ceremonyId: "ab".repeat(32), power: 4, chunkSize: 8 };
const K = numChunks(params);

/** Members of ffjavascript's F2 and G2 that src/types/ffjavascript.d.ts does not declare (yet). */
interface SqrtField {
  isSquare(a: Elem): boolean;
  sqrt(a: Elem): Elem;
}
interface TwistCoefficient {
  /** b' of y² = x³ + b' in F2, ffjavascript's internal (Montgomery) form. */
  b: Elem;
}

let curve: Curve;
let ops: LocalOps;
let challenge: Uint8Array;
let key: KeyPair;
/** Round-0 chunk files (the parents of round 1). */
const initial: Uint8Array[] = [];
/** The honest contributor's round-1 chunk files and their verdicts. */
const honest: Uint8Array[] = [];
const verdicts: Verdict[] = [];

// --- helpers --------------------------------------------------------------------------------------------------

function randomChaCha(): ChaCha {
  const b = randomBytes(32);
  return new ChaCha(Array.from({ length: 8 }, (_, i) => b.readUInt32BE(4 * i)));
}

function readLE(b: Uint8Array, off: number): bigint {
  let v = 0n;
  for (let i = N8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}
function writeLE(b: Uint8Array, off: number, v: bigint): void {
  if (v < 0n || v >> 256n !== 0n) throw new RangeError("value does not fit in 32 bytes");
  let x = v;
  for (let i = 0; i < N8; i++) {
    b[off + i] = Number(x & 0xffn);
    x >>= 8n;
  }
}

function accepted(k: number): Accepted {
  const v = verdicts[k];
  if (!v?.ok) throw new Error(`honest chunk ${k} was not accepted: ${v ? `${v.code}: ${v.message}` : "missing"}`);
  return v;
}

/** What the coordinator expects of the honest contributor (position 0, round 1) for chunk k. */
function expectation(k: number, over: Partial<ChunkExpectation> = {}): ChunkExpectation {
  const parent = initial[k];
  if (!parent) throw new Error(`no initial chunk ${k}`);
  const base: ChunkExpectation = {
    params,
    chunkIndex: k,
    round: 1,
    contributor: 0,
    parentHash: chunkHash(parent),
    challenge,
    prevRecord: genesisRecord(curve),
  };
  if (k > 0) {
    const v0 = accepted(0);
    base.own = { record: v0.record, publicKey: v0.publicKey, boundaryTauG1: accepted(k - 1).lastTauG1 };
  }
  return { ...base, ...over };
}

function file(list: Uint8Array[], k: number): Uint8Array {
  const f = list[k];
  if (!f) throw new Error(`no chunk ${k}`);
  return f;
}

function decoded(bytes: Uint8Array, k: number): Chunk {
  const d = decodeChunk(bytes, params, k);
  if (!d.ok) throw new Error(`test chunk ${k} does not decode: ${d.code}`);
  return d.chunk;
}

/** A copy of a chunk file, edited in place through its decoded sections (which are views into the copy). */
function mutate(bytes: Uint8Array, k: number, edit: (chunk: Chunk, bytes: Uint8Array) => void): Uint8Array {
  const copy = bytes.slice();
  edit(decoded(copy, k), copy);
  return copy;
}

/** The same chunk file with its public key bytes replaced. */
function withPublicKey(bytes: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  copy.set(publicKey, HEADER_SIZE);
  return copy;
}

/** Re-encodes a chunk with new sections, keeping its header and public key. */
function reencode(chunk: Chunk, sections: ChunkSections): Uint8Array {
  return encodeChunk(chunk.header, chunk.publicKey, sections);
}

/** Every section of a chunk multiplied per point by first[s]·inc^i (empty sections stay empty). */
async function applyToSections(chunk: Chunk, first: Record<SectionName, bigint>, inc: bigint): Promise<ChunkSections> {
  const out = {} as ChunkSections;
  for (const s of SECTIONS) {
    const pts = chunk.sections[s];
    out[s] = pts.length === 0 ? new Uint8Array(0) : await ops.applyKey(SECTION_GROUP[s], pts, first[s], inc);
  }
  return out;
}

async function expectRejected(bytes: Uint8Array, exp: ChunkExpectation, code: VerifyFault): Promise<void> {
  const v = await verifyChunk(ops, curve, bytes, exp);
  expect(v.ok ? "accepted" : v.code, v.ok ? "accepted" : v.message).toBe(code);
}

/** snarkjs's key construction (keys.ts createKey) with chosen secrets: a consistent public key with valid proofs. */
function keyWithSecrets(secrets: Record<KeyPart, Elem>, forChallenge: Uint8Array): KeyPair {
  return keyFromSecrets(curve, forChallenge, secrets, randomChaCha());
}

/**
 * A point of the twist E'(Fp2): y² = x³ + b' but, the cofactor not being cleared, outside the order-r subgroup
 * (with probability 1 − 1/h). Returned in .ptau encoding.
 */
function twistPointOutsideSubgroup(): Uint8Array {
  const F2 = curve.G2.F;
  const sq = F2 as unknown as SqrtField;
  const b = (curve.G2 as unknown as TwistCoefficient).b;
  const rng = randomChaCha();
  for (;;) {
    const x = F2.fromRng(rng);
    const rhs = F2.add(F2.mul(F2.mul(x, x), x), b);
    if (!sq.isSquare(rhs)) continue;
    const y = sq.sqrt(rhs);
    const affine = new Uint8Array(2 * F2.n8);
    affine.set(x, 0);
    affine.set(y, F2.n8);
    const out = new Uint8Array(G2_SIZE);
    curve.G2.toRprLEM(out, 0, curve.G2.toAffine(affine));
    return out;
  }
}

/** BN254's G2 cofactor h = 2q − r = 10069 · 5864401 · 1875725156269 · (178-bit prime). */
const G2_COFACTOR = 2n * Q - 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const SMALLEST_COFACTOR_PRIME = 10069n;

/**
 * A twist point of order exactly 10069, the smallest prime of the cofactor: the hardest stray component for a
 * random-combination subgroup check (a combination misses it when its scalar is ≡ 0 mod 10069).
 */
function smallOrderTwistPoint(): Uint8Array {
  for (;;) {
    const p = curve.G2.fromRprLEM(twistPointOutsideSubgroup(), 0);
    const t = curve.G2.timesScalar(p, (curve.r * G2_COFACTOR) / SMALLEST_COFACTOR_PRIME);
    if (!curve.G2.isZero(t)) return encodePoint(curve, "G2", t);
  }
}

/** a + b for .ptau-encoded G2 points. */
function addG2(a: Uint8Array, b: Uint8Array): Uint8Array {
  return encodePoint(curve, "G2", curve.G2.add(curve.G2.fromRprLEM(a, 0), curve.G2.fromRprLEM(b, 0)));
}

function tauOf(k: KeyPair): bigint {
  return curve.Fr.toObject(k.secrets.tau);
}
function factors(k: KeyPair, tauFirst: bigint): Record<SectionName, bigint> {
  const alpha = curve.Fr.toObject(k.secrets.alpha);
  const beta = curve.Fr.toObject(k.secrets.beta);
  return { tauG1: tauFirst, tauG2: tauFirst, alphaTauG1: (alpha * tauFirst) % FR_ORDER, betaTauG1: (beta * tauFirst) % FR_ORDER, betaG2: beta };
}

// --- setup ----------------------------------------------------------------------------------------------------

beforeAll(async () => {
  curve = await getCurve();
  ops = await LocalOps.create();
  challenge = firstChallengeHash(curve, params.power);
  key = createContributorKey(curve, challenge);
  for (let k = 0; k < K; k++) initial.push(initialChunk(curve, params, k));
  for (let k = 0; k < K; k++) {
    honest.push(await contributeChunk(ops, curve, file(initial, k), { params, chunkIndex: k, round: 1, contributor: 0 }, key));
    verdicts.push(await verifyChunk(ops, curve, file(honest, k), expectation(k)));
  }
});

afterAll(async () => {
  await ops?.close();
  await closeCurve();
});

// --- tests ----------------------------------------------------------------------------------------------------

describe("verifyChunk: honest contributor", () => {
  it("accepts every chunk 0..K−1 of an honest contribution", () => {
    expect(K).toBe(4);
    for (let k = 0; k < K; k++) {
      const v = verdicts[k];
      expect(v?.ok, v && !v.ok ? `chunk ${k}: ${v.code}: ${v.message}` : `chunk ${k}`).toBe(true);
    }
  });

  it("accepts a chunk 0 made with a key built by the test's own key constructor (the τ = 1 case differs only in τ)", async () => {
    const k2 = keyWithSecrets({ tau: curve.Fr.fromRng(randomChaCha()), alpha: curve.Fr.fromRng(randomChaCha()), beta: curve.Fr.fromRng(randomChaCha()) }, challenge);
    const c0 = await contributeChunk(ops, curve, file(initial, 0), { params, chunkIndex: 0, round: 1, contributor: 0 }, k2);
    const v = await verifyChunk(ops, curve, c0, expectation(0));
    expect(v.ok, v.ok ? "" : `${v.code}: ${v.message}`).toBe(true);
  });
});

describe("verifyChunk: hostile points", () => {
  it("rejects an off-curve G1 point (tauG1 y coordinate changed to another canonical value) with POINT_NOT_ON_CURVE", async () => {
    const bad = mutate(file(honest, 1), 1, (c) => {
      const off = 3 * G1_SIZE + N8; // y of tauG1 point 3
      const y = readLE(c.sections.tauG1, off);
      writeLE(c.sections.tauG1, off, y + 1n < Q ? y + 1n : y - 1n);
    });
    await expectRejected(bad, expectation(1), "POINT_NOT_ON_CURVE");
  });

  it("rejects an off-curve G2 point in tauG2 with POINT_NOT_ON_CURVE", async () => {
    const bad = mutate(file(honest, 0), 0, (c) => {
      const off = 2 * G2_SIZE + 2 * N8; // y.c0 of tauG2 point 2
      const y = readLE(c.sections.tauG2, off);
      writeLE(c.sections.tauG2, off, y + 1n < Q ? y + 1n : y - 1n);
    });
    await expectRejected(bad, expectation(0), "POINT_NOT_ON_CURVE");
  });

  it("the constructed twist point is on the curve, canonical, not infinity, and outside the G2 subgroup", () => {
    const p = twistPointOutsideSubgroup();
    expect(checkPoints("G2", p)).toEqual({ ok: true });
    expect(g2InSubgroup(p)).toBe(false);
    // Independently of mcl: r·P ≠ O in ffjavascript.
    expect(curve.G2.isZero(curve.G2.timesScalar(curve.G2.fromRprLEM(p, 0), curve.r))).toBe(false);
    // And the honest tauG2 points are in the subgroup (so the construction, not the encoding, makes the difference).
    const t = decoded(file(honest, 1), 1).sections.tauG2;
    expect(g2InSubgroup(t.subarray(0, G2_SIZE))).toBe(true);
  });

  it("rejects a tauG2 point on the twist but outside the prime-order subgroup with G2_NOT_IN_SUBGROUP", async () => {
    const p = twistPointOutsideSubgroup();
    const bad = mutate(file(honest, 1), 1, (c) => c.sections.tauG2.set(p, 5 * G2_SIZE));
    await expectRejected(bad, expectation(1), "G2_NOT_IN_SUBGROUP");
  });

  it("rejects an honest tauG2 point plus a twist point of order 10069 with G2_NOT_IN_SUBGROUP", async () => {
    const t = smallOrderTwistPoint();
    expect(curve.G2.isZero(curve.G2.timesScalar(curve.G2.fromRprLEM(t, 0), SMALLEST_COFACTOR_PRIME))).toBe(true);
    const bad = mutate(file(honest, 1), 1, (c) => {
      const off = 6 * G2_SIZE;
      const q = addG2(c.sections.tauG2.slice(off, off + G2_SIZE), t);
      expect(checkPoints("G2", q)).toEqual({ ok: true });
      expect(g2InSubgroup(q)).toBe(false);
      c.sections.tauG2.set(q, off);
    });
    await expectRejected(bad, expectation(1), "G2_NOT_IN_SUBGROUP");
  });

  it("rejects a betaG2 of chunk 0 on the twist but outside the prime-order subgroup with G2_NOT_IN_SUBGROUP", async () => {
    const p = twistPointOutsideSubgroup();
    const bad = mutate(file(honest, 0), 0, (c) => c.sections.betaG2.set(p, 0));
    await expectRejected(bad, expectation(0), "G2_NOT_IN_SUBGROUP");
  });

  it("rejects an honest betaG2 plus a twist point of order 10069 with G2_NOT_IN_SUBGROUP", async () => {
    const t = smallOrderTwistPoint();
    const bad = mutate(file(honest, 0), 0, (c) => c.sections.betaG2.set(addG2(c.sections.betaG2.slice(), t), 0));
    await expectRejected(bad, expectation(0), "G2_NOT_IN_SUBGROUP");
  });

  it("rejects a public key whose τ g2_spx is outside the G2 subgroup with G2_NOT_IN_SUBGROUP", async () => {
    const p = twistPointOutsideSubgroup();
    const pk = key.publicKey.slice();
    pk.set(p, keyOffsets("tau").g2_spx);
    await expectRejected(withPublicKey(file(honest, 0), pk), expectation(0), "G2_NOT_IN_SUBGROUP");
  });

  it("rejects the point at infinity (all-zero G1 point) with POINT_AT_INFINITY", async () => {
    const bad = mutate(file(honest, 2), 2, (c) => c.sections.tauG1.fill(0, 4 * G1_SIZE, 5 * G1_SIZE));
    await expectRejected(bad, expectation(2), "POINT_AT_INFINITY");
  });

  it("rejects the point at infinity (all-zero G2 point) in tauG2 with POINT_AT_INFINITY", async () => {
    const bad = mutate(file(honest, 1), 1, (c) => c.sections.tauG2.fill(0, 0, G2_SIZE));
    await expectRejected(bad, expectation(1), "POINT_AT_INFINITY");
  });

  it("rejects a G1 coordinate written as value + q (same field element, not reduced) with POINT_NOT_CANONICAL", async () => {
    const bad = mutate(file(honest, 1), 1, (c) => {
      const off = 2 * G1_SIZE; // x of tauG1 point 2
      const x = readLE(c.sections.tauG1, off);
      expect(x + Q < 1n << 256n).toBe(true);
      writeLE(c.sections.tauG1, off, x + Q);
    });
    await expectRejected(bad, expectation(1), "POINT_NOT_CANONICAL");
    // Reducing the coordinate gives back the honest (accepted) file: only canonicity is at fault.
    const back = mutate(bad, 1, (c) => writeLE(c.sections.tauG1, 2 * G1_SIZE, readLE(c.sections.tauG1, 2 * G1_SIZE) - Q));
    expect(back).toEqual(file(honest, 1));
  });

  it("rejects a G2 coordinate written as value + q with POINT_NOT_CANONICAL", async () => {
    const bad = mutate(file(honest, 0), 0, (c) => {
      const off = 3 * N8; // y.c1 of betaG2
      writeLE(c.sections.betaG2, off, readLE(c.sections.betaG2, off) + Q);
    });
    await expectRejected(bad, expectation(0), "POINT_NOT_CANONICAL");
  });

  it("rejects a coordinate equal to q with POINT_NOT_CANONICAL", async () => {
    const bad = mutate(file(honest, 3), 3, (c) => writeLE(c.sections.tauG1, 6 * G1_SIZE + N8, Q));
    await expectRejected(bad, expectation(3), "POINT_NOT_CANONICAL");
  });
});

describe("verifyChunk: hostile file shapes and bindings", () => {
  it("rejects a truncated chunk (one byte short) with CHUNK_TRUNCATED", async () => {
    const c = file(honest, 1);
    await expectRejected(c.slice(0, c.length - 1), expectation(1), "CHUNK_TRUNCATED");
  });

  it("rejects a chunk shorter than its header with CHUNK_TRUNCATED", async () => {
    await expectRejected(file(honest, 1).slice(0, HEADER_SIZE - 1), expectation(1), "CHUNK_TRUNCATED");
  });

  it("rejects an over-long chunk (one extra byte) with CHUNK_OVERLONG", async () => {
    const c = file(honest, 1);
    const long = new Uint8Array(c.length + 1);
    long.set(c, 0);
    await expectRejected(long, expectation(1), "CHUNK_OVERLONG");
  });

  it("rejects chunk 1's file verified as chunk 2 with WRONG_CHUNK_INDEX", async () => {
    await expectRejected(file(honest, 1), expectation(2), "WRONG_CHUNK_INDEX");
  });

  it("rejects a chunk built on another parent with WRONG_PARENT", async () => {
    await expectRejected(file(honest, 1), expectation(1, { parentHash: chunkHash(file(initial, 2)) }), "WRONG_PARENT");
  });

  it("rejects a chunk of another round with WRONG_ROUND", async () => {
    await expectRejected(file(honest, 1), expectation(1, { round: 2 }), "WRONG_ROUND");
  });

  it("rejects a chunk of another contributor position with WRONG_CONTRIBUTOR", async () => {
    await expectRejected(file(honest, 1), expectation(1, { contributor: 1 }), "WRONG_CONTRIBUTOR");
  });

  it("rejects a chunk of another ceremony with WRONG_CEREMONY", async () => {
    const bad = file(honest, 1).slice();
    bad.fill(0xcd, 32, 64);
    await expectRejected(bad, expectation(1), "WRONG_CEREMONY");
  });

  it("rejects a chunk without public key with MISSING_PUBLIC_KEY", async () => {
    const c = decoded(file(honest, 1), 1);
    await expectRejected(encodeChunk(c.header, null, c.sections), expectation(1), "MISSING_PUBLIC_KEY");
  });

  it("rejects a chunk k > 0 carrying another key than chunk 0 with PUBLIC_KEY_CHANGED", async () => {
    const key2 = createContributorKey(curve, challenge);
    const c1 = await contributeChunk(ops, curve, file(initial, 1), { params, chunkIndex: 1, round: 1, contributor: 0 }, key2);
    await expectRejected(c1, expectation(1), "PUBLIC_KEY_CHANGED");
  });

  it("rejects random garbage of the right length without throwing (BAD_HEADER)", async () => {
    const junk = new Uint8Array(randomBytes(file(honest, 1).length));
    await expectRejected(junk, expectation(1), "BAD_HEADER");
  });

  it("rejects a valid header and key followed by random point bytes without throwing", async () => {
    const c = file(honest, 1);
    const bad = c.slice();
    bad.set(randomBytes(c.length - HEADER_SIZE - PUBKEY_SIZE), HEADER_SIZE + PUBKEY_SIZE);
    const v = await verifyChunk(ops, curve, bad, expectation(1));
    expect(v.ok).toBe(false);
    if (!v.ok) expect(["POINT_NOT_CANONICAL", "POINT_NOT_ON_CURVE"]).toContain(v.code);
  });
});

describe("verifyChunk: hostile contributions", () => {
  it("rejects a chunk k > 0 whose points are all scaled by the same constant with BOUNDARY_LINK_BROKEN", async () => {
    // Every section of the honest chunk 1 times c: inside the chunk the ratios are still τ, and tauG2, alphaTauG1,
    // betaTauG1 still match tauG1 (all scaled alike), so only the link to chunk 0's last τ·G1 point catches it.
    const c = decoded(file(honest, 1), 1);
    const s = 0x1234567890abcdefn;
    const bad = reencode(c, await applyToSections(c, { tauG1: s, tauG2: s, alphaTauG1: s, betaTauG1: s, betaG2: s }, 1n));
    await expectRejected(bad, expectation(1), "BOUNDARY_LINK_BROKEN");
  });

  it("rejects a chunk 0 whose points are all scaled by the same constant with GENERATOR_MISMATCH", async () => {
    const c = decoded(file(honest, 0), 0);
    const s = 7n;
    const bad = reencode(c, await applyToSections(c, { tauG1: s, tauG2: s, alphaTauG1: s, betaTauG1: s, betaG2: s }, 1n));
    await expectRejected(bad, expectation(0), "GENERATOR_MISMATCH");
  });

  it("rejects two swapped tauG1 points with POWERS_INCONSISTENT", async () => {
    // Chunk 2 holds only tauG1 (no tauG2/alpha/beta to cross-check), and neither swapped point is its first, so the
    // boundary link holds: only the consecutive-ratio check sees the swap.
    const bad = mutate(file(honest, 2), 2, (c) => {
      const t = c.sections.tauG1;
      const a = t.slice(3 * G1_SIZE, 4 * G1_SIZE);
      t.copyWithin(3 * G1_SIZE, 4 * G1_SIZE, 5 * G1_SIZE);
      t.set(a, 4 * G1_SIZE);
    });
    await expectRejected(bad, expectation(2), "POWERS_INCONSISTENT");
  });

  it("rejects two swapped alphaTauG1 points with SECTIONS_INCONSISTENT", async () => {
    const bad = mutate(file(honest, 1), 1, (c) => {
      const t = c.sections.alphaTauG1;
      const a = t.slice(1 * G1_SIZE, 2 * G1_SIZE);
      t.copyWithin(1 * G1_SIZE, 6 * G1_SIZE, 7 * G1_SIZE);
      t.set(a, 6 * G1_SIZE);
    });
    await expectRejected(bad, expectation(1), "SECTIONS_INCONSISTENT");
  });

  it("rejects a chunk whose tauG1 points are all the same valid point with POWERS_INCONSISTENT", async () => {
    // Every point equals the honest first point τ^16·G1 of chunk 2: the boundary link holds, the ratio is 1.
    const bad = mutate(file(honest, 2), 2, (c) => {
      const t = c.sections.tauG1;
      for (let i = 1; i < t.length / G1_SIZE; i++) t.copyWithin(i * G1_SIZE, 0, G1_SIZE);
    });
    await expectRejected(bad, expectation(2), "POWERS_INCONSISTENT");
  });

  it("rejects a chunk k > 0 contributed with another τ under chunk 0's public key with BOUNDARY_LINK_BROKEN", async () => {
    // Contributed with key2, then key1's public key bytes put in. Its first τ·G1 point is τ2^8·G1, while the link
    // demands τ1·(τ1^7·G1) from chunk 0's last point, so the whole-chunk ratio check fails and then the boundary
    // check fails too: the verifier names the broken link, which is checked (and fails) first.
    const key2 = createContributorKey(curve, challenge);
    const c1 = await contributeChunk(ops, curve, file(initial, 1), { params, chunkIndex: 1, round: 1, contributor: 0 }, key2);
    await expectRejected(withPublicKey(c1, key.publicKey), expectation(1), "BOUNDARY_LINK_BROKEN");
  });

  it("rejects a chunk k > 0 with another τ inside but a correct first point with POWERS_INCONSISTENT", async () => {
    // The same forgery, made to link: point i of chunk 1 (absolute index 8 + i) is τ1^8·τ2^i instead of τ1^(8+i),
    // every section alike (α1·τ1^8·τ2^i, β1·τ1^8·τ2^i), under key1's public key. The first point follows chunk 0
    // (boundary holds) and tauG2/alphaTauG1/betaTauG1 match tauG1 (sections hold): only the ratio τ2 ≠ τ1 of
    // consecutive points against the record's τ1·G2 catches it.
    const key2 = createContributorKey(curve, challenge);
    const c = decoded(file(initial, 1), 1);
    const start = BigInt(chunkLayout(params, 1).tauG1.start);
    const sections = await applyToSections(c, factors(key, modPow(tauOf(key), start)), tauOf(key2));
    const forged = encodeChunk({ ...c.header, round: 1, contributor: 0, parentHash: chunkHash(file(initial, 1)) }, key.publicKey, sections);
    await expectRejected(forged, expectation(1), "POWERS_INCONSISTENT");
  });

  it("rejects a chunk 0 contributed with another τ than its public key with RECORD_INCONSISTENT", async () => {
    // Contributed with key2, key1's public key put in: the key is valid for the challenge and the chunk is
    // consistent with itself (powers and sections hold for the record it carries), but that record does not follow
    // the genesis record through key1's secrets.
    const key2 = createContributorKey(curve, challenge);
    const c0 = await contributeChunk(ops, curve, file(initial, 0), { params, chunkIndex: 0, round: 1, contributor: 0 }, key2);
    await expectRejected(withPublicKey(c0, key.publicKey), expectation(0), "RECORD_INCONSISTENT");
  });

  it("rejects τ = 1 (a consistent key with valid proofs of knowledge) with TRIVIAL_SECRET", async () => {
    const k1 = keyWithSecrets({ tau: curve.Fr.one, alpha: curve.Fr.fromRng(randomChaCha()), beta: curve.Fr.fromRng(randomChaCha()) }, challenge);
    const c0 = await contributeChunk(ops, curve, file(initial, 0), { params, chunkIndex: 0, round: 1, contributor: 0 }, k1);
    await expectRejected(c0, expectation(0), "TRIVIAL_SECRET");
  });

  it("rejects τ = −1 with TRIVIAL_SECRET", async () => {
    const k1 = keyWithSecrets({ tau: curve.Fr.neg(curve.Fr.one), alpha: curve.Fr.fromRng(randomChaCha()), beta: curve.Fr.fromRng(randomChaCha()) }, challenge);
    const c0 = await contributeChunk(ops, curve, file(initial, 0), { params, chunkIndex: 0, round: 1, contributor: 0 }, k1);
    await expectRejected(c0, expectation(0), "TRIVIAL_SECRET");
  });

  it("rejects a reused public key with REUSED_PUBLIC_KEY", async () => {
    const known = new Set([publicKeyId(key.publicKey)]);
    await expectRejected(file(honest, 0), expectation(0, { knownPublicKeys: known }), "REUSED_PUBLIC_KEY");
    // The same chunk with an unrelated known key is accepted.
    const v = await verifyChunk(ops, curve, file(honest, 0), expectation(0, { knownPublicKeys: new Set([publicKeyId(new Uint8Array(PUBKEY_SIZE))]) }));
    expect(v.ok).toBe(true);
  });

  it("rejects a proof of knowledge bound to another challenge with POK_INVALID", async () => {
    const other = new Uint8Array(challenge);
    other[0] = (other[0] ?? 0) ^ 1;
    const k2 = createContributorKey(curve, other);
    const c0 = await contributeChunk(ops, curve, file(initial, 0), { params, chunkIndex: 0, round: 1, contributor: 0 }, k2);
    await expectRejected(c0, expectation(0), "POK_INVALID");
    // Against the challenge it was made for, the same file is accepted.
    const v = await verifyChunk(ops, curve, c0, expectation(0, { challenge: other }));
    expect(v.ok).toBe(true);
  });
});
