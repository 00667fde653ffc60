/**
 * Commit messages a person can read in `git log --oneline`: one line per event, and for a command that produced
 * several events a summary line (its most telling event) followed by a blank line and one line each.
 */
import type { CeremonyEvent, ParticipantId } from "../core/model.ts";
import { oneLine } from "../lib/text.ts";

export function messageFor(events: CeremonyEvent[]): string {
  const [first] = events;
  if (first === undefined) return "no events";
  if (events.length === 1) return lineFor(first);
  const headline = events.reduce((best, e) => (weight(e) > weight(best) ? e : best), first);
  const others = events.length - 1;
  const summary = `${lineFor(headline)} (+${others} more event${others === 1 ? "" : "s"})`;
  return `${summary}\n\n${events.map(lineFor).join("\n")}`;
}

/** One line for one event. Positions and round numbers are printed as the events hold them. */
export function lineFor(event: CeremonyEvent): string {
  switch (event.type) {
    case "CeremonyInitialized": {
      const { ceremonyId, power, numChunks } = event.settings;
      const from = event.imported ? `, imported from a .ptau (${short(event.imported.file)}) with ${plural(event.imported.contributions, "contribution")}` : "";
      return `ceremony ${oneLine(ceremonyId)} initialized: 2^${power} powers in ${numChunks} chunks${from}`;
    }
    case "ParticipantQueued":
      return `participant ${short(event.participant)} joined the queue`;
    case "VerifierAdded":
      return `verifier ${short(event.participant)} added by ${short(event.by)}`;
    case "VerifierRemoved":
      return `verifier ${short(event.participant)} removed by ${short(event.by)}`;
    case "AdminAdded":
      return `admin ${short(event.participant)} added by ${short(event.by)}`;
    case "AdminRemoved":
      return `admin ${short(event.participant)} removed by ${short(event.by)}`;
    case "InvitationsIssued":
      return `${plural(event.hashes.length, "invitation")} issued by ${short(event.by)}`;
    case "ParticipantLeftQueue":
      return `participant ${short(event.participant)} left the queue`;
    case "RoundStarted":
      return `round ${event.round} started with ${plural(event.contributors.length, "contributor")}`;
    case "ChunkLocked":
      return `round ${event.round}, chunk ${event.chunk + 1}: locked by ${short(event.participant)}`;
    case "ContributionRecorded":
      return `${at(event)}: contributor ${event.position + 1} (${short(event.contributor)}) uploaded (${short(event.hash)})`;
    case "ContributionVerified":
      return `${at(event)}: contribution of contributor ${event.position + 1} (${short(event.hash)}) verified by ${short(event.verifier)}`;
    case "ContributionRejected":
      return `${at(event)}: contribution of contributor ${event.position + 1} (${short(event.hash)}) rejected by ${short(event.verifier)}: ${oneLine(event.code)}`;
    case "RoundAggregated":
      return `round ${event.round} aggregated`;
    case "FinalizationRequested":
      return `finalization requested by ${short(event.by)}: beacon ${short(event.beacon.hash)}, 2^${event.beacon.numIterationsExp} iterations`;
    case "CeremonyFinalized":
      return `ceremony finalized (${short(event.hash)})`;
    case "ParticipantDropped":
      return `participant ${short(event.participant)} dropped by ${short(event.by)}: ${oneLine(event.reason)}`;
    case "ParticipantBanned":
      return `participant ${short(event.participant)} banned by ${short(event.by)}: ${oneLine(event.reason)}`;
    case "ParticipantUnbanned":
      return `participant ${short(event.participant)} unbanned by ${short(event.by)}`;
    case "RoundRestarted":
      return `round ${event.round} restarted (${plural(event.requeued.length, "contributor")} requeued): ${oneLine(event.reason)}`;
    case "ReplacementRegistered":
      return `replacement contributor ${short(event.participant)} registered`;
    case "ContributorReplaced":
      return `round ${event.round}: contributor ${event.position + 1} taken over by replacement ${short(event.replacement)} from ${short(event.dropped)}`;
    case "MirrorRegistered":
      return `mirror ${short(event.mirror)} registered (${oneLine(event.url)})`;
    case "MirrorAdmitted":
      return `mirror ${short(event.mirror)} admitted by ${short(event.by)}`;
    case "MirrorRetired":
      return `mirror ${short(event.mirror)} retired by ${short(event.by)}: ${oneLine(event.reason)}`;
    case "EpochStarted":
      return `mirror epoch ${event.epoch}: ${plural(event.members.length, "member")}, certificates need ${event.threshold}`;
    case "MirrorMisbehaved":
      return `mirror ${short(event.mirror)} recorded misbehaving: ${event.code}`;
    case "QueueScheduled":
      return `queue scheduled by ${short(event.by)}: opens ${moment(event.opensAt)}, closes ${moment(event.closesAt)}`;
    case "QueueOpened":
      return "queue opened (scheduled)";
    case "QueueClosed":
      return "queue closed (scheduled); those queued still contribute";
    default: {
      const unknown: never = event;
      throw new TypeError(`no message for event ${JSON.stringify(unknown)}`);
    }
  }
}

/** Which event of a command best names it on the summary line. */
function weight(event: CeremonyEvent): number {
  switch (event.type) {
    case "CeremonyFinalized":
    case "CeremonyInitialized":
      return 5;
    case "FinalizationRequested":
    case "RoundAggregated":
    case "RoundRestarted":
      return 4;
    case "RoundStarted":
      return 3;
    case "ContributionVerified":
    case "ContributionRejected":
    case "ContributionRecorded":
    case "ParticipantBanned":
    case "ParticipantDropped":
      return 2;
    case "ParticipantQueued":
    case "VerifierAdded":
    case "VerifierRemoved":
    case "AdminAdded":
    case "AdminRemoved":
    case "InvitationsIssued":
    case "ParticipantLeftQueue":
    case "ChunkLocked":
    case "ParticipantUnbanned":
    case "ReplacementRegistered":
    case "ContributorReplaced":
    case "MirrorAdmitted":
    case "MirrorRetired":
    case "EpochStarted":
    case "QueueScheduled":
      return 1;
    case "MirrorRegistered":
    case "MirrorMisbehaved":
      return 2;
    case "QueueOpened":
    case "QueueClosed":
      return 3;
    default: {
      const unknown: never = event;
      throw new TypeError(`no weight for event ${JSON.stringify(unknown)}`);
    }
  }
}

function at(event: { round: number; chunk: number }): string {
  return `round ${event.round}, chunk ${event.chunk + 1}`;
}

/** A key or hash as its first 8 hex digits and an ellipsis. */
function short(hex: ParticipantId): string {
  return hex.length > 8 ? `${oneLine(hex.slice(0, 8))}…` : oneLine(hex);
}

function moment(ms: number | null): string {
  return ms === null ? "any time" : new Date(ms).toISOString();
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
