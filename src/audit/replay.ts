/**
 * Step 3 of verify-transcript: folds the events with the core's evolve and, at each one, re-does what the
 * coordinator must have done: the initial accumulator and challenge, each upload's hash, each verdict (the same
 * verification task, run again), each aggregation's chunks and data hash, and the final .ptau from the beacon.
 * Verdicts are re-checked a few at a time; a failure is always reported for the earliest event that fails.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import { roundComplete } from "../core/decide.ts";
import { currentRound, evolve, initialState } from "../core/evolve.ts";
import type { CeremonyEvent, CeremonyState, Round } from "../core/model.ts";
import { verificationTasks, type VerificationTask } from "../core/views.ts";
import { dataHash, exportPtau } from "../crypto/accumulator.ts";
import { decodeChunk } from "../crypto/chunk.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../crypto/initial.ts";
import type { CurveOps } from "../crypto/ops.ts";
import { responseHash } from "../crypto/pipeline.ts";
import { beaconAccumulator } from "../facts/records.ts";
import { runVerificationTask } from "../facts/verification.ts";
import type { TranscriptEvent } from "./events.ts";
import { fileHash, messageOf, StepFailure, within, type Ceremony, type TranscriptFiles } from "./files.ts";
import { Ledger } from "./ledger.ts";

type Open = Exclude<CeremonyState, { phase: "setup" }>;
type Of<T extends CeremonyEvent["type"]> = Extract<CeremonyEvent, { type: T }>;

export interface ReplayCounts {
  rounds: number;
  contributions: number;
  verifications: number;
  rejected: number;
}

const short = (hex: string): string => `${hex.slice(0, 16)}…`;

export class Replay {
  state: CeremonyState = initialState();
  readonly ledger = new Ledger();
  readonly counts: ReplayCounts = { rounds: 0, contributions: 0, verifications: 0, rejected: 0 };
  /** publicKeyId of every accepted chunk 0, as the coordinator keeps them (recordVerdict). */
  private readonly knownKeys = new Set<string>();
  private pending: Array<Promise<StepFailure | null>> = [];
  private roundVerifications = 0;
  private readonly concurrency: number;

  constructor(
    private readonly ops: CurveOps,
    private readonly curve: Curve,
    private readonly ceremony: Ceremony,
    private readonly files: TranscriptFiles,
    private readonly progress: (line: string) => void,
  ) {
    this.concurrency = Math.min(4, Math.max(1, ops.parallelism));
  }

  private get params() {
    return this.ceremony.params;
  }

  /** Replays every event; throws the StepFailure of the earliest event that fails. */
  async run(events: TranscriptEvent[]): Promise<void> {
    try {
      for (const e of events) await this.apply(e);
      await this.settle(0);
    } catch (err) {
      // A verdict still being re-checked belongs to an earlier event: its failure comes first.
      const earlier = await this.settleQuietly();
      throw earlier ?? err;
    }
  }

  private async apply(e: TranscriptEvent): Promise<void> {
    const step = `event ${e.seq} (${e.event.type})`;
    const before = this.state;
    await within(step, () => this.check(before, e.event, step));
    try {
      this.state = evolve(before, e.event);
    } catch (err) {
      throw new StepFailure(step, `cannot be applied to the state before it: ${messageOf(err)}`);
    }
    this.ledger.observe(before, e.seq, e.event);
  }

  private async check(before: CeremonyState, event: CeremonyEvent, step: string): Promise<void> {
    if (before.phase === "finalized") throw new Error("the ceremony was already finalized");
    if (event.type === "CeremonyInitialized") return this.initialized(before, event);
    if (before.phase === "setup") throw new Error("the first event must be CeremonyInitialized");
    switch (event.type) {
      case "RoundStarted":
        return this.roundStarted(before, event);
      case "FinalizationRequested":
        if (before.phase === "finalizing") throw new Error("finalization was already requested");
        return this.byAdmin(before, event.by);
      case "ParticipantDropped":
      case "ParticipantBanned":
        // Admins drop and ban; the coordinator drops on timeouts and its verifiers on repeated failures.
        return this.byAdminOrCoordinator(before, event.by);
      case "ParticipantUnbanned":
        return this.byAdmin(before, event.by);
      case "ContributorReplaced":
        if (!before.replacements.includes(event.replacement)) throw new Error(`${short(event.replacement)} is not a registered replacement contributor`);
        return;
      case "ContributionRecorded":
        return this.recorded(before, event);
      case "ContributionVerified":
      case "ContributionRejected":
        return this.verdict(before, event, step);
      case "RoundAggregated":
        return this.aggregated(before, event);
      case "RoundRestarted":
        await this.settle(0);
        this.endOfRound(event.round, "restarted");
        return;
      case "CeremonyFinalized":
        return this.finalized(before, event);
      default:
        return;
    }
  }

  private async initialized(before: CeremonyState, e: Of<"CeremonyInitialized">): Promise<void> {
    if (before.phase !== "setup") throw new Error("the ceremony was already initialized");
    const { file, params } = this.ceremony;
    const s = e.settings;
    const differs = (["ceremonyId", "power", "chunkSize", "numChunks"] as const).filter((key) => s[key] !== file[key]);
    if (differs.length > 0) throw new Error(`settings differ from ceremony.json in ${differs.join(", ")}`);
    if (s.contributorsPerRound < 1 || s.lockLimit < 1 || e.accumulator.length !== s.numChunks) throw new Error("settings do not match the initial accumulator");
    for (let k = 0; k < s.numChunks; k++) {
      const hash = await this.files.put(initialChunk(this.curve, params, k));
      if (e.accumulator[k] !== hash) throw new Error(`initial chunk ${k} is not the generators' chunk (${short(hash)})`);
    }
    if (e.challenge !== toHex(firstChallengeHash(this.curve, params.power))) throw new Error("the first challenge is not the hash of the initial accumulator");
    this.progress(`initial accumulator: ${s.numChunks} chunks and the first challenge match`);
  }

  private byAdmin(before: Open, by: string): void {
    if (!before.settings.admins.includes(by)) throw new Error(`${short(by)} is not an admin of the ceremony`);
  }

  private byAdminOrCoordinator(before: Open, by: string): void {
    if (before.settings.admins.includes(by) || by === this.ceremony.file.coordinatorKey || before.verifiers.includes(by)) return;
    throw new Error(`${short(by)} is neither an admin, the coordinator nor a verifier`);
  }

  private roundStarted(before: Open, e: Of<"RoundStarted">): void {
    if (before.phase !== "waiting") throw new Error(`a round cannot start while the ceremony is ${before.phase}`);
    if (e.round !== before.lastRound + 1) throw new Error(`round ${e.round} follows round ${before.lastRound}`);
    const n = e.contributors.length;
    if (n < 1 || n > before.settings.contributorsPerRound) throw new Error(`a round has 1 to ${before.settings.contributorsPerRound} contributors, not ${n}`);
    if (e.contributors.some((p, i) => before.queue[i] !== p)) throw new Error("the contributors are not the head of the queue");
  }

  private round(before: Open, number: number): Round {
    const round = currentRound(before);
    if (!round || round.number !== number) throw new Error(`round ${number} is not the current round`);
    return round;
  }

  private async recorded(before: Open, e: Of<"ContributionRecorded">): Promise<void> {
    const round = this.round(before, e.round);
    const chunk = round.chunks[e.chunk];
    if (!chunk) throw new Error(`there is no chunk ${e.chunk}`);
    if (round.contributors[e.position] !== e.contributor) throw new Error(`position ${e.position} is not this contributor's`);
    if (chunk.contributions.length !== e.position) throw new Error(`chunk ${e.chunk} expects position ${chunk.contributions.length} next`);
    if (chunk.lock?.holder !== e.contributor) throw new Error(`chunk ${e.chunk} was not locked by the contributor`);
    await this.files.get(e.hash);
    this.counts.contributions++;
  }

  private async verdict(before: Open, e: Of<"ContributionVerified"> | Of<"ContributionRejected">, step: string): Promise<void> {
    const round = this.round(before, e.round);
    if (!before.verifiers.includes(e.verifier)) throw new Error(`verifier ${short(e.verifier)} is not registered`);
    const task = verificationTasks(before).find((t) => t.round === e.round && t.chunk === e.chunk && t.position === e.position && t.hash === e.hash);
    if (!task) throw new Error("verdict on a contribution that was not ready");
    const accepted = e.type === "ContributionVerified";
    const needsNext = accepted && e.chunk === 0 && e.position < round.contributors.length - 1;
    const nextChallenge = e.type === "ContributionVerified" ? e.nextChallenge : undefined;
    if (needsNext !== (nextChallenge !== undefined)) throw new Error(needsNext ? "an accepted chunk 0 must name the next challenge" : "names a next challenge it must not have");
    // Chunk 0's check refuses keys already accepted: every earlier verdict must be settled first.
    await this.settle(e.chunk === 0 ? 0 : this.concurrency - 1);
    this.pending.push(this.recheck(task, accepted, nextChallenge, step));
    this.roundVerifications++;
    this.counts.verifications++;
    if (!accepted) this.counts.rejected++;
  }

  /** Runs the verification task again; the failure it finds, or null when the event's verdict holds. */
  private async recheck(task: VerificationTask, accepted: boolean, nextChallenge: string | undefined, step: string): Promise<StepFailure | null> {
    try {
      const verdict = await runVerificationTask(this.ops, this.curve, this.params, task, this.files, new Set(this.knownKeys));
      if (verdict.ok !== accepted) {
        const why = verdict.ok ? "the contribution passes verification" : `${verdict.code}: ${verdict.message}`;
        return new StepFailure(step, `the coordinator ${accepted ? "accepted" : "rejected"} a contribution, but ${why}`);
      }
      if (nextChallenge !== undefined && nextChallenge !== verdict.nextChallenge) return new StepFailure(step, "the next challenge is not the one the contribution implies");
      if (verdict.ok && verdict.publicKeyId) this.knownKeys.add(verdict.publicKeyId);
      return null;
    } catch (err) {
      return new StepFailure(step, messageOf(err));
    }
  }

  /** Waits until at most `left` re-checks are running; throws the first failure among those it waited for. */
  private async settle(left: number): Promise<void> {
    while (this.pending.length > left) {
      const failure = await this.pending.shift();
      if (failure) {
        await Promise.all(this.pending.splice(0)); // later events: let them finish, but this one fails first
        throw failure;
      }
    }
  }

  private async settleQuietly(): Promise<StepFailure | null> {
    const results = await Promise.all(this.pending.splice(0));
    return results.find((f) => f !== null) ?? null;
  }

  private endOfRound(number: number, how: string): void {
    this.progress(`round ${number}: ${this.roundVerifications} verifications re-checked; ${how}`);
    this.roundVerifications = 0;
  }

  private async aggregated(before: Open, e: Of<"RoundAggregated">): Promise<void> {
    const round = this.round(before, e.round);
    if (!roundComplete(round)) throw new Error(`round ${e.round} was not complete`);
    await this.settle(0);
    const last = round.contributors.length - 1;
    const chunks = round.chunks.map((c) => c.contributions[last]?.hash ?? "");
    if (e.accumulator.length !== chunks.length || e.accumulator.some((h, k) => h !== chunks[k])) {
      throw new Error("the accumulator is not the last contributor's chunks");
    }
    const chunk0 = decodeChunk(await this.files.get(chunks[0] ?? ""), this.params, 0);
    if (!chunk0.ok || !chunk0.chunk.publicKey) throw new Error("the last contributor's chunk 0 has no public key");
    const response = responseHash(this.curve, fromHex(round.challenges[last] ?? ""), chunk0.chunk.publicKey);
    const next = await dataHash(this.curve, this.params, response, (k) => this.files.get(chunks[k] ?? ""));
    if (toHex(next) !== e.challenge) throw new Error("the challenge is not the hash of the aggregated accumulator");
    this.counts.rounds++;
    this.endOfRound(e.round, "aggregate and challenge match");
  }

  private async finalized(before: Open, e: Of<"CeremonyFinalized">): Promise<void> {
    if (before.phase !== "finalizing" || before.round) throw new Error("finalized before finalization was requested and the last round aggregated");
    await this.settle(0);
    const published = await this.files.finalPtau();
    if (!published) throw new Error("the transcript has no final/final.ptau");
    if ((await fileHash(published.path)) !== e.hash) throw new Error(`${published.source} does not hash to the finalized hash ${short(e.hash)}`);
    this.progress(`final .ptau: recomputing the beacon on round ${before.lastRound}'s accumulator`);
    const final = await beaconAccumulator(this.ops, this.curve, this.params, before, before.beacon, this.files);
    const path = join(this.files.scratch, "recomputed-final.ptau");
    await exportPtau(path, this.params, final.records, (k) => this.files.get(final.chunks[k] ?? ""));
    if ((await fileHash(path)) !== e.hash) throw new Error(`the .ptau recomputed from the transcript differs from ${published.source}`);
    this.progress("final .ptau matches the transcript");
  }

  /** Reports the round still running when the transcript ends. */
  finish(): void {
    const round = currentRound(this.state);
    if (round) this.endOfRound(round.number, "still running");
  }
}
