/**
 * Step 3 of verify-transcript: folds the events with the core's evolve and checks each one with the core's own
 * legality check (core/legality.ts), the same function the coordinator's decide ran before it wrote the event.
 * On top, it re-does what only crypto can tell: the initial accumulator and challenge, each upload's file, each
 * verdict (the same verification task, run again, and the chunk-0 facts: key id and next challenge), each
 * aggregation's data hash, and the final .ptau from the beacon. Verdicts are re-checked a few at a time; a failure
 * is always reported for the earliest event that fails.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import { evolve } from "../core/evolve.ts";
import { refusal } from "../core/legality.ts";
import type { CeremonyEvent, CeremonyState, ImportedPtau } from "../core/model.ts";
import { keyAccepted } from "../core/rules.ts";
import { currentRound, initialState, type Open } from "../core/state.ts";
import { verificationTasks, type VerificationTask } from "../core/views.ts";
import { exportPtau } from "../crypto/accumulator.ts";
import { toHex } from "../crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../crypto/initial.ts";
import type { CurveOps } from "../crypto/ops.ts";
import { blsVerify, popVerify } from "../bls/bls.ts";
import { hexToBytes } from "@noble/hashes/utils.js";
import { parseStatement, registrationBytes } from "../certificates/statement.ts";
import { aggregateChallenge } from "../facts/aggregate.ts";
import { beaconAccumulator, importedRecords } from "../facts/records.ts";
import { checkImportedAccumulator } from "../crypto/rounds.ts";
import { publicKeyId } from "../crypto/verify.ts";
import { runVerificationTask } from "../facts/verification.ts";
import type { TranscriptEvent } from "./events.ts";
import { fileHash, messageOf, StepFailure, within, type CeremonyDeclaration, type TranscriptFiles } from "./files.ts";
import { Ledger } from "./ledger.ts";

type Of<T extends CeremonyEvent["type"]> = Extract<CeremonyEvent, { type: T }>;
type Verdict = Of<"ContributionVerified"> | Of<"ContributionRejected">;

export interface ReplayCounts {
  rounds: number;
  contributions: number;
  verifications: number;
  rejected: number;
}

const short = (hex: string): string => `${hex.slice(0, 16)}…`;
const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class Replay {
  state: CeremonyState = initialState();
  readonly ledger = new Ledger();
  readonly counts: ReplayCounts = { rounds: 0, contributions: 0, verifications: 0, rejected: 0 };
  private pending: Array<Promise<StepFailure | null>> = [];
  private roundVerifications = 0;
  private readonly concurrency: number;

  constructor(
    private readonly ops: CurveOps,
    private readonly curve: Curve,
    private readonly ceremony: CeremonyDeclaration,
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
    const why = refusal(before, e.event);
    if (why) throw new StepFailure(step, `may not follow the state before it: ${why.code}: ${why.message}`);
    await within(step, () => this.check(before, e.event, step));
    try {
      this.state = evolve(before, e.event);
    } catch (err) {
      throw new StepFailure(step, `cannot be applied to the state before it: ${messageOf(err)}`);
    }
    this.ledger.observe(before, e.seq, e.event);
  }

  /** What crypto and the transcript's files must confirm of a legal event. Every event type is named. */
  private async check(before: CeremonyState, event: CeremonyEvent, step: string): Promise<void> {
    if (event.type === "CeremonyInitialized") return this.initialized(event);
    if (before.phase === "setup") throw new Error("the first event must be CeremonyInitialized");
    switch (event.type) {
      case "ContributionRecorded":
        await this.files.get(event.hash);
        this.counts.contributions++;
        return;
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
        return this.finalized(before, event, step);
      case "ParticipantQueued":
      case "VerifierAdded":
      case "VerifierRemoved":
      case "AdminAdded":
      case "AdminRemoved":
      case "InvitationsIssued":
      case "ReplacementRegistered":
      case "ParticipantLeftQueue":
      case "RoundStarted":
      case "ChunkLocked":
      case "FinalizationRequested":
      case "ParticipantDropped":
      case "ContributorReplaced":
      case "ParticipantBanned":
      case "ParticipantUnbanned":
      case "MirrorAdmitted":
      case "MirrorRetired":
      case "EpochStarted":
      case "QueueScheduled":
      case "QueueOpened":
      case "QueueClosed":
        return; // the legality check is all there is to it
      case "MirrorMisbehaved":
        return this.mirrorMisbehaved(event);
      case "MirrorRegistered":
        return this.mirrorRegistered(event);
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
  }

  private async initialized(e: Of<"CeremonyInitialized">): Promise<void> {
    const { file, params } = this.ceremony;
    const s = e.settings;
    const differs: string[] = (["ceremonyId", "power", "chunkSize", "numChunks"] as const).filter((key) => s[key] !== file[key]);
    if (s.coordinator !== file.coordinatorKey) differs.push("coordinator");
    if (differs.length > 0) throw new Error(`settings differ from ceremony.json in ${differs.join(", ")}`);
    if (e.imported) return this.imported(e, e.imported);
    for (let k = 0; k < s.numChunks; k++) {
      const hash = await this.files.put(initialChunk(this.curve, params, k));
      if (e.accumulator[k] !== hash) throw new Error(`initial chunk ${k + 1} is not the generators' chunk (${short(hash)})`);
    }
    if (e.challenge !== toHex(firstChallengeHash(this.curve, params.power))) throw new Error("the first challenge is not the hash of the initial accumulator");
    this.progress(`initial accumulator: ${s.numChunks} chunks and the first challenge match`);
  }

  /**
   * A ceremony imported from a .ptau: its chunks pass the structural checks of an upload against the imported
   * records (recorded with the event), its data hashes to their last next challenge, the event's challenge, and
   * the key ids it names are those records' keys. (The file itself is named by its hash; it need not be public.)
   */
  private async imported(e: Of<"CeremonyInitialized">, imported: ImportedPtau): Promise<void> {
    const records = await importedRecords(imported, this.files);
    const challenge = await checkImportedAccumulator(this.ops, this.curve, this.params, records, (k) => this.files.get(e.accumulator[k] ?? ""));
    if (e.challenge !== toHex(challenge)) throw new Error("the first challenge is not the hash of the imported accumulator");
    if (!same(imported.keyIds, records.map((r) => publicKeyId(r.publicKey)))) throw new Error("the key ids are not those of the imported records");
    this.progress(`initial accumulator: imported from a .ptau (${short(imported.file)}) with ${records.length} contribution(s); its ${e.accumulator.length} chunks and challenge check`);
  }

  private async verdict(before: Open, e: Verdict, step: string): Promise<void> {
    const task = verificationTasks(before).find((t) => t.round === e.round && t.chunk === e.chunk && t.position === e.position && t.hash === e.hash);
    if (!task) throw new Error("verdict on a contribution that was not ready");
    await this.settle(this.concurrency - 1);
    this.pending.push(this.recheck(before, task, e, step));
    this.roundVerifications++;
    this.counts.verifications++;
    if (e.type === "ContributionRejected") this.counts.rejected++;
  }

  /**
   * Runs the verification task again; the failure it finds, or null when the event holds: an acceptance needs a
   * passing check and the chunk-0 facts it implies; a rejection needs a failing check, or a key the ceremony had
   * already accepted (the core's rule, asked of the state before the event).
   */
  private async recheck(before: Open, task: VerificationTask, e: Verdict, step: string): Promise<StepFailure | null> {
    try {
      const verdict = await runVerificationTask(this.ops, this.curve, this.params, task, this.files);
      const fail = (why: string): StepFailure => new StepFailure(step, why);
      if (e.type === "ContributionRejected") {
        if (!verdict.ok) return null;
        if (e.code === "REUSED_PUBLIC_KEY" && verdict.publicKeyId !== undefined && keyAccepted(before, verdict.publicKeyId)) return null;
        return fail("the coordinator rejected a contribution, but the contribution passes verification");
      }
      if (!verdict.ok) return fail(`the coordinator accepted a contribution, but ${verdict.code}: ${verdict.message}`);
      if (e.publicKeyId !== verdict.publicKeyId) return fail("the key id is not the one of the contribution's public key");
      if (e.nextChallenge !== undefined && e.nextChallenge !== verdict.nextChallenge) return fail("the next challenge is not the one the contribution implies");
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
    await this.settle(0);
    const round = currentRound(before);
    if (!round) throw new Error("no round to aggregate");
    if ((await aggregateChallenge(this.curve, this.params, round, this.files)) !== e.challenge) throw new Error("the challenge is not the hash of the aggregated accumulator");
    this.counts.rounds++;
    this.endOfRound(e.round, "aggregate and challenge match");
  }

  /** The registration's proof of possession and signature: no rogue key joins an epoch. */
  private mirrorRegistered(e: Of<"MirrorRegistered">): void {
    if (!popVerify(e.mirror, e.pop)) throw new Error("the mirror's proof of possession does not verify");
    const message = registrationBytes({ ceremonyId: this.ceremony.file.ceremonyId, mirror: e.mirror, url: e.url });
    if (!blsVerify(e.mirror, message, e.signature)) throw new Error("the mirror's signature of its registration does not verify");
  }

  /** Evidence is the mirror's own signatures: each must verify, and an equivocation names one seq with two trees. */
  private mirrorMisbehaved(e: Of<"MirrorMisbehaved">): void {
    const statements = e.statements.map((s) => ({ ...s, parsed: parseStatement(hexToBytes(s.message)) }));
    for (const s of statements) {
      if (!s.parsed) throw new Error("the evidence is not a mirror statement");
      if (!blsVerify(e.mirror, hexToBytes(s.message), s.signature)) throw new Error("the evidence is not signed by the mirror");
    }
    const [a, b] = statements.map((s) => s.parsed);
    if (e.code === "EQUIVOCATION" && !(a && b && a.seq === b.seq && a.tree !== b.tree)) throw new Error("an equivocation is two statements on one seq with different trees");
  }

  /**
   * The final .ptau is committed after the event that records its hash, so its check waits for it: `checkFinal` runs
   * it once the file is in the transcript (at once, for a whole clone).
   */
  private async finalized(before: Open, e: Of<"CeremonyFinalized">, step: string): Promise<void> {
    if (before.phase !== "finalizing") throw new Error("finalized before finalization was requested");
    await this.settle(0);
    this.finalPending = { before, event: e, step };
  }

  /** A CeremonyFinalized whose .ptau is not checked yet. */
  finalPending: { before: Extract<CeremonyState, { phase: "finalizing" }>; event: Of<"CeremonyFinalized">; step: string } | null = null;

  /** Checks the published final .ptau against the pending CeremonyFinalized event. */
  async checkFinal(): Promise<void> {
    const pending = this.finalPending;
    if (!pending) throw new StepFailure("final .ptau", "a final .ptau is published, but the transcript has no CeremonyFinalized event");
    await within(pending.step, () => this.finalPtau(pending.before, pending.event));
    this.finalPending = null;
  }

  private async finalPtau(before: Extract<CeremonyState, { phase: "finalizing" }>, e: Of<"CeremonyFinalized">): Promise<void> {
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
