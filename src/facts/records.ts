/**
 * What the state and the chunk files imply for the .ptau: the records of every aggregated round, and the final
 * accumulator after the beacon. The coordinator publishes with these; verify-transcript recomputes with them.
 */
import type { Curve } from "ffjavascript";
import type { Base, Beacon, ImportedPtau } from "../core/model.ts";
import { roundRecords, type RoundContribution } from "../crypto/accumulator.ts";
import { decodeChunk } from "../crypto/chunk.ts";
import { fromHex } from "../crypto/hash.ts";
import type { CurveOps } from "../crypto/ops.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import { recordFromChunk0, type AccumulatorRecord } from "../crypto/pipeline.ts";
import { decodeContributions, type ContributionRecord } from "../crypto/ptau.ts";
import { applyBeacon, newTimings, type AccumulatorState, type ChunkStorage } from "../crypto/rounds.ts";
import type { ArtifactSource } from "./verification.ts";

export async function chunk0Record(source: ArtifactSource, params: CeremonyParams, hash: string): Promise<{ record: AccumulatorRecord; publicKey: Uint8Array | null }> {
  const d = decodeChunk(await source.get(hash), params, 0);
  if (!d.ok) throw new Error(`chunk 0 artifact ${hash.slice(0, 16)}… is unreadable: ${d.message}`);
  return { record: recordFromChunk0(d.chunk), publicKey: d.chunk.publicKey };
}

/** The contribution records of the .ptau the ceremony was imported from (none when it started from the generators). */
export async function importedRecords(imported: ImportedPtau | null, source: ArtifactSource): Promise<ContributionRecord[]> {
  if (!imported) return [];
  const records = decodeContributions(await source.get(imported.records));
  if (records.length !== imported.contributions) throw new Error(`the imported records hold ${records.length} contributions, not ${imported.contributions}`);
  return records;
}

/** The .ptau records of the imported file, then of every aggregated round, from the state and the chunk-0 files. */
export async function ceremonyRecords(state: Base, params: CeremonyParams, source: ArtifactSource): Promise<ContributionRecord[]> {
  const out: ContributionRecord[] = await importedRecords(state.imported, source);
  for (const r of state.completedRounds) {
    const contributions: RoundContribution[] = [];
    for (let j = 0; j < r.contributors.length; j++) {
      const { record, publicKey } = await chunk0Record(source, params, r.chunk0[j] ?? "");
      if (!publicKey) throw new Error(`round ${r.number}: chunk 1 of contributor ${j + 1} has no public key`);
      contributions.push({ challenge: fromHex(r.challenges[j] ?? ""), publicKey, record, name: `round ${r.number} contributor ${j + 1}` });
    }
    out.push(...roundRecords(contributions, fromHex(r.aggregateChallenge)));
  }
  return out;
}

/** Applies the beacon to the last aggregate (every chunk verified like a contribution); the final chunks and records. */
export async function beaconAccumulator(
  ops: CurveOps,
  curve: Curve,
  params: CeremonyParams,
  state: Base,
  beacon: Beacon,
  storage: ChunkStorage,
): Promise<AccumulatorState> {
  const base: AccumulatorState = {
    params,
    round: state.lastRound,
    chunks: state.accumulator,
    records: await ceremonyRecords(state, params, storage),
    challenge: fromHex(state.challenge),
    prevRecord: (await chunk0Record(storage, params, state.accumulator[0] ?? "")).record,
    knownPublicKeys: new Set(),
  };
  return applyBeacon(ops, curve, storage, base, { hash: fromHex(beacon.hash), numIterationsExp: beacon.numIterationsExp }, newTimings());
}
