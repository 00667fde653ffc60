/**
 * decide(command, state) -> events: the ceremony's rules. Pure and synchronous: time, hashes and verification
 * verdicts arrive in the command; a refusal throws a DomainError with a stable code and changes nothing.
 */
import { refuse } from "./errors.ts";
import { currentRound, evolve } from "./evolve.ts";
import type { Base, CeremonyEvent, CeremonyState, Command, ParticipantId, Round } from "./model.ts";

type Open = Exclude<CeremonyState, { phase: "setup" }>;

function opened(state: CeremonyState): Open {
  if (state.phase === "setup") throw refuse("NOT_INITIALIZED", "the ceremony has not been initialized");
  return state;
}

function notFinalized(state: CeremonyState): Open {
  const s = opened(state);
  if (s.phase === "finalized") throw refuse("CEREMONY_FINALIZED", "the ceremony is finalized");
  return s;
}

function activeRound(state: CeremonyState): Round {
  const round = currentRound(notFinalized(state));
  if (!round) throw refuse("NO_ACTIVE_ROUND", "no round is running");
  return round;
}

function admin(state: Base, actor: ParticipantId): void {
  if (!state.settings.admins.includes(actor)) throw refuse("NOT_AN_ADMIN", "this key is not an admin key of the ceremony");
}

function position(round: Round, participant: ParticipantId): number {
  const j = round.contributors.indexOf(participant);
  if (j < 0) throw refuse("NOT_IN_ROUND", `participant is not a contributor of round ${round.number}`);
  return j;
}

function chunkIndex(state: Base, k: number): void {
  if (!Number.isInteger(k) || k < 0 || k >= state.settings.numChunks) {
    throw refuse("CHUNK_OUT_OF_RANGE", `chunk ${k} is not in 0..${state.settings.numChunks - 1}`);
  }
}

/** Whether every chunk holds a verified contribution from every contributor of the round. */
export function roundComplete(round: Round): boolean {
  const n = round.contributors.length;
  return round.chunks.every((c) => c.contributions.length === n && c.contributions.every((x) => x.verified));
}

/** Why `participant` may not lock chunk k now, or null when it may. */
export function lockRefusal(state: Open, round: Round, participant: ParticipantId, k: number): ReturnType<typeof refuse> | null {
  const j = round.contributors.indexOf(participant);
  if (j < 0) return refuse("NOT_IN_ROUND", `participant is not a contributor of round ${round.number}`);
  const chunk = round.chunks[k];
  if (!chunk) return refuse("CHUNK_OUT_OF_RANGE", `chunk ${k} is not in 0..${state.settings.numChunks - 1}`);
  if (chunk.contributions.length > j) return refuse("ALREADY_CONTRIBUTED", `chunk ${k} already has this participant's contribution`);
  if (chunk.lock) return refuse("CHUNK_LOCKED", `chunk ${k} is locked by another participant`);
  if (chunk.contributions.length < j || (j > 0 && !chunk.contributions[j - 1]?.verified)) {
    return refuse("NOT_YOUR_TURN", `chunk ${k} waits for the verified contribution of position ${j - 1}`);
  }
  // Chunks go in order for each contributor (chunk k's check needs chunk k−1's last point), but several may be
  // in hand at once, up to the lock limit: chunk k may be locked once chunk k−1 is uploaded or locked by the same.
  const before = round.chunks[k - 1];
  if (k > 0 && before && before.contributions.length <= j && before.lock?.holder !== participant) {
    return refuse("NOT_YOUR_TURN", `lock or contribute to chunk ${k - 1} first`);
  }
  const held = round.chunks.filter((c) => c.lock?.holder === participant).length;
  if (held >= state.settings.lockLimit) return refuse("LOCK_LIMIT_REACHED", `a participant may hold ${state.settings.lockLimit} lock(s) at once`);
  return null;
}

/**
 * What dropping `p` implies: the drop (with the round's contributions it takes along), then a coordinator-owned
 * replacement takes its position if one is free and a regular contributor remains, else the round restarts with the
 * others first in the queue; the last verifier leaving also restarts it; repeated drops end in a ban.
 */
export function dropEvents(state: Open, p: ParticipantId, reason: string, by: ParticipantId): CeremonyEvent[] {
  const round = currentRound(state);
  const j = round ? round.contributors.indexOf(p) : -1;
  const discarded =
    round && j >= 0 ? round.chunks.flatMap((c, k) => c.contributions.slice(j).map((x, i) => ({ chunk: k, position: j + i, hash: x.hash }))) : [];
  const events: CeremonyEvent[] = [{ type: "ParticipantDropped", participant: p, reason, by, ...(discarded.length ? { discarded } : {}) }];
  if (round && j >= 0) {
    const regulars = round.contributors.filter((x) => x !== p && !state.replacements.includes(x));
    const free = state.replacements.find((r) => !round.contributors.includes(r));
    if (regulars.length > 0 && free) events.push({ type: "ContributorReplaced", round: round.number, position: j, dropped: p, replacement: free });
    else events.push({ type: "RoundRestarted", round: round.number, reason: `contributor dropped: ${reason}`, requeued: regulars });
  } else if (round && state.verifiers.includes(p) && state.verifiers.length === 1) {
    const regulars = round.contributors.filter((x) => !state.replacements.includes(x));
    events.push({ type: "RoundRestarted", round: round.number, reason: "the last verifier is gone", requeued: regulars });
  }
  const drops = (state.drops[p] ?? 0) + 1;
  if (drops >= state.settings.dropsBeforeBan && !state.banned.includes(p)) {
    events.push({ type: "ParticipantBanned", participant: p, reason: `dropped ${drops} times`, by });
  }
  return events;
}

