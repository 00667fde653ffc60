/**
 * Admission limits: token buckets per client address and per participant key, in bounded memory (the least
 * recently seen buckets are forgotten first, so a flood of addresses cannot grow it). Checked before a signature
 * is verified where they can be, so a flood costs the server as little as possible. Off when the rate is 0.
 */
import { ApiError } from "./errors.ts";

export interface Rate {
  /** Tokens added per second; 0 switches the limit off. */
  perSecond: number;
  /** Most tokens a bucket holds: the burst allowed after a quiet spell. */
  burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: Rate,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token for `key`; the milliseconds to wait when there is none (0: allowed). */
  take(key: string, now: number): number {
    if (this.rate.perSecond <= 0) return 0;
    const b = this.buckets.get(key) ?? { tokens: this.rate.burst, at: now };
    this.buckets.delete(key);
    // A wall clock stepped back gives nothing and takes nothing (a negative elapsed time would be a debt of
    // rate × the step: hours of refusals for an honest client); stepped forward, at most one burst.
    b.tokens = Math.min(this.rate.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate.perSecond);
    b.at = now;
    const wait = b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / this.rate.perSecond) * 1000);
    if (wait === 0) b.tokens -= 1;
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    return wait;
  }
}

export class RateLimited extends ApiError {
  constructor(
    what: string,
    readonly retryAfterMs: number,
  ) {
    super("RATE_LIMITED", `too many ${what}; retry in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}
