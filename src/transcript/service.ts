/**
 * The coordinator's side of the transcript: every committed append becomes one git commit (in order, by this one
 * writer, after the event is durable); each verification commit yields a signed receipt; a round's receipts are
 * committed when it is aggregated, then the transcript is pushed to the backup remotes; the final .ptau is
 * committed after finalization. Git trouble never blocks the ceremony: it is retried and shown in status.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ParticipantKey } from "../auth/keys.ts";
import { evolve, fold } from "../core/evolve.ts";
import { parentOf } from "../core/rules.ts";
import { currentRound, initialState } from "../core/state.ts";
import type { CeremonyEvent, CeremonyState, ParticipantId } from "../core/model.ts";
import type { LoggedEvent } from "../store/event-log.ts";
import { checksumOf } from "../store/event-line.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import { TranscriptBackup, type RemoteStatus } from "./backup.ts";
import { transcriptReadme } from "./readme.ts";
import { signReceipt, type Receipt } from "./receipt.ts";
import { ReceiptStore } from "./receipt-store.ts";
import { TranscriptWriter } from "./writer.ts";
import { toLogger, type Logger, type LogSink } from "../lib/log.ts";
import { retry } from "../lib/retry.ts";

export interface TranscriptSettings {
  /** Artifacts above this size go to the external store (served at /v1/artifacts/:hash); git holds a ref. */
  externalThresholdBytes: number;
  /** Public base URL of this coordinator, written into refs (asked when a ref is written). */
  publicUrl: () => string;
  remotes: string[];
  /** Cron schedule of backup pushes (with seconds), e.g. "0 *\/10 * * * *". */
  backupCron: string;
  fsync: boolean;
  /** Where participants download the ceremony binary, named in the README of a new transcript (empty: not said). */
  releaseUrl?: string;
}

export interface TranscriptStatus {
  clone: string;
  head: string | null;
  committedSeq: number;
  lag: number;
  lastError: string | null;
  backups: RemoteStatus[];
}

/** A commit the transcript published: its last event, and what it holds (certificates are never signed in turn). */
export interface PublishedCommit {
  oid: string;
  seq: number;
  kind: "events" | "files" | "certificate";
}

/** What the transcript reports for the metrics: each commit's duration, each backup push that failed every attempt. */
export interface TranscriptObserver {
  committed(seconds: number): void;
  backupFailed(remote: string): void;
  /** Each commit attempt that failed and will be retried (a full disk, say). */
  commitFailed?(err: unknown): void;
}

/** Committed entries and the state right after them; `message` names a batch of queue events in one line. */
type Snapshot = { state: CeremonyState; entries: LoggedEvent<CeremonyEvent>[]; message?: string };

/** Events about the lobby only (who waits): committed in batches, not one commit each. */
const QUEUE_EVENTS: ReadonlySet<CeremonyEvent["type"]> = new Set(["ParticipantQueued", "ParticipantLeftQueue"]);
const queueOnly = (s: Snapshot): boolean => s.entries.every((e) => QUEUE_EVENTS.has(e.event.type));
/** Most queue events one commit holds. */
const MAX_BATCH_EVENTS = 20_000;

export class TranscriptService {
  /** Commits to make, in order, and how many events they hold; drained by one loop. */
  private pending: Snapshot[] = [];
  private pendingEvents = 0;
  private draining: Promise<void> | null = null;
  private roomWaiters: Array<() => void> = [];
  private lastError: string | null = null;
  private headOid: string | null = null;
  private readonly backup: TranscriptBackup;
  private readonly published: Array<(commit: PublishedCommit) => void> = [];
  private readonly receipts: ReceiptStore;
  private readonly log: Logger;

  private constructor(
    readonly writer: TranscriptWriter,
    dataDir: string,
    /** Null when serving a finalized ceremony read-only: it signs nothing more. */
    private readonly coordinatorKey: ParticipantKey | null,
    settings: TranscriptSettings,
    log: LogSink,
    private readonly observer: TranscriptObserver | undefined,
  ) {
    this.log = toLogger(log);
    this.backup = new TranscriptBackup({ dir: join(dataDir, "transcript"), remotes: settings.remotes, log, ...(observer ? { failed: (r: string) => observer.backupFailed(r) } : {}) });
    this.receipts = new ReceiptStore(dataDir);
  }

