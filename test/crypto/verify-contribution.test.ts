// verifyContribution checks every chunk of a contribution at once (joint subgroup and pairing checks over the
// chunks' combinations). Its verdict must be the one verifying the chunks one at a time gives: the lowest failing
// chunk, and for that chunk the first check it fails. Run on the worker pool (one task per chunk) and in-thread.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Curve } from "ffjavascript";
import { chunkHash, decodeChunk, encodeChunk, type Chunk, type ChunkSections } from "../../src/crypto/chunk.ts";
import { contributeChunk } from "../../src/crypto/contribute.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { firstChallengeHash, initialChunk } from "../../src/crypto/initial.ts";
import { createContributorKey, type KeyPair } from "../../src/crypto/keys.ts";
import { encodePoint, LocalOps, type CurveOps } from "../../src/crypto/ops.ts";
import { numChunks, SECTIONS, SECTION_GROUP, type CeremonyParams, type SectionName } from "../../src/crypto/params.ts";
import { genesisRecord } from "../../src/crypto/pipeline.ts";
import { WorkerPool } from "../../src/crypto/pool.ts";
import { G1_SIZE, G2_SIZE } from "../../src/crypto/sizes.ts";
import { initWasmEngine, wasmEngine } from "../../src/crypto/msm/wasm.ts";
import { verifyContribution, type ContributionExpectation } from "../../src/crypto/verify-contribution.ts";
import { publicKeyId, verifyChunk, type Accepted } from "../../src/crypto/verify.ts";
import { Parity } from "./parity.ts";

// power 5, chunk size 8: tauG1 has 63 points in 8 chunks; chunks 0..3 also hold tauG2, alphaTauG1, betaTauG1.
const params: CeremonyParams = { ceremonyId: "cd".repeat(32), power: 5, chunkSize: 8 };
const K = numChunks(params);

let curve: Curve;
let local: LocalOps;
let pool: WorkerPool;
let challenge: Uint8Array;
let key: KeyPair;
const initial: Uint8Array[] = [];
const honest: Uint8Array[] = [];

beforeAll(async () => {
  curve = await getCurve();
  local = await LocalOps.create();
  await initWasmEngine();
  pool = new WorkerPool(2);
  challenge = firstChallengeHash(curve, params.power);
  key = createContributorKey(curve, challenge);
  for (let k = 0; k < K; k++) initial.push(initialChunk(curve, params, k));
  for (let k = 0; k < K; k++) honest.push(await contributeChunk(local, curve, initial[k] as Uint8Array, { params, chunkIndex: k, round: 1, contributor: 0 }, key));
});
afterAll(async () => {
  await pool?.close();
  await closeCurve();
});

const expectation = (over: Partial<ContributionExpectation> = {}): ContributionExpectation => ({
  params,
  round: 1,
  contributor: 0,
  challenge,
  prevRecord: genesisRecord(curve),
  knownPublicKeys: new Set<string>(),
  ...over,
});
const parents = (): Uint8Array[] => initial.map((c) => chunkHash(c));

function decoded(bytes: Uint8Array, k: number): Chunk {
  const d = decodeChunk(bytes, params, k);
  if (!d.ok) throw new Error(`chunk ${k} does not decode`);
  return d.chunk;
}

/** The contribution with chunk k replaced by edit(its decoded sections). */
async function edited(files: Uint8Array[], k: number, edit: (s: ChunkSections) => Promise<ChunkSections> | ChunkSections): Promise<Uint8Array[]> {
  const c = decoded(files[k] as Uint8Array, k);
  const copy = {} as ChunkSections;
  for (const s of SECTIONS) copy[s] = c.sections[s].slice();
  const out = files.slice();
  out[k] = encodeChunk(c.header, c.publicKey, await edit(copy));
  return out;
}

/** Every point of every section times 2: consistent inside the chunk, broken at its boundaries. */
async function scaled(s: ChunkSections): Promise<ChunkSections> {
  const out = {} as ChunkSections;
  for (const name of SECTIONS) out[name] = s[name].length === 0 ? s[name] : await local.applyKey(SECTION_GROUP[name], s[name], 2n, 1n);
  return out;
}

/** One point's y coordinate changed to another canonical value (off the curve). */
function offCurve(section: SectionName, i: number) {
  return (s: ChunkSections): ChunkSections => {
    const size = SECTION_GROUP[section] === "G1" ? G1_SIZE : G2_SIZE;
    const y = s[section].subarray(i * size + 32, i * size + 64);
    y[0] = (y[0] ?? 0) ^ 1;
    return s;
  };
}

/** The verdict of verifying one chunk at a time, in order (each against the uploaded chunk before it). */
async function oneAtATime(ops: CurveOps, files: Uint8Array[], exp: ContributionExpectation): Promise<{ chunkIndex: number; code: string } | "ok"> {
  let first: Accepted | null = null;
  for (let k = 0; k < K; k++) {
    const own = first && k > 0 ? { record: first.record, publicKey: first.publicKey, boundaryTauG1: decoded(files[k - 1] as Uint8Array, k - 1).sections.tauG1.slice(-G1_SIZE) } : undefined;
    const v = await verifyChunk(ops, curve, files[k] as Uint8Array, { ...exp, chunkIndex: k, parentHash: parents()[k] as Uint8Array, own });
    if (!v.ok) return { chunkIndex: k, code: v.code };
    if (k === 0) first = v;
  }
  return "ok";
}

