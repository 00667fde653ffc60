/** Read models derived from the state: a participant's next instruction, the verifier's work list, the public status. */
import { lockRefusal, parentOf, readyToVerify, roundComplete } from "./rules.ts";
import { currentRound } from "./state.ts";
import type { CeremonyState, ParticipantId, Round } from "./model.ts";

export type Instruction =
  | { id: string; kind: "wait"; reason: string }
  | { id: string; kind: "lock"; round: number; chunk: number }
  | { id: string; kind: "contribute"; round: number; chunk: number; position: number; challenge: string }
  | { id: string; kind: "done"; reason: string };

/** What a contributor should do now. The id changes whenever the instruction does, so clients can acknowledge it. */
export function instructionFor(state: CeremonyState, participant: ParticipantId): Instruction {
  if (state.phase === "setup") return { id: "setup", kind: "wait", reason: "the ceremony has not started" };
  if (state.banned.includes(participant)) return { id: "banned", kind: "done", reason: "this participant is banned" };
  const round = currentRound(state);
  const done = state.completedRounds.findIndex((r) => r.contributors.includes(participant));
  if (round?.contributors.includes(participant)) return inRound(state, round, participant);
  if (done >= 0) return { id: `done:${done + 1}`, kind: "done", reason: `contributed to round ${done + 1}` };
  if ((state.drops[participant] ?? 0) > 0 && !state.queue.includes(participant)) {
    return { id: `dropped:${state.drops[participant]}`, kind: "done", reason: "dropped from the ceremony (too slow, silent or failing); join again to retry" };
  }
  if (state.phase === "finalized") return { id: "finalized", kind: "done", reason: "the ceremony is finalized" };
  const q = state.queue.indexOf(participant);
  if (q >= 0) return { id: `queued:${state.lastRound}`, kind: "wait", reason: `queued at position ${q + 1} of ${state.queue.length}` };
  return { id: "unknown", kind: "wait", reason: "not in the queue: join it first" };
}

function inRound(state: Exclude<CeremonyState, { phase: "setup" }>, round: Round, participant: ParticipantId): Instruction {
  const j = round.contributors.indexOf(participant);
  const held = round.chunks.findIndex((c) => c.lock?.holder === participant);
  const challenge = round.challenges[j];
  if (held >= 0 && challenge) {
    return { id: `${round.number}:contribute:${held}`, kind: "contribute", round: round.number, chunk: held, position: j, challenge };
  }
  const next = round.chunks.findIndex((c) => c.contributions.length <= j);
  if (next < 0) {
    const verified = round.chunks.every((c) => c.contributions[j]?.verified);
    return { id: `${round.number}:finishing`, kind: "wait", reason: verified ? "all chunks verified; waiting for the round to end" : "waiting for verification of the uploads" };
  }
  if (!lockRefusal(state, round, participant, next)) return { id: `${round.number}:lock:${next}`, kind: "lock", round: round.number, chunk: next };
  return { id: `${round.number}:wait:${next}`, kind: "wait", reason: `chunk ${next} waits for the previous contributor` };
}

export interface VerificationTask {
  round: number;
  chunk: number;
  position: number;
  contributor: ParticipantId;
  hash: string;
  /** Hash of the state the contribution builds on. */
  parentHash: string;
  /** The contributor's challenge (chunk 0 binds the key to it). */
  challenge: string;
  /** Chunk 0: the chunk file whose record the contribution must follow (the previous position's chunk 0). */
  previousRecordChunk: string | null;
  /** Chunk k > 0: this contributor's verified chunk 0 and uploaded chunk k−1. */
  ownChunk0: string | null;
  ownPreviousChunk: string | null;
}

/**
 * Contributions ready to verify: uploaded, unverified, and (for chunk k > 0) once the same contributor's chunk 0
 * is verified and its chunk k−1 uploaded: the check needs that record and that boundary point.
 */
export function verificationTasks(state: CeremonyState): VerificationTask[] {
  if (state.phase === "setup") return [];
  const round = currentRound(state);
  if (!round) return [];
  const tasks: VerificationTask[] = [];
  round.chunks.forEach((chunk, k) => {
    chunk.contributions.forEach((c, j) => {
      if (!readyToVerify(round, k, j)) return;
      const parentHash = parentOf(state, round, k, j);
      const challenge = round.challenges[j];
      if (!parentHash || !challenge) return;
      const chunk0 = round.chunks[0]?.contributions ?? [];
      tasks.push({
        round: round.number,
        chunk: k,
        position: j,
        contributor: c.contributor,
        hash: c.hash,
        parentHash,
        challenge,
        previousRecordChunk: k === 0 ? (j === 0 ? (state.accumulator[0] ?? null) : (chunk0[j - 1]?.hash ?? null)) : null,
        ownChunk0: k > 0 ? (chunk0[j]?.hash ?? null) : null,
        ownPreviousChunk: k > 0 ? (round.chunks[k - 1]?.contributions[j]?.hash ?? null) : null,
      });
    });
  });
  return tasks;
}

export interface ChunkStatus {
  chunk: number;
  contributions: number;
  verified: number;
  lockedBy: ParticipantId | null;
}

export interface StatusView {
  phase: CeremonyState["phase"];
  ceremonyId: string | null;
  power: number | null;
  chunkSize: number | null;
  numChunks: number | null;
  lastRound: number;
  queue: ParticipantId[];
  verifiers: number;
  replacements: number;
  banned: ParticipantId[];
  /** How often each participant was dropped. */
  drops: Record<ParticipantId, number>;
  round: null | {
    number: number;
    contributors: ParticipantId[];
    startedAt: string;
    chunks: ChunkStatus[];
    /** Verified contributions over contributors × chunks, in percent. */
    percentDone: number;
    complete: boolean;
  };
  finalHash: string | null;
}

export function statusView(state: CeremonyState): StatusView {
  if (state.phase === "setup") {
    return {
      phase: "setup",
      ceremonyId: null,
      power: null,
      chunkSize: null,
      numChunks: null,
      lastRound: 0,
      queue: [],
      verifiers: 0,
      replacements: 0,
      banned: [],
      drops: {},
      round: null,
      finalHash: null,
    };
  }
  const round = currentRound(state);
  const s = state.settings;
  return {
    phase: state.phase,
    ceremonyId: s.ceremonyId,
    power: s.power,
    chunkSize: s.chunkSize,
    numChunks: s.numChunks,
    lastRound: state.lastRound,
    queue: state.queue,
    verifiers: state.verifiers.length,
    replacements: state.replacements.length,
    banned: state.banned,
    drops: state.drops,
    round: round
      ? {
          number: round.number,
          contributors: round.contributors,
          startedAt: new Date(round.startedAt).toISOString(),
          chunks: round.chunks.map((c, k) => ({
            chunk: k,
            contributions: c.contributions.length,
            verified: c.contributions.filter((x) => x.verified).length,
            lockedBy: c.lock?.holder ?? null,
          })),
          percentDone: Math.floor(
            (100 * round.chunks.reduce((n, c) => n + c.contributions.filter((x) => x.verified).length, 0)) / (round.contributors.length * round.chunks.length),
          ),
          complete: roundComplete(round),
        }
      : null,
    finalHash: state.phase === "finalized" ? state.finalHash : null,
  };
}
