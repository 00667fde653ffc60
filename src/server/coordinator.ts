/**
 * The running coordinator, wired in one place: the command handler (decide, append, apply), the effect modules
 * that follow committed state (tick, own verifiers, replacement contributors, aggregation, finalization), the
 * transcript, and the service the HTTP API calls. Crypto runs here, never in the core. Any failure of a
 * background effect or of the log is fatal: `failed` resolves with it, and `serve` stops with a clear line and a
 * non-zero exit; a restart replays the log. A full disk alone is a degraded mode (disk-guard.ts), not a stop.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import type { Readiness } from "../api/operations.ts";
import type { ParticipantKey } from "../auth/keys.ts";
import type { CeremonyEvent, CeremonyState, Command, Settings } from "../core/model.ts";
import type { Open } from "../core/state.ts";
import type { SteadyClock } from "../lib/clock.ts";
import { resolveMoment, type Moment } from "../lib/moment.ts";
import { Alerts } from "./alerts.ts";
import { checkClockDrift } from "./clock-alert.ts";
import { DiskGuard } from "./disk-guard.ts";
import { isDiskFull } from "../store/disk-full.ts";
import { FinalizeSchedule } from "./effects/schedule.ts";
import { getCurve } from "../crypto/curve.ts";
import { initPairing } from "../crypto/pairing.ts";
import type { CurveOps } from "../crypto/ops.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import type { ChunkStorage } from "../crypto/rounds.ts";
import { ArtifactStore } from "../store/artifact-store.ts";
import type { TranscriptService, TranscriptSettings } from "../transcript/service.ts";
import { CommandHandler, saveSnapshot } from "./commands.ts";
import { aggregateIfComplete } from "./effects/aggregation.ts";
import { finalizeIfReady } from "./effects/finalization.ts";
import { runLoop } from "./effects/loop.ts";
import type { EffectPort } from "./effects/port.ts";
import { ReplacementContributor } from "./effects/replacements.ts";
import { Ticker } from "./effects/tick.ts";
import { Verification } from "./effects/verification.ts";
import { toLogger, type Logger, type LogSink } from "../lib/log.ts";
import { redact } from "../transcript/backup.ts";
import { openAdmission, type Admission } from "./admission.ts";
import { LiveFeed } from "./live.ts";
import { CoordinatorMetrics } from "./metrics.ts";
import { Narrator } from "./narrator.ts";
import { RoundPace } from "./pace.ts";
import { Presence } from "./presence.ts";
import { QueueIndex } from "./queue-index.ts";
import type { LoggedEvent } from "../store/event-log.ts";
import { CoordinatorService, MAX_TRANSCRIPT_BACKLOG } from "./service.ts";
import { Certification, type CertificationSettings } from "./certification/certification.ts";
import { PublishedIndex } from "./certification/published.ts";
import { openCeremony, snapshotPath } from "./startup.ts";

export interface CoordinatorOptions {
  dataDir: string;
  settings: Omit<Settings, "ceremonyId" | "numChunks" | "coordinator">;
  /** Period of the update tick: whole seconds run on a cron schedule, shorter periods (tests) on a timer. */
  tickMs: number;
  verifiers: number;
  /** Coordinator-owned replacement contributors run in-process. */
  replacements?: number;
  /** Trusted external verifiers (besides the coordinator's own), as the operator lists them. */
  verifierKeys?: string[];
  /** How joins prove identity (default: open). */
  admission?: Admission;
  /** Most participants waiting at once (default 0: no cap). */
  queueCap?: number;
  ops: CurveOps;
  /**
   * Signs receipts (its public key is published in the transcript); the coordinator's own verifiers act as it. Null
   * only to serve a finalized ceremony, read-only (a restored public copy): nothing is left to sign.
   */
  coordinatorKey: ParticipantKey | null;
  /** An existing ceremony's state, before anything is written: throws (StartupRefusal) when the configuration contradicts it. */
  checkExisting?: (state: Open) => void | Promise<void>;
  /** A new ceremony starts from this .ptau instead of the generators. */
  importPtau?: string;
  /** The operator's schedule: when the queue opens and closes, when to finalize with the beacon read from a file. */
  schedule?: { opensAt?: Moment; closesAt?: Moment; finalizeAt?: Moment; beaconFile?: string };
  /** The git transcript; omitted, no transcript is kept (unit tests of the API). */
  transcript?: TranscriptSettings;
  /** Certified mirrors (with a transcript only): how they are admitted, and the threshold. Default: admins admit, ⌈2n/3⌉. */
  mirrors?: CertificationSettings;
  now?: () => number;
  /**
   * The steady clock `now` reads (lib/clock.ts), when it is one: moved past the log's last event at start, and its
   * drift from the system clock raised as an alert.
   */
  clock?: Pick<SteadyClock, "notBefore" | "drift">;
  /** The log: a Logger (levels, fields), or a function taking one line (tests). */
  log?: LogSink;
  /**
   * prom-client's default process metrics (CPU, memory, event loop) beside the coordinator's own; default false: they
   * watch the whole process and cannot be stopped, so only `serve` (one coordinator a process) turns them on.
   */
  processMetrics?: boolean;
}

