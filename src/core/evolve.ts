/** evolve(state, event) -> state: applies one fact. Pure; never refuses (decide already did); never mutates its input. */
import type { Base, CeremonyEvent, CeremonyState, ChunkProgress, ParticipantId, Round } from "./model.ts";
import { currentRound, initialState } from "./state.ts";

function base(state: CeremonyState): Base {
  if (state.phase === "setup") throw new Error("event applied before CeremonyInitialized");
  const { settings, queue, queuedAt, verifiers, banned, lastRound, accumulator, challenge, completedRounds, replacements, failures, drops, acceptedKeys } = state;
  return { settings, queue, queuedAt, verifiers, banned, lastRound, accumulator, challenge, completedRounds, replacements, failures, drops, acceptedKeys };
}

/** The same state with its round replaced (or removed, with null). */
function withRound(state: CeremonyState, round: Round | null): CeremonyState {
  const b = base(state);
  if (state.phase === "finalizing") return { ...b, phase: "finalizing", round, beacon: state.beacon };
  return round ? { ...b, phase: "running", round } : { ...b, phase: "waiting" };
}

function updateChunk(round: Round, k: number, fn: (c: ChunkProgress) => ChunkProgress): Round {
  return { ...round, chunks: round.chunks.map((c, i) => (i === k ? fn(c) : c)) };
}

/**
 * A dropped contributor's position is emptied: its contributions and every one built on them (positions ≥ j) leave
 * the round, their locks are released, and the challenges after j are unknown again. Not in the round: only its locks.
 */
export function withoutPosition(round: Round, j: number, participant: ParticipantId): Round {
  if (j < 0) return { ...round, chunks: round.chunks.map((c) => (c.lock?.holder === participant ? { ...c, lock: null } : c)) };
  const later = new Set(round.contributors.slice(j));
  return {
    ...round,
    challenges: round.challenges.map((c, i) => (i > j ? null : c)),
    chunks: round.chunks.map((c) => ({ lock: c.lock && later.has(c.lock.holder) ? null : c.lock, contributions: c.contributions.slice(0, j) })),
  };
}

function dequeue(b: Base, leaving: ParticipantId[]): Pick<Base, "queue" | "queuedAt"> {
  const queuedAt = { ...b.queuedAt };
  for (const p of leaving) delete queuedAt[p];
  return { queue: b.queue.filter((p) => !leaving.includes(p)), queuedAt };
}

function mustRound(state: CeremonyState): Round {
  const r = currentRound(state);
  if (!r) throw new Error("round event applied with no round");
  return r;
}

