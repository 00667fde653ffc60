/**
 * decide(command, state) -> events: what a command means. Pure and synchronous: time, hashes and verification
 * verdicts arrive in the command. It builds the events, then every one of them must pass the legality check
 * (legality.ts) against the state it follows, exactly as the public verifier checks the log; a refusal throws a
 * DomainError with a stable code and changes nothing.
 */
import { refuse } from "./errors.ts";
import { evolve } from "./evolve.ts";
import { refusal } from "./legality.ts";
import { mirrorEvents } from "./mirrors.ts";
import type { CeremonyEvent, CeremonyState, Command } from "./model.ts";
import { dropEvents, keyAccepted, nextContributors, queueTransitions, roundResult, roundStartRefusal, timeoutDrop } from "./rules.ts";
import { activeRound, administers, inRound, isBanned, isKnown, isQueued, notFinalized, positionIn, type Open } from "./state.ts";

/**
 * Admin commands come from an admin key, or from the coordinator carrying out the operator's configuration; the
 * events they make say who. (Event legality alone would also let a verifier drop: that is the failure cascade.)
 */
function byAdmin(state: CeremonyState, actor: string): Open {
  const s = notFinalized(state);
  if (!administers(s, actor)) throw refuse("NOT_AN_ADMIN", "this key is not an admin key of the ceremony");
  return s;
}

/** Checks each event against the state it follows; throws the first refusal. */
function legal(state: CeremonyState, events: CeremonyEvent[]): CeremonyEvent[] {
  let s = state;
  for (const e of events) {
    const why = refusal(s, e);
    if (why) throw why;
    s = evolve(s, e);
  }
  return events;
}

function build(command: Command, state: CeremonyState): CeremonyEvent[] {
  switch (command.type) {
    case "Initialize":
      return [
        {
          type: "CeremonyInitialized",
          settings: command.settings,
          accumulator: command.accumulator,
          challenge: command.challenge,
          ...(command.imported ? { imported: command.imported } : {}),
        },
      ];
    case "JoinQueue": {
      // A join just after the scheduled opening (or closing) need not wait for the tick to open (or close) the queue.
      const p = command.participant;
      const gate = state.phase === "setup" ? [] : queueTransitions(state, command.now);
      return [...gate, { type: "ParticipantQueued", participant: p, at: command.now, ...(command.identity !== undefined ? { identity: command.identity } : {}) }];
    }
    case "LeaveQueue": {
      // A round contributor leaving gives up its position at once: the drop and what it implies, now rather than after a timeout.
      const s = notFinalized(state);
      const p = command.participant;
      if (!isQueued(s, p) && inRound(s, p)) return dropEvents(s, p, "withdrew", p, s.settings.coordinator);
      return [{ type: "ParticipantLeftQueue", participant: p }];
    }
    case "Tick": {
      // The queue opens or closes first when its time has come, then rounds start and timeouts drop as before.
      const gate = state.phase === "setup" ? [] : queueTransitions(state, command.now);
      return [...gate, ...tickEvents(command, gate.reduce(evolve, state))];
    }
    case "LockChunk": {
      const round = activeRound(state);
      return [{ type: "ChunkLocked", round: round.number, chunk: command.chunk, participant: command.participant, at: command.now }];
    }
    case "RecordContribution": {
      const round = activeRound(state);
      const j = positionIn(round, command.participant);
      if (j < 0) throw refuse("NOT_IN_ROUND", `participant is not a contributor of round ${round.number}`);
      return [{ type: "ContributionRecorded", round: round.number, chunk: command.chunk, position: j, contributor: command.participant, hash: command.hash, at: command.now }];
    }
    case "RecordVerification":
      return verdictEvents(command, state);
    case "AggregateRound": {
      const round = activeRound(state);
      return [{ type: "RoundAggregated", round: command.round, accumulator: roundResult(round), challenge: command.challenge }];
    }
    case "Finalize":
      byAdmin(state, command.actor);
      return [{ type: "FinalizationRequested", beacon: command.beacon, by: command.actor }];
    case "RecordFinal":
      return [{ type: "CeremonyFinalized", hash: command.hash }];
    case "Drop":
    case "Ban": {
      const s = byAdmin(state, command.actor);
      const p = command.participant;
      const known = isKnown(s, p);
      if (command.type === "Drop" && !known) return [{ type: "ParticipantDropped", participant: p, reason: command.reason, by: command.actor }];
      if (command.type === "Ban" && isBanned(s, p)) return [{ type: "ParticipantBanned", participant: p, reason: command.reason, by: command.actor }];
      const events = known ? dropEvents(s, p, command.reason, command.actor) : [];
      if (command.type === "Ban" && !events.some((e) => e.type === "ParticipantBanned")) {
        events.push({ type: "ParticipantBanned", participant: p, reason: command.reason, by: command.actor });
      }
      return events;
    }
    case "Unban":
      byAdmin(state, command.actor);
      return [{ type: "ParticipantUnbanned", participant: command.participant, by: command.actor }];
    case "AddVerifier":
    case "RemoveVerifier":
    case "AddAdmin":
    case "RemoveAdmin": {
      byAdmin(state, command.actor);
      const type = ({ AddVerifier: "VerifierAdded", RemoveVerifier: "VerifierRemoved", AddAdmin: "AdminAdded", RemoveAdmin: "AdminRemoved" } as const)[command.type];
      return [{ type, participant: command.participant, by: command.actor }];
    }
    case "RegisterReplacement":
      notFinalized(state);
      return [{ type: "ReplacementRegistered", participant: command.participant, by: command.actor }];
    case "ScheduleQueue":
      byAdmin(state, command.actor);
      return [{ type: "QueueScheduled", opensAt: command.opensAt, closesAt: command.closesAt, at: command.now, by: command.actor }];
    case "IssueInvitations":
      byAdmin(state, command.actor);
      return [{ type: "InvitationsIssued", hashes: command.hashes, by: command.actor }];
    case "RegisterMirror":
    case "AdmitMirror":
    case "RetireMirror":
    case "RecordMirrorFault":
      return mirrorEvents(command, state);
    case "RestartRound": {
      const s = byAdmin(state, command.actor);
      const round = activeRound(state);
      const requeued = round.contributors.filter((p) => !s.replacements.includes(p));
      return [{ type: "RoundRestarted", round: round.number, reason: command.reason, requeued, by: command.actor }];
    }
    default: {
      const never: never = command;
      throw refuse("INVALID_COMMAND", `unknown command ${JSON.stringify(never)}`);
    }
  }
}

