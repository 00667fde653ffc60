// Start-up from a snapshot gives the state a full replay gives: on random lobbies cut at random points, with the
// snapshot behind the log's end, and a snapshot that is torn or of another log is ignored.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fold } from "../../src/core/evolve.ts";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { CommandHandler, saveSnapshot } from "../../src/server/commands.ts";
import { EventLog } from "../../src/store/event-log.ts";
import { expectSame, randomLog } from "../core/random-log.ts";
import { useTempDirs } from "../store/temp-dirs.ts";

const T0 = new Date("2025-01-02T03:04:05.678Z");
const fatal = (err: unknown): void => {
  throw err;
};

async function append(path: string, events: CeremonyEvent[]): Promise<void> {
  const { log } = await EventLog.open<CeremonyEvent>(path);
  // In appends of one to three events, as the coordinator's commands make them.
  for (let i = 0; i < events.length; ) {
    const n = Math.min(1 + (i % 3), events.length - i);
    await log.append(events.slice(i, i + n), log.lastSeq, T0);
    i += n;
  }
  await log.close();
}

/** Opens the log at `path` (with the snapshot at `snapshot`), closes it; what it resumed from and its state. */
async function openAndClose(path: string, snapshot: string) {
  const opened = await CommandHandler.open(path, fatal, { snapshot });
  const state = opened.commands.state;
  const saved = await opened.commands.close();
  return { ...opened, state, saved };
}

describe("start-up from a snapshot", () => {
  const tempDir = useTempDirs();

  it("gives the state of a full replay, on 25 random logs cut at random points, with more appended after the snapshot", async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const dir = await tempDir();
      const path = join(dir, "events.jsonl");
      const snapshot = join(dir, "snapshot.json");
      const log = randomLog(seed, 120);
      const cut = 1 + ((seed * 37) % (log.length - 1));
      await append(path, log.slice(0, cut));
      const first = await openAndClose(path, snapshot);
      expect(first.resumed).toBeNull();
      expect(first.snapshotIgnored).toBeNull();
      if (!first.saved) throw new Error("no head");
      await saveSnapshot(snapshot, first.saved, { pace: null });

      await append(path, log.slice(cut));
      const resumed = await openAndClose(path, snapshot);
      expect(resumed.snapshotIgnored).toBeNull();
      expect(resumed.resumed?.seq).toBe(first.saved.head.seq);
      expect(resumed.events.map((e) => e.seq)[0]).toBe(log.length > cut ? cut + 1 : undefined);
      expectSame(resumed.state, fold(log));
      const full = await CommandHandler.open(path, fatal);
      expectSame(resumed.state, full.commands.state);
      await full.commands.close();
    }
  });

  it("ignores a torn snapshot and one of another log, and replays the whole log", async () => {
    const dir = await tempDir();
    const path = join(dir, "events.jsonl");
    const snapshot = join(dir, "snapshot.json");
    const log = randomLog(99, 60);
    await append(path, log.slice(0, 30));
    const saved = (await openAndClose(path, snapshot)).saved;
    if (!saved) throw new Error("no head");
    await saveSnapshot(snapshot, saved, null);
    const whole = await readFile(snapshot);
    await writeFile(snapshot, whole.subarray(0, whole.length >> 1));
    await append(path, log.slice(30));
    const torn = await openAndClose(path, snapshot);
    expect([torn.resumed, torn.snapshotIgnored]).toEqual([null, expect.stringMatching(/torn/)]);
    expectSame(torn.state, fold(log));

    const other = join(dir, "other.jsonl");
    await append(other, randomLog(98, 60).slice(0, 30));
    const foreign = (await openAndClose(other, join(dir, "unused.json"))).saved;
    if (!foreign) throw new Error("no head");
    await saveSnapshot(snapshot, foreign, null);
    const refused = await openAndClose(path, snapshot);
    expect([refused.resumed, refused.snapshotIgnored]).toEqual([null, expect.stringMatching(/does not begin with/)]);
    expectSame(refused.state, fold(log));
  });
});
