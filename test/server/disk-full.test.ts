// The coordinator on a real 32 MiB filesystem that fills up mid-ceremony: joins and uploads are refused with
// DISK_FULL (503, Retry-After), the status says so in an alert, reads go on, and once the space returns the alert
// clears by itself and the round completes. Skipped, saying why, where no tmpfs can be mounted (the store's test
// injects the fault instead).
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleError } from "../../src/api/errors.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { DiskFull } from "../../src/store/disk-full.ts";
import { mountSmallFs, type SmallFs } from "../helpers/small-fs.ts";
import { openSim, Participant, type Sim } from "../sim/harness.ts";
import { until } from "../helpers/binary.ts";

let fs: SmallFs | { skip: string };
beforeAll(async () => {
  fs = await mountSmallFs(32);
  if ("skip" in fs) console.warn(`skipped: ${fs.skip}`);
});
afterAll(async () => {
  await closeCurve();
  if (!("skip" in fs)) await fs.unmount();
});

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

describe("a full disk", () => {
  it("is a 503 DISK_FULL with Retry-After", async () => {
    const app = new Hono().onError((err, c) => handleError(err, c)).get("/", () => {
      throw new DiskFull("the disk is full");
    });
    const res = await app.request("/");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toEqual({ error: { code: "DISK_FULL", message: "the disk is full" } });
  });

  it("puts the coordinator in a degraded mode that refuses writes, serves reads, and ends by itself when space returns", async (ctx) => {
    if ("skip" in fs) return ctx.skip();
    const small = fs;
    const sim = await openSim(small.dir, 2);
    const [alice, bob] = [new Participant("honest"), new Participant("honest")];
    try {
      await sim.coord.service.join(alice.id, "contributor");
      await small.fill();
      // The log's last page may still hold a few small appends: joins go on until one does not fit.
      const extras: Participant[] = [];
      let refused: unknown = null;
      while (refused === null && extras.length < 200) {
        const x = new Participant("silent");
        refused = await sim.coord.service.join(x.id, "contributor").then(() => (extras.push(x), null), (e: unknown) => e);
      }
      expect(refused).toBeInstanceOf(DiskFull);
      expect(sim.coord.service.status().alerts.join(" ")).toMatch(/disk is full .*DISK_FULL until space returns/);
      // Still refused up front (no write is tried), and the coordinator has not stopped.
      expect(await sim.coord.service.join(bob.id, "contributor").catch((e: unknown) => (e as DiskFull).code)).toBe("DISK_FULL");
      expect(await sim.coord.tick().then(() => "ticked", (e: unknown) => (e as DiskFull).code)).toBe("DISK_FULL");
      expect(sim.coord.readiness()).toEqual({ ready: true });
      // Reads: the status, the queue, an artifact.
      expect(sim.coord.service.status().queue.length).toBe(1 + extras.length);
      const s = sim.coord.state();
      if (s.phase === "setup") throw new Error("not initialized");
      expect((await sim.coord.artifacts.get(s.accumulator[0] ?? "")).length).toBeGreaterThan(0);

      await small.free();
      await until("the alert to clear", () => sim.coord.service.status().alerts.length === 0, 15_000);
      await sim.coord.service.join(bob.id, "contributor");
      for (const x of extras) await sim.coord.service.leave(x.id);
      await drive(sim, [alice, bob], () => sim.coord.service.status().lastRound >= 1);
    } finally {
      await sim.coord.close();
    }
  }, 120_000);
});
