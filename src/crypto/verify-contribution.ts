/**
 * Verification of every chunk of one contribution at once, with the checks of verifyChunk (verify.ts) and the
 * same verdict: the lowest-indexed failing chunk, and for that chunk the first check it fails in verifyChunk's
 * order. The heavy per-chunk work (point checks and random combinations, verify-sums.ts) runs as one task per
 * chunk on the workers, several chunks at a time; the subgroup checks and the pairings then run once for the
 * whole contribution on the sums of the chunks' combinations (sound because the chunks' scalars are independent),
 * and chunk by chunk only to name the chunk when they fail. Chunk k > 0 is checked against the record of chunk 0
 * and the boundary point of the uploaded chunk k−1, so chunks need not wait for each other.
 */
import type { Curve } from "ffjavascript";
import { chunkHash } from "./chunk.ts";
import { copyBytes } from "./encoding.ts";
import { g2InSubgroup } from "./engine.ts";
import { initPairing } from "./pairing.ts";
import type { CurveOps } from "./ops.ts";
import { sumOf, type SummedChunk } from "./verify-pairing.ts";
import { chunkSums, type SumsInput, type SumsResult } from "./verify-sums.ts";
import {
  chunk0Anchors,
  decodeUpload,
  keyChecks,
  lastPoint,
  pairingVerdict,
  reject,
  strayFromSubgroup,
  summedOrRejected,
  type Accepted,
  type ChunkExpectation,
  type Rejected,
} from "./verify.ts";

export type ContributionExpectation = Omit<ChunkExpectation, "chunkIndex" | "parentHash" | "own">;
export type ContributionVerdict = { ok: true; verdicts: Accepted[] } | (Rejected & { chunkIndex: number });
/** The chunk files of a contribution, by index (an array, or a reader that loads them on demand). */
export type ChunkFiles = readonly Uint8Array[] | { count: number; read(k: number): Promise<Uint8Array> };

function malformed(err: unknown): Rejected {
  return reject("MALFORMED_CHUNK", `chunk could not be processed: ${err instanceof Error ? err.message : String(err)}`);
}

interface Failure {
  k: number;
  rejected: Rejected;
}

/**
 * Verifies every chunk of one contribution; up to `concurrency` chunks are in flight at a time (their files and
 * point checks), so memory stays bounded by a few chunks when `files` is a reader.
 */
export async function verifyContribution(
  ops: CurveOps,
  curve: Curve,
  files: ChunkFiles,
  parentHashes: readonly Uint8Array[],
  exp: ContributionExpectation,
  concurrency = Math.max(2, 2 * ops.parallelism),
): Promise<ContributionVerdict> {
  await initPairing();
  const count = "count" in files ? files.count : files.length;
  const read = "count" in files ? (k: number) => files.read(k) : async (k: number) => files[k] ?? new Uint8Array(0);
  const sumsOf = ops.chunkSums ? (i: SumsInput) => (ops.chunkSums as (i: SumsInput) => Promise<SumsResult>)(i) : (i: SumsInput) => chunkSums(ops, i);
  const at = (k: number, own?: ChunkExpectation["own"]): ChunkExpectation => ({ ...exp, chunkIndex: k, parentHash: parentHashes[k] ?? new Uint8Array(0), own });

  let failure: Failure | null = null;
  const fail = (k: number, rejected: Rejected): void => {
    if (!failure || k < failure.k) failure = { k, rejected };
  };
  const summed: SummedChunk[] = [];
  const accepted: Accepted[] = [];
  let chunk0Check: Rejected | null = null;

  // Reading errors propagate (an I/O failure is not a verdict); what the bytes make fail is a rejection, as in
  // verifyChunk, named by its chunk.
  const bytes0 = await read(0);
  const zero = decodeUpload(bytes0, at(0));
  if (!zero.ok) return { ...zero, chunkIndex: 0 };
  const { record, publicKey } = zero;
  let boundary: Uint8Array | null = null;
  let own: ChunkExpectation["own"];
  const inFlight = new Set<Promise<void>>();
  for (let k = 0; k < count && (!failure || k < (failure as Failure).k); k++) {
    const bytes = k === 0 ? bytes0 : await read(k);
    const upload = k === 0 ? zero : decodeUpload(bytes, at(k, own));
    if (!upload.ok) {
      fail(k, upload);
      break;
    }
    const { chunk } = upload;
    const lead = boundary;
    const task = sumsOf({ sections: chunk.sections, boundary: lead }).then(
      (result) => {
        const s = summedOrRejected(chunk, result, lead);
        if (!s.ok) return fail(k, s);
        summed.push(s.chunk);
        accepted[k] = { ok: true, hash: chunkHash(bytes), record, publicKey: copyBytes(publicKey), lastTauG1: lastPoint(chunk.sections.tauG1) };
      },
      (err: unknown) => fail(k, malformed(err)),
    );
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (k === 0) {
      // The key and the anchors of chunk 0, on this thread while the workers start on the sums.
      try {
        chunk0Check = chunk0Anchors(curve, chunk, record) ?? keyChecks(curve, publicKey, record, at(0));
      } catch (err) {
        chunk0Check = malformed(err);
      }
    }
    boundary = lastPoint(chunk.sections.tauG1);
    own = { record, publicKey, boundaryTauG1: boundary };
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);

  const limit = (): number => (failure as Failure | null)?.k ?? count;
  const stray = strayChunk(summed.filter((c) => c.chunkIndex < limit()));
  if (stray) fail(stray.k, stray.rejected);
  if (chunk0Check && limit() > 0) fail(0, chunk0Check);
  const below = summed.filter((c) => c.chunkIndex < limit()).sort((x, y) => x.chunkIndex - y.chunkIndex);
  const pairing = below.length > 0 ? pairingVerdict(curve, record, below) : null;
  if (pairing) fail(pairing.chunkIndex ?? below[0]?.chunkIndex ?? 0, reject(pairing.code, pairing.message));
  const f = failure as Failure | null;
  if (f) return { ...f.rejected, chunkIndex: f.k };
  return { ok: true, verdicts: accepted };
}

/** The subgroup checks on the sums over all chunks; the first chunk whose own sums fail, when they do. */
function strayChunk(chunks: readonly SummedChunk[]): Failure | null {
  const low = chunks.filter((c) => c.sums.sections).sort((x, y) => x.chunkIndex - y.chunkIndex);
  if (low.length === 0) return null;
  const columns = (low[0]?.sums.sections?.subgroup.length ?? 0) + 1;
  const sums = Array.from({ length: columns }, (_, t) =>
    sumOf(
      "G2",
      low.map((c) => {
        const s = c.sums.sections as NonNullable<typeof c.sums.sections>;
        return t < s.subgroup.length ? (s.subgroup[t] as Uint8Array) : s.q;
      }),
    ),
  );
  if (sums.every((p) => g2InSubgroup(p))) return null;
  for (const c of low) {
    const r = strayFromSubgroup(c.sums);
    if (r) return { k: c.chunkIndex, rejected: r };
  }
  return { k: low[0]?.chunkIndex ?? 0, rejected: reject("G2_NOT_IN_SUBGROUP", "a tauG2 point is outside the G2 subgroup") };
}
