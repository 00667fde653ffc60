// given(events).when(command).then(events) / .refuses(code): the decider's tests read as specifications.
import { expect } from "vitest";
import { decide } from "../../src/core/decide.ts";
import { DomainError, type DomainErrorCode } from "../../src/core/errors.ts";
import { fold } from "../../src/core/evolve.ts";
import { DEFAULT_FAULT_SETTINGS, type CeremonyEvent, type CeremonyState, type Command, type Settings } from "../../src/core/model.ts";

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
  ...DEFAULT_FAULT_SETTINGS,
  admins: ["admin"],
};
export const accumulator = ["a0", "a1", "a2", "a3"];
export const initialized: CeremonyEvent = { type: "CeremonyInitialized", settings, accumulator, challenge: "c1" };
export const now = 1_700_000_000_000;
