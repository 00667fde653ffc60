/** Ceremony parameters and the chunk layout: which absolute indices of which section each chunk holds. */
import * as v from "valibot";
import { hexSchema } from "../lib/hex.ts";

export const MAX_POWER = 28;

export const CeremonyParamsSchema = v.pipe(
  v.object({
    /** 32-byte ceremony id, hex. Bound into every chunk header. */
    ceremonyId: hexSchema(32, "ceremonyId must be 64 lowercase hex characters"),
    power: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_POWER)),
    chunkSize: v.pipe(v.number(), v.integer(), v.minValue(2)),
  }),
  v.check((p) => (p.chunkSize & (p.chunkSize - 1)) === 0, "chunkSize must be a power of two"),
  v.check((p) => p.chunkSize <= 2 ** p.power, "chunkSize must not exceed 2^power"),
);
export type CeremonyParams = v.InferOutput<typeof CeremonyParamsSchema>;

export function parseParams(input: unknown): CeremonyParams {
  return v.parse(CeremonyParamsSchema, input);
}

export { SECTIONS, SECTION_GROUP, type SectionName } from "./sections.ts";
import type { SectionName } from "./sections.ts";

/** Number of points in each full section for a power. */
export function sectionLengths(power: number): Record<SectionName, number> {
  const n = 2 ** power;
  return { tauG1: 2 * n - 1, tauG2: n, alphaTauG1: n, betaTauG1: n, betaG2: 1 };
}

export interface SectionRange {
  /** First absolute index. */
  start: number;
  /** Number of points (0 when the chunk holds none of this section). */
  count: number;
}
export type ChunkLayout = Record<SectionName, SectionRange>;

export function numChunks(p: Pick<CeremonyParams, "power" | "chunkSize">): number {
  return Math.ceil((2 * 2 ** p.power - 1) / p.chunkSize);
}

/** Chunk k holds indices [kS, (k+1)S) of every section, clipped to the section's length; chunk 0 also holds betaG2. */
export function chunkLayout(p: Pick<CeremonyParams, "power" | "chunkSize">, k: number): ChunkLayout {
  const total = numChunks(p);
  if (!Number.isInteger(k) || k < 0 || k >= total) throw new RangeError(`chunk index ${k} out of range 0..${total - 1}`);
  const lens = sectionLengths(p.power);
  const start = k * p.chunkSize;
  const clip = (len: number): SectionRange => ({ start, count: Math.max(0, Math.min(len, start + p.chunkSize) - start) });
  return {
    tauG1: clip(lens.tauG1),
    tauG2: clip(lens.tauG2),
    alphaTauG1: clip(lens.alphaTauG1),
    betaTauG1: clip(lens.betaTauG1),
    betaG2: { start: 0, count: k === 0 ? 1 : 0 },
  };
}
