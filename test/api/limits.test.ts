// The token bucket under a stepped wall clock: the coordinator's HTTP layer reads the system clock, which an NTP
// correction or an operator can step back hours. A step back must not lock an honest client out for those hours
// (it did: the negative elapsed time was "refilled" as a debt of rate × 3 h), nor may a step forward hand out
// more than one burst.
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/api/limits.ts";

const HOUR = 3_600_000;

describe("RateLimiter", () => {
  it("refills at its rate and refuses beyond the burst, saying how long to wait", () => {
    const l = new RateLimiter({ perSecond: 2, burst: 3 });
    const t = 1_000_000;
    expect([l.take("a", t), l.take("a", t), l.take("a", t)]).toEqual([0, 0, 0]);
    expect(l.take("a", t)).toBe(500);
    expect(l.take("a", t + 500)).toBe(0);
    expect(l.take("b", t)).toBe(0); // another key has its own bucket
  });

  it("a wall clock stepped back 3 h: the client keeps its tokens and refills as time goes on", () => {
    const l = new RateLimiter({ perSecond: 10, burst: 20 });
    const t = 10 * HOUR;
    for (let i = 0; i < 20; i++) expect(l.take("a", t)).toBe(0);
    const back = t - 3 * HOUR;
    expect(l.take("a", back)).toBe(100); // empty as it was, not 3 h in debt
    expect(l.take("a", back + 100)).toBe(0);
    expect(l.take("a", back + 1_000)).toBe(0);
  });

  it("a wall clock stepped forward 3 h gives back one burst, no more", () => {
    const l = new RateLimiter({ perSecond: 10, burst: 5 });
    const t = 10 * HOUR;
    for (let i = 0; i < 5; i++) l.take("a", t);
    const fwd = t + 3 * HOUR;
    const waits = Array.from({ length: 6 }, () => l.take("a", fwd));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
    expect(waits[5]).toBeGreaterThan(0);
  });
});
