/**
 * May this event follow this state? The one legality check of the ceremony: decide checks every event it produces
 * with it before anything is written, and the public verifier checks every logged event with it, so a rule changed
 * here changes both. Crypto facts (a verdict, a challenge, a key id) are checked by whoever can compute them; what
 * the state alone decides is checked here.
 */
import { DomainError, refuse } from "./errors.ts";
import { isMirrorEvent, mirrorRefusal } from "./mirrors.ts";
import type { CeremonyEvent, CeremonyState, ParticipantId, Round } from "./model.ts";
import {
  BEACON_MAX_ITERATIONS_EXP,
  BEACON_MIN_BYTES,
  discardedFrom,
  keyAccepted,
  lockRefusal,
  nextContributors,
  queueStatusAt,
  queueStatusRefusal,
  readyToVerify,
  roundComplete,
  roundResult,
  roundStartRefusal,
} from "./rules.ts";
import {
  actsForCoordinator,
  administers,
  contributionsOf,
  currentRound,
  holderOf,
  inRound,
  isAdmin,
  isBanned,
  isCoordinator,
  isKnown,
  isQueued,
  isReplacement,
  isVerifier,
  keyIdentity,
  positionIn,
  type Open,
} from "./state.ts";

type Of<T extends CeremonyEvent["type"]> = Extract<CeremonyEvent, { type: T }>;

const same = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

function roundOf(state: Open, number: number): Round | DomainError {
  const round = currentRound(state);
  if (!round) return refuse("NO_ACTIVE_ROUND", "no round is running");
  if (round.number !== number) return refuse("WRONG_ROUND", `round ${number} is not the current round ${round.number}`);
  return round;
}

function chunkRefusal(state: Open, k: number): DomainError | null {
  if (!Number.isInteger(k) || k < 0 || k >= state.settings.numChunks) return refuse("CHUNK_OUT_OF_RANGE", `chunk index ${k} is not in 0..${state.settings.numChunks - 1}`);
  return null;
}

function byAdmin(state: Open, by: ParticipantId): DomainError | null {
  return administers(state, by) ? null : refuse("NOT_AN_ADMIN", "this key is not an admin key of the ceremony");
}

function byCoordinatorSide(state: Open, by: ParticipantId): DomainError | null {
  return actsForCoordinator(state, by) ? null : refuse("NOT_AN_ADMIN", `${by.slice(0, 16)}… is neither an admin, the coordinator nor a verifier`);
}

function joinRefusal(state: Open, e: Of<"ParticipantQueued">): DomainError | null {
  const p = e.participant;
  if (isBanned(state, p)) return refuse("BANNED", "this participant is banned");
  if (state.phase === "finalizing") return refuse("QUEUE_CLOSED", "the ceremony is finalizing; the queue is closed");
  const shut = queueStatusRefusal(state);
  if (shut) return shut;
  if (isQueued(state, p)) return refuse("ALREADY_QUEUED", "this participant is already in the queue");
  if (inRound(state, p)) return refuse("ALREADY_IN_ROUND", "this participant is in the current round");
  const kind = state.settings.identity;
  const id = e.identity;
  if (kind === "open" && id !== undefined) return refuse("INVALID_COMMAND", "an open ceremony records no identity");
  if (kind === "token" && !id?.startsWith("token:")) return refuse("IDENTITY_REQUIRED", "this ceremony admits participants by invitation token");
  if (kind === "ethereum" && !id?.startsWith("eth:")) return refuse("IDENTITY_REQUIRED", "this ceremony admits participants by Sign-In with Ethereum");
  if (kind === "token" && id && !state.invitations.has(id.slice("token:".length))) return refuse("UNKNOWN_INVITATION", "no admin issued this invitation token");
  const limit = state.settings.contributionsPerIdentity;
  if (contributionsOf(state, keyIdentity(p)) >= limit || (id !== undefined && contributionsOf(state, id) >= limit)) {
    return refuse("ALREADY_CONTRIBUTED", id?.startsWith("token:") ? "this invitation was already used for a contribution" : "this participant already contributed to the ceremony");
  }
  const holder = id === undefined ? null : holderOf(state, id);
  if (holder !== null && holder !== p) return refuse("IDENTITY_IN_USE", "another key is queued or contributing with this identity");
  return null;
}

