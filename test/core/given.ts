// given(events).when(command).then(events) / .refuses(code): the decider's tests read as specifications.
import { expect } from "vitest";
import { decide } from "../../src/core/decide.ts";
import { DomainError, type DomainErrorCode } from "../../src/core/errors.ts";
import { fold } from "../../src/core/evolve.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION, type CeremonyEvent, type CeremonyState, type Command, type Settings } from "../../src/core/model.ts";

export function given(...events: CeremonyEvent[]) {
  const state = fold(events);
  return {
    state,
    when(command: Command) {
      return {
        then(expected: CeremonyEvent[]): CeremonyState {
          const produced = decide(command, state);
          expect(produced).toEqual(expected);
          return fold(produced, state);
        },
        refuses(code: DomainErrorCode): void {
          let err: unknown = null;
          try {
            decide(command, state);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(DomainError);
          expect((err as DomainError).code).toBe(code);
        },
      };
    },
  };
}

export const settings: Settings = {
  ceremonyId: "ab".repeat(32),
  power: 3,
  chunkSize: 4,
  numChunks: 4,
  contributorsPerRound: 2,
  lockLimit: 1,
  roundStartWaitMs: 0,
  ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION,
  admins: ["admin"],
  coordinator: "coord",
};
export const accumulator = ["a0", "a1", "a2", "a3"];
export const initialized: CeremonyEvent = { type: "CeremonyInitialized", settings, accumulator, challenge: "c1" };
export const now = 1_700_000_000_000;

export const queued = (p: string, at = now): CeremonyEvent => ({ type: "ParticipantQueued", participant: p, at });
export const verifier: CeremonyEvent = { type: "VerifierAdded", participant: "v", by: "coord" };
export const started: CeremonyEvent = { type: "RoundStarted", round: 1, contributors: ["alice", "bob"], startedAt: now };
/** Initialized, alice and bob queued, a verifier, round 1 started with alice at position 0 and bob at 1. */
export const running: CeremonyEvent[] = [initialized, queued("alice"), queued("bob"), verifier, started];
export const lock = (p: string, k: number, at = now): CeremonyEvent => ({ type: "ChunkLocked", round: 1, chunk: k, participant: p, at });
export const recorded = (p: string, k: number, j: number, at = now): CeremonyEvent => ({ type: "ContributionRecorded", round: 1, chunk: k, position: j, contributor: p, hash: `${p}${k}`, at });
export const verified = (p: string, k: number, j: number, next?: string, at = now): CeremonyEvent => ({
  type: "ContributionVerified",
  round: 1,
  chunk: k,
  position: j,
  verifier: "v",
  hash: `${p}${k}`,
  at,
  ...(next ? { nextChallenge: next } : {}),
  ...(k === 0 ? { publicKeyId: keyOf(p) } : {}),
});
/** The id of a participant's public key, as the shell derives it from an accepted chunk 0. */
export const keyOf = (p: string): string => `key-${p}`;