export class Coordinator {
  readonly presence: Presence;
  readonly service: CoordinatorService;
  readonly finalPath: string;
  readonly metrics: CoordinatorMetrics;
  readonly log: Logger;
  /** Resolves with the first fatal failure (never resolves on a clean stop). */
  readonly failed: Promise<{ what: string; error: unknown }>;
  private fail: (f: { what: string; error: unknown }) => void = () => undefined;
  private failure: { what: string; error: unknown } | null = null;
  private started = false;
  readonly alerts: Alerts;
  /** The degraded mode of a full disk: writes refused (DISK_FULL) until a probe finds space again. */
  readonly disk: DiskGuard;
  /** A finalized ceremony is only served: no tick, verifiers or replacements run, and the API refuses writes. */
  readonly readOnly: boolean;
  private readonly verification: Verification;
  private readonly ticker: Ticker;
  private readonly finalizeSchedule: FinalizeSchedule;
  private replacements: ReplacementContributor[] = [];
  private transcriptService: TranscriptService | null = null;
  private certificationService: Certification | null = null;
  private readonly narrator: Narrator;
  private readonly pace: RoundPace;
  private loops: Promise<void>[] = [];
  private stopping = false;

  private constructor(
    private readonly commands: CommandHandler,
    readonly artifacts: ArtifactStore,
    private readonly curve: Curve,
    private readonly options: CoordinatorOptions,
    projections: { queue: QueueIndex; pace: RoundPace; live: LiveFeed; presence: Presence },
    observed: { metrics: CoordinatorMetrics; log: Logger; narrator: Narrator },
    initializedAt: number,
  ) {
    this.presence = projections.presence;
    this.pace = projections.pace;
    this.metrics = observed.metrics;
    this.log = observed.log;
    this.narrator = observed.narrator;
    this.finalPath = join(options.dataDir, "final.ptau");
    this.failed = new Promise((resolve) => (this.fail = resolve));
    this.alerts = new Alerts((line) => this.say(line));
    this.disk = new DiskGuard({ dir: options.dataDir, alerts: this.alerts, resumed: () => this.ticker.restartGrace() });
    this.readOnly = commands.state.phase === "finalized";
    const base = this.effectPort();
    const me = this.coordinatorId();
    this.verification = new Verification({ ...base, ops: options.ops, coordinator: me, timed: (seconds, ok) => this.metrics.verified(seconds, ok) });
    const finalizeAt = options.schedule?.finalizeAt ? resolveMoment(options.schedule.finalizeAt, initializedAt) : null;
    this.finalizeSchedule = new FinalizeSchedule({ ...base, coordinator: me, alerts: this.alerts }, finalizeAt, options.schedule?.beaconFile ?? "");
    this.ticker = new Ticker({ ...base, presence: this.presence, fatal: (what, err) => this.fatal(what, err), diskFull: (err) => this.disk.report(err), afterTick: () => this.afterTick() }, options.tickMs);
    this.service = new CoordinatorService({
      ...base,
      seq: () => this.commands.seq,
      ...projections,
      admission: options.admission ?? openAdmission,
      queueCap: options.queueCap ?? 0,
      verification: this.verification,
      transcript: () => this.transcriptService,
      certification: () => this.certificationService,
      artifacts: this.artifacts,
      coordinatorKey: me,
      finalPath: this.finalPath,
      uploaded: (bytes) => this.metrics.uploaded(bytes),
      disk: this.disk,
      alerts: () => this.alerts.list(),
      finalizeAt: finalizeAt === null ? null : new Date(finalizeAt).toISOString(),
    });
  }

  /** What runs after every tick: the clock's drift alert, then the scheduled finalization. */
  private afterTick(): Promise<unknown> {
    if (this.options.clock) checkClockDrift(this.alerts, this.options.clock.drift());
    return this.finalizeSchedule.step();
  }