/** Verifiers and admins: added by an admin (or the coordinator, for the operator's list); never the last admin. */
function trustRefusal(state: Open, e: Of<"VerifierAdded" | "VerifierRemoved" | "AdminAdded" | "AdminRemoved">): DomainError | null {
  if (!administers(state, e.by)) return refuse("NOT_AN_ADMIN", "this key is not an admin key of the ceremony");
  const admin = e.type === "AdminAdded" || e.type === "AdminRemoved";
  const member = admin ? isAdmin(state, e.participant) : isVerifier(state, e.participant);
  const what = admin ? "an admin" : "a verifier";
  if (e.type === "VerifierAdded" || e.type === "AdminAdded") {
    if (isBanned(state, e.participant)) return refuse("BANNED", "this participant is banned");
    return member ? refuse("ALREADY_REGISTERED", `this key is already ${what}`) : null;
  }
  if (!member) return refuse("NOT_REGISTERED", `this key is not ${what}`);
  if (admin && state.admins.length === 1) return refuse("LAST_ADMIN", "the last admin cannot be removed");
  if (!admin && state.verifiers.length === 1 && currentRound(state)) return refuse("LAST_VERIFIER", "the last verifier cannot be removed while a round runs");
  return null;
}

function finalizeRefusal(state: Open, e: Of<"FinalizationRequested">): DomainError | null {
  const bad = byAdmin(state, e.by);
  if (bad) return bad;
  if (state.phase === "finalizing") return refuse("QUEUE_CLOSED", "finalization was already requested");
  if (state.lastRound < 1) return refuse("NO_AGGREGATED_ROUND", "no round is aggregated yet: there is nothing to finalize");
  const { hash, numIterationsExp } = e.beacon;
  if (!/^(?:[0-9a-f]{2})+$/.test(hash) || hash.length < 2 * BEACON_MIN_BYTES || hash.length > 128) {
    return refuse("BEACON_INVALID", `the beacon must be ${BEACON_MIN_BYTES} to 64 bytes of lowercase hex`);
  }
  if (!Number.isInteger(numIterationsExp) || numIterationsExp < 0 || numIterationsExp > BEACON_MAX_ITERATIONS_EXP) {
    return refuse("BEACON_INVALID", `the beacon's iteration exponent must be an integer in 0..${BEACON_MAX_ITERATIONS_EXP}`);
  }
  return null;
}

function recordedRefusal(state: Open, e: Of<"ContributionRecorded">): DomainError | null {
  const round = roundOf(state, e.round);
  if (round instanceof DomainError) return round;
  const bad = chunkRefusal(state, e.chunk);
  if (bad) return bad;
  if (round.contributors[e.position] !== e.contributor) return refuse("NOT_IN_ROUND", `contributor ${e.position + 1} of the round is not this participant`);
  const chunk = round.chunks[e.chunk];
  if (chunk?.lock?.holder !== e.contributor) return refuse("LOCK_NOT_HELD", `chunk ${e.chunk + 1} is not locked by this participant`);
  if (chunk.contributions.length !== e.position) return refuse("INVALID_COMMAND", `chunk ${e.chunk + 1} expects contributor ${chunk.contributions.length + 1} next`);
  return null;
}

function verdictRefusal(state: Open, e: Of<"ContributionVerified"> | Of<"ContributionRejected">): DomainError | null {
  if (!isVerifier(state, e.verifier)) return refuse("NOT_A_VERIFIER", "this participant is not a registered verifier");
  const round = roundOf(state, e.round);
  if (round instanceof DomainError) return round;
  const bad = chunkRefusal(state, e.chunk);
  if (bad) return bad;
  if (round.chunks[e.chunk]?.contributions[e.position]?.hash !== e.hash || !readyToVerify(round, e.chunk, e.position)) {
    return refuse("STALE_VERIFICATION", "verdict on a contribution that was not ready for one, or no longer awaits one (replaced, rejected or already verified)");
  }
  if (e.type === "ContributionRejected") return null;
  const chainsOn = e.chunk === 0 && e.position < round.contributors.length - 1;
  if (chainsOn !== (e.nextChallenge !== undefined)) {
    return refuse("INVALID_COMMAND", chainsOn ? "an accepted chunk 0 needs the next position's challenge" : "only a chunk 0 before the last position names a next challenge");
  }
  if ((e.chunk === 0) !== (e.publicKeyId !== undefined)) return refuse("INVALID_COMMAND", "an accepted chunk 0, and only it, names its public key");
  if (e.publicKeyId !== undefined && keyAccepted(state, e.publicKeyId)) return refuse("INVALID_COMMAND", "this public key was already accepted in the ceremony");
  return null;
}

