// fold (which applies a run of joins and leaves with transient collections) gives exactly the state that evolve
// gives one event at a time: on random lobbies with identities, rejoins, leaves of strangers, and participants
// carried to the front by a restarted round.
import { is, isImmutable } from "immutable";
import { describe, expect, it } from "vitest";
import { evolve, fold } from "../../src/core/evolve.ts";
import type { CeremonyEvent, CeremonyState } from "../../src/core/model.ts";
import { currentRound, initialState, queueOrder } from "../../src/core/state.ts";
import { initialized, now } from "./given.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random log of `n` events after CeremonyInitialized, mostly joins and leaves, with rounds started and restarted. */
const order = (s: CeremonyState): string[] => (s.phase === "setup" ? [] : queueOrder(s));

function randomLog(seed: number, n: number): CeremonyEvent[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const people = Array.from({ length: 40 }, (_, i) => `p${i}`);
  const log: CeremonyEvent[] = [initialized];
  let state = evolve(initialState(), initialized);
  let round = 0;
  for (let i = 0; i < n; i++) {
    const r = next();
    const running = currentRound(state);
    let e: CeremonyEvent;
    if (r < 0.5) e = { type: "ParticipantQueued", participant: pick(people), at: now + i, ...(next() < 0.3 ? { identity: `id${Math.floor(next() * 10)}` } : {}) };
    else if (r < 0.85) e = { type: "ParticipantLeftQueue", participant: pick(people) };
    else if (r < 0.9) e = { type: "VerifierAdded", participant: pick(people), by: "coord" };
    else if (!running && order(state).length >= 2) e = { type: "RoundStarted", round: ++round, contributors: order(state).slice(0, 2), startedAt: now + i };
    else if (running) e = { type: "RoundRestarted", round: running.number, reason: "test", requeued: running.contributors.filter(() => next() < 0.7), by: "coord" };
    else continue;
    log.push(e);
    state = evolve(state, e);
  }
  return log;
}

function expectSame(a: CeremonyState, b: CeremonyState): void {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const x = (a as unknown as Record<string, unknown>)[key];
    const y = (b as unknown as Record<string, unknown>)[key];
    if (isImmutable(x)) expect(is(x, y), key).toBe(true); // ordered collections compare in order
    else expect(x, key).toEqual(y);
  }
}

describe("fold", () => {
  it("gives what evolve gives one event at a time, on 200 random lobbies, whole or resumed from any point", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const log = randomLog(seed, 150);
      const oneByOne = log.reduce(evolve, initialState());
      expectSame(fold(log), oneByOne);
      const cut = 1 + (seed % (log.length - 1));
      expectSame(fold(log.slice(cut), fold(log.slice(0, cut))), oneByOne);
    }
  });

  it("leaves the state it starts from unchanged", () => {
    const log = randomLog(3, 200);
    const start = fold(log.slice(0, 100));
    const before = order(start);
    fold(log.slice(100), start);
    expect(order(start)).toEqual(before);
    expectSame(start, fold(log.slice(0, 100)));
  });
});
