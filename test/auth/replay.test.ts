// The replay guard: remembers nonces exactly as long as they could be replayed, in bounded memory.
import { describe, expect, it } from "vitest";
import { ReplayGuard } from "../../src/auth/replay.ts";

const alice = "a".repeat(64);
const bob = "b".repeat(64);
const nonce = (i: number) => i.toString(16).padStart(32, "0");

describe("ReplayGuard", () => {
  it("refuses a nonce it has seen for the same key, not for another key", () => {
    const guard = new ReplayGuard();
    expect(guard.remember(alice, nonce(1), 1_000_000, 1_000_000)).toBe("fresh");
    expect(guard.remember(alice, nonce(1), 1_000_000, 1_000_500)).toBe("replayed");
    expect(guard.remember(bob, nonce(1), 1_000_000, 1_000_500)).toBe("fresh");
    expect(guard.remember(alice, nonce(2), 1_000_000, 1_000_500)).toBe("fresh");
  });

  it("keeps a nonce for as long as its timestamp is acceptable, then forgets it", () => {
    const guard = new ReplayGuard({ windowMs: 60_000 });
    const t = 10_000_000;
    // Signed 60 s in the future: acceptable until t + 60 s, i.e. for two minutes of server time.
    expect(guard.remember(alice, nonce(1), t, t - 60_000)).toBe("fresh");
    expect(guard.remember(alice, nonce(1), t, t + 60_000)).toBe("replayed");
    expect(guard.size).toBe(1);
    // Once the timestamp is out of the window (plus at most one bucket), the entry is evicted on the next insert.
    guard.remember(bob, nonce(9), t + 200_000, t + 200_000);
    expect(guard.size).toBe(1);
    expect(guard.remember(alice, nonce(1), t, t + 200_000)).toBe("fresh");
  });

  it("never evicts an entry whose request could still be accepted", () => {
    const guard = new ReplayGuard({ windowMs: 1_000 });
    for (let now = 0; now <= 1_000; now += 7) {
      expect(guard.remember(alice, nonce(now + 1), now, now)).toBe("fresh");
    }
    // A request signed at t is still acceptable at exactly t + windowMs, so its nonce must still be there.
    for (let t = 0; t <= 1_000; t += 7) {
      expect(guard.remember(alice, nonce(t + 1), t, t + 1_000)).toBe("replayed");
    }
  });

  it("refuses new nonces when full instead of forgetting live ones, and frees room as they expire", () => {
    const guard = new ReplayGuard({ windowMs: 1_000, maxEntries: 3, maxEntriesPerKey: 10 });
    for (let i = 0; i < 3; i++) expect(guard.remember(i % 2 ? alice : bob, nonce(i), 5_000, 5_000)).toBe("fresh");
    expect(guard.remember(alice, nonce(10), 5_000, 5_100)).toBe("full");
    expect(guard.size).toBe(3);
    // A replay is still reported as a replay when full.
    expect(guard.remember(bob, nonce(0), 5_000, 5_100)).toBe("replayed");
    expect(guard.remember(alice, nonce(10), 7_000, 7_000)).toBe("fresh");
    expect(guard.size).toBe(1);
  });

  it("caps the nonces of one key so it cannot fill the guard for everyone", () => {
    const guard = new ReplayGuard({ windowMs: 1_000, maxEntries: 100, maxEntriesPerKey: 2 });
    expect(guard.remember(alice, nonce(1), 5_000, 5_000)).toBe("fresh");
    expect(guard.remember(alice, nonce(2), 5_000, 5_000)).toBe("fresh");
    expect(guard.remember(alice, nonce(3), 5_000, 5_000)).toBe("key-full");
    expect(guard.remember(bob, nonce(3), 5_000, 5_000)).toBe("fresh");
    expect(guard.remember(alice, nonce(3), 7_000, 7_000)).toBe("fresh");
  });

  it("rejects nonsensical options", () => {
    expect(() => new ReplayGuard({ windowMs: 0 })).toThrow(/windowMs must be a positive integer/);
    expect(() => new ReplayGuard({ maxEntries: 1.5 })).toThrow(/maxEntries/);
  });
});
