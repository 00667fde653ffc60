// The queue index against a plain array: thousands of joins, leaves, rounds and restarts, positions and pages agree.
import { describe, expect, it } from "vitest";
import { QueueIndex } from "../../src/server/queue-index.ts";

describe("queue index", () => {
  it("agrees with a naive queue through 20,000 random operations, across several growths of its tree", () => {
    const index = new QueueIndex();
    let naive: string[] = [];
    let next = 0;
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const r = rand(100);
      if (r < 60 || naive.length === 0) {
        const p = `p${next++}`;
        index.apply({ type: "ParticipantQueued", participant: p, at: step });
        naive.push(p);
      } else if (r < 85) {
        const p = naive[rand(naive.length)] as string;
        index.apply(r < 75 ? { type: "ParticipantLeftQueue", participant: p } : { type: "ParticipantDropped", participant: p, reason: "x", by: "a" });
        naive = naive.filter((x) => x !== p);
      } else if (r < 95) {
        const contributors = naive.slice(0, 3);
        index.apply({ type: "RoundStarted", round: 1, contributors, startedAt: step });
        naive = naive.slice(3);
        if (r < 90 && contributors.length > 1) {
          const requeued = contributors.slice(1);
          index.apply({ type: "RoundRestarted", round: 1, reason: "x", requeued, by: "a" });
          naive = [...requeued, ...naive];
        }
      } else {
        const offset = rand(naive.length + 1);
        expect(index.page(offset, 7)).toEqual(naive.slice(offset, offset + 7));
      }
      if (step % 997 === 0) naive.forEach((p, i) => expect(index.position(p)).toBe(i + 1));
    }
    expect(next).toBeGreaterThan(5000);
    expect(index.length).toBe(naive.length);
    expect(index.page(0, naive.length)).toEqual(naive);
    expect(index.position("nobody")).toBeNull();
  });
});
