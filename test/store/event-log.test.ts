import { createHash } from "node:crypto";
import { open, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import * as v from "valibot";
import { describe, expect, it, vi } from "vitest";
import { EventLog, type LoggedEvent } from "../../src/store/event-log.ts";
import { useTempDirs } from "./temp-dirs.ts";

const EventSchema = v.variant("type", [
  v.strictObject({ type: v.literal("Joined"), who: v.string() }),
  v.strictObject({ type: v.literal("Left"), who: v.string() }),
]);
type TestEvent = v.InferOutput<typeof EventSchema>;
const validate = (event: unknown): TestEvent => v.parse(EventSchema, event);

const joined = (who: string): TestEvent => ({ type: "Joined", who });
const T0 = new Date("2025-01-02T03:04:05.678Z");

describe("EventLog", () => {
  const tempDir = useTempDirs();

  async function openLog(path: string) {
    return EventLog.open<TestEvent>(path, { validate });
  }

  it("creates a missing log (and its folders) empty", async () => {
    const path = join(await tempDir(), "nested", "data", "events.jsonl");
    const { log, events, repaired } = await openLog(path);
    expect(events).toEqual([]);
    expect(repaired).toBeNull();
    expect(log.lastSeq).toBe(0);
    expect(log.path).toBe(path);
    expect((await stat(path)).size).toBe(0);
    await log.close();
  });

  it("replays what it appended, in order, with seq from 1 and the given time", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    const first = await log.append([joined("alice")], 0, T0);
    const second = await log.append([joined("bob"), { type: "Left", who: "alice" }], 1, T0);
    expect(first).toEqual([{ seq: 1, time: T0.toISOString(), event: joined("alice") }]);
    expect(second.map((e) => e.seq)).toEqual([2, 3]);
    expect(log.lastSeq).toBe(3);
    await log.close();

    const reopened = await openLog(path);
    expect(reopened.repaired).toBeNull();
    expect(reopened.events).toEqual([...first, ...second]);
    expect(reopened.log.lastSeq).toBe(3);
    await reopened.log.close();
  });

  it("writes one line per event with the documented checksum", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    await log.append([joined("alice"), joined("bob")], 0, T0);
    await log.close();

    const text = await readFile(path, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const [i, line] of lines.entries()) {
      expect(line.seq).toBe(i + 1);
      expect(line.time).toBe(T0.toISOString());
      const canonical = JSON.stringify({ seq: line.seq, time: line.time, event: line.event });
      expect(line.checksum).toBe(createHash("blake2b512").update(canonical).digest("hex"));
    }
    // Every line of a multi-event append but the last says the append goes on.
    expect(Object.keys(lines[0] ?? {})).toEqual(["seq", "time", "event", "checksum", "more"]);
    expect(Object.keys(lines[1] ?? {})).toEqual(["seq", "time", "event", "checksum"]);
  });

  it("refuses an append whose expectedSeq is not the last seq, writing nothing", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    await log.append([joined("alice")], 0);
    await expect(log.append([joined("bob")], 0)).rejects.toMatchObject({
      name: "EventLogConflict",
      code: "SEQUENCE_CONFLICT",
      expectedSeq: 0,
      actualSeq: 1,
    });
    await expect(log.append([joined("bob")], 2)).rejects.toMatchObject({ code: "SEQUENCE_CONFLICT" });
    expect(log.lastSeq).toBe(1);
    await log.close();
    expect((await openLog(path)).events).toHaveLength(1);
  });

  it("serialises concurrent appends: each waits its turn, then its expectedSeq is checked", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    const results = await Promise.allSettled([
      log.append([joined("a")], 0),
      log.append([joined("b")], 0),
      log.append([joined("c"), joined("d")], 1),
      log.append([joined("e")], 3),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    const second = results[1];
    expect(second?.status === "rejected" && second.reason).toMatchObject({ code: "SEQUENCE_CONFLICT" });
    expect(log.lastSeq).toBe(4);
    await log.close();
    const { events } = await openLog(path);
    expect(events.map((e) => [e.seq, e.event.who])).toEqual([
      [1, "a"],
      [2, "c"],
      [3, "d"],
      [4, "e"],
    ]);
  });

  it("keeps many concurrent appends in call order", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    const appends = Array.from({ length: 25 }, (_, i) => log.append([joined(`p${i}`)], i));
    const logged = (await Promise.all(appends)).flat();
    expect(logged.map((e) => e.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await log.close();
    const { events } = await openLog(path);
    expect(events.map((e) => e.event.who)).toEqual(Array.from({ length: 25 }, (_, i) => `p${i}`));
  });

  it("validates events before appending, so nothing unreadable reaches the file", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    const bogus = { type: "Exploded" } as unknown as TestEvent;
    await expect(log.append([joined("alice"), bogus], 0)).rejects.toThrow();
    expect(log.lastSeq).toBe(0);
    expect((await stat(path)).size).toBe(0);
    await log.append([joined("alice")], 0);
    await log.close();
  });

  it("refuses events that are not JSON values", async () => {
    const { log } = await EventLog.open<unknown>(join(await tempDir(), "events.jsonl"));
    await expect(log.append([undefined], 0)).rejects.toThrow(TypeError);
    await expect(log.append([{ big: 1n }], 0)).rejects.toThrow(TypeError);
    expect(log.lastSeq).toBe(0);
    await log.close();
  });

  it("returns what replay will return: a JSON copy taken at the call", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await EventLog.open<Record<string, unknown>>(path);
    const event: Record<string, unknown> = { who: "alice", dropped: undefined, when: new Date(0) };
    const pending = log.append([event], 0, T0);
    event.who = "mallory";
    const [logged] = await pending;
    expect(logged?.event).toEqual({ who: "alice", when: "1970-01-01T00:00:00.000Z" });
    await log.close();
    const reopened = await EventLog.open<Record<string, unknown>>(path);
    expect(reopened.events).toEqual([logged]);
    await reopened.log.close();
  });

  it("refuses, without writing, a line that replay would not accept (a time outside years 0-9999)", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    await expect(log.append([joined("alice")], 0, new Date("+010000-01-01T00:00:00Z"))).rejects.toThrow(RangeError);
    expect(log.lastSeq).toBe(0);
    expect((await stat(path)).size).toBe(0);
    expect(await log.append([joined("alice")], 0)).toHaveLength(1);
    await log.close();
  });

  it("stops appending after a failed fsync; reopening tells what reached the disk", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    const probe = await open(path, "r");
    const fileHandlePrototype = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = vi.spyOn(fileHandlePrototype, "sync").mockRejectedValueOnce(new Error("EIO: i/o error, fsync"));
    try {
      await expect(log.append([joined("alice")], 0)).rejects.toThrow("EIO");
    } finally {
      sync.mockRestore();
    }
    await expect(log.append([joined("bob")], 0)).rejects.toMatchObject({ code: "LOG_UNAVAILABLE" });
    await expect(log.append([joined("bob")], 1)).rejects.toMatchObject({ code: "LOG_UNAVAILABLE" });
    await log.close();
    const reopened = await openLog(path);
    expect(reopened.events.map((e) => e.event)).toEqual([joined("alice")]); // written, just not known to be durable
    await reopened.log.close();
  });

  it("treats an empty append as a no-op that still checks expectedSeq", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    expect(await log.append([], 0)).toEqual([]);
    await expect(log.append([], 1)).rejects.toMatchObject({ code: "SEQUENCE_CONFLICT" });
    expect((await stat(path)).size).toBe(0);
    await log.close();
  });

  it("finishes appends queued before close and refuses appends after it", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await openLog(path);
    const queued = log.append([joined("alice")], 0);
    const closed = log.close();
    await expect(log.append([joined("bob")], 1)).rejects.toMatchObject({ code: "LOG_UNAVAILABLE" });
    expect(await queued).toHaveLength(1);
    await closed;
    await log.close(); // idempotent
    const reopened = await openLog(path);
    expect(reopened.events.map((e: LoggedEvent<TestEvent>) => e.event)).toEqual([joined("alice")]);
    await reopened.log.close();
  });
});
