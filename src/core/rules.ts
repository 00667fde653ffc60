/**
 * The ceremony's rules as functions of the state: what builds on what, who may lock, when a round starts or is
 * complete, what a drop implies. decide, the legality check, the views, the shell and the public verifier all ask
 * here, so a rule is written once.
 */
import { refuse, type DomainError } from "./errors.ts";
import type { CeremonyEvent, ParticipantId, QueueSchedule, QueueStatus, Round } from "./model.ts";
import { currentRound, dropsOf, isBanned, isReplacement, isVerifier, positionIn, queuedAt, queueHead, queueLength, type Open } from "./state.ts";

/** Whether every chunk holds a verified contribution from every contributor of the round. */
export function roundComplete(round: Round): boolean {
  const n = round.contributors.length;
  return round.chunks.every((c) => c.contributions.length === n && c.contributions.every((x) => x.verified));
}

/** The accumulator a complete round leaves: its last contributor's chunk files. */
export function roundResult(round: Round): string[] {
  const last = round.contributors.length - 1;
  return round.chunks.map((c) => c.contributions[last]?.hash ?? "");
}

/**
 * The chunk file that position j's contribution to chunk k builds on: the accumulator's chunk for the first
 * position, else the previous position's upload; null while there is none yet.
 */
export function parentOf(state: Open, round: Round, k: number, j: number): string | null {
  if (j === 0) return state.accumulator[k] ?? null;
  return round.chunks[k]?.contributions[j - 1]?.hash ?? null;
}

/** Whether a public key (by id) was already accepted in this ceremony: a key contributes once. */
export function keyAccepted(state: Open, publicKeyId: string): boolean {
  return state.acceptedKeys.has(publicKeyId);
}

/** Why `participant` may not lock chunk k now, or null when it may. */
export function lockRefusal(state: Open, round: Round, participant: ParticipantId, k: number): DomainError | null {
  const j = positionIn(round, participant);
  if (j < 0) return refuse("NOT_IN_ROUND", `participant is not a contributor of round ${round.number}`);
  const chunk = round.chunks[k];
  if (!chunk) return refuse("CHUNK_OUT_OF_RANGE", `chunk index ${k} is not in 0..${state.settings.numChunks - 1}`);
  if (chunk.contributions.length > j) return refuse("ALREADY_CONTRIBUTED", `chunk ${k + 1} already has this participant's contribution`);
  if (chunk.lock) return refuse("CHUNK_LOCKED", `chunk ${k + 1} is locked by another participant`);
  if (chunk.contributions.length < j || (j > 0 && !chunk.contributions[j - 1]?.verified)) {
    return refuse("NOT_YOUR_TURN", `chunk ${k + 1} waits for the verified contribution of contributor ${j}`);
  }
  // Chunks go in order for each contributor (chunk k's check needs chunk k−1's last point), but several may be
  // in hand at once, up to the lock limit: chunk k may be locked once chunk k−1 is uploaded or locked by the same.
  const before = round.chunks[k - 1];
  if (k > 0 && before && before.contributions.length <= j && before.lock?.holder !== participant) {
    return refuse("NOT_YOUR_TURN", `lock or contribute to chunk ${k} first`);
  }
  const held = round.chunks.filter((c) => c.lock?.holder === participant).length;
  if (held >= state.settings.lockLimit) return refuse("LOCK_LIMIT_REACHED", `a participant may hold ${state.settings.lockLimit} lock(s) at once`);
  return null;
}

/** Whether a contribution is ready to verify: for chunk k > 0, once the same position's chunk 0 is verified and its chunk k−1 uploaded. */
export function readyToVerify(round: Round, k: number, j: number): boolean {
  const c = round.chunks[k]?.contributions[j];
  if (!c || c.verified) return false;
  return k === 0 || (round.chunks[0]?.contributions[j]?.verified === true && round.chunks[k - 1]?.contributions[j] !== undefined);
}

/** The round's contributors that are not coordinator-owned replacements, except `leaving`. */
export function regularContributors(state: Open, round: Round, leaving?: ParticipantId): ParticipantId[] {
  return round.contributors.filter((p) => p !== leaving && !isReplacement(state, p));
}

/** The contributions of the round a drop of position j takes along: its own and every one built on them. */
export function discardedFrom(round: Round, j: number): Array<{ chunk: number; position: number; hash: string }> {
  if (j < 0) return [];
  return round.chunks.flatMap((c, k) => c.contributions.slice(j).map((x, i) => ({ chunk: k, position: j + i, hash: x.hash })));
}

/**
 * What dropping `p` implies: the drop (with the round's contributions it takes along), then a coordinator-owned
 * replacement takes its position if one is free and a regular contributor remains, else the round restarts with the
 * others first in the queue; the last verifier leaving also restarts it; repeated drops end in a ban.
 */
export function dropEvents(state: Open, p: ParticipantId, reason: string, by: ParticipantId, consequencesBy: ParticipantId = by): CeremonyEvent[] {
  const round = currentRound(state);
  const j = round ? positionIn(round, p) : -1;
  const discarded = round ? discardedFrom(round, j) : [];
  const events: CeremonyEvent[] = [{ type: "ParticipantDropped", participant: p, reason, by, ...(discarded.length ? { discarded } : {}) }];
  if (round && j >= 0) {
    const regulars = regularContributors(state, round, p);
    const free = state.replacements.find((r) => !round.contributors.includes(r));
    if (regulars.length > 0 && free) events.push({ type: "ContributorReplaced", round: round.number, position: j, dropped: p, replacement: free });
    else events.push({ type: "RoundRestarted", round: round.number, reason: `contributor dropped: ${reason}`, requeued: regulars, by: consequencesBy });
  } else if (round && isVerifier(state, p) && state.verifiers.length === 1) {
    events.push({ type: "RoundRestarted", round: round.number, reason: "the last verifier is gone", requeued: regularContributors(state, round), by: consequencesBy });
  }
  const drops = dropsOf(state, p) + 1;
  if (drops >= state.settings.dropsBeforeBan && !isBanned(state, p)) {
    events.push({ type: "ParticipantBanned", participant: p, reason: `dropped ${drops} times`, by: consequencesBy });
  }
  return events;
}

