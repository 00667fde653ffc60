/**
 * The pipelined protocol in one process: rounds of contributors over a content-addressed chunk store, every chunk
 * verified before the next contributor builds on it, then the round's aggregate; the beacon; import and export.
 * The coordinator drives the same steps over HTTP; `ceremony simulate` drives them here.
 */
import type { Curve } from "ffjavascript";
import { mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { dataHash, exportPtau, recordPoints, roundRecords, type ChunkReader, type RoundContribution } from "./accumulator.ts";
import { chunkHash, decodeChunk, encodeChunk, NO_CONTRIBUTOR, type ChunkSections } from "./chunk.ts";
import { contributeChunk } from "./contribute.ts";
import { copyBytes } from "./encoding.ts";
import { bytesEqual, hash, hasherFromPartialHash, toHex } from "./hash.ts";
import { firstChallengeHash, initialChunk } from "./initial.ts";
import { beaconSeed } from "./beacon-seed.ts";
import { beaconKeyFromSeed, createContributorKey, destroyKey, publicKeyUncompressed, type KeyPair } from "./keys.ts";
import type { CurveOps } from "./ops.ts";
import { inParallel } from "./parallel.ts";
import { SECTIONS, chunkLayout, numChunks, type CeremonyParams } from "./params.ts";
import { genesisRecord, pipelineChallenge, recordPartialHash, responseHash, type AccumulatorRecord } from "./pipeline.ts";
import { openPtau, type ContributionRecord } from "./ptau.ts";
import { G1_SIZE, HASH_SIZE } from "./sizes.ts";
import { ownAfter, publicKeyId, verifyAccumulatorChunk, verifyChunk, type Accepted } from "./verify.ts";
import { verifyContribution } from "./verify-contribution.ts";

/** Contributor position used in the header of beacon chunks. */
export const BEACON_CONTRIBUTOR = 0xfffffffe;

/** Where chunk files live, named by their hex hash: the simulator's folder, or the coordinator's artifact store. */
export interface ChunkStorage {
  put(bytes: Uint8Array): Promise<string>;
  get(id: string): Promise<Uint8Array>;
}

/** Chunk files named by their hash, written to a temporary file, fsynced and renamed. */
export class ChunkStore implements ChunkStorage {
  constructor(readonly dir: string) {}

  async put(bytes: Uint8Array): Promise<string> {
    const id = toHex(chunkHash(bytes));
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `${id}.tmp-${process.pid}`);
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(this.dir, `${id}.chunk`));
    return id;
  }

  async get(id: string): Promise<Uint8Array> {
    const bytes = new Uint8Array(await readFile(join(this.dir, `${id}.chunk`)));
    if (toHex(chunkHash(bytes)) !== id) throw new Error(`chunk ${id} in ${this.dir} is corrupt`);
    return bytes;
  }
}

/** Where the ceremony stands between rounds. */
export interface AccumulatorState {
  params: CeremonyParams;
  /** Last finished round (0: initial or imported). */
  round: number;
  /** Chunk file ids of the current accumulator, by chunk index. */
  chunks: string[];
  records: ContributionRecord[];
  /** The challenge the next contributor's key is bound to. */
  challenge: Uint8Array;
  /** The record the next contributor must follow. */
  prevRecord: AccumulatorRecord;
  knownPublicKeys: Set<string>;
}

export interface Timings {
  contributeMs: number;
  verifyMs: number;
  aggregateMs: number;
}
export const newTimings = (): Timings => ({ contributeMs: 0, verifyMs: 0, aggregateMs: 0 });

async function timed<T>(t: Timings, field: keyof Timings, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    t[field] += performance.now() - t0;
  }
}

export function chunkReader(store: ChunkStorage, ids: string[]): ChunkReader {
  return (k) => {
    const id = ids[k];
    if (id === undefined) throw new RangeError(`no chunk ${k}`);
    return store.get(id);
  };
}

