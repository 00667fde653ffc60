/** Retry with exponential backoff, and sleep: the one copy every component uses (client, transcript, backups). */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RetryOptions {
  /** First wait; it doubles after every failed attempt up to maxMs. */
  initialMs: number;
  maxMs: number;
  /** Give up after this many attempts (default: no limit). */
  attempts?: number;
  /** Give up when the next wait would end more than this long after the first attempt began (default: no limit). */
  giveUpAfterMs?: number;
  /** Whether a failure is worth retrying; others are thrown at once (default: all are). */
  retryable?: (err: unknown) => boolean;
  /** Told of every failure that will be retried, with the wait before the next attempt. */
  onRetry?: (err: unknown, attempt: number, waitMs: number) => void;
  now?: () => number;
}

/** Thrown when the attempts or the time are spent; `cause` is the last failure. */
export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    override readonly cause: unknown,
  ) {
    super(`gave up after ${attempts} attempt(s) in ${Math.round(elapsedMs / 1000)} s: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "RetriesExhausted";
  }
}

export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const start = now();
  let wait = options.initialMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (options.retryable && !options.retryable(err)) throw err;
      const elapsed = now() - start;
      const outOfAttempts = options.attempts !== undefined && n >= options.attempts;
      const outOfTime = options.giveUpAfterMs !== undefined && elapsed + wait > options.giveUpAfterMs;
      if (outOfAttempts || outOfTime) throw new RetriesExhausted(n, elapsed, err);
      options.onRetry?.(err, n, wait);
      await sleep(wait);
      wait = Math.min(wait * 2, options.maxMs);
    }
  }
}
