/**
 * The coordinator's Prometheus metrics (prom-client): what it is doing (phase, queue, round progress, transcript
 * lag; read from the state at each scrape), how long its work takes (verifications, transcript commits, HTTP
 * requests by route pattern and status), what it received (upload bytes), what went wrong (backup failures), and
 * the default process metrics. Every label has a bounded set of values: route patterns, never raw paths.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CeremonyState } from "../core/model.ts";
import { currentRound } from "../core/state.ts";

export interface MetricsSource {
  state(): CeremonyState;
  queueLength(): number;
  /** Events in the log the transcript has not committed yet; null without a transcript. */
  transcriptLag(): number | null;
}

const PHASES = ["setup", "waiting", "running", "finalizing", "finalized"] as const;

export class CoordinatorMetrics {
  readonly registry = new Registry();
  private readonly verification: Histogram<"result">;
  private readonly uploadBytes: Counter;
  private readonly http: Histogram<"method" | "route" | "status">;
  private readonly commit: Histogram;
  private readonly backupFailures: Counter<"remote">;

  constructor(source: MetricsSource, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.processMetrics === true) collectDefaultMetrics({ register: this.registry });
    const round = () => {
      const s = source.state();
      return s.phase === "setup" ? null : currentRound(s);
    };
    new Gauge({ name: "ceremony_queue_length", help: "Participants waiting in the queue", registers, collect() {
      this.set(source.queueLength());
    } });
    new Gauge({ name: "ceremony_phase", help: "1 for the ceremony's current phase, 0 for the others", labelNames: ["phase"], registers, collect() {
      const phase = source.state().phase;
      for (const p of PHASES) this.set({ phase: p }, p === phase ? 1 : 0);
    } });
    new Gauge({ name: "ceremony_round", help: "Number of the round running (0 when none is)", registers, collect() {
      this.set(round()?.number ?? 0);
    } });
    new Gauge({ name: "ceremony_rounds_aggregated", help: "Number of the last aggregated round", registers, collect() {
      const s = source.state();
      this.set(s.phase === "setup" ? 0 : s.lastRound);
    } });
    new Gauge({ name: "ceremony_round_contributions_verified", help: "Verified chunk contributions in the round running", registers, collect() {
      this.set(round()?.chunks.reduce((n, c) => n + c.contributions.filter((x) => x.verified).length, 0) ?? 0);
    } });
    new Gauge({ name: "ceremony_round_contributions_total", help: "Chunk contributions the round running needs (chunks × contributors)", registers, collect() {
      const r = round();
      this.set(r ? r.chunks.length * r.contributors.length : 0);
    } });
    new Gauge({ name: "ceremony_transcript_lag_events", help: "Logged events the transcript has not committed yet", registers, collect() {
      this.set(source.transcriptLag() ?? 0);
    } });
    this.verification = new Histogram({
      name: "ceremony_verification_duration_seconds",
      help: "Time the coordinator's own verifiers take per chunk contribution, by result",
      labelNames: ["result"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.uploadBytes = new Counter({ name: "ceremony_upload_bytes_total", help: "Bytes of contribution uploads received in full (counted once stored, before their checks)", registers });
    this.http = new Histogram({
      name: "ceremony_http_request_duration_seconds",
      help: "Time to answer an HTTP request (to its headers), by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    this.commit = new Histogram({
      name: "ceremony_transcript_commit_duration_seconds",
      help: "Time one transcript commit takes (its events, chunk files and receipts)",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.backupFailures = new Counter({ name: "ceremony_backup_failures_total", help: "Transcript pushes to a backup remote that failed every attempt", labelNames: ["remote"], registers });
  }

  /** Every remote's failure count starts at 0, so it exists before the first failure. */
  backupRemotes(remotes: string[]): void {
    for (const remote of remotes) this.backupFailures.inc({ remote }, 0);
  }

  verified(seconds: number, ok: boolean): void {
    this.verification.observe({ result: ok ? "verified" : "rejected" }, seconds);
  }

  uploaded(bytes: number): void {
    this.uploadBytes.inc(bytes);
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }

  committed(seconds: number): void {
    this.commit.observe(seconds);
  }

  backupFailed(remote: string): void {
    this.backupFailures.inc({ remote });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
