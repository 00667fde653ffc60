/**
 * The SIWE nonces the coordinator hands out: each is accepted once, within its time to live, and the store holds
 * at most `capacity` of them, so a flood of nonce requests costs bounded memory (it can only evict older nonces).
 */
import { bytesToHex } from "@noble/hashes/utils.js";

export interface NonceStoreOptions {
  /** How long an issued nonce may be consumed. Default 5 minutes: time to read and sign a message in a wallet. */
  ttlMs?: number;
  /** Most nonces held at once; issuing one more evicts the oldest. Default 10 000. */
  capacity?: number;
}

export interface IssuedNonce {
  /** 32 lowercase hex digits (128 random bits): EIP-4361 asks for at least 8 letters and digits. */
  nonce: string;
  /** Milliseconds since the epoch after which `consume` refuses it. */
  expiresAt: number;
}

export class NonceStore {
  readonly ttlMs: number;
  readonly capacity: number;
  /** nonce → expiry; a Map iterates in insertion order, so the first entry is always the oldest nonce issued. */
  private readonly live = new Map<string, number>();

  constructor(options: NonceStoreOptions = {}) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.capacity = options.capacity ?? 10_000;
    for (const [name, value] of Object.entries({ ttlMs: this.ttlMs, capacity: this.capacity })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`NonceStore ${name} must be a positive integer`);
    }
  }

  /** Nonces held now (expired ones go on the next issue or consume). */
  get size(): number {
    return this.live.size;
  }

  issue(now: number): IssuedNonce {
    this.evictExpired(now);
    while (this.live.size >= this.capacity) this.dropOldest();
    const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
    const expiresAt = now + this.ttlMs;
    this.live.set(nonce, expiresAt);
    return { nonce, expiresAt };
  }

  /** True once for a nonce issued within the TTL; false when unknown, already consumed, expired or evicted. */
  consume(nonce: string, now: number): boolean {
    this.evictExpired(now);
    const expiresAt = this.live.get(nonce);
    if (expiresAt === undefined) return false;
    this.live.delete(nonce);
    return now <= expiresAt;
  }

  private evictExpired(now: number): void {
    // Issue times only grow (give or take a clock step back), so expiries grow along the map too: stop at the first
    // live one. A step back leaves a few expired entries behind a live one until it expires too; consume still
    // checks each nonce's own expiry.
    for (const [nonce, expiresAt] of this.live) {
      if (expiresAt >= now) return;
      this.live.delete(nonce);
    }
  }

  private dropOldest(): void {
    const oldest = this.live.keys().next();
    if (!oldest.done) this.live.delete(oldest.value);
  }
}