export async function genesisAccumulator(curve: Curve, store: ChunkStorage, params: CeremonyParams): Promise<AccumulatorState> {
  const chunks: string[] = [];
  for (let k = 0; k < numChunks(params); k++) chunks.push(await store.put(initialChunk(curve, params, k)));
  return {
    params,
    round: 0,
    chunks,
    records: [],
    challenge: firstChallengeHash(curve, params.power),
    prevRecord: genesisRecord(curve),
    knownPublicKeys: new Set(),
  };
}

/** A settled promise with its resolver, to chain the pipeline's steps. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export interface Participant {
  name?: string;
  entropy?: string;
}

/**
 * One round: contributor j starts chunk k once j−1's chunk k is verified; each chunk is verified as soon as it
 * is uploaded; contributor j+1's challenge exists once j's chunk 0 is verified. Returns the aggregated state.
 */
export async function runRound(ops: CurveOps, curve: Curve, store: ChunkStorage, state: AccumulatorState, participants: Participant[], t: Timings): Promise<AccumulatorState> {
  const { params } = state;
  const K = numChunks(params);
  const round = state.round + 1;
  const n = participants.length;
  if (n < 1) throw new Error("a round needs at least one contributor");
  const challenges = participants.map(() => deferred<Uint8Array>());
  const verified = participants.map(() => Array.from({ length: K }, () => deferred<Accepted>()));
  // Uploads travel as store ids, so a round holds only the chunks being worked on in memory.
  const uploaded = participants.map(() => Array.from({ length: K }, () => deferred<string>()));
  challenges[0]?.resolve(state.challenge);
  const known = new Set(state.knownPublicKeys);

  const contributor = async (j: number): Promise<void> => {
    const challenge = await (challenges[j] as (typeof challenges)[number]).promise;
    const key = createContributorKey(curve, challenge, participants[j]?.entropy);
    try {
      for (let k = 0; k < K; k++) {
        const parentId = j === 0 ? (state.chunks[k] as string) : toHex((await verified[j - 1]![k]!.promise).hash);
        const parent = await store.get(parentId);
        const bytes = await timed(t, "contributeMs", () => contributeChunk(ops, curve, parent, { params, chunkIndex: k, round, contributor: j }, key));
        uploaded[j]![k]!.resolve(await store.put(bytes));
      }
    } finally {
      destroyKey(key);
    }
  };

  const verifier = async (j: number): Promise<void> => {
    const challenge = await challenges[j]!.promise;
    const prevRecord = j === 0 ? state.prevRecord : (await verified[j - 1]![0]!.promise).record;
    let own: Accepted | null = null;
    for (let k = 0; k < K; k++) {
      const bytes = await store.get(await uploaded[j]![k]!.promise);
      const parent = j === 0 ? (state.chunks[k] as string) : toHex((await verified[j - 1]![k]!.promise).hash);
      const verdict = await timed(t, "verifyMs", () =>
        verifyChunk(ops, curve, bytes, {
          params,
          chunkIndex: k,
          round,
          contributor: j,
          parentHash: Buffer.from(parent, "hex"),
          challenge,
          prevRecord,
          own: own ? ownAfter(own) : undefined,
          knownPublicKeys: known,
        }),
      );
      if (!verdict.ok) throw new Error(`round ${round}, chunk ${k}, contributor ${j}: ${verdict.code}: ${verdict.message}`);
      own = verdict;
      verified[j]![k]!.resolve(verdict);
      if (k === 0) {
        known.add(publicKeyId(verdict.publicKey));
        challenges[j + 1]?.resolve(pipelineChallenge(responseHash(curve, challenge, verdict.publicKey), verdict.hash));
      }
    }
  };

  const fail = (err: unknown): never => {
    for (const d of [...challenges, ...verified.flat(), ...uploaded.flat()]) d.reject(err);
    throw err;
  };
  await Promise.all(participants.flatMap((_, j) => [contributor(j).catch(fail), verifier(j).catch(fail)]));

  const contributions: RoundContribution[] = [];
  for (let j = 0; j < n; j++) {
    const v0 = await verified[j]![0]!.promise;
    const name = participants[j]?.name;
    contributions.push({ challenge: await challenges[j]!.promise, publicKey: v0.publicKey, record: v0.record, ...(name ? { name } : {}) });
  }
  const last = contributions[n - 1] as RoundContribution;
  const chunks = await Promise.all(verified[n - 1]!.map(async (d) => toHex((await d.promise).hash)));
  const nextChallenge = await timed(t, "aggregateMs", () =>
    dataHash(curve, params, responseHash(curve, last.challenge, last.publicKey), chunkReader(store, chunks)),
  );
  return {
    params,
    round,
    chunks,
    records: [...state.records, ...roundRecords(contributions, nextChallenge)],
    challenge: nextChallenge,
    prevRecord: last.record,
    knownPublicKeys: known,
  };
}