export function evolve(state: CeremonyState, event: CeremonyEvent): CeremonyState {
  switch (event.type) {
    case "CeremonyInitialized":
      return {
        phase: "waiting",
        settings: event.settings,
        queue: [],
        queuedAt: {},
        verifiers: [],
        banned: [],
        lastRound: 0,
        accumulator: event.accumulator,
        challenge: event.challenge,
        completedRounds: [],
        replacements: [],
        failures: {},
        drops: {},
        acceptedKeys: {},
      };
    case "ParticipantQueued":
      return { ...state, queue: [...base(state).queue, event.participant], queuedAt: { ...base(state).queuedAt, [event.participant]: event.at } } as CeremonyState;
    case "ReplacementRegistered":
      return { ...state, replacements: [...base(state).replacements, event.participant] } as CeremonyState;
    case "VerifierRegistered":
      return { ...state, verifiers: [...base(state).verifiers, event.participant] } as CeremonyState;
    case "ParticipantLeftQueue":
      return { ...state, ...dequeue(base(state), [event.participant]) } as CeremonyState;
    case "RoundStarted": {
      const b = base(state);
      const round: Round = {
        number: event.round,
        contributors: event.contributors,
        startedAt: event.startedAt,
        challenges: event.contributors.map((_, j) => (j === 0 ? b.challenge : null)),
        chunks: Array.from({ length: b.settings.numChunks }, () => ({ lock: null, contributions: [] })),
      };
      return withRound({ ...state, ...dequeue(b, event.contributors), failures: {} } as CeremonyState, round);
    }
    case "ChunkLocked":
      return withRound(state, updateChunk(mustRound(state), event.chunk, (c) => ({ ...c, lock: { holder: event.participant, since: event.at } })));
    case "ContributionRecorded":
      return withRound(
        state,
        updateChunk(mustRound(state), event.chunk, (c) => ({
          lock: null,
          contributions: [...c.contributions, { contributor: event.contributor, hash: event.hash, verified: false }],
        })),
      );
    case "ContributionVerified": {
      let round = updateChunk(mustRound(state), event.chunk, (c) => ({
        ...c,
        contributions: c.contributions.map((x, j) => (j === event.position ? { ...x, verified: true, verifier: event.verifier } : x)),
      }));
      if (event.nextChallenge !== undefined) {
        const next = event.position + 1;
        round = { ...round, challenges: round.challenges.map((c, j) => (j === next ? (event.nextChallenge ?? null) : c)) };
      }
      if (event.publicKeyId === undefined) return withRound(state, round);
      return withRound({ ...state, acceptedKeys: { ...base(state).acceptedKeys, [event.publicKeyId]: true } } as CeremonyState, round);
    }
    case "ContributionRejected": {
      const round = mustRound(state);
      const who = round.contributors[event.position] ?? "";
      const failures = { ...base(state).failures, [who]: (base(state).failures[who] ?? 0) + 1 };
      return withRound(
        { ...state, failures } as CeremonyState,
        updateChunk(round, event.chunk, (c) => ({ ...c, contributions: c.contributions.slice(0, event.position) })),
      );
    }
    case "RoundAggregated": {
      const b = base(state);
      const round = mustRound(state);
      const next: Base = {
        ...b,
        lastRound: event.round,
        accumulator: event.accumulator,
        challenge: event.challenge,
        completedRounds: [
          ...b.completedRounds,
          {
            number: event.round,
            contributors: round.contributors,
            challenges: round.challenges.map((c) => c ?? ""),
            chunk0: (round.chunks[0]?.contributions ?? []).map((c) => c.hash),
            aggregateChallenge: event.challenge,
          },
        ],
      };
      return state.phase === "finalizing" ? { ...next, phase: "finalizing", round: null, beacon: state.beacon } : { ...next, phase: "waiting" };
    }
    case "FinalizationRequested":
      return { ...base(state), phase: "finalizing", round: currentRound(state), beacon: event.beacon };
    case "CeremonyFinalized": {
      if (state.phase !== "finalizing") throw new Error("CeremonyFinalized applied outside finalizing");
      return { ...base(state), phase: "finalized", beacon: state.beacon, finalHash: event.hash };
    }
    case "ParticipantDropped": {
      const b = base(state);
      const round = currentRound(state);
      const next = {
        ...state,
        ...dequeue(b, [event.participant]),
        verifiers: b.verifiers.filter((p) => p !== event.participant),
        replacements: b.replacements.filter((p) => p !== event.participant),
        drops: { ...b.drops, [event.participant]: (b.drops[event.participant] ?? 0) + 1 },
      } as CeremonyState;
      return round ? withRound(next, withoutPosition(round, round.contributors.indexOf(event.participant), event.participant)) : next;
    }
    case "ContributorReplaced": {
      const round = mustRound(state);
      return withRound(state, { ...round, contributors: round.contributors.map((p, j) => (j === event.position ? event.replacement : p)) });
    }
    case "ParticipantBanned":
      return { ...state, banned: [...base(state).banned, event.participant] } as CeremonyState;
    case "ParticipantUnbanned":
      return { ...state, banned: base(state).banned.filter((p) => p !== event.participant) } as CeremonyState;
    case "RoundRestarted": {
      const b = base(state);
      // The carried-over contributors go first, as if they had queued at the start of the restarted round.
      const since = Object.fromEntries(event.requeued.map((p) => [p, mustRound(state).startedAt]));
      const rest = dequeue(b, event.requeued);
      const requeued = { ...state, queue: [...event.requeued, ...rest.queue], queuedAt: { ...rest.queuedAt, ...since } } as CeremonyState;
      return withRound(requeued, null);
    }
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

export function fold(events: Iterable<CeremonyEvent>, from: CeremonyState = initialState()): CeremonyState {
  let s = from;
  for (const e of events) s = evolve(s, e);
  return s;
}