function droppedRefusal(state: Open, e: Of<"ParticipantDropped">): DomainError | null {
  // The coordinator's side drops; a round contributor may also withdraw itself.
  const bad = e.by === e.participant && inRound(state, e.participant) ? null : byCoordinatorSide(state, e.by);
  if (bad) return bad;
  if (!isKnown(state, e.participant)) return refuse("UNKNOWN_PARTICIPANT", "this participant is not in the queue, a round or the verifiers");
  const round = currentRound(state);
  const expected = round ? discardedFrom(round, positionIn(round, e.participant)) : [];
  const got = e.discarded ?? [];
  if (!same(expected.map((d) => `${d.chunk}/${d.position}/${d.hash}`), got.map((d) => `${d.chunk}/${d.position}/${d.hash}`))) {
    return refuse("INVALID_COMMAND", "the discarded contributions are not those built on the dropped position");
  }
  return null;
}

function replacedRefusal(state: Open, e: Of<"ContributorReplaced">): DomainError | null {
  const round = roundOf(state, e.round);
  if (round instanceof DomainError) return round;
  if (round.contributors[e.position] !== e.dropped) return refuse("NOT_IN_ROUND", `contributor ${e.position + 1} of the round is not the dropped participant`);
  if (!isReplacement(state, e.replacement) || round.contributors.includes(e.replacement)) {
    return refuse("UNKNOWN_PARTICIPANT", `${e.replacement.slice(0, 16)}… is not a free replacement contributor`);
  }
  if (round.chunks.some((c) => c.contributions.length > e.position)) return refuse("INVALID_COMMAND", "the dropped position still holds contributions");
  return null;
}

function restartedRefusal(state: Open, e: Of<"RoundRestarted">): DomainError | null {
  const bad = byCoordinatorSide(state, e.by);
  if (bad) return bad;
  const round = roundOf(state, e.round);
  if (round instanceof DomainError) return round;
  const requeuable = round.contributors.filter((p) => !isReplacement(state, p) && !isBanned(state, p));
  let i = 0;
  for (const p of e.requeued) {
    while (i < requeuable.length && requeuable[i] !== p) i++;
    if (i++ >= requeuable.length) return refuse("INVALID_COMMAND", "only the round's own contributors, in order, go back to the queue");
  }
  return null;
}

function aggregatedRefusal(state: Open, e: Of<"RoundAggregated">): DomainError | null {
  const round = roundOf(state, e.round);
  if (round instanceof DomainError) return round;
  if (!roundComplete(round)) return refuse("ROUND_NOT_COMPLETE", `round ${round.number} still has chunks to contribute or verify`);
  if (!same(e.accumulator, roundResult(round))) return refuse("INVALID_COMMAND", "the accumulator is not the last contributor's chunks");
  return null;
}

function startedRefusal(state: Open, e: Of<"RoundStarted">): DomainError | null {
  const why = roundStartRefusal(state, e.startedAt);
  if (why) return why;
  if (e.round !== state.lastRound + 1) return refuse("WRONG_ROUND", `round ${e.round} follows round ${state.lastRound}`);
  if (!same(e.contributors, nextContributors(state))) return refuse("INVALID_COMMAND", "the contributors are not the head of the queue");
  return null;
}

/** The schedule is the operator's (carried out by the coordinator) or an admin's; the queue opens and closes only when it says. */
function scheduleRefusal(state: Open, e: Of<"QueueScheduled"> | Of<"QueueOpened"> | Of<"QueueClosed">): DomainError | null {
  const { opensAt, closesAt } = state.schedule;
  const moment = (x: number | null): boolean => x === null || (Number.isSafeInteger(x) && x >= 0);
  switch (e.type) {
    case "QueueScheduled":
      if (!moment(e.opensAt) || !moment(e.closesAt)) return refuse("INVALID_COMMAND", "a schedule's moments are milliseconds since the epoch");
      if (e.opensAt !== null && e.closesAt !== null && e.opensAt >= e.closesAt) return refuse("INVALID_COMMAND", "the queue must open before it closes");
      return byAdmin(state, e.by);
    case "QueueOpened":
      return state.queueStatus === "scheduled" && opensAt !== null && queueStatusAt(state.schedule, e.at) === "open"
        ? null
        : refuse("INVALID_COMMAND", "the queue opens only once its scheduled opening time has passed");
    case "QueueClosed":
      return state.queueStatus !== "closed" && closesAt !== null && e.at >= closesAt ? null : refuse("INVALID_COMMAND", "the queue closes only once its scheduled closing time has passed");
    default: {
      const never: never = e;
      return refuse("INVALID_COMMAND", `unknown event ${JSON.stringify(never)}`);
    }
  }
}

