// fold (which applies a run of joins and leaves with transient collections) gives exactly the state that evolve
// gives one event at a time: on random lobbies with identities, rejoins, leaves of strangers, and participants
// carried to the front by a restarted round.
import { describe, expect, it } from "vitest";
import { evolve, fold } from "../../src/core/evolve.ts";
import { initialState } from "../../src/core/state.ts";
import { expectSame, order, randomLog } from "./random-log.ts";

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