/** What time alone brings about: a round starts, or a silent or slow contributor is dropped. */
function tickEvents(command: Extract<Command, { type: "Tick" }>, state: CeremonyState): CeremonyEvent[] {
  if (state.phase === "running" || state.phase === "finalizing") return command.lastSeen ? timeoutDrop(state, command.now, command.lastSeen, command.upSince) : [];
  if (state.phase !== "waiting" || roundStartRefusal(state, command.now)) return [];
  return [{ type: "RoundStarted", round: state.lastRound + 1, contributors: nextContributors(state), startedAt: command.now }];
}

/**
 * A verdict: accepted (with the facts the shell derived from an accepted chunk 0), or rejected; a chunk 0 whose key
 * was already accepted in this ceremony is rejected whoever verified it; repeated rejections drop the contributor.
 */
function verdictEvents(command: Extract<Command, { type: "RecordVerification" }>, state: CeremonyState): CeremonyEvent[] {
  const round = activeRound(state);
  const s = notFinalized(state);
  const { verifier, chunk, position, hash } = command;
  const where = { round: command.round, chunk, position, verifier, hash, at: command.now };
  const reused = command.ok && command.chunk0 !== undefined && keyAccepted(s, command.chunk0.publicKeyId);
  if (command.ok && !reused) {
    if (chunk === 0 && !command.chunk0) throw refuse("INVALID_COMMAND", "an accepted chunk 0 needs the facts of its key");
    const last = position === round.contributors.length - 1;
    const facts = command.chunk0;
    return [
      {
        type: "ContributionVerified",
        ...where,
        ...(facts && !last ? { nextChallenge: facts.nextChallenge } : {}),
        ...(facts && chunk === 0 ? { publicKeyId: facts.publicKeyId } : {}),
      },
    ];
  }
  const rejected: CeremonyEvent = { type: "ContributionRejected", ...where, code: reused ? "REUSED_PUBLIC_KEY" : (command.code ?? "REJECTED") };
  const why = refusal(s, rejected);
  if (why) throw why;
  const contributor = round.chunks[chunk]?.contributions[position]?.contributor ?? "";
  const failures = (s.failures[contributor] ?? 0) + 1;
  if (failures < s.settings.maxVerificationFailures) return [rejected];
  const after = evolve(s, rejected);
  if (after.phase === "setup") return [rejected];
  return [rejected, ...dropEvents(after, contributor, `failed verification ${failures} times (last: ${rejected.code})`, verifier)];
}

export function decide(command: Command, state: CeremonyState): CeremonyEvent[] {
  return legal(state, build(command, state));
}
