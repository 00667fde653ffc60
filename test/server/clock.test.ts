// The coordinator's steady clock against a stepped wall clock: a contributor who keeps heart-beating is never
// dropped when the system clock jumps three hours forward and back mid-round, and a silent one is still dropped
// once the heartbeat timeout has passed on the monotonic clock. The pure rule itself is the oracle: fed the raw wall
// clock, it would drop the honest contributor at the forward jump.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeCurve } from "../../src/crypto/curve.ts";
import { timeoutDrop } from "../../src/core/rules.ts";
import { currentRound, opened } from "../../src/core/state.ts";
import { offsetWallClock, steadyClock } from "../../src/lib/clock.ts";
import { Clock, openSim, Participant } from "../sim/harness.ts";

const HOUR = 3_600_000;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-clock-"));
});
afterAll(async () => {
  await closeCurve();
  await rm(root, { recursive: true, force: true });
});

describe("steady clock", () => {
  it("follows the monotonic clock, not steps of the wall clock; moves forward to a floor, never back; reports the drift", () => {
    const wall = new Clock();
    const mono = { now: 5_000 };
    const c = steadyClock({ wall: () => wall.now, monotonic: () => mono.now });
    const t0 = c.now();
    expect(t0).toBe(wall.now);
    mono.now += 1_500;
    wall.advance(1_500 + 3 * HOUR);
    expect(c.now()).toBe(t0 + 1_500);
    expect(c.drift()).toBe(3 * HOUR);
    wall.advance(-6 * HOUR);
    expect(c.now()).toBe(t0 + 1_500);
    expect(c.drift()).toBe(-3 * HOUR);
    expect(c.notBefore(t0)).toBe(0); // behind the clock: nothing moves
    expect(c.now()).toBe(t0 + 1_500);
    expect(c.notBefore(t0 + HOUR)).toBe(HOUR - 1_500);
    expect(c.now()).toBe(t0 + HOUR);
    mono.now += 10;
    expect(c.now()).toBe(t0 + HOUR + 10);
    // Other machines' clocks are compared with the clock as read: the move is for event times only.
    expect(c.external()).toBe(t0 + 1_510);
  });

  it("the soak's offset file shifts the wall clock it stands for; missing or empty means no shift; garbage is refused", async () => {
    const file = join(root, "offset");
    const read = offsetWallClock(file);
    expect(Math.abs(read() - Date.now())).toBeLessThan(1_000);
    await writeFile(file, `${-3 * HOUR}\n`);
    expect(Math.abs(read() - (Date.now() - 3 * HOUR))).toBeLessThan(1_000);
    await writeFile(file, "");
    expect(Math.abs(read() - Date.now())).toBeLessThan(1_000);
    await writeFile(file, "3h");
    expect(() => read()).toThrow(/not a whole number/);
  });
});

describe("clock jumps mid-round", () => {
  it("keep a heart-beating contributor and still drop a silent one after the heartbeat timeout (10 s)", async () => {
    const wall = new Clock();
    const mono = { now: 0 };
    const clock = steadyClock({ wall: () => wall.now, monotonic: () => mono.now });
    const pass = (ms: number): void => {
      mono.now += ms;
      wall.advance(ms);
    };
    const sim = await openSim(join(root, "jumps"), 2, { options: { now: clock.now, clock } });
    const [alice, bob] = [new Participant("honest"), new Participant("silent")];
    try {
      await sim.coord.service.join(alice.id, "contributor");
      await sim.coord.service.join(bob.id, "contributor");
      await sim.coord.tick();
      const round = currentRound(sim.coord.state());
      expect(round?.contributors).toEqual([alice.id, bob.id]);
      const beat = (): void => void sim.coord.service.heartbeat(alice.id);

      pass(4_000);
      beat();
      wall.advance(3 * HOUR);
      // The oracle: the pure rule fed the raw wall clock would drop both at once.
      const s = opened(sim.coord.state());
      expect(timeoutDrop(s, wall.now, sim.coord.presence.of([alice.id, bob.id]))).toContainEqual(expect.objectContaining({ type: "ParticipantDropped", participant: alice.id }));
      await sim.coord.tick();
      expect(sim.coord.service.status().alerts.join(" ")).toMatch(/system clock was stepped: it is 10800 s ahead/);
      expect(currentRound(sim.coord.state())?.contributors).toEqual([alice.id, bob.id]);

      pass(4_000);
      beat();
      wall.advance(-6 * HOUR);
      await sim.coord.tick();
      expect(sim.coord.service.status().alerts.join(" ")).toMatch(/10800 s behind/);
      expect(currentRound(sim.coord.state())?.contributors).toEqual([alice.id, bob.id]);

      // Bob has been silent since the round started 8 s ago; 3 s more and the timeout is due however the wall went.
      for (let i = 0; i < 6; i++) {
        pass(500);
        beat();
        await sim.coord.tick();
      }
      const after = opened(sim.coord.state());
      expect(after.drops.get(bob.id)).toBe(1);
      expect(after.drops.has(alice.id)).toBe(false);
      expect(sim.coord.service.instruction(alice.id).kind).not.toBe("done");
      wall.advance(3 * HOUR);
      await sim.coord.tick();
      expect(sim.coord.service.status().alerts).toEqual([]);
    } finally {
      await sim.coord.close();
    }
  }, 120_000);
});
