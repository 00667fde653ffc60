/**
 * The coordinator's side of the transcript: every committed append becomes one git commit (in order, by this one
 * writer, after the event is durable); each verification commit yields a signed receipt; a round's receipts are
 * committed when it is aggregated, then the transcript is pushed to the backup remotes; the final .ptau is
 * committed after finalization. Git trouble never blocks the ceremony: it is retried and shown in status.
 */
import { mkdir, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import type { ParticipantKey } from "../auth/keys.ts";
import { evolve } from "../core/evolve.ts";
import { parentOf } from "../core/rules.ts";
import { currentRound, initialState } from "../core/state.ts";
import type { CeremonyEvent, CeremonyState, ParticipantId } from "../core/model.ts";
import type { LoggedEvent } from "../store/event-log.ts";
import { checksumOf } from "../store/event-line.ts";
import { readJson, writeJsonAtomic } from "../store/json-file.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import { TranscriptBackup, type RemoteStatus } from "./backup.ts";
import { TRANSCRIPT_README } from "./readme.generated.ts";
import { ReceiptSchema, signReceipt, type Receipt } from "./receipt.ts";
import { TranscriptWriter } from "./writer.ts";
import { retry } from "../lib/retry.ts";
import { isErrnoCode } from "../store/durable.ts";

export interface TranscriptSettings {
  /** Artifacts above this size go to the external store (served at /v1/artifacts/:hash); git holds a ref. */
  externalThresholdBytes: number;
  /** Public base URL of this coordinator, written into refs (asked when a ref is written). */
  publicUrl: () => string;
  remotes: string[];
  /** Cron schedule of backup pushes (with seconds), e.g. "0 *\/10 * * * *". */
  backupCron: string;
  fsync: boolean;
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

/** Committed entries and the state right after them; `message` names a batch of queue events in one line. */
type Snapshot = { state: CeremonyState; entries: LoggedEvent<CeremonyEvent>[]; message?: string };

/** Events about the lobby only (who waits): committed in batches, not one commit each. */
const QUEUE_EVENTS: ReadonlySet<CeremonyEvent["type"]> = new Set(["ParticipantQueued", "ParticipantLeftQueue"]);
const queueOnly = (s: Snapshot): boolean => s.entries.every((e) => QUEUE_EVENTS.has(e.event.type));
/** Most queue events one commit holds. */
const MAX_BATCH_EVENTS = 20_000;

const ReceiptList = v.array(ReceiptSchema);

/** The names in a folder; none when it does not exist yet. Any other error propagates. */
async function readdirOrNone(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isErrnoCode(err, "ENOENT")) return [];
    throw err;
  }
}

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

  private constructor(
    readonly writer: TranscriptWriter,
    private readonly dataDir: string,
    private readonly coordinatorKey: ParticipantKey,
    settings: TranscriptSettings,
    private readonly log: (line: string) => void,
  ) {
    this.backup = new TranscriptBackup({ dir: join(dataDir, "transcript"), remotes: settings.remotes, log });
  }

  static async open(options: {
    dataDir: string;
    state: CeremonyState;
    coordinatorKey: ParticipantKey;
    artifacts: ArtifactStore;
    settings: TranscriptSettings;
    log: (line: string) => void;
  }): Promise<TranscriptService> {
    const s = options.state;
    if (s.phase === "setup") throw new Error("the transcript opens after initialization");
    const writer = await TranscriptWriter.open({
      dir: join(options.dataDir, "transcript"),
      readme: TRANSCRIPT_README,
      ceremony: {
        ceremonyId: s.settings.ceremonyId,
        power: s.settings.power,
        chunkSize: s.settings.chunkSize,
        numChunks: s.settings.numChunks,
        coordinatorKey: options.coordinatorKey.publicKey,
      },
      artifacts: {
        get: (h) => options.artifacts.get(h),
        size: async (h) => (await readFile(options.artifacts.path(h))).length,
      },
      externalThresholdBytes: options.settings.externalThresholdBytes,
      externalUrl: (h) => `${options.settings.publicUrl().replace(/\/+$/, "")}/v1/artifacts/${h}`,
      fsync: options.settings.fsync,
    });
    const t = new TranscriptService(writer, options.dataDir, options.coordinatorKey, options.settings, options.log);
    t.headOid = await writer.head();
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

  /** Commits entries the log has but the transcript lacks (after a crash), each with its state, batched as usual. */
  async catchUp(entries: LoggedEvent<CeremonyEvent>[]): Promise<number> {
    let state = initialState();
    let count = 0;
    for (const e of entries) {
      state = evolve(state, e.event);
      if (e.seq <= this.writer.lastSeq) continue;
      this.committed([e], state);
      count++;
    }
    await this.idle();
    return count;
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
        this.log(`transcript: commit of seq ${snap.entries[0]?.seq} failed (attempt ${attempt}): ${this.lastError}`);
      },
    });
    this.lastError = null;
  }

  private async commitNow({ state, entries, message }: Snapshot): Promise<void> {
    const logged = entries.map((e) => ({ ...e, checksum: checksumOf(e) }));
    const oid = await this.writer.commitEvents(logged, message);
    this.publish(oid, "events");
    for (const { event } of entries) {
      if (event.type === "ContributionVerified") await this.saveReceipt(event, state, oid);
      if (event.type === "RoundAggregated") {
        const files = await this.roundReceiptFiles(event.round);
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

  private receiptPath(round: number, participant: ParticipantId): string {
    return join(this.dataDir, "receipts", String(round), `${participant}.json`);
  }

  /** Signs and stores the receipt of a verification; `state` is the state right after its append (round still current). */
  private async saveReceipt(event: Extract<CeremonyEvent, { type: "ContributionVerified" }>, state: CeremonyState, commit: string): Promise<void> {
    if (state.phase === "setup") return;
    const round = currentRound(state);
    if (round?.number !== event.round) return;
    const participant = round.contributors[event.position];
    const parentHash = parentOf(state, round, event.chunk, event.position);
    if (!participant || !parentHash) return;
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
    const path = this.receiptPath(event.round, participant);
    const others = (await this.receiptsAt(path)).filter((r) => !(r.chunk === receipt.chunk && r.position === receipt.position));
    await mkdir(join(this.dataDir, "receipts", String(event.round)), { recursive: true });
    await writeJsonAtomic(path, [...others, receipt].sort((a, b) => a.chunk - b.chunk));
  }

  private async receiptsAt(path: string): Promise<Receipt[]> {
    try {
      return await readJson(path, ReceiptList);
    } catch (err) {
      if (isErrnoCode(err, "ENOENT")) return [];
      throw err;
    }
  }

  private async roundReceiptFiles(round: number): Promise<Array<{ path: string; bytes: Uint8Array }>> {
    const dir = join(this.dataDir, "receipts", String(round));
    const names = await readdirOrNone(dir);
    const files: Array<{ path: string; bytes: Uint8Array }> = [];
    for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
      files.push({ path: `receipts/${round}/${name}`, bytes: new Uint8Array(await readFile(join(dir, name))) });
    }
    return files;
  }

  /** Every receipt of a participant, all rounds. */
  async receiptsOf(participant: ParticipantId): Promise<Receipt[]> {
    const rounds = await readdirOrNone(join(this.dataDir, "receipts"));
    const out: Receipt[] = [];
    for (const r of rounds.sort((a, b) => Number(a) - Number(b))) out.push(...(await this.receiptsAt(this.receiptPath(Number(r), participant))));
    return out;
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
