/** evolve(state, event) -> state: applies one fact. Pure; never refuses (decide already did); never mutates its input. */
import { Map as ImmutableMap, OrderedMap, Set as ImmutableSet } from "immutable";
import type { Base, CeremonyEvent, CeremonyState, ChunkProgress, ParticipantId, Round } from "./model.ts";
import { evolveMirrors, NO_MIRRORS } from "./mirrors.ts";
import { nextChunkOf, queueStatusAt } from "./rules.ts";
import { currentRound, identityOf, initialState, keyIdentity } from "./state.ts";

function base(state: CeremonyState): Base {
  if (state.phase === "setup") throw new Error("event applied before CeremonyInitialized");
  const { phase: _, ...rest } = state;
  const { settings, admins, front, queue, verifiers, banned, lastRound, accumulator, challenge, completedRounds, replacements, failures, drops } = rest;
  const { acceptedKeys, identityOf: ids, holders, contributions, contributedIn, invitations, mirrors } = rest;
  const { queueStatus, schedule, imported } = rest;
  return {
    settings, admins, front, queue, verifiers, banned, lastRound, accumulator, challenge, completedRounds, replacements, failures, drops,
    acceptedKeys, identityOf: ids, holders, contributions, contributedIn, invitations, queueStatus, schedule, imported, mirrors,
  };
}

