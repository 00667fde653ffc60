/**
 * The whole accumulator seen through its chunks, in bounded memory: range reads across chunk files, the data
 * hash snarkjs checks (H(response ‖ U(sections 2–6))), the records of a round, and export to .ptau.
 */
import type { Curve } from "ffjavascript";
import { decodeChunk } from "./chunk.ts";
import { toUncompressed } from "./encoding.ts";
import { initEngine } from "./engine.ts";
import { newHasher } from "./hash.ts";
import { pointBytes } from "./ops.ts";
import { SECTIONS, SECTION_GROUP, sectionLengths, type CeremonyParams, type SectionName } from "./params.ts";
import { recordPartialHash, type AccumulatorRecord } from "./pipeline.ts";
import { writePtau, type ContributionRecord } from "./ptau.ts";

/** Chunk file k of one accumulator state. */
export type ChunkReader = (k: number) => Promise<Uint8Array>;
export type PointReader = (section: SectionName, start: number, count: number) => Promise<Uint8Array>;

/** Reads point ranges of any section across chunk files, keeping only the last chunk in memory. */
export function pointReader(params: CeremonyParams, read: ChunkReader): PointReader {
  let cached: { k: number; bytes: Uint8Array } | null = null;
  const chunk = async (k: number): Promise<Uint8Array> => {
    if (cached?.k !== k) cached = { k, bytes: await read(k) };
    return cached.bytes;
  };
  return async (section, start, count) => {
    const size = pointBytes(SECTION_GROUP[section]);
    const out = new Uint8Array(count * size);
    let i = start;
    while (i < start + count) {
      const k = section === "betaG2" ? 0 : Math.floor(i / params.chunkSize);
      const decoded = decodeChunk(await chunk(k), params, k);
      if (!decoded.ok) throw new Error(`chunk ${k} is unreadable: ${decoded.code}: ${decoded.message}`);
      const range = decoded.chunk.layout[section];
      const from = i - range.start;
      const n = Math.min(range.count - from, start + count - i);
      if (n <= 0) throw new RangeError(`${section}[${i}] is not in chunk ${k}`);
      out.set(decoded.chunk.sections[section].subarray(from * size, (from + n) * size), (i - start) * size);
      i += n;
    }
    return out;
  };
}

/** H(response ‖ U(every point of sections 2–6)), streamed chunk by chunk. */
export async function dataHash(curve: Curve, params: CeremonyParams, response: Uint8Array, read: ChunkReader): Promise<Uint8Array> {
  await initEngine(); // the engine's uncompressed encoding (toUncompressed)
  const points = pointReader(params, read);
  const h = newHasher();
  h.update(response);
  const lens = sectionLengths(params.power);
  for (const s of SECTIONS) {
    for (let i = 0; i < lens[s]; i += params.chunkSize) {
      const n = Math.min(params.chunkSize, lens[s] - i);
      h.update(await toUncompressed(curve, SECTION_GROUP[s], await points(s, i, n)));
    }
  }
  return h.digest();
}

export interface RoundContribution {
  challenge: Uint8Array;
  publicKey: Uint8Array;
  record: AccumulatorRecord;
  name?: string;
}

/** The .ptau records of a round: each contributor's nextChallenge is the next one's challenge; the last gets `finalNextChallenge`. */
export function roundRecords(contributions: RoundContribution[], finalNextChallenge: Uint8Array): ContributionRecord[] {
  return contributions.map((c, j) => ({
    ...c.record,
    publicKey: c.publicKey,
    partialHash: recordPartialHash(c.challenge),
    nextChallenge: contributions[j + 1]?.challenge ?? finalNextChallenge,
    type: 0,
    ...(c.name ? { name: c.name } : {}),
  }));
}

/** Writes the accumulator read from chunk files, with its records, as a .ptau file (sections 1–7). */
export async function exportPtau(path: string, params: CeremonyParams, records: ContributionRecord[], read: ChunkReader): Promise<void> {
  await writePtau(path, { power: params.power, ceremonyPower: params.power }, records, pointReader(params, read), { batch: params.chunkSize });
}

/** The record points of a .ptau record. */
export function recordPoints(r: ContributionRecord): AccumulatorRecord {
  return { tauG1: r.tauG1, tauG2: r.tauG2, alphaG1: r.alphaG1, betaG1: r.betaG1, betaG2: r.betaG2 };
}
