/**
 * The operator's log of what the committed events mean: one line per round started, aggregated or restarted, per
 * verification verdict, drop (with its reason), ban, change of trust, mirror membership, finalization. Joins and
 * leaves come at up to thousands a second, so they are sampled: the first few of each second get a line each, and
 * the rest one summary line at the end of that second (with the queue's length), so the log never becomes the
 * lobby's bottleneck.
 */
import type { CeremonyEvent } from "../core/model.ts";
import type { Logger } from "../lib/log.ts";

/** Joins and leaves logged one by one in any second; the rest are counted into one line. */
export const LOBBY_LINES_PER_SECOND = 10;

const short = (id: string): string => `${id.slice(0, 12)}…`;

export class Narrator {
  private window: { shown: number; joins: number; leaves: number; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(
    private readonly log: Logger,
    private readonly queueLength: () => number,
  ) {}

  /** One committed event (never a replayed one: those happened before this process). */
  committed(event: CeremonyEvent): void {
    const log = this.log;
    switch (event.type) {
      case "ParticipantQueued":
        return this.lobby("joins", () => log.info(`joined the queue: ${short(event.participant)}`, { participant: event.participant, identity: event.identity }));
      case "ParticipantLeftQueue":
        return this.lobby("leaves", () => log.info(`left the queue: ${short(event.participant)}`, { participant: event.participant }));
      case "RoundStarted":
        return log.info(`round ${event.round} started with ${event.contributors.length} contributor(s)`, { round: event.round, contributors: event.contributors.length });
      case "ChunkLocked":
      case "ContributionRecorded":
        return; // one line per verdict is enough per chunk; locks and uploads are in the transcript
      case "ContributionVerified":
        return log.info(`round ${event.round}, chunk ${event.chunk + 1}: contributor ${event.position + 1}'s contribution verified`, { round: event.round, chunk: event.chunk, verifier: event.verifier });
      case "ContributionRejected":
        return log.warn(`round ${event.round}, chunk ${event.chunk + 1}: contributor ${event.position + 1}'s contribution rejected (${event.code})`, {
          round: event.round,
          chunk: event.chunk,
          code: event.code,
          verifier: event.verifier,
        });
      case "RoundAggregated":
        return log.info(`round ${event.round} aggregated`, { round: event.round, challenge: event.challenge.slice(0, 16) });
      case "RoundRestarted":
        return log.warn(`round ${event.round} restarted: ${event.reason}`, { round: event.round, reason: event.reason, requeued: event.requeued.length, by: event.by });
      case "ParticipantDropped":
        return log.warn(`dropped ${short(event.participant)}: ${event.reason}`, {
          participant: event.participant,
          reason: event.reason,
          by: event.by,
          discarded: event.discarded?.length ?? 0,
        });
      case "ContributorReplaced":
        return log.info(`round ${event.round}: contributor ${event.position + 1} taken over by replacement ${short(event.replacement)}`, {
          round: event.round,
          dropped: event.dropped,
          replacement: event.replacement,
        });
      case "ParticipantBanned":
        return log.warn(`banned ${short(event.participant)}: ${event.reason}`, { participant: event.participant, reason: event.reason, by: event.by });
      case "ParticipantUnbanned":
        return log.info(`unbanned ${short(event.participant)}`, { participant: event.participant, by: event.by });
      case "VerifierAdded":
      case "VerifierRemoved":
      case "AdminAdded":
      case "AdminRemoved": {
        const what = { VerifierAdded: "verifier added", VerifierRemoved: "verifier removed", AdminAdded: "admin added", AdminRemoved: "admin removed" }[event.type];
        return log.info(`${what}: ${short(event.participant)}`, { participant: event.participant, by: event.by });
      }
      case "ReplacementRegistered":
        return log.info(`replacement contributor registered: ${short(event.participant)}`, { participant: event.participant });
      case "InvitationsIssued":
        return log.info(`${event.hashes.length} invitation(s) issued`, { count: event.hashes.length, by: event.by });
      case "FinalizationRequested":
        return log.info("finalization requested: the queue is closed; the beacon follows the last round", { by: event.by, iterationsExp: event.beacon.numIterationsExp });
      case "CeremonyFinalized":
        return log.info(`ceremony finalized: final .ptau ${event.hash.slice(0, 16)}…`, { hash: event.hash });
      case "QueueScheduled": {
        const when = (ms: number | null): string => (ms === null ? "never" : new Date(ms).toISOString());
        return log.info(`queue scheduled: opens ${event.opensAt === null ? "now" : when(event.opensAt)}, closes ${when(event.closesAt)}`, { opensAt: event.opensAt, closesAt: event.closesAt, by: event.by });
      }
      case "QueueOpened":
        return log.info("queue opened (scheduled)");
      case "QueueClosed":
        return log.info("queue closed (scheduled): those queued still contribute");
      case "CeremonyInitialized":
        return; // start-up says it, with the parameters
      case "MirrorRegistered":
        return log.info(`mirror registered: ${short(event.mirror)} at ${event.url}`, { mirror: event.mirror, url: event.url });
      case "MirrorAdmitted":
        return log.info(`mirror admitted: ${short(event.mirror)}`, { mirror: event.mirror, by: event.by });
      case "MirrorRetired":
        return log.info(`mirror retired: ${short(event.mirror)}: ${event.reason}`, { mirror: event.mirror, reason: event.reason, by: event.by });
      case "EpochStarted":
        return log.info(`mirror epoch ${event.epoch} started: ${event.members.length} member(s), certificates need ${event.threshold}`, {
          epoch: event.epoch,
          members: event.members.length,
          threshold: event.threshold,
        });
      case "MirrorMisbehaved":
        return; // certification says it, naming the statement
      default: {
        const never: never = event;
        throw new Error(`no log line for ${String((never as { type: unknown }).type)}`);
      }
    }
  }

  private lobby(kind: "joins" | "leaves", line: () => void): void {
    if (!this.window) {
      const timer = setTimeout(() => this.flush(), 1000);
      timer.unref?.();
      this.window = { shown: 0, joins: 0, leaves: 0, timer };
    }
    if (this.window.shown < LOBBY_LINES_PER_SECOND) {
      this.window.shown++;
      line();
    } else {
      this.window[kind]++;
    }
  }

  /** Ends the current second: the joins and leaves not logged one by one, in one line. */
  flush(): void {
    const w = this.window;
    if (!w) return;
    clearTimeout(w.timer);
    this.window = null;
    if (w.joins + w.leaves === 0) return;
    const queue = this.queueLength();
    this.log.info(`lobby: ${w.joins} more join(s) and ${w.leaves} more leave(s) in the last second (not logged one by one); ${queue} queued`, {
      joins: w.joins,
      leaves: w.leaves,
      queue,
    });
  }
}