export interface Beacon {
  /** The public random value. */
  hash: Uint8Array;
  /** The hash is iterated 2^numIterationsExp times (snarkjs beacon). */
  numIterationsExp: number;
}

/**
 * Applies the beacon to every chunk (several at a time: the key is known, the chunks are independent), verifies the
 * result like a contribution (verify-contribution.ts, all chunks at once) and appends its record, which hashes the
 * final data.
 */
export async function applyBeacon(ops: CurveOps, curve: Curve, store: ChunkStorage, state: AccumulatorState, beacon: Beacon, t: Timings): Promise<AccumulatorState> {
  const { params } = state;
  const round = state.round + 1;
  const n = numChunks(params);
  const seed = ops.beaconSeed ? await ops.beaconSeed(beacon.hash, beacon.numIterationsExp) : beaconSeed(beacon.hash, beacon.numIterationsExp);
  const key: KeyPair = beaconKeyFromSeed(curve, state.challenge, seed);
  const chunks: string[] = [];
  const parentHashes: Uint8Array[] = [];
  try {
    await timed(t, "contributeMs", () =>
      inParallel(n, 2 * ops.parallelism, async (k) => {
        const parent = await store.get(state.chunks[k] as string);
        parentHashes[k] = chunkHash(parent);
        chunks[k] = await store.put(await contributeChunk(ops, curve, parent, { params, chunkIndex: k, round, contributor: BEACON_CONTRIBUTOR }, key));
      }),
    );
  } finally {
    destroyKey(key);
  }
  const verdict = await timed(t, "verifyMs", () =>
    verifyContribution(ops, curve, { count: n, read: chunkReader(store, chunks) }, parentHashes, {
      params,
      round,
      contributor: BEACON_CONTRIBUTOR,
      challenge: state.challenge,
      prevRecord: state.prevRecord,
    }),
  );
  if (!verdict.ok) throw new Error(`beacon, chunk ${verdict.chunkIndex}: ${verdict.code}: ${verdict.message}`);
  const record = (verdict.verdicts[0] as Accepted).record;
  const nextChallenge = await timed(t, "aggregateMs", () =>
    dataHash(curve, params, responseHash(curve, state.challenge, key.publicKey), chunkReader(store, chunks)),
  );
  const beaconRecord: ContributionRecord = {
    ...record,
    publicKey: key.publicKey,
    partialHash: recordPartialHash(state.challenge),
    nextChallenge,
    type: 1,
    numIterationsExp: beacon.numIterationsExp,
    beaconHash: beacon.hash,
  };
  return { ...state, round, chunks, records: [...state.records, beaconRecord], challenge: nextChallenge, prevRecord: record };
}

/** Writes the current accumulator and its records as a .ptau that snarkjs reads. */
export function writeStatePtau(path: string, store: ChunkStorage, state: AccumulatorState): Promise<void> {
  return exportPtau(path, state.params, state.records, chunkReader(store, state.chunks));
}

