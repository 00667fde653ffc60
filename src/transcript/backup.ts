/**
 * Backups: the transcript is pushed to every configured git remote (smart HTTP) after each round and on a cron
 * schedule, with retries and backoff. A failed push never blocks the ceremony: it is recorded and shown in status.
 */
import { CronJob } from "cron";
import * as fs from "node:fs";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { toLogger, type Logger, type LogSink } from "../lib/log.ts";
import { retry, RetriesExhausted } from "../lib/retry.ts";
import { SerialQueue } from "../lib/serial.ts";

export interface RemoteStatus {
  url: string;
  lastAttempt: string | null;
  lastSuccess: string | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** The commit the remote last accepted. */
  pushedCommit: string | null;
}

export interface BackupOptions {
  dir: string;
  remotes: string[];
  /** Tries per push before giving up until the next trigger. */
  attempts?: number;
  backoffMs?: number;
  now?: () => Date;
  /** Each failed attempt is a warning; a push that failed every attempt is an error. */
  log?: LogSink;
  /** Told of each push that failed every attempt (the remote's redacted URL): the failure metric. */
  failed?: (remote: string) => void;
}

/** Hides credentials given in a remote URL (https://user:token@host/…) from logs and status. */
export function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, "//***@");
}

export class TranscriptBackup {
  private readonly statuses: RemoteStatus[];
  private readonly pushes = new SerialQueue();
  private job: CronJob | null = null;
  private readonly log: Logger;

  constructor(private readonly options: BackupOptions) {
    this.log = toLogger(options.log);
    this.statuses = options.remotes.map((url) => ({ url, lastAttempt: null, lastSuccess: null, lastError: null, consecutiveFailures: 0, pushedCommit: null }));
  }

  status(): RemoteStatus[] {
    return this.statuses.map((s) => ({ ...s, url: redact(s.url) }));
  }

  /** Pushes the current main branch to every remote; never throws. Pushes are serialised. */
  pushAll(reason: string): Promise<void> {
    return this.pushes.run(async () => {
      await Promise.all(this.statuses.map((s) => this.pushOne(s, reason)));
    });
  }

  /** Never throws: a push that fails every attempt is recorded in the remote's status and waits for the next trigger. */
  private async pushOne(s: RemoteStatus, reason: string): Promise<void> {
    const attempts = this.options.attempts ?? 3;
    const now = this.options.now ?? (() => new Date());
    const backoffMs = this.options.backoffMs ?? 1000;
    const failed = (err: unknown, attempt: number): void => {
      s.lastError = redact(err instanceof Error ? err.message : String(err));
      s.consecutiveFailures++;
      const last = attempt >= attempts;
      const fields = { remote: redact(s.url), consecutiveFailures: s.consecutiveFailures };
      const line = `backup: push to ${redact(s.url)} failed (attempt ${attempt}/${attempts}): ${s.lastError}${last ? "; the transcript is not backed up there until a later push succeeds" : ""}`;
      if (last) {
        this.log.error(line, fields);
        this.options.failed?.(redact(s.url));
      } else {
        this.log.warn(line, fields);
      }
    };
    try {
      await retry(
        async () => {
          s.lastAttempt = now().toISOString();
          const head = await git.resolveRef({ fs, dir: this.options.dir, ref: "main" });
          const result = await git.push({ fs, http, dir: this.options.dir, url: s.url, ref: "main", remoteRef: "main" });
          if (!result.ok) throw new Error(result.error ?? "the remote refused the push");
          s.lastSuccess = now().toISOString();
          s.lastError = null;
          s.consecutiveFailures = 0;
          s.pushedCommit = head;
          this.log.info(`backup: pushed ${head.slice(0, 12)} to ${redact(s.url)} (${reason})`, { remote: redact(s.url) });
        },
        { initialMs: backoffMs, maxMs: backoffMs * 2 ** attempts, attempts, onRetry: failed },
      );
    } catch (err) {
      failed(err instanceof RetriesExhausted ? err.cause : err, attempts);
    }
  }

  /** Pushes on a cron schedule (e.g. "0 *\/5 * * * *" every five minutes, with seconds). */
  schedule(cronTime: string): void {
    if (this.statuses.length === 0) return;
    this.job = CronJob.from({ cronTime, onTick: () => void this.pushAll("schedule"), start: true });
  }

  async stop(): Promise<void> {
    await this.job?.stop();
    this.job = null;
    await this.pushes.idle();
  }
}