/** The first timeout the tick finds: a silent round contributor, else a lock held too long. */
function timeoutDrop(state: Open, now: number, lastSeen: Record<ParticipantId, number>, coordinator: ParticipantId): CeremonyEvent[] {
  const round = currentRound(state);
  if (!round) return [];
  const s = state.settings;
  for (const p of round.contributors) {
    if (state.replacements.includes(p)) continue;
    const seen = Math.max(lastSeen[p] ?? 0, round.startedAt);
    if (now - seen > s.heartbeatTimeoutMs) return dropEvents(state, p, `unresponsive: no heartbeat for ${Math.round((now - seen) / 1000)} s`, coordinator);
  }
  for (const [k, c] of round.chunks.entries()) {
    if (c.lock && !state.replacements.includes(c.lock.holder) && now - c.lock.since > s.lockTimeoutMs) {
      return dropEvents(state, c.lock.holder, `too slow: held chunk ${k} for ${Math.round((now - c.lock.since) / 1000)} s`, coordinator);
    }
  }
  return [];
}

export function decide(command: Command, state: CeremonyState): CeremonyEvent[] {
  switch (command.type) {
    case "Initialize": {
      if (state.phase !== "setup") throw refuse("ALREADY_INITIALIZED", "the ceremony is already initialized");
      const { settings } = command;
      if (settings.contributorsPerRound < 1 || settings.lockLimit < 1 || settings.numChunks !== command.accumulator.length) {
        throw refuse("INVALID_COMMAND", "settings do not match the initial accumulator");
      }
      return [{ type: "CeremonyInitialized", settings, accumulator: command.accumulator, challenge: command.challenge }];
    }
    case "JoinQueue": {
      const s = notFinalized(state);
      const p = command.participant;
      if (s.banned.includes(p)) throw refuse("BANNED", "this participant is banned");
      if (command.role === "replacement") {
        if (s.replacements.includes(p)) throw refuse("ALREADY_QUEUED", "this replacement is already registered");
        return [{ type: "ReplacementRegistered", participant: p }];
      }
      if (command.role === "verifier") {
        if (s.verifiers.includes(p)) throw refuse("ALREADY_QUEUED", "this verifier is already registered");
        return [{ type: "VerifierRegistered", participant: p }];
      }
      if (s.phase === "finalizing") throw refuse("QUEUE_CLOSED", "the ceremony is finalizing; the queue is closed");
      if (s.queue.includes(p)) throw refuse("ALREADY_QUEUED", "this participant is already in the queue");
      if (currentRound(s)?.contributors.includes(p)) throw refuse("ALREADY_IN_ROUND", "this participant is in the current round");
      return [{ type: "ParticipantQueued", participant: p, at: command.now }];
    }
    case "LeaveQueue": {
      const s = notFinalized(state);
      if (!s.queue.includes(command.participant)) throw refuse("NOT_QUEUED", "this participant is not in the queue");
      return [{ type: "ParticipantLeftQueue", participant: command.participant }];
    }
    case "Tick": {
      if (state.phase === "running" || state.phase === "finalizing") {
        return command.lastSeen && command.coordinator ? timeoutDrop(state, command.now, command.lastSeen, command.coordinator) : [];
      }
      if (state.phase !== "waiting") return [];
      if (state.queue.length === 0 || state.verifiers.length === 0) return [];
      const oldest = state.queuedAt[state.queue[0] as ParticipantId] ?? command.now;
      const full = state.queue.length >= state.settings.contributorsPerRound;
      if (!full && command.now - oldest < state.settings.roundStartWaitMs) return [];
      const contributors = state.queue.slice(0, state.settings.contributorsPerRound);
      return [{ type: "RoundStarted", round: state.lastRound + 1, contributors, startedAt: command.now }];
    }
    case "LockChunk": {
      const round = activeRound(state);
      const s = notFinalized(state);
      chunkIndex(s, command.chunk);
      const refusal = lockRefusal(s, round, command.participant, command.chunk);
      if (refusal) throw refusal;
      return [{ type: "ChunkLocked", round: round.number, chunk: command.chunk, participant: command.participant, at: command.now }];
    }
    case "RecordContribution": {
      const round = activeRound(state);
      chunkIndex(notFinalized(state), command.chunk);
      const j = position(round, command.participant);
      if (round.chunks[command.chunk]?.lock?.holder !== command.participant) {
        throw refuse("LOCK_NOT_HELD", `chunk ${command.chunk} is not locked by this participant`);
      }
      return [{ type: "ContributionRecorded", round: round.number, chunk: command.chunk, position: j, contributor: command.participant, hash: command.hash }];
    }
    case "RecordVerification": {
      const round = activeRound(state);
      const s = notFinalized(state);
      if (!s.verifiers.includes(command.verifier)) throw refuse("NOT_A_VERIFIER", "this participant is not a registered verifier");
      if (command.round !== round.number) throw refuse("WRONG_ROUND", `round ${command.round} is not the current round ${round.number}`);
      chunkIndex(s, command.chunk);
      const c = round.chunks[command.chunk]?.contributions[command.position];
      if (!c || c.hash !== command.hash || c.verified) {
        throw refuse("STALE_VERIFICATION", "that contribution is not awaiting verification (replaced, rejected or already verified)");
      }
      const { round: r, chunk, position: pos, verifier, hash } = { ...command, round: round.number };
      if (!command.ok) {
        const rejected: CeremonyEvent = { type: "ContributionRejected", round: r, chunk, position: pos, verifier, hash, code: command.code ?? "REJECTED" };
        const failures = (s.failures[c.contributor] ?? 0) + 1;
        if (failures < s.settings.maxVerificationFailures) return [rejected];
        const after = evolve(s, rejected) as Open;
        return [rejected, ...dropEvents(after, c.contributor, `failed verification ${failures} times (last: ${rejected.code})`, verifier)];
      }
      const last = pos === round.contributors.length - 1;
      if (chunk === 0 && !last && command.nextChallenge === undefined) {
        throw refuse("INVALID_COMMAND", "an accepted chunk 0 needs the next position's challenge");
      }
      return [
        {
          type: "ContributionVerified",
          round: r,
          chunk,
          position: pos,
          verifier,
          hash,
          ...(chunk === 0 && !last ? { nextChallenge: command.nextChallenge } : {}),
        },
      ];
    }
    case "AggregateRound": {
      const round = activeRound(state);
      if (command.round !== round.number) throw refuse("WRONG_ROUND", `round ${command.round} is not the current round ${round.number}`);
      if (!roundComplete(round)) throw refuse("ROUND_NOT_COMPLETE", `round ${round.number} still has chunks to contribute or verify`);
      const lastPos = round.contributors.length - 1;
      const accumulator = round.chunks.map((c) => (c.contributions[lastPos] as { hash: string }).hash);
      return [{ type: "RoundAggregated", round: round.number, accumulator, challenge: command.challenge }];
    }
    case "Finalize": {
      const s = notFinalized(state);
      admin(s, command.actor);
      if (s.phase === "finalizing") throw refuse("QUEUE_CLOSED", "finalization was already requested");
      return [{ type: "FinalizationRequested", beacon: command.beacon, by: command.actor }];
    }
    case "RecordFinal": {
      const s = notFinalized(state);
      if (s.phase !== "finalizing" || s.round) throw refuse("ROUND_NOT_COMPLETE", "the last round must be aggregated before the beacon");
      return [{ type: "CeremonyFinalized", hash: command.hash }];
    }
    case "Drop":
    case "Ban": {
      const s = notFinalized(state);
      admin(s, command.actor);
      const p = command.participant;
      const known = s.queue.includes(p) || s.verifiers.includes(p) || s.replacements.includes(p) || currentRound(s)?.contributors.includes(p);
      if (command.type === "Drop" && !known) throw refuse("UNKNOWN_PARTICIPANT", "this participant is not in the queue, a round or the verifiers");
      if (command.type === "Ban" && s.banned.includes(p)) throw refuse("BANNED", "this participant is already banned");
      const events = known ? dropEvents(s, p, command.reason, command.actor) : [];
      if (command.type === "Ban" && !events.some((e) => e.type === "ParticipantBanned")) {
        events.push({ type: "ParticipantBanned", participant: p, reason: command.reason, by: command.actor });
      }
      return events;
    }
    case "Unban": {
      const s = notFinalized(state);
      admin(s, command.actor);
      if (!s.banned.includes(command.participant)) throw refuse("NOT_BANNED", "this participant is not banned");
      return [{ type: "ParticipantUnbanned", participant: command.participant, by: command.actor }];
    }
    case "RestartRound": {
      admin(notFinalized(state), command.actor);
      const round = activeRound(state);
      return [{ type: "RoundRestarted", round: round.number, reason: command.reason, requeued: round.contributors }];
    }
    default: {
      const never: never = command;
      throw refuse("INVALID_COMMAND", `unknown command ${JSON.stringify(never)}`);
    }
  }
}
