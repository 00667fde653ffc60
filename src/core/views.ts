/** Read models derived from the state: a participant's next instruction, the verifier's work list, the public status. */
import { lockRefusal, parentOf, readyToVerify, roundComplete } from "./rules.ts";
import { currentRound, dropsOf, isBanned, isQueued, queueHead, queueLength } from "./state.ts";
import type { Beacon, CeremonyState, ParticipantId, QueueStatus, Round } from "./model.ts";

export type Instruction =
  | { id: string; kind: "wait"; reason: string; stage: WaitStage }
  | { id: string; kind: "lock"; round: number; chunk: number }
  | { id: string; kind: "contribute"; round: number; chunk: number; position: number; challenge: string }
  | { id: string; kind: "done"; reason: string; outcome: Outcome };

/**
 * Where a waiting participant stands: before the ceremony starts, in the queue, in a round with work still to do,
 * in a round with every upload made (only verification and the others remain), or nowhere (not queued).
 */
export type WaitStage = "setup" | "queue" | "round" | "uploaded" | "none";

/** How a participant's part ended: only "contributed" is a success (the CLI exits non-zero on the others). */
export type Outcome = "contributed" | "banned" | "dropped" | "finalized";

/**
 * What a contributor should do now, in O(1) of the queue. The id changes whenever the instruction does, so clients
 * can acknowledge it. A queued participant's place (1-based) comes from the shell's queue index when it has one.
 */
export function instructionFor(state: CeremonyState, participant: ParticipantId, place?: number): Instruction {
  if (state.phase === "setup") return { id: "setup", kind: "wait", reason: "the ceremony has not started", stage: "setup" };
  if (isBanned(state, participant)) return { id: "banned", kind: "done", reason: "this participant is banned", outcome: "banned" };
  const round = currentRound(state);
  if (round?.contributors.includes(participant)) return inRound(state, round, participant);
  const done = state.contributedIn.get(participant);
  if (done !== undefined) return { id: `done:${done}`, kind: "done", reason: `contributed to round ${done}`, outcome: "contributed" };
  const queued = isQueued(state, participant);
  if (dropsOf(state, participant) > 0 && !queued) {
    return { id: `dropped:${dropsOf(state, participant)}`, kind: "done", reason: "dropped from the ceremony (too slow, silent, failing or stopped); join again to retry", outcome: "dropped" };
  }
  if (state.phase === "finalized") return { id: "finalized", kind: "done", reason: "the ceremony is finalized", outcome: "finalized" };
  const n = queueLength(state);
  if (queued) return { id: `queued:${state.lastRound}`, kind: "wait", reason: place !== undefined ? `queued at place ${place} of ${n}` : `queued (${n} waiting)`, stage: "queue" };
  return { id: "unknown", kind: "wait", reason: "not in the queue: join it first", stage: "none" };
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
    return { id: `${round.number}:finishing`, kind: "wait", reason: verified ? "all chunks verified; waiting for the round to end" : "waiting for verification of the uploads", stage: "uploaded" };
  }
  if (!lockRefusal(state, round, participant, next)) return { id: `${round.number}:lock:${next}`, kind: "lock", round: round.number, chunk: next };
  return { id: `${round.number}:wait:${next}`, kind: "wait", reason: `chunk ${next + 1} of ${round.chunks.length} waits for the previous contributor`, stage: "round" };
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
  /**
   * The queue, summarised: its length and its head (the next round's contributors first); positions are per
   * participant. Whether it takes joins (`scheduled` until it opens, `open`, `closed` once it closed) and its schedule.
   */
  queue: { length: number; head: ParticipantId[]; status: QueueStatus; opensAt: string | null; closesAt: string | null };
  verifiers: number;
  replacements: number;
  /** Participants banned, and participants dropped at least once. */
  banned: number;
  dropped: number;
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
  /** The random beacon applied at finalization (from the moment it is requested). */
  beacon: Beacon | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** How much of the queue the status shows. */
export const STATUS_QUEUE_HEAD = 20;

/** The public status, summarised so its size does not grow with the lobby: build it once per state version. */
export function statusView(state: CeremonyState): StatusView {
  if (state.phase === "setup") {
    return {
      phase: "setup",
      ceremonyId: null,
      power: null,
      chunkSize: null,
      numChunks: null,
      lastRound: 0,
      queue: { length: 0, head: [], status: "scheduled", opensAt: null, closesAt: null },
      verifiers: 0,
      replacements: 0,
      banned: 0,
      dropped: 0,
      round: null,
      finalHash: null,
      beacon: null,
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
    queue: {
      length: queueLength(state),
      head: queueHead(state, STATUS_QUEUE_HEAD),
      status: state.phase === "waiting" || state.phase === "running" ? state.queueStatus : "closed",
      opensAt: iso(state.schedule.opensAt),
      closesAt: iso(state.schedule.closesAt),
    },
    verifiers: state.verifiers.length,
    replacements: state.replacements.length,
    banned: state.banned.size,
    dropped: state.drops.size,
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
    beacon: state.phase === "finalized" || state.phase === "finalizing" ? state.beacon : null,
  };
}
