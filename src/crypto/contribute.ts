/** A contributor's step on one chunk: multiply each section's points by the key's powers from the chunk's absolute start. */
import type { Curve } from "ffjavascript";
import { chunkHash, decodeChunk, encodeChunk, type ChunkSections } from "./chunk.ts";
import type { KeyPair } from "./keys.ts";
import { FR_ORDER, modPow, type CurveOps } from "./ops.ts";
import { SECTIONS, SECTION_GROUP, type CeremonyParams, type SectionName } from "./params.ts";

export interface ContributionSlot {
  params: CeremonyParams;
  chunkIndex: number;
  round: number;
  contributor: number;
}

/**
 * Applies `key` to the chunk file `parent` (the state it builds on) and returns the new chunk file.
 * Point i of tauG1/tauG2 is multiplied by τ^i, of alphaTauG1 by α·τ^i, of betaTauG1 by β·τ^i, and betaG2 by β.
 */
export async function contributeChunk(ops: CurveOps, curve: Curve, parent: Uint8Array, slot: ContributionSlot, key: KeyPair): Promise<Uint8Array> {
  const decoded = decodeChunk(parent, slot.params, slot.chunkIndex);
  if (!decoded.ok) throw new Error(`cannot contribute to chunk ${slot.chunkIndex}: ${decoded.code}: ${decoded.message}`);
  const { layout, sections } = decoded.chunk;
  const tau = curve.Fr.toObject(key.secrets.tau);
  const factor: Record<SectionName, bigint> = {
    tauG1: 1n,
    tauG2: 1n,
    alphaTauG1: curve.Fr.toObject(key.secrets.alpha),
    betaTauG1: curve.Fr.toObject(key.secrets.beta),
    betaG2: curve.Fr.toObject(key.secrets.beta),
  };
  const out = {} as ChunkSections;
  await Promise.all(
    SECTIONS.map(async (s) => {
      const { start, count } = layout[s];
      if (count === 0) {
        out[s] = new Uint8Array(0);
        return;
      }
      const first = s === "betaG2" ? factor[s] : (factor[s] * modPow(tau, BigInt(start))) % FR_ORDER;
      out[s] = await ops.applyKey(SECTION_GROUP[s], sections[s], first, tau);
    }),
  );
  return encodeChunk(
    { ...slot.params, chunkIndex: slot.chunkIndex, round: slot.round, contributor: slot.contributor, parentHash: chunkHash(parent) },
    key.publicKey,
    out,
  );
}
