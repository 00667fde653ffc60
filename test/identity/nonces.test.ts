// The SIWE nonce store: single use, a time to live, and bounded memory under a flood.
import { describe, expect, it } from "vitest";
import { NonceStore } from "../../src/identity/index.ts";
import { NONCE_SYNTAX } from "../../src/identity/siwe-grammar.ts";

const t0 = 1_700_000_000_000;

describe("NonceStore", () => {
  it("issues SIWE-valid nonces, each consumable once", () => {
    const store = new NonceStore();
    const { nonce, expiresAt } = store.issue(t0);
    expect(nonce).toMatch(NONCE_SYNTAX);
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect(expiresAt).toBe(t0 + store.ttlMs);
    expect(store.consume(nonce, t0 + 1)).toBe(true);
    expect(store.consume(nonce, t0 + 2)).toBe(false);
    expect(store.consume("0123456789abcdef0123456789abcdef", t0 + 2)).toBe(false);
  });

  it("accepts a nonce up to its expiry and not a millisecond later", () => {
    const store = new NonceStore({ ttlMs: 1_000 });
    const a = store.issue(t0);
    const b = store.issue(t0);
    expect(store.consume(a.nonce, t0 + 1_000)).toBe(true);
    expect(store.consume(b.nonce, t0 + 1_001)).toBe(false);
  });

  it("forgets expired nonces without being asked about them", () => {
    const store = new NonceStore({ ttlMs: 1_000 });
    for (let i = 0; i < 500; i++) store.issue(t0 + i);
    expect(store.size).toBe(500);
    // Issued at t0 + i, expired after t0 + i + 1000: at t0 + 1250 those of i < 250 are gone; the new one is added.
    store.issue(t0 + 1_250);
    expect(store.size).toBe(251);
    expect(store.consume("nothing", t0 + 10_000)).toBe(false);
    expect(store.size).toBe(0);
  });

  it("holds at most its capacity under 100 000 issues, evicting the oldest", () => {
    const store = new NonceStore({ capacity: 1_000, ttlMs: 3_600_000 });
    const first = store.issue(t0).nonce;
    let last = first;
    let peak = 0;
    for (let i = 1; i < 100_000; i++) {
      last = store.issue(t0 + Math.floor(i / 100)).nonce;
      peak = Math.max(peak, store.size);
    }
    expect(peak).toBe(1_000);
    expect(store.consume(first, t0 + 1_000)).toBe(false);
    expect(store.consume(last, t0 + 1_000)).toBe(true);
  });

  it("still refuses an expired nonce after the clock stepped back", () => {
    const store = new NonceStore({ ttlMs: 1_000 });
    const early = store.issue(t0 + 5_000);
    const stepped = store.issue(t0);
    expect(store.consume(stepped.nonce, t0 + 2_000)).toBe(false);
    expect(store.consume(early.nonce, t0 + 5_500)).toBe(true);
  });

  it("refuses nonsensical options", () => {
    expect(() => new NonceStore({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new NonceStore({ capacity: 1.5 })).toThrow(RangeError);
  });
});
