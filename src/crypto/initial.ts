/** Round 0: the accumulator filled with generators, as chunks, and snarkjs's first challenge hash for a power. */
import type { Curve } from "ffjavascript";
import { encodeChunk, NO_CONTRIBUTOR, type ChunkSections } from "./chunk.ts";
import { generators, repeat } from "./encoding.ts";
import { hash, newHasher } from "./hash.ts";
import { SECTIONS, SECTION_GROUP, chunkLayout, sectionLengths, type CeremonyParams } from "./params.ts";
import { G1_SIZE, G2_SIZE, HASH_SIZE } from "./sizes.ts";

/** H(H("") ‖ U(every point of the generator-filled accumulator)), computed in bounded memory. */
export function firstChallengeHash(curve: Curve, power: number): Uint8Array {
  const g1 = new Uint8Array(G1_SIZE);
  const g2 = new Uint8Array(G2_SIZE);
  curve.G1.toRprUncompressed(g1, 0, curve.G1.g);
  curve.G2.toRprUncompressed(g2, 0, curve.G2.g);
  const h = newHasher();
  h.update(hash());
  const BLOCK = 4096;
  const blocks = { G1: repeat(g1, BLOCK), G2: repeat(g2, BLOCK) };
  const lens = sectionLengths(power);
  for (const s of SECTIONS) {
    const g = SECTION_GROUP[s];
    const one = g === "G1" ? g1 : g2;
    let left = lens[s];
    for (; left >= BLOCK; left -= BLOCK) h.update(blocks[g]);
    for (; left > 0; left--) h.update(one);
  }
  return h.digest();
}

/** Chunk k of round 0: every point a generator, no contributor, no parent. */
export function initialChunk(curve: Curve, params: CeremonyParams, k: number): Uint8Array {
  const gens = generators(curve);
  const layout = chunkLayout(params, k);
  const sections = {} as ChunkSections;
  for (const s of SECTIONS) sections[s] = repeat(SECTION_GROUP[s] === "G1" ? gens.g1 : gens.g2, layout[s].count);
  return encodeChunk(
    { ...params, chunkIndex: k, round: 0, contributor: NO_CONTRIBUTOR, parentHash: new Uint8Array(HASH_SIZE) },
    null,
    sections,
  );
}