  static async open(options: {
    dataDir: string;
    state: CeremonyState;
    coordinatorKey: ParticipantKey | null;
    artifacts: ArtifactStore;
    settings: TranscriptSettings;
    log: LogSink;
    observer?: TranscriptObserver;
  }): Promise<TranscriptService> {
    const s = options.state;
    if (s.phase === "setup") throw new Error("the transcript opens after initialization");
    const writer = await TranscriptWriter.open({
      dir: join(options.dataDir, "transcript"),
      readme: transcriptReadme({ releaseUrl: options.settings.releaseUrl ?? "", publicUrl: options.settings.publicUrl() }),
      ceremony: {
        ceremonyId: s.settings.ceremonyId,
        power: s.settings.power,
        chunkSize: s.settings.chunkSize,
        numChunks: s.settings.numChunks,
        coordinatorKey: options.coordinatorKey?.publicKey ?? s.settings.coordinator,
      },
      artifacts: {
        get: (h) => options.artifacts.get(h),
        size: async (h) => (await readFile(options.artifacts.path(h))).length,
      },
      externalThresholdBytes: options.settings.externalThresholdBytes,
      externalUrl: (h) => `${options.settings.publicUrl().replace(/\/+$/, "")}/v1/artifacts/${h}`,
      fsync: options.settings.fsync,
    });
    const t = new TranscriptService(writer, options.dataDir, options.coordinatorKey, options.settings, options.log, options.observer);
    t.headOid = await writer.head();
    // Finishes a receipt prune a crash cut short (the catch-up redoes the rest in order).
    const round = currentRound(s);
    if (round) await t.receipts.reconcile(round.number, s);
    t.backup.schedule(options.settings.backupCron);
    return t;
  }

  /** Called, in order, with every commit once the branch has moved to it. */
  onPublished(listener: (commit: PublishedCommit) => void): void {
    this.published.push(listener);
  }

  private publish(oid: string, kind: PublishedCommit["kind"]): void {
    if (oid === this.headOid) return;
    this.headOid = oid;
    for (const l of this.published) l({ oid, seq: this.writer.lastSeq, kind });
  }

  /** Commits a certificate (certificates/…) at the tip; its commit is published as one nobody signs. */
  async commitCertificate(path: string, bytes: Uint8Array, message: string): Promise<string> {
    this.publish(await this.writer.commitFiles([{ path, bytes }], message), "certificate");
    return this.headOid ?? "";
  }

  /**
   * Commits entries the log has but the transcript lacks (after a crash), each with its state, batched as usual.
   * `start` is the state before the first of `entries`; those the transcript has are folded at once.
   */
  async catchUp(entries: LoggedEvent<CeremonyEvent>[], start: CeremonyState = initialState()): Promise<number> {
    const had = entries.findIndex((e) => e.seq > this.writer.lastSeq);
    const done = had === -1 ? entries.length : had;
    let state = fold(
      entries.slice(0, done).map((e) => e.event),
      start,
    );
    await this.owedReceipts(entries.slice(0, done), state);
    let count = 0;
    for (const e of entries.slice(done)) {
      state = evolve(state, e.event);
      this.committed([e], state);
      count++;
    }
    await this.idle();
    return count;
  }

  /**
   * What a crash between a commit and its follow-up left owed (commitEntries): the receipt of a verification whose
   * commit landed but whose receipt was not yet saved, signed now on the current head (it holds every committed
   * event) while the round still holds the contribution; and the receipt files of the last aggregated round, when
   * the crash fell between the aggregation's commit and theirs (no commit when they are there). `committed` are
   * the events the transcript has, `state` the state after them.
   */
  private async owedReceipts(committed: LoggedEvent<CeremonyEvent>[], state: CeremonyState): Promise<void> {
    if (state.phase === "setup") return;
    const round = currentRound(state);
    const held = new Map<ParticipantId, Receipt[]>();
    for (const { event } of committed) {
      if (event.type !== "ContributionVerified" || round?.number !== event.round) continue;
      const participant = round.contributors[event.position];
      if (!participant || round.chunks[event.chunk]?.contributions[event.position]?.hash !== event.hash) continue;
      const receipts = held.get(participant) ?? (await this.receipts.of(participant));
      held.set(participant, receipts);
      if (receipts.some((r) => r.round === event.round && r.chunk === event.chunk && r.position === event.position && r.hash === event.hash)) continue;
      await this.saveReceipt(event, state, this.headOid ?? (await this.writer.head()));
      this.log.info(`transcript: signed the receipt a crash left owed: round ${event.round}, chunk ${event.chunk + 1}, contributor ${event.position + 1}`);
    }
    if (state.lastRound > 0) {
      const files = await this.receipts.roundFiles(state.lastRound);
      if (files.length > 0) this.publish(await this.writer.commitFiles(files, `round ${state.lastRound}: receipts`), "files");
    }
  }

  /**
   * Queues the commit of one command's entries; `state` is the state right after them. Contributions,
   * verifications and round changes get a commit each, at once; the lobby's joins and leaves that pile up meanwhile
   * share one.
   */
  committed(entries: LoggedEvent<CeremonyEvent>[], state: CeremonyState): void {
    this.pending.push({ state, entries });
    this.pendingEvents += entries.length;
    this.draining ??= this.drain();
  }

  /** Events waiting to be committed. */
  get backlog(): number {
    return this.pendingEvents;
  }