/** The first chunk position j has not contributed to yet, or −1 when it has contributed to all. */
export function nextChunkOf(round: Round, j: number): number {
  return round.chunks.findIndex((c) => c.contributions.length <= j);
}

/** Whether position j may lock its next chunk now but holds no lock: its turn runs (turnSince, turnTimeoutMs). */
export function onTurn(state: Open, round: Round, j: number): number | null {
  const p = round.contributors[j];
  if (p === undefined || round.chunks.some((c) => c.lock?.holder === p)) return null;
  const k = nextChunkOf(round, j);
  return k >= 0 && lockRefusal(state, round, p, k) === null ? k : null;
}

/**
 * The first timeout at `now`, and the drop it implies: a silent round contributor, a lock held too long, or a
 * contributor whose next chunk is free but who does not lock it (heartbeats alone do not hold a round). Time spent
 * waiting for a verification never counts: a turn starts when the chunk becomes free. Replacements are the
 * coordinator's own and never time out.
 */
export function timeoutDrop(state: Open, now: number, lastSeen: Record<ParticipantId, number>, upSince = 0): CeremonyEvent[] {
  const round = currentRound(state);
  if (!round) return [];
  const s = state.settings;
  const secs = (ms: number): number => Math.round(ms / 1000);
  const from = (t: number): number => Math.max(t, upSince);
  for (const p of round.contributors) {
    if (isReplacement(state, p)) continue;
    const seen = Math.max(lastSeen[p] ?? 0, round.startedAt);
    if (now - seen > s.heartbeatTimeoutMs) return dropEvents(state, p, `unresponsive: no heartbeat for ${secs(now - seen)} s`, s.coordinator);
  }
  for (const [k, c] of round.chunks.entries()) {
    if (c.lock && !isReplacement(state, c.lock.holder) && now - from(c.lock.since) > s.lockTimeoutMs) {
      return dropEvents(state, c.lock.holder, `too slow: held chunk ${k + 1} for ${secs(now - from(c.lock.since))} s`, s.coordinator);
    }
  }
  for (const [j, p] of round.contributors.entries()) {
    if (isReplacement(state, p)) continue;
    const k = onTurn(state, round, j);
    const since = from(round.turnSince[j] ?? round.startedAt);
    if (k !== null && now - since > s.turnTimeoutMs) return dropEvents(state, p, `stalled: did not lock chunk ${k + 1} for ${secs(now - since)} s`, s.coordinator);
  }
  return [];
}

/** The shortest beacon accepted (bytes) and the most SHA-256 iterations (2^exp) a finalization may ask for: 2^24 take about 14 s here. */
export const BEACON_MIN_BYTES = 32;
export const BEACON_MAX_ITERATIONS_EXP = 24;

/** Why no round may start at `now`, or null: the queue is full, or its first has waited roundStartWaitMs; a verifier exists. */
export function roundStartRefusal(state: Open, now: number): DomainError | null {
  if (state.phase !== "waiting") return refuse("INVALID_COMMAND", `a round cannot start while the ceremony is ${state.phase}`);
  const waiting = queueLength(state);
  if (waiting === 0) return refuse("NOT_QUEUED", "nobody is queued");
  if (state.verifiers.length === 0) return refuse("NOT_A_VERIFIER", "no verifier is registered");
  const first = queueHead(state, 1)[0];
  const oldest = (first !== undefined ? queuedAt(state, first) : undefined) ?? now;
  const full = waiting >= state.settings.contributorsPerRound;
  if (!full && now - oldest < state.settings.roundStartWaitMs) return refuse("INVALID_COMMAND", "the queue is neither full nor has waited long enough");
  return null;
}

/** The contributors of the next round: the head of the queue. */
export function nextContributors(state: Open): ParticipantId[] {
  return queueHead(state, state.settings.contributorsPerRound);
}

/** What the schedule says of the queue at `at`: closed from closesAt, scheduled before opensAt, open otherwise. */
export function queueStatusAt(schedule: QueueSchedule, at: number): QueueStatus {
  if (schedule.closesAt !== null && at >= schedule.closesAt) return "closed";
  if (schedule.opensAt !== null && at < schedule.opensAt) return "scheduled";
  return "open";
}

/** The queue's opening or closing that time has brought about by `now` (the tick records it), if any. */
export function queueTransitions(state: Open, now: number): CeremonyEvent[] {
  if (state.phase !== "waiting" && state.phase !== "running") return [];
  const due = queueStatusAt(state.schedule, now);
  if (due === state.queueStatus) return [];
  if (due === "closed") return [{ type: "QueueClosed", at: now }];
  if (due === "open" && state.queueStatus === "scheduled") return [{ type: "QueueOpened", at: now }];
  return [];
}

/** Why nobody may join now because of the schedule, or null when the queue is open. */
export function queueStatusRefusal(state: Open): DomainError | null {
  const when = (ms: number | null): string => (ms === null ? "" : ` (${new Date(ms).toISOString()})`);
  if (state.queueStatus === "scheduled") return refuse("QUEUE_NOT_OPEN", `the queue is not open yet; it opens at its scheduled time${when(state.schedule.opensAt)}`);
  if (state.queueStatus === "closed") return refuse("QUEUE_CLOSED", `the queue closed at its scheduled time${when(state.schedule.closesAt)}`);
  return null;
}