/** Why `event` may not follow `state`, or null when it may. Pure; the checks a state alone can decide. */
export function refusal(state: CeremonyState, event: CeremonyEvent): DomainError | null {
  if (event.type === "CeremonyInitialized") {
    if (state.phase !== "setup") return refuse("ALREADY_INITIALIZED", "the ceremony is already initialized");
    const s = event.settings;
    if (s.contributorsPerRound < 1 || s.lockLimit < 1 || s.numChunks !== event.accumulator.length) return refuse("INVALID_COMMAND", "settings do not match the initial accumulator");
    if (s.admins.length < 1 || s.contributionsPerIdentity < 1) return refuse("INVALID_COMMAND", "a ceremony needs an admin, and one contribution per identity at least");
    return null;
  }
  if (state.phase === "setup") return refuse("NOT_INITIALIZED", "the ceremony has not been initialized");
  if (isMirrorEvent(event)) return mirrorRefusal(state, event);
  if (state.phase === "finalized") return refuse("CEREMONY_FINALIZED", "the ceremony is finalized");
  switch (event.type) {
    case "ParticipantQueued":
      return joinRefusal(state, event);
    case "VerifierAdded":
    case "VerifierRemoved":
    case "AdminAdded":
    case "AdminRemoved":
      return trustRefusal(state, event);
    case "InvitationsIssued":
      return byAdmin(state, event.by) ?? (event.hashes.every((h) => /^[0-9a-f]{64,128}$/.test(h)) ? null : refuse("INVALID_COMMAND", "an invitation is named by its hash"));
    case "ReplacementRegistered":
      if (!isCoordinator(state, event.by)) return refuse("NOT_AN_ADMIN", "replacement contributors are the coordinator's own");
      if (isBanned(state, event.participant)) return refuse("BANNED", "this participant is banned");
      return isReplacement(state, event.participant) ? refuse("ALREADY_REGISTERED", "this replacement is already registered") : null;
    case "ParticipantLeftQueue":
      return isQueued(state, event.participant) ? null : refuse("NOT_QUEUED", "this participant is not in the queue");
    case "RoundStarted":
      return startedRefusal(state, event);
    case "ChunkLocked": {
      const round = roundOf(state, event.round);
      if (round instanceof DomainError) return round;
      return chunkRefusal(state, event.chunk) ?? lockRefusal(state, round, event.participant, event.chunk);
    }
    case "ContributionRecorded":
      return recordedRefusal(state, event);
    case "ContributionVerified":
    case "ContributionRejected":
      return verdictRefusal(state, event);
    case "RoundAggregated":
      return aggregatedRefusal(state, event);
    case "FinalizationRequested":
      return finalizeRefusal(state, event);
    case "CeremonyFinalized":
      return state.phase === "finalizing" && !state.round ? null : refuse("ROUND_NOT_COMPLETE", "the last round must be aggregated before the beacon");
    case "ParticipantDropped":
      return droppedRefusal(state, event);
    case "ContributorReplaced":
      return replacedRefusal(state, event);
    case "ParticipantBanned":
      return byCoordinatorSide(state, event.by) ?? (isBanned(state, event.participant) ? refuse("BANNED", "this participant is already banned") : null);
    case "ParticipantUnbanned":
      return byAdmin(state, event.by) ?? (isBanned(state, event.participant) ? null : refuse("NOT_BANNED", "this participant is not banned"));
    case "RoundRestarted":
      return restartedRefusal(state, event);
    case "QueueScheduled":
    case "QueueOpened":
    case "QueueClosed":
      return scheduleRefusal(state, event);
    default: {
      const never: never = event;
      return refuse("INVALID_COMMAND", `unknown event ${JSON.stringify(never)}`);
    }
  }
}