async function both(files: Uint8Array[], exp = expectation()) {
  const [a, b] = await Promise.all([verifyContribution(pool, curve, files, parents(), exp), verifyContribution(local, curve, files, parents(), exp)]);
  const short = (v: typeof a) => (v.ok ? "ok" : { chunkIndex: v.chunkIndex, code: v.code });
  expect(short(b)).toEqual(short(a));
  expect(short(a)).toEqual(await oneAtATime(local, files, exp));
  return a;
}

describe("verifyContribution", () => {
  it("accepts an honest contribution with the verdicts of verifyChunk", async () => {
    const v = await both(honest);
    if (!v.ok) throw new Error(`${v.code}: ${v.message}`);
    expect(v.verdicts.length).toBe(K);
    for (let k = 0; k < K; k++) {
      const one = v.verdicts[k] as Accepted;
      expect(Buffer.from(one.hash).equals(Buffer.from(chunkHash(honest[k] as Uint8Array)))).toBe(true);
      expect(Buffer.from(one.lastTauG1).equals(Buffer.from(decoded(honest[k] as Uint8Array, k).sections.tauG1.slice(-G1_SIZE)))).toBe(true);
      expect(publicKeyId(one.publicKey)).toBe(publicKeyId(key.publicKey));
    }
  });

  it("reads the chunks on demand from a reader, with the same verdict", async () => {
    const reads: number[] = [];
    const v = await verifyContribution(pool, curve, { count: K, read: async (k) => (reads.push(k), honest[k] as Uint8Array) }, parents(), expectation(), 2);
    expect(v.ok).toBe(true);
    expect(reads).toEqual(Array.from({ length: K }, (_, k) => k));
  });

  it("names a chunk scaled by a constant by its broken boundary link (a high chunk and a low one)", async () => {
    for (const k of [2, 6]) {
      const v = await both(await edited(honest, k, scaled));
      expect(v.ok ? "ok" : [v.chunkIndex, v.code]).toEqual([k, "BOUNDARY_LINK_BROKEN"]);
    }
  });

  it("reports the lowest failing chunk even when a later chunk fails an earlier kind of check", async () => {
    const files = await edited(await edited(honest, 5, offCurve("tauG1", 3)), 2, scaled);
    const v = await both(files);
    expect(v.ok ? "ok" : [v.chunkIndex, v.code]).toEqual([2, "BOUNDARY_LINK_BROKEN"]);
    const later = await both(await edited(honest, 1, offCurve("tauG2", 2)));
    expect(later.ok ? "ok" : [later.chunkIndex, later.code]).toEqual([1, "POINT_NOT_ON_CURVE"]);
  });

  it("finds a tauG2 point outside the subgroup in the joint check and names its chunk", async () => {
    // an honest point plus a point of order 10069 of the twist
    const small = curve.G2.fromRprLEM(new Parity(wasmEngine, curve).smallOrderPoint(), 0);
    const withStray = await edited(honest, 3, (s) => {
      const p = curve.G2.add(curve.G2.fromRprLEM(s.tauG2, 5 * G2_SIZE), small);
      s.tauG2.set(encodePoint(curve, "G2", p), 5 * G2_SIZE);
      return s;
    });
    const v = await both(withStray);
    expect(v.ok ? "ok" : [v.chunkIndex, v.code]).toEqual([3, "G2_NOT_IN_SUBGROUP"]);
  });

  it("checks chunk 0's key and anchors: a reused key, a changed key on a later chunk", async () => {
    const reused = await both(honest, expectation({ knownPublicKeys: new Set([publicKeyId(key.publicKey)]) }));
    expect(reused.ok ? "ok" : [reused.chunkIndex, reused.code]).toEqual([0, "REUSED_PUBLIC_KEY"]);
    const other = createContributorKey(curve, challenge);
    const c4 = decoded(honest[4] as Uint8Array, 4);
    const files = honest.slice();
    files[4] = encodeChunk(c4.header, other.publicKey, c4.sections);
    const changed = await both(files);
    expect(changed.ok ? "ok" : [changed.chunkIndex, changed.code]).toEqual([4, "PUBLIC_KEY_CHANGED"]);
    const wrongChallenge = await both(honest, expectation({ challenge: new Uint8Array(64) }));
    expect(wrongChallenge.ok ? "ok" : [wrongChallenge.chunkIndex, wrongChallenge.code]).toEqual([0, "POK_INVALID"]);
  });

  it("refuses a chunk whose sections disagree with its powers (alphaTauG1 of chunk 1 swapped for betaTauG1)", async () => {
    const v = await both(await edited(honest, 1, (s) => ({ ...s, alphaTauG1: s.betaTauG1.slice() })));
    expect(v.ok ? "ok" : [v.chunkIndex, v.code]).toEqual([1, "SECTIONS_INCONSISTENT"]);
  });
});