  /** Backpressure: resolves once at most `max` events wait for their commit. */
  async room(max: number): Promise<void> {
    while (this.pendingEvents > max) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.nextBatch();
      await this.commitWithRetry(batch);
      this.pendingEvents -= batch.entries.length;
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const w of waiters) w();
    }
    this.draining = null;
  }

  /** The next commit: one command, or every queue-only command waiting (up to MAX_BATCH_EVENTS) as one. */
  private nextBatch(): Snapshot {
    const first = this.pending.shift() as Snapshot;
    if (!queueOnly(first)) return first;
    const entries = [...first.entries];
    let state = first.state;
    while (this.pending.length > 0 && queueOnly(this.pending[0] as Snapshot) && entries.length < MAX_BATCH_EVENTS) {
      const next = this.pending.shift() as Snapshot;
      entries.push(...next.entries);
      state = next.state;
    }
    if (entries.length === first.entries.length) return first;
    const joined = entries.filter((e) => e.event.type === "ParticipantQueued").length;
    const message = `lobby: ${joined} participant(s) joined the queue, ${entries.length - joined} left (events ${entries[0]?.seq}–${entries.at(-1)?.seq})`;
    return { state, entries, message };
  }

  private async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Git trouble never blocks the ceremony: the commit is retried (without end) and the error shown in status. */
  private async commitWithRetry(snap: Snapshot): Promise<void> {
    await retry(() => this.commitNow(snap), {
      initialMs: 400,
      maxMs: 30_000,
      onRetry: (err, attempt) => {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.observer?.commitFailed?.(err);
        this.log.warn(`transcript: commit of seq ${snap.entries[0]?.seq} failed (attempt ${attempt}): ${this.lastError}; retrying`, { seq: snap.entries[0]?.seq, attempt });
      },
    });
    if (this.lastError !== null) this.log.info(`transcript: commits resumed at seq ${snap.entries[0]?.seq}`, { seq: snap.entries[0]?.seq });
    this.lastError = null;
  }

  private async commitNow(snap: Snapshot): Promise<void> {
    const started = performance.now();
    await this.commitEntries(snap);
    this.observer?.committed((performance.now() - started) / 1000);
  }

  private async commitEntries({ state, entries, message }: Snapshot): Promise<void> {
    const logged = entries.map((e) => ({ ...e, checksum: checksumOf(e) }));
    const oid = await this.writer.commitEvents(logged, message);
    this.publish(oid, "events");
    for (const { event } of entries) {
      if (event.type === "ContributionVerified") await this.saveReceipt(event, state, oid);
      if (event.type === "ParticipantDropped" && event.discarded) await this.receipts.discard(new Set(event.discarded.map((d) => d.hash)));
      if (event.type === "RoundRestarted") await this.receipts.reconcile(event.round, state);
      if (event.type === "RoundAggregated") {
        const files = await this.receipts.roundFiles(event.round);
        if (files.length > 0) this.publish(await this.writer.commitFiles(files, `round ${event.round}: receipts`), "files");
        void this.backup.pushAll(`round ${event.round} aggregated`);
      }
    }
  }

  /** Commits the final .ptau (stored as an artifact) and pushes. */
  async commitFinal(artifactHash: string): Promise<void> {
    await this.idle();
    this.publish(await this.writer.commitFiles([{ path: "final/final.ptau", artifactHash }], "final .ptau published"), "files");
    await this.backup.pushAll("ceremony finalized");
  }

  /** Signs and stores the receipt of a verification; `state` is the state right after its append (round still current). */
  private async saveReceipt(event: Extract<CeremonyEvent, { type: "ContributionVerified" }>, state: CeremonyState, commit: string): Promise<void> {
    if (state.phase === "setup") return;
    const round = currentRound(state);
    if (round?.number !== event.round) return;
    const participant = round.contributors[event.position];
    const parentHash = parentOf(state, round, event.chunk, event.position);
    if (!participant || !parentHash) return;
    if (!this.coordinatorKey) throw new Error("a receipt to sign, but the coordinator's key is missing");
    const receipt = signReceipt(this.coordinatorKey, {
      format: "ceremony-receipt/1",
      ceremonyId: state.settings.ceremonyId,
      participant,
      round: event.round,
      chunk: event.chunk,
      position: event.position,
      hash: event.hash,
      parentHash,
      commit,
    });
    await this.receipts.save(receipt);
  }

  /** Every receipt of a participant that names a contribution still in the result, all rounds. */
  receiptsOf(participant: ParticipantId): Promise<Receipt[]> {
    return this.receipts.of(participant);
  }

  /** The seq of the last event committed to the transcript. */
  get committedSeq(): number {
    return this.writer.lastSeq;
  }

  status(logSeq: number): TranscriptStatus {
    return {
      clone: "/transcript.git",
      head: this.headOid,
      committedSeq: this.writer.lastSeq,
      lag: logSeq - this.writer.lastSeq,
      lastError: this.lastError,
      backups: this.backup.status(),
    };
  }

  /** Waits for queued commits. */
  async flush(): Promise<void> {
    await this.idle();
  }

  async close(): Promise<void> {
    await this.idle();
    await this.backup.stop();
  }
}
