// The operator's schedule with a controllable clock: the queue opens and closes at its times (core facts in the log,
// kept across a restart), joins outside the window are refused with stable codes, and the scheduled finalization
// waits, with an alert, for a usable beacon file, then finalizes with it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { DomainError } from "../../src/core/errors.ts";
import { parseMoment, resolveMoment } from "../../src/lib/moment.ts";
import { parseBeaconText } from "../../src/server/effects/schedule.ts";
import { Clock, openSim, Participant, type Sim, type SimExtras } from "../sim/harness.ts";

const HOUR = 3_600_000;
const BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-schedule-"));
});
afterAll(async () => {
  await closeCurve();
  await rm(root, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
  return "accepted";
}

/** Steps the participants and ticks the clock forward a little until `done`. */
async function drive(sim: Sim, people: Participant[], done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) {
    let worked = false;
    for (const p of people) worked = (await sim.step(p)) || worked;
    await sim.coord.changed(worked ? 5 : 50);
    sim.clock.advance(100);
    await sim.coord.tick();
  }
  if (!done()) throw new Error(`not done; phase ${sim.coord.state().phase}`);
}

describe("schedule", () => {
  it("opens and closes the queue at its times, keeps that across a restart, and finalizes at its time once the beacon is there", async () => {
    const dir = join(root, "window");
    const clock = new Clock();
    const t0 = clock.now;
    const beaconFile = join(root, "beacon.txt");
    const extras: SimExtras = {
      clock,
      admin: generateKeyPair(),
      options: {
        coordinatorKey: generateKeyPair(),
        schedule: { opensAt: { kind: "date", ms: t0 + HOUR }, closesAt: { kind: "date", ms: t0 + 2 * HOUR }, finalizeAt: { kind: "date", ms: t0 + 3 * HOUR }, beaconFile },
      },
    };
    let sim = await openSim(dir, 2, extras);
    const [alice, bob, late] = [new Participant("honest"), new Participant("honest"), new Participant("honest")];
    try {
      expect(sim.coord.service.status().queue).toMatchObject({ status: "scheduled", opensAt: new Date(t0 + HOUR).toISOString() });
      expect(sim.coord.service.status().finalizeAt).toBe(new Date(t0 + 3 * HOUR).toISOString());
      expect(await refusal(sim.coord.service.join(alice.id, "contributor"))).toBe("QUEUE_NOT_OPEN");

      // A restart before the opening keeps the queue shut: the schedule is in the log, not in memory.
      await sim.coord.close();
      sim = await openSim(dir, 2, extras);
      expect(await refusal(sim.coord.service.join(alice.id, "contributor"))).toBe("QUEUE_NOT_OPEN");

      clock.advance(HOUR);
      await sim.coord.tick();
      expect(sim.coord.service.status().queue.status).toBe("open");
      await sim.coord.service.join(alice.id, "contributor");
      await sim.coord.service.join(bob.id, "contributor");
      await drive(sim, [alice, bob], () => sim.coord.service.status().lastRound >= 1);

      clock.now = t0 + 2 * HOUR;
      await sim.coord.tick();
      expect(sim.coord.service.status().queue.status).toBe("closed");
      expect(await refusal(sim.coord.service.join(late.id, "contributor"))).toBe("QUEUE_CLOSED");
      await sim.coord.close();
      sim = await openSim(dir, 2, extras);
      expect(await refusal(sim.coord.service.join(late.id, "contributor"))).toBe("QUEUE_CLOSED");

      // Finalization time without a beacon file: an alert, no crash, retried on every tick.
      clock.now = t0 + 3 * HOUR;
      await sim.coord.tick();
      expect(sim.coord.state().phase).toBe("waiting");
      expect(sim.coord.service.status().alerts.join("\n")).toMatch(/beacon file .*beacon\.txt is missing/);
      await writeFile(beaconFile, "0xnot-hex\n");
      await sim.coord.tick();
      expect(sim.coord.service.status().alerts.join("\n")).toMatch(/is unusable: the beacon is not hex/);
      await writeFile(beaconFile, "abcd 10\n");
      await sim.coord.tick();
      expect(sim.coord.service.status().alerts.join("\n")).toMatch(/refused: BEACON_INVALID/);
      await writeFile(beaconFile, `${BEACON} 3\n`);
      await sim.coord.tick();
      expect(sim.coord.service.status().alerts).toEqual([]);
      await drive(sim, [], () => sim.coord.state().phase === "finalized");
      const s = sim.coord.state();
      expect(s.phase === "finalized" && s.beacon).toEqual({ hash: BEACON, numIterationsExp: 3 });
      expect((await readFile(join(dir, "events.jsonl"), "utf8")).split("\n").filter((l) => /"type":"Queue(Scheduled|Opened|Closed)"/.test(l))).toHaveLength(3);
    } finally {
      await sim.coord.close();
    }
  }, 180_000);

  it("a cron expression counts from the ceremony's initialization, so a restart resolves it to the same moment", async () => {
    const dir = join(root, "cron");
    const clock = new Clock();
    const extras: SimExtras = { clock, admin: generateKeyPair(), options: { coordinatorKey: generateKeyPair(), schedule: { opensAt: parseMoment("0 0 12 * * *") } } };
    let sim = await openSim(dir, 2, extras);
    const noon = resolveMoment(parseMoment("0 0 12 * * *"), clock.now);
    expect(new Date(noon).toISOString()).toBe(new Date(clock.now + 12 * HOUR).toISOString()); // the clock starts at midnight UTC
    await sim.coord.close();
    clock.advance(30 * HOUR);
    sim = await openSim(dir, 2, extras);
    try {
      expect(sim.coord.service.status().queue.opensAt).toBe(new Date(noon).toISOString());
      await sim.coord.tick();
      expect(sim.coord.service.status().queue.status).toBe("open");
      const scheduled = (await readFile(join(dir, "events.jsonl"), "utf8")).split("\n").filter((l) => l.includes('"QueueScheduled"'));
      expect(scheduled).toHaveLength(1);
    } finally {
      await sim.coord.close();
    }
  }, 60_000);
});

describe("moments and beacon files", () => {
  it("accepts ISO dates with an offset and six-field cron expressions, nothing else", () => {
    expect(parseMoment("2026-03-01T12:00:00Z")).toEqual({ kind: "date", ms: Date.UTC(2026, 2, 1, 12) });
    expect(parseMoment("2026-03-01T13:00:00+01:00")).toEqual({ kind: "date", ms: Date.UTC(2026, 2, 1, 12) });
    expect(parseMoment("2026-03-01")).toEqual({ kind: "date", ms: Date.UTC(2026, 2, 1) });
    expect(parseMoment("0 0 12 * * 5")).toEqual({ kind: "cron", expression: "0 0 12 * * 5" });
    for (const bad of ["2026-03-01T12:00", "tomorrow", "0 12 * * 5", "", "2026-13-01T00:00:00Z"]) expect(() => parseMoment(bad)).toThrow(/ISO 8601/);
  });
  it("reads a beacon file as HEX [E]", () => {
    expect(parseBeaconText(`0x${BEACON.toUpperCase()}\n`)).toEqual({ hash: BEACON, numIterationsExp: 10 });
    expect(parseBeaconText(`${BEACON} 12`)).toEqual({ hash: BEACON, numIterationsExp: 12 });
    for (const bad of ["", "zz", `${BEACON} x`, `${BEACON} 1 2`]) expect(() => parseBeaconText(bad)).toThrow();
  });
});
