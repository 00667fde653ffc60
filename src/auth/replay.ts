/**
 * Remembers which (public key, nonce) pairs have been used, for as long as a request carrying them could still be
 * accepted, in bounded memory.
 *
 * A request signed at timestamp t is accepted while |now - t| <= windowMs, that is until now = t + windowMs, so its
 * nonce is kept until then (rounded up to the next bucket of windowMs / 32, which only makes it safer). Expired
 * entries are evicted on every insert. When the guard is full it refuses new requests ("full") rather than forget
 * a nonce that is still acceptable, since forgetting one would reopen a replay. A per-key cap ("key-full") keeps a
 * single participant from filling the guard for everyone. Only requests with a valid signature reach the guard, so
 * nobody can spend another participant's nonces or quota.
 */

export interface ReplayGuardOptions {
  /** How far a request's timestamp may be from the server clock, either way. Default 60 s. */
  windowMs?: number;
  /** Most (key, nonce) pairs remembered at once, all keys together. Default 100 000 (a few tens of MB at most). */
  maxEntries?: number;
  /** Most pairs remembered at once for one key, i.e. requests per key per window. Default 1 000. */
  maxEntriesPerKey?: number;
  /**
   * When full, forget the oldest pairs instead of refusing. Only for the guard of keys the coordinator does not know
   * yet (who may only join, which is harmless to replay): it keeps them from ever refusing a newcomer.
   */
  evictWhenFull?: boolean;
}

/** fresh: recorded now. replayed: seen before. full / key-full: refused, nothing recorded; the client may retry. */
export type ReplayVerdict = "fresh" | "replayed" | "full" | "key-full";

const BUCKETS_PER_WINDOW = 32;

export class ReplayGuard {
  readonly windowMs: number;
  readonly maxEntries: number;
  readonly maxEntriesPerKey: number;
  private readonly evictWhenFull: boolean;
  private readonly bucketMs: number;
  private readonly seen = new Set<string>();
  private readonly perKey = new Map<string, number>();
  /** Entries by expiry bucket (floor(expiresAt / bucketMs)); a bucket is dropped whole once all of it has expired. */
  private readonly buckets = new Map<number, { publicKey: string; entry: string }[]>();

  constructor(options: ReplayGuardOptions = {}) {
    this.windowMs = options.windowMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxEntriesPerKey = options.maxEntriesPerKey ?? 1_000;
    this.evictWhenFull = options.evictWhenFull ?? false;
    for (const [name, value] of Object.entries({ windowMs: this.windowMs, maxEntries: this.maxEntries, maxEntriesPerKey: this.maxEntriesPerKey })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`ReplayGuard ${name} must be a positive integer`);
    }
    this.bucketMs = Math.max(1, Math.ceil(this.windowMs / BUCKETS_PER_WINDOW));
  }

  /** Pairs remembered now (before any eviction a later call would make). */
  get size(): number {
    return this.seen.size;
  }

  /**
   * Records the pair of a request signed at `timestamp` unless it was seen before or there is no room. Call it only
   * after the request's signature and timestamp are verified.
   */
  remember(publicKey: string, nonce: string, timestamp: number, now: number): ReplayVerdict {
    this.evictExpired(now);
    const entry = `${publicKey}:${nonce}`;
    if (this.seen.has(entry)) return "replayed";
    if (this.seen.size >= this.maxEntries && this.evictWhenFull) this.evictOldest();
    if (this.seen.size >= this.maxEntries) return "full";
    const count = this.perKey.get(publicKey) ?? 0;
    if (count >= this.maxEntriesPerKey) return "key-full";
    this.seen.add(entry);
    this.perKey.set(publicKey, count + 1);
    const bucket = Math.floor((timestamp + this.windowMs) / this.bucketMs);
    const list = this.buckets.get(bucket);
    if (list) list.push({ publicKey, entry });
    else this.buckets.set(bucket, [{ publicKey, entry }]);
    return "fresh";
  }

  /** Drops the bucket that expires first. */
  private evictOldest(): void {
    let oldest: number | null = null;
    for (const bucket of this.buckets.keys()) if (oldest === null || bucket < oldest) oldest = bucket;
    if (oldest !== null) this.dropBucket(oldest);
  }

  private dropBucket(bucket: number): void {
    for (const { publicKey, entry } of this.buckets.get(bucket) ?? []) {
      this.seen.delete(entry);
      const count = (this.perKey.get(publicKey) ?? 1) - 1;
      if (count > 0) this.perKey.set(publicKey, count);
      else this.perKey.delete(publicKey);
    }
    this.buckets.delete(bucket);
  }

  private evictExpired(now: number): void {
    // At most about 2 * BUCKETS_PER_WINDOW + 2 buckets are live, so this loop is short.
    for (const [bucket, list] of this.buckets) {
      if ((bucket + 1) * this.bucketMs > now) continue;
      this.dropBucket(bucket);
    }
  }
}