  /** The coordinator's public key: its own, or (read-only, without the key) the one the ceremony names. */
  private coordinatorId(): string {
    if (this.options.coordinatorKey) return this.options.coordinatorKey.publicKey;
    const s = this.commands.state;
    if (s.phase === "setup") throw new Error("not initialized");
    return s.settings.coordinator;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get now(): number {
    return (this.options.now ?? Date.now)();
  }

  get transcript(): TranscriptService | null {
    return this.transcriptService;
  }

  get certification(): Certification | null {
    return this.certificationService;
  }

  /** One line of the log (made printable there: whatever a participant or verifier put into it cannot start another). */
  say(line: string): void {
    this.log.info(line);
  }

  static async open(options: CoordinatorOptions): Promise<Coordinator> {
    await initPairing();
    const curve = await getCurve();
    const artifacts = new ArtifactStore(join(options.dataDir, "artifacts"));
    let failedEarly: ((err: unknown) => void) | null = null;
    const queue = new QueueIndex();
    const pace = new RoundPace();
    const live = new LiveFeed();
    const presence = new Presence();
    const log = toLogger(options.log);
    const narrator = new Narrator(log, () => queue.length);
    // The metrics read the coordinator at each scrape and certification reaches it through its port: it exists once
    // the log is open.
    let current: Coordinator | null = null;
    const metrics = new CoordinatorMetrics(
      {
        state: () => current?.state() ?? { phase: "setup" },
        queueLength: () => queue.length,
        transcriptLag: () => (current?.transcriptService ? current.transcriptService.status(current.commands.seq).lag : null),
      },
      { processMetrics: options.processMetrics ?? false },
    );
    metrics.backupRemotes((options.transcript?.remotes ?? []).map(redact));
    // Certification follows the log from the first event (its epochs).
    const reach = (): Coordinator => {
      if (!current) throw new Error("the coordinator is still opening");
      return current;
    };
    const certification = options.transcript
      ? new Certification(
          {
            state: () => reach().state(),
            execute: (command) => reach().execute(command),
            transcript: () => reach().transcript,
            now: () => reach().now,
            say: (line) => reach().say(line),
          },
          new PublishedIndex(join(options.dataDir, "transcript")),
          options.mirrors ?? { admitOnRegistration: false, threshold: 0 },
        )
      : null;
    const follow = (e: LoggedEvent<CeremonyEvent>, replayed: boolean): void => {
      certification?.follow(e);
      if (e.event.type === "ParticipantLeftQueue" || e.event.type === "ParticipantDropped") presence.forget(e.event.participant);
      queue.apply(e.event);
      pace.apply(e.event, Date.parse(e.time));
      live.committed([e], queue.length);
      if (!replayed) narrator.committed(e.event);
    };
    const resume = (state: CeremonyState, shell: unknown): void => {
      if (state.phase !== "setup") queue.seed([...state.front.keys()], state.queue.keys());
      pace.restore((shell as { pace?: unknown } | null)?.pace);
      const epochs = certification?.restoreEpochs((shell as { epochs?: unknown } | null)?.epochs);
      if (epochs === false && state.phase !== "setup" && state.mirrors.epoch.number > 0) {
        log.warn("the snapshot keeps no mirror epochs (an older snapshot): mirror statements cannot be judged until a start from the whole log");
      }
    };
    const observer = {
      committed: (s: number) => metrics.committed(s),
      backupFailed: (r: string) => metrics.backupFailed(r),
      commitFailed: (err: unknown) => current?.disk.report(err),
    };
    const opened = await openCeremony(options, curve, artifacts, (err) => failedEarly?.(err), { resume, follow }, observer);
    const c = new Coordinator(opened.commands, artifacts, curve, options, { queue, pace, live, presence }, { metrics, log, narrator }, opened.initializedAt);
    current = c;
    failedEarly = (err) => c.fatal("event log", err);
    c.transcriptService = opened.transcript;
    if (certification && opened.transcript) {
      opened.transcript.onPublished((commit) => certification.committed(commit));
      await certification.open(await opened.transcript.writer.head());
      c.certificationService = certification;
    }
    c.replacements = opened.replacementKeys.map((id) => new ReplacementContributor(c.service, id, options.ops, curve, (l) => c.say(l)));
    for (const p of opened.roundContributors) c.presence.seen(p, c.now);
    return c;
  }

  get params(): CeremonyParams {
    const s = this.commands.state;
    if (s.phase === "setup") throw new Error("not initialized");
    return { ceremonyId: s.settings.ceremonyId, power: s.settings.power, chunkSize: s.settings.chunkSize };
  }

  private storage(): ChunkStorage {
    return {
      put: async (bytes) => (await this.artifacts.put(bytes, { maxBytes: bytes.length, exactBytes: bytes.length })).hash,
      get: (id) => this.artifacts.get(id),
    };
  }

  /** Starts the tick and the effect loops (none for a finalized ceremony). */
  start(): void {
    this.started = true;
    if (this.readOnly) return;
    this.ticker.start();
    const host = {
      changed: (ms: number) => this.commands.changed(ms),
      stopping: () => this.stopping,
      fatal: (what: string, err: unknown) => this.fatal(what, err),
      diskFull: (err: unknown) => this.disk.report(err),
    };
    for (const r of this.replacements) this.loops.push(runLoop(host, "replacement contributor", () => r.step()));
    for (let i = 0; i < this.options.verifiers; i++) this.loops.push(runLoop(host, "verifier", () => this.verification.verifyOne()));
    this.loops.push(runLoop(host, "aggregation", () => aggregateIfComplete(this.effectPort())));
    this.loops.push(
      runLoop(host, "finalization", () =>
        finalizeIfReady({
          ...this.effectPort(),
          ops: this.options.ops,
          storage: this.storage(),
          artifacts: this.artifacts,
          finalPath: this.finalPath,
          published: async (hash) => this.transcriptService?.commitFinal(hash),
        }),
      ),
    );
  }

  private effectPort(): EffectPort {
    return {
      state: () => this.state(),
      execute: (command: Command) => this.execute(command),
      now: () => this.now,
      params: () => this.params,
      curve: this.curve,
      artifacts: this.artifacts,
      say: (line: string) => this.say(line),
    };
  }

  /** Stops everything after a failure that must not be ridden out (storage, a bug): a restart replays the log. */
  fatal(what: string, error: unknown): void {
    if (this.stopping) return;
    this.stopping = true;
    this.failure = { what, error };
    this.log.error(`fatal: ${what} failed: ${error instanceof Error ? error.message : String(error)}; stopping (a restart replays the log)`, { what });
    this.fail({ what, error });
  }

  /**
   * Ready for traffic: the log replayed (done before open() returns) and the loops started, no fatal failure, not
   * stopping, and the transcript keeping up (its commits succeed and it owes fewer events than make joins wait).
   */
  readiness(): Readiness {
    if (this.failure) {
      const { what, error } = this.failure;
      return { ready: false, reason: `${what} failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    if (this.stopping) return { ready: false, reason: "shutting down" };
    if (!this.started) return { ready: false, reason: "starting" };
    const t = this.transcriptService?.status(this.commands.seq);
    if (t?.lastError) return { ready: false, reason: `transcript commits are failing (retrying): ${t.lastError}` };
    if (t && t.lag >= MAX_TRANSCRIPT_BACKLOG) return { ready: false, reason: `the transcript is ${t.lag} events behind the log` };
    return { ready: true };
  }

  /** The update tick, now (tests drive it with a controllable clock). */
  tick(): Promise<CeremonyEvent[]> {
    return this.ticker.tick();
  }

  /** Decides and commits a command; refused with DISK_FULL at once while the disk is full (and entering that mode). */
  async execute(command: Command): Promise<CeremonyEvent[]> {
    this.disk.assertRoom();
    try {
      return await this.commands.execute(command);
    } catch (err) {
      if (isDiskFull(err)) this.disk.report(err);
      throw err;
    }
  }

  /** Resolves at the next committed change (or after `timeoutMs`). */
  changed(timeoutMs: number): Promise<void> {
    return this.commands.changed(timeoutMs);
  }

  state(): CeremonyState {
    return this.commands.state;
  }

  /**
   * Stops the tick and the loops, lets in-flight commands finish, closes the log; then saves a snapshot, so that the
   * next start-up replays only what comes after it, unless the transcript is behind it (its catch-up needs the log).
   */
  async close(): Promise<void> {
    this.stopping = true;
    this.disk.close();
    this.service.live.close();
    await this.ticker.stop();
    for (const r of this.replacements) r.close();
    const saved = await this.commands.close();
    this.narrator.flush();
    await Promise.all(this.loops);
    await this.certificationService?.flush();
    await this.transcriptService?.close();
    if (saved === null || (this.transcriptService && this.transcriptService.committedSeq < saved.head.seq)) return;
    try {
      await saveSnapshot(snapshotPath(this.options.dataDir), saved, { pace: this.pace.save(), epochs: this.certificationService?.saveEpochs() ?? [] });
    } catch (err) {
      this.log.warn(`snapshot not saved (the next start-up replays the whole log): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
