/**
 * The heavy part of verifying one chunk, which needs no key and no pairing: every point checked, then the random
 * combinations (multi-exponentiations) that the pairing checks of verify-pairing.ts compare. Scalars are drawn
 * here, fresh, after the upload. It runs on any provider of msm and point checks: a worker pool (splitting each
 * msm), or one worker's own engine for a whole chunk (pool.chunkSums, used when many chunks are verified at once).
 *
 * For a chunk holding absolute indices [a, b) and E = (P_{a−1}, the last τ·G1 point of the chunk before, when
 * a > 0) ‖ tauG1[a..b), with fresh 64-bit r_i:
 *   a = Σ r_i E_i,  b = Σ r_i E_{i+1}                      (powers: e(a, τ·G2) = e(b, G2))
 * and with the same coefficient c_j on index j of every section (c_j = r_{j−a}, or r_{j−1} in chunk 0, which
 * skips the generators at index 0), for the chunks that hold them:
 *   q = Σ c_j tauG2_j,  alpha = Σ c_j alphaTauG1_j,  beta = Σ c_j betaTauG1_j
 * (b is then also Σ c_j tauG1_j). The G2 subgroup check uses q and SUBGROUP_ROUNDS more combinations of tauG2
 * with fresh 16-bit scalars (see verify.ts for the bound).
 */
import type { ChunkSections } from "./chunk.ts";
import type { Group, PointCheck, PointFault } from "./msm/engine-types.ts";
import { SECTIONS, SECTION_GROUP, type SectionName } from "./sections.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";

/** 64-bit scalars for the ratio checks. */
export const RATIO_SCALAR_BYTES = 8;
/** Extra G2 subgroup combinations beyond q, with 16-bit scalars. */
export const SUBGROUP_ROUNDS = 4;
const SUBGROUP_SCALAR_BYTES = 2;

/** What chunkSums needs of an engine: CurveOps and a worker's LocalOps both qualify. */
export interface SumsProvider {
  msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array>;
  checkPoints(g: Group, points: Uint8Array): Promise<PointCheck>;
}

export interface SumsInput {
  sections: ChunkSections;
  /** The last τ·G1 point of the chunk before (already checked with it); null for chunk 0. */
  boundary: Uint8Array | null;
}

/** The random combinations of one chunk (affine .ptau encodings). */
export interface ChunkSums {
  a: Uint8Array;
  b: Uint8Array;
  /** Chunks holding tauG2, alphaTauG1 and betaTauG1 (the low half of the indices); null for the others. */
  sections: { q: Uint8Array; alpha: Uint8Array; beta: Uint8Array; subgroup: Uint8Array[] } | null;
}

/**
 * The input's bytes in one new buffer, as views into it: what a worker receives by transfer, without copying (a
 * message would otherwise copy the whole buffer each section is a view of, the chunk file or more).
 */
export function packSumsInput(input: SumsInput): { input: SumsInput; buffer: ArrayBuffer } {
  const parts = [...SECTIONS.map((s) => input.sections[s]), input.boundary ?? new Uint8Array(0)];
  const buffer = new ArrayBuffer(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  const views = parts.map((p) => {
    const v = new Uint8Array(buffer, at, p.length);
    v.set(p);
    at += p.length;
    return v;
  });
  const sections = Object.fromEntries(SECTIONS.map((s, i) => [s, views[i] as Uint8Array])) as ChunkSections;
  return { input: { sections, boundary: input.boundary ? (views[SECTIONS.length] as Uint8Array) : null }, buffer };
}

export type SumsResult = { ok: true; sums: ChunkSums } | { ok: false; section: SectionName; fault: PointFault; index: number };

/** n fresh random scalars of `bytes` bytes from the platform's CSPRNG (Web Crypto: no module to load in a worker). */
export function randomScalars(n: number, bytes: number): Uint8Array {
  const out = new Uint8Array(n * bytes);
  for (let at = 0; at < out.length; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(out.length, at + 65536)));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Point checks of every section, then the combinations. Never called on unchecked points' msm. */
export async function chunkSums(p: SumsProvider, input: SumsInput): Promise<SumsResult> {
  const { sections, boundary } = input;
  const checks = await Promise.all(SECTIONS.map((s) => (sections[s].length === 0 ? null : p.checkPoints(SECTION_GROUP[s], sections[s]))));
  for (let i = 0; i < SECTIONS.length; i++) {
    const c = checks[i];
    const section = SECTIONS[i] as SectionName;
    if (c && !c.ok) return { ok: false, section, fault: c.fault, index: c.index };
  }
  const e = boundary ? concat(boundary, sections.tauG1) : sections.tauG1;
  const m = e.length / G1_SIZE;
  const r = randomScalars(m - 1, RATIO_SCALAR_BYTES);
  // Index j of the chunk carries c_j = r_{j−a} when a boundary point leads E, else r_{j−1} (j ≥ 1).
  const skip = boundary ? 0 : 1;
  const low = sections.tauG2.length > 0;
  const tail = (s: Uint8Array, size: number): Uint8Array => s.subarray(skip * size);
  const n2 = sections.tauG2.length / G2_SIZE;
  const [a, b, q, alpha, beta, ...subgroup] = await Promise.all([
    p.msm("G1", e.subarray(0, (m - 1) * G1_SIZE), r, RATIO_SCALAR_BYTES),
    p.msm("G1", e.subarray(G1_SIZE), r, RATIO_SCALAR_BYTES),
    ...(low
      ? [
          p.msm("G2", tail(sections.tauG2, G2_SIZE), r, RATIO_SCALAR_BYTES),
          p.msm("G1", tail(sections.alphaTauG1, G1_SIZE), r, RATIO_SCALAR_BYTES),
          p.msm("G1", tail(sections.betaTauG1, G1_SIZE), r, RATIO_SCALAR_BYTES),
          ...Array.from({ length: SUBGROUP_ROUNDS }, () =>
            p.msm("G2", sections.tauG2, randomScalars(n2, SUBGROUP_SCALAR_BYTES), SUBGROUP_SCALAR_BYTES),
          ),
        ]
      : []),
  ]);
  if (!a || !b) throw new Error("chunkSums: missing combinations");
  return { ok: true, sums: { a, b, sections: q && alpha && beta ? { q, alpha, beta, subgroup } : null } };
}
