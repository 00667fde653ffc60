/**
 * One verification task, wherever it runs (the coordinator's own verifiers, an external verify-worker, the public
 * verifier): fetch the artifacts the task names, run the chunk checks, and compute what an accepted chunk 0
 * implies (its key's id, the next position's challenge). Whether the key was already accepted is the core's rule
 * (rules.ts keyAccepted), not checked here. Artifacts are named by hash and re-hashed on arrival, so the source
 * need not be trusted.
 */
import type { Curve } from "ffjavascript";
import type { VerificationTask } from "../core/views.ts";
import { chunkHash, decodeChunk } from "../crypto/chunk.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import type { CurveOps } from "../crypto/ops.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import { recordFromChunk0, type AccumulatorRecord } from "../crypto/pipeline.ts";
import { G1_SIZE } from "../crypto/sizes.ts";
import { verifyChunk, type OwnContribution } from "../crypto/verify.ts";
import { keyFacts } from "./chunk0.ts";

export interface ArtifactSource {
  get(hash: string): Promise<Uint8Array>;
}

export interface TaskVerdict {
  ok: boolean;
  code?: string;
  message?: string;
  /** Accepted chunk 0: the challenge of the next position. */
  nextChallenge?: string;
  /** Accepted chunk 0: the id of the contributor's public key. */
  publicKeyId?: string;
}

async function fetchChecked(source: ArtifactSource, hash: string): Promise<Uint8Array> {
  const bytes = await source.get(hash);
  if (toHex(chunkHash(bytes)) !== hash) throw new Error(`artifact ${hash.slice(0, 16)}… does not match its hash`);
  return bytes;
}

async function recordOf(source: ArtifactSource, params: CeremonyParams, hash: string): Promise<{ record: AccumulatorRecord; publicKey: Uint8Array | null; lastTauG1: Uint8Array }> {
  const d = decodeChunk(await fetchChecked(source, hash), params, 0);
  if (!d.ok) throw new Error(`chunk 0 artifact ${hash.slice(0, 16)}… is unreadable: ${d.message}`);
  const tau = d.chunk.sections.tauG1;
  return { record: recordFromChunk0(d.chunk), publicKey: d.chunk.publicKey, lastTauG1: tau.slice(tau.length - G1_SIZE) };
}

async function lastTauG1Of(source: ArtifactSource, params: CeremonyParams, hash: string, k: number): Promise<Uint8Array> {
  const d = decodeChunk(await fetchChecked(source, hash), params, k);
  if (!d.ok) throw new Error(`chunk ${k + 1} artifact ${hash.slice(0, 16)}… is unreadable: ${d.message}`);
  const tau = d.chunk.sections.tauG1;
  return tau.slice(tau.length - G1_SIZE);
}

export async function runVerificationTask(
  ops: CurveOps,
  curve: Curve,
  params: CeremonyParams,
  task: VerificationTask,
  source: ArtifactSource,
): Promise<TaskVerdict> {
  const bytes = await fetchChecked(source, task.hash);
  const challenge = fromHex(task.challenge);
  let prevRecord: AccumulatorRecord;
  let own: OwnContribution | undefined;
  if (task.chunk === 0) {
    if (!task.previousRecordChunk) throw new Error("a chunk 0 task must name the previous record's chunk");
    prevRecord = (await recordOf(source, params, task.previousRecordChunk)).record;
  } else {
    if (!task.ownChunk0 || !task.ownPreviousChunk) throw new Error(`a task for chunk ${task.chunk + 1} must name the contributor's chunks 1 and ${task.chunk}`);
    const first = await recordOf(source, params, task.ownChunk0);
    if (!first.publicKey) throw new Error("the contributor's chunk 0 has no public key");
    prevRecord = first.record;
    own = { record: first.record, publicKey: first.publicKey, boundaryTauG1: await lastTauG1Of(source, params, task.ownPreviousChunk, task.chunk - 1) };
  }
  const verdict = await verifyChunk(ops, curve, bytes, {
    params,
    chunkIndex: task.chunk,
    round: task.round,
    contributor: task.position,
    parentHash: fromHex(task.parentHash),
    challenge,
    prevRecord,
    own,
  });
  if (!verdict.ok) return { ok: false, code: verdict.code, message: verdict.message };
  if (task.chunk !== 0) return { ok: true };
  return { ok: true, ...keyFacts(curve, verdict.publicKey, task.hash, task.challenge) };
}
