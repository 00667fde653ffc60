// Whole rounds in-process with a controllable clock and scripted participants: silent, slow, garbage-uploading and
// leaving contributors are dropped, replaced or the round restarts, and the ceremony never stalls.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeCurve } from "../../src/crypto/curve.ts";
import { currentRound } from "../../src/core/state.ts";
import { openSim, Participant, type Behaviour, type Sim } from "./harness.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-sim-"));
});
afterAll(async () => {
  await closeCurve();
  await rm(root, { recursive: true, force: true });
});

/** Drives the participants and the clock until `done` or the step budget runs out; returns the steps used. */
async function drive(sim: Sim, people: Participant[], done: () => boolean, budget = 600): Promise<number> {
  for (let i = 0; i < budget; i++) {
    if (done()) return i;
    let worked = false;
    for (const p of people) worked = (await sim.step(p)) || worked;
    await sim.coord.changed(worked ? 5 : 50);
    sim.clock.advance(worked ? 100 : 2_000);
    await sim.coord.tick().catch(() => []);
  }
  throw new Error(`not done after ${budget} steps; status ${JSON.stringify(sim.coord.state().phase)}`);
}

async function scenario(name: string, behaviours: Behaviour[]): Promise<{ sim: Sim; people: Participant[] }> {
  const sim = await openSim(join(root, name), behaviours.length);
  const people = behaviours.map((b) => new Participant(b));
  for (const p of people) await sim.coord.execute({ type: "JoinQueue", now: sim.clock.now, participant: p.id, role: "contributor" });
  return { sim, people };
}

const lastRound = (sim: Sim): number => {
  const s = sim.coord.state();
  return s.phase === "setup" ? 0 : s.lastRound;
};

describe("simulated fault schedules", () => {
  for (const [name, behaviours] of [
    ["a silent contributor is replaced", ["honest", "silent", "honest"]],
    ["a slow lock holder is replaced", ["honest", "slow"]],
    ["a garbage uploader is dropped after its failures and replaced", ["garbage", "honest"]],
    ["a contributor leaving mid-round is replaced", ["leaver", "honest"]],
  ] as Array<[string, Behaviour[]]>) {
    it(name, async () => {
      const { sim, people } = await scenario(name.replace(/\W+/g, "-"), behaviours);
      try {
        await drive(sim, people, () => lastRound(sim) >= 1);
        const s = sim.coord.state();
        if (s.phase === "setup") throw new Error("not initialized");
        const bad = people.filter((p) => p.behaviour !== "honest");
        for (const p of bad) expect(s.drops.get(p.id) ?? 0).toBeGreaterThanOrEqual(1);
        const contributors = s.completedRounds[0]?.contributors ?? [];
        for (const p of people.filter((x) => x.behaviour === "honest")) expect(contributors).toContain(p.id);
        expect(contributors.some((c) => s.replacements.includes(c))).toBe(true);
      } finally {
        await sim.coord.close();
      }
    }, 120_000);
  }

  it("without a free replacement the round restarts with the others, and a dropped contributor can rejoin", async () => {
    const { sim, people } = await scenario("restart", ["silent", "silent", "honest"]);
    try {
      // Two silent ones: the first is replaced, the second finds no free replacement, so the round restarts.
      await drive(sim, people, () => {
        const s = sim.coord.state();
        return s.phase !== "setup" && s.drops.size >= 2;
      });
      const honest = people[2] as Participant;
      const rejoiner = new Participant("honest", (people[0] as Participant).key);
      await sim.coord.execute({ type: "JoinQueue", now: sim.clock.now, participant: rejoiner.id, role: "contributor" });
      await drive(sim, [honest, rejoiner], () => lastRound(sim) >= 1);
      const s = sim.coord.state();
      if (s.phase === "setup") throw new Error("not initialized");
      expect(s.completedRounds[0]?.contributors).toEqual(expect.arrayContaining([honest.id, rejoiner.id]));
      expect(currentRound(s)).toBeNull();
    } finally {
      await sim.coord.close();
    }
  }, 120_000);
});
