// The update tick after the coordinator's process could not run for a while (SIGSTOP, starvation, a paused VM):
// the monotonic clock moved on, but the round's contributors could not be heard from, so they get a fresh grace
// period instead of being dropped as silent on the first tick back.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CeremonyState, Command } from "../../src/core/model.ts";
import { Ticker } from "../../src/server/effects/tick.ts";
import { Presence } from "../../src/server/presence.ts";

afterEach(() => vi.restoreAllMocks());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Ticker", () => {
  it("gives the round's contributors a fresh grace period when its timer fires long after it was due", async () => {
    let mono = 1_000;
    vi.spyOn(performance, "now").mockImplementation(() => mono);
    let now = 50_000;
    const presence = new Presence();
    presence.seen("alice", 49_000);
    const ticks: Command[] = [];
    const state = { phase: "running", round: { contributors: ["alice", "bob"] } } as unknown as CeremonyState;
    const ticker = new Ticker(
      {
        state: () => state,
        execute: async (c) => (ticks.push(c), []),
        now: () => now,
        presence,
        fatal: (what, err) => {
          throw new Error(`${what}: ${String(err)}`);
        },
        diskFull: () => undefined,
      },
      20,
    );
    ticker.start();
    try {
      await sleep(60);
      expect(presence.of(["alice", "bob"])).toEqual({ alice: 49_000 });
      // The process stood still for 30 s (the monotonic clock and the coordinator's clock both moved on).
      mono += 30_000;
      now += 30_000;
      await sleep(60);
      expect(presence.of(["alice", "bob"])).toEqual({ alice: 80_000, bob: 80_000 });
      const last = ticks.at(-1);
      expect(last).toMatchObject({ type: "Tick", now: 80_000, upSince: 80_000 });
    } finally {
      await ticker.stop();
    }
  });
});

describe("effect loops", () => {
  it("ride out a full disk, however it reaches them (the in-process client carries it as a DISK_FULL ClientError), and stop on anything else", async () => {
    const { runLoop } = await import("../../src/server/effects/loop.ts");
    const { ClientError } = await import("../../src/client/errors.ts");
    const full: unknown[] = [];
    const fatal: string[] = [];
    let stop = false;
    let calls = 0;
    const host = {
      changed: async () => void (await sleep(1)),
      stopping: () => stop,
      fatal: (what: string, err: unknown) => void fatal.push(`${what}: ${String(err)}`),
      diskFull: (err: unknown) => void full.push(err),
    };
    await runLoop(host, "replacement contributor", async () => {
      calls++;
      if (calls === 1) throw new ClientError(503, "DISK_FULL", "storing an artifact: the disk is full (ENOSPC)");
      if (calls === 2) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      if (calls === 3) throw new Error("a bug");
      stop = true;
      return false;
    });
    expect(full).toHaveLength(2);
    expect(fatal).toEqual(["replacement contributor: Error: a bug"]);
  });
});
