// Random lobbies (joins with and without identities, rejoins, leaves, rounds started and restarted) and a strict
// comparison of states, for the tests that check a faster path against evolve one event at a time.
import { is, isImmutable } from "immutable";
import { expect } from "vitest";
import { evolve } from "../../src/core/evolve.ts";
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
export const order = (s: CeremonyState): string[] => (s.phase === "setup" ? [] : queueOrder(s));

export function randomLog(seed: number, n: number): CeremonyEvent[] {
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

export function expectSame(a: CeremonyState, b: CeremonyState): void {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const x = (a as unknown as Record<string, unknown>)[key];
    const y = (b as unknown as Record<string, unknown>)[key];
    if (isImmutable(x)) expect(is(x, y), key).toBe(true); // ordered collections compare in order
    else expect(x, key).toEqual(y);
  }
}