/**
 * Starts a ceremony from a .ptau made elsewhere (snarkjs, a Perpetual Powers of Tau file): its points become the
 * round-0 chunks, checked by checkImportedAccumulator; its records are kept and the next contributor builds on them.
 */
export async function importState(ops: CurveOps, curve: Curve, store: ChunkStorage, params: CeremonyParams, path: string): Promise<AccumulatorState> {
  const reader = await openPtau(path);
  try {
    const { power, ceremonyPower } = reader.header;
    if (power !== params.power || ceremonyPower !== power) {
      throw new Error(`${path} has power ${power} (ceremony power ${ceremonyPower}); this ceremony needs an unreduced power ${params.power}`);
    }
    const records = reader.records;
    const chunks: string[] = [];
    for (let k = 0; k < numChunks(params); k++) {
      const layout = chunkLayout(params, k);
      const sections = {} as ChunkSections;
      for (const s of SECTIONS) sections[s] = layout[s].count ? await reader.readPoints(s, layout[s].start, layout[s].count) : new Uint8Array(0);
      chunks.push(await store.put(encodeChunk({ ...params, chunkIndex: k, round: 0, contributor: NO_CONTRIBUTOR, parentHash: new Uint8Array(HASH_SIZE) }, null, sections)));
    }
    let challenge: Uint8Array;
    try {
      challenge = await checkImportedAccumulator(ops, curve, params, records, chunkReader(store, chunks));
    } catch (err) {
      throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const lastRecord = records[records.length - 1];
    return {
      params,
      round: 0,
      chunks,
      records,
      challenge,
      prevRecord: lastRecord ? recordPoints(lastRecord) : genesisRecord(curve),
      knownPublicKeys: new Set(records.map((r) => publicKeyId(r.publicKey))),
    };
  } finally {
    await reader.close();
  }
}

/**
 * Checks an accumulator made elsewhere against the records it came with: every chunk passes the structural checks
 * of an upload and follows the last record (a consistent chain of powers, linked across chunks), and the hash of
 * its data is the last record's next challenge (the first challenge without records). Returns that challenge.
 * The coordinator runs it on import; the public verifier runs it again on the transcript's chunks.
 */
export async function checkImportedAccumulator(ops: CurveOps, curve: Curve, params: CeremonyParams, records: ContributionRecord[], read: ChunkReader): Promise<Uint8Array> {
  const lastRecord = records[records.length - 1];
  const record = lastRecord ? recordPoints(lastRecord) : genesisRecord(curve);
  let boundary: Uint8Array | null = null;
  for (let k = 0; k < numChunks(params); k++) {
    const decoded = decodeChunk(await read(k), params, k);
    if (!decoded.ok) throw new Error(`imported chunk ${k}: ${decoded.message}`);
    const { header, publicKey } = decoded.chunk;
    if (header.round !== 0 || header.contributor !== NO_CONTRIBUTOR || publicKey !== null || header.parentHash.some((b) => b !== 0)) {
      throw new Error(`imported chunk ${k} is not an initial accumulator chunk (round 0, no contributor, key or parent)`);
    }
    const bad = await verifyAccumulatorChunk(ops, curve, decoded.chunk, record, boundary);
    if (bad) throw new Error(`fails verification at chunk ${k}: ${bad.code}: ${bad.message}`);
    const tauG1 = decoded.chunk.sections.tauG1;
    boundary = copyBytes(tauG1, tauG1.length - G1_SIZE);
  }
  const response = lastRecord ? hasherFromPartialHash(lastRecord.partialHash).update(publicKeyUncompressed(curve, lastRecord.publicKey)).digest() : hash();
  const challenge = await dataHash(curve, params, response, read);
  if (lastRecord ? !bytesEqual(challenge, lastRecord.nextChallenge) : !bytesEqual(challenge, firstChallengeHash(curve, params.power))) {
    throw new Error("the hash of its data does not match its last record's next challenge");
  }
  return challenge;
}