/** The same state with some of its shared fields replaced. */
function withBase(state: CeremonyState, changes: Partial<Base>): CeremonyState {
  return { ...state, ...changes } as CeremonyState;
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

/** Position j moved (or was let move) at `at`: its turn timeout counts from here. */
function turnAt(round: Round, j: number, at: number): Round {
  return j < 0 ? round : { ...round, turnSince: round.turnSince.map((t, i) => (i === j ? at : t)) };
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

/** Participants leave the queue. */
function dequeue(b: Base, leaving: ParticipantId[]): Pick<Base, "front" | "queue"> {
  return { front: b.front.deleteAll(leaving), queue: b.queue.deleteAll(leaving) };
}

/** Participants give up the identities they held (left, dropped, or their round ended). */
function release(b: Base, leaving: ParticipantId[]): Pick<Base, "identityOf" | "holders"> {
  const ids = leaving.map((p) => b.identityOf.get(p)).filter((id): id is string => id !== undefined);
  return { identityOf: b.identityOf.deleteAll(leaving), holders: b.holders.deleteAll(ids) };
}

function mustRound(state: CeremonyState): Round {
  const r = currentRound(state);
  if (!r) throw new Error("round event applied with no round");
  return r;
}

/** An aggregated round's contributions count against their identities (and keys); the identities are free again. */
function countContributions(b: Base, round: Round): Pick<Base, "contributions" | "contributedIn" | "identityOf" | "holders"> {
  const counted = round.contributors.filter((p) => !b.replacements.includes(p));
  const contributions = b.contributions.withMutations((m) => {
    for (const p of counted) for (const id of new Set([identityOf(b, p), keyIdentity(p)])) m.set(id, (m.get(id) ?? 0) + 1);
  });
  const contributedIn = b.contributedIn.withMutations((m) => {
    for (const p of counted) m.set(p, round.number);
  });
  return { contributions, contributedIn, ...release(b, counted) };
}

export function evolve(state: CeremonyState, event: CeremonyEvent): CeremonyState {
  switch (event.type) {
    case "CeremonyInitialized":
      return {
        phase: "waiting",
        settings: event.settings,
        admins: event.settings.admins,
        front: OrderedMap(),
        queue: OrderedMap(),
        verifiers: [],
        banned: ImmutableSet(),
        lastRound: 0,
        accumulator: event.accumulator,
        challenge: event.challenge,
        completedRounds: [],
        replacements: [],
        failures: {},
        drops: ImmutableMap(),
        acceptedKeys: ImmutableSet(event.imported?.keyIds ?? []),
        identityOf: ImmutableMap(),
        holders: ImmutableMap(),
        contributions: ImmutableMap(),
        contributedIn: ImmutableMap(),
        invitations: ImmutableSet(),
        mirrors: NO_MIRRORS,
        queueStatus: "open",
        schedule: { opensAt: null, closesAt: null },
        imported: event.imported ?? null,
      };
    case "ParticipantQueued": {
      const b = base(state);
      const queue = b.queue.set(event.participant, event.at);
      if (event.identity === undefined) return withBase(state, { queue });
      return withBase(state, { queue, identityOf: b.identityOf.set(event.participant, event.identity), holders: b.holders.set(event.identity, event.participant) });
    }
    case "ReplacementRegistered":
      return withBase(state, { replacements: [...base(state).replacements, event.participant] });
    case "VerifierAdded":
      return withBase(state, { verifiers: [...base(state).verifiers, event.participant] });
    case "VerifierRemoved":
      return withBase(state, { verifiers: base(state).verifiers.filter((p) => p !== event.participant) });
    case "AdminAdded":
      return withBase(state, { admins: [...base(state).admins, event.participant] });
    case "AdminRemoved":
      return withBase(state, { admins: base(state).admins.filter((p) => p !== event.participant) });
    case "InvitationsIssued":
      return withBase(state, { invitations: base(state).invitations.union(event.hashes) });
    case "ParticipantLeftQueue": {
      const b = base(state);
      return withBase(state, { ...dequeue(b, [event.participant]), ...release(b, [event.participant]) });
    }
    case "RoundStarted": {
      const b = base(state);
      const left = dequeue(b, event.contributors);
      const round: Round = {
        number: event.round,
        contributors: event.contributors,
        startedAt: event.startedAt,
        challenges: event.contributors.map((_, j) => (j === 0 ? b.challenge : null)),
        chunks: Array.from({ length: b.settings.numChunks }, () => ({ lock: null, contributions: [] })),
        turnSince: event.contributors.map(() => event.startedAt),
      };
      // The round's contributors keep their identities until the round is aggregated or they are dropped.
      return withRound(withBase(state, { ...left, failures: {} }), round);
    }
    case "ChunkLocked": {
      const round = mustRound(state);
      const locked = updateChunk(round, event.chunk, (c) => ({ ...c, lock: { holder: event.participant, since: event.at } }));
      return withRound(state, turnAt(locked, round.contributors.indexOf(event.participant), event.at));
    }
    case "ContributionRecorded": {
      const round = updateChunk(mustRound(state), event.chunk, (c) => ({
        lock: null,
        contributions: [...c.contributions, { contributor: event.contributor, hash: event.hash, verified: false }],
      }));
      return withRound(state, turnAt(round, event.position, event.at));
    }
    case "ContributionVerified": {
      let round = updateChunk(mustRound(state), event.chunk, (c) => ({
        ...c,
        contributions: c.contributions.map((x, j) => (j === event.position ? { ...x, verified: true, verifier: event.verifier } : x)),
      }));
      const next = event.position + 1;
      if (event.nextChallenge !== undefined) {
        round = { ...round, challenges: round.challenges.map((c, j) => (j === next ? (event.nextChallenge ?? null) : c)) };
      }
      // The next position waited for exactly this chunk: its turn starts now.
      if (next < round.contributors.length && nextChunkOf(round, next) === event.chunk) round = turnAt(round, next, event.at);
      if (event.publicKeyId === undefined) return withRound(state, round);
      return withRound(withBase(state, { acceptedKeys: base(state).acceptedKeys.add(event.publicKeyId) }), round);
    }
    case "ContributionRejected": {
      const round = mustRound(state);
      const who = round.contributors[event.position] ?? "";
      const failures = { ...base(state).failures, [who]: (base(state).failures[who] ?? 0) + 1 };
      const cut = updateChunk(round, event.chunk, (c) => ({ ...c, contributions: c.contributions.slice(0, event.position) }));
      return withRound(withBase(state, { failures }), turnAt(cut, event.position, event.at));
    }
    case "RoundAggregated": {
      const b = base(state);
      const round = mustRound(state);
      const next: Base = {
        ...b,
        ...countContributions(b, round),
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
      const next = withBase(state, {
        ...dequeue(b, [event.participant]),
        ...release(b, [event.participant]),
        verifiers: b.verifiers.filter((p) => p !== event.participant),
        replacements: b.replacements.filter((p) => p !== event.participant),
        drops: b.drops.set(event.participant, (b.drops.get(event.participant) ?? 0) + 1),
      });
      return round ? withRound(next, withoutPosition(round, round.contributors.indexOf(event.participant), event.participant)) : next;
    }
    case "ContributorReplaced": {
      const round = mustRound(state);
      return withRound(state, { ...round, contributors: round.contributors.map((p, j) => (j === event.position ? event.replacement : p)) });
    }
    case "ParticipantBanned":
      return withBase(state, { banned: base(state).banned.add(event.participant) });
    case "ParticipantUnbanned":
      return withBase(state, { banned: base(state).banned.delete(event.participant) });
    case "RoundRestarted": {
      const b = base(state);
      // The carried-over contributors go first, as if they had queued at the start of the restarted round; the
      // others of the round give up the identities they held.
      const round = mustRound(state);
      const carried = OrderedMap(event.requeued.map((p): [ParticipantId, number] => [p, round.startedAt]));
      const released = release(b, round.contributors.filter((p) => !event.requeued.includes(p)));
      return withRound(withBase(state, { front: carried.merge(b.front.deleteAll(event.requeued)), queue: b.queue.deleteAll(event.requeued), ...released }), null);
    }
    case "MirrorRegistered":
    case "MirrorAdmitted":
    case "MirrorRetired":
    case "EpochStarted":
    case "MirrorMisbehaved":
      return withBase(state, { mirrors: evolveMirrors(base(state).mirrors, event) });
    case "QueueScheduled": {
      const schedule = { opensAt: event.opensAt, closesAt: event.closesAt };
      return withBase(state, { schedule, queueStatus: queueStatusAt(schedule, event.at) });
    }
    case "QueueOpened":
      return withBase(state, { queueStatus: "open" });
    case "QueueClosed":
      return withBase(state, { queueStatus: "closed" });
    default: {
      const never: never = event;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Applies events in order. The same as evolve one by one, faster for a long log: a run of joins (the bulk of a
 * lobby's log) is applied with the collections mutated in place while the run lasts (immutable.js transients),
 * which no one else can see.
 */
export function fold(events: Iterable<CeremonyEvent>, from: CeremonyState = initialState()): CeremonyState {
  let s = from;
  let run: Array<Extract<CeremonyEvent, { type: "ParticipantQueued" }>> = [];
  const flush = (): void => {
    if (run.length > 0) s = joinAll(s, run);
    run = [];
  };
  for (const e of events) {
    if (e.type === "ParticipantQueued" && s.phase !== "setup") run.push(e);
    else {
      flush();
      s = evolve(s, e);
    }
  }
  flush();
  return s;
}

/** Many ParticipantQueued events at once, exactly as evolve applies them one by one. */
function joinAll(state: CeremonyState, joins: Array<Extract<CeremonyEvent, { type: "ParticipantQueued" }>>): CeremonyState {
  const b = base(state);
  const queue = b.queue.withMutations((q) => {
    for (const e of joins) q.set(e.participant, e.at);
  });
  const named = joins.filter((e) => e.identity !== undefined);
  if (named.length === 0) return withBase(state, { queue });
  const identityOf = b.identityOf.withMutations((m) => {
    for (const e of named) m.set(e.participant, e.identity as string);
  });
  const holders = b.holders.withMutations((m) => {
    for (const e of named) m.set(e.identity as string, e.participant);
  });
  return withBase(state, { queue, identityOf, holders });
}
