// Snapshots: the file is read back only when whole and unaltered, and a log opened after a head replays only its
// tail, and only when it still begins with exactly the bytes the head stands for; otherwise the whole log is read,
// so a tampered log is refused exactly as without a snapshot.
import { createHash } from "node:crypto";
import { appendFile, readFile, readdir, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventLog, EventLogCorrupt, type LogHead } from "../../src/store/event-log.ts";
import { readSnapshot, writeSnapshot } from "../../src/store/snapshot.ts";
import { useTempDirs } from "./temp-dirs.ts";

type TestEvent = { who: string };
const T0 = new Date("2025-01-02T03:04:05.678Z");

describe("EventLog after a head", () => {
  const tempDir = useTempDirs();

  /** A log of one append per name (the last `grouped` names in one append), closed; its head. */
  async function logOf(path: string, names: string[], grouped = 1): Promise<LogHead> {
    const { log } = await EventLog.open<TestEvent>(path);
    const single = names.slice(0, names.length - grouped);
    for (const who of single) await log.append([{ who }], log.lastSeq, T0);
    if (grouped > 0) await log.append(names.slice(-grouped).map((who) => ({ who })), log.lastSeq, T0);
    const head = log.head;
    await log.close();
    return head;
  }

  it("names the bytes appended so far: seq, length and their blake2b-512", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const head = await logOf(path, ["a", "b", "c", "d"], 2);
    const bytes = await readFile(path);
    expect(head).toEqual({ seq: 4, end: bytes.length, digest: createHash("blake2b512").update(bytes).digest("hex") });
    const reopened = await EventLog.open<TestEvent>(path);
    expect(reopened.log.head).toEqual(head);
    await reopened.log.close();
  });

  it("replays only the tail after a head the log still begins with, and goes on from there", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const head = await logOf(path, ["a", "b", "c"]);
    const { log } = await EventLog.open<TestEvent>(path);
    await log.append([{ who: "d" }, { who: "e" }], 3, T0);
    const full = log.head;
    await log.close();
    const opened = await EventLog.open<TestEvent>(path, { after: head });
    expect(opened.afterRefused).toBeNull();
    expect(opened.events.map((e) => [e.seq, e.event.who])).toEqual([[4, "d"], [5, "e"]]);
    expect(opened.log.head).toEqual(full);
    await opened.log.append([{ who: "f" }], 5, T0);
    await opened.log.close();
    const again = await EventLog.open<TestEvent>(path);
    expect(again.events.map((e) => e.event.who)).toEqual(["a", "b", "c", "d", "e", "f"]);
    await again.log.close();
  });

  it("replays nothing after a head that is the whole log, and cuts a torn tail after it", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const head = await logOf(path, ["a", "b"]);
    const empty = await EventLog.open<TestEvent>(path, { after: head });
    expect([empty.events, empty.afterRefused, empty.log.lastSeq]).toEqual([[], null, 2]);
    await empty.log.close();
    await appendFile(path, '{"seq":3,"time":"2025');
    const torn = await EventLog.open<TestEvent>(path, { after: head });
    expect([torn.events, torn.afterRefused, torn.repaired]).toEqual([[], null, { droppedBytes: 21 }]);
    expect(torn.log.head).toEqual(head);
    await torn.log.close();
  });

  it("refuses a head the log does not begin with and replays everything instead", async () => {
    const dir = await tempDir();
    const path = join(dir, "events.jsonl");
    const head = await logOf(path, ["a", "b", "c"]);
    const other = await logOf(join(dir, "other.jsonl"), ["a", "b", "x"]);
    const wrong: Array<[LogHead, RegExp]> = [
      [other, /not those the snapshot was taken after/], // another log of the same length
      [{ ...head, end: head.end + 1 }, /shorter/],
      [{ ...head, seq: 2 }, /not the last of an append with seq 2/],
      [{ ...head, digest: "0".repeat(128) }, /not those/],
    ];
    for (const [after, why] of wrong) {
      const opened = await EventLog.open<TestEvent>(path, { after });
      expect(opened.afterRefused).toMatch(why);
      expect(opened.events.map((e) => e.event.who)).toEqual(["a", "b", "c"]);
      await opened.log.close();
    }
  });

  it("refuses a head in the middle of a multi-event append", async () => {
    const path = join(await tempDir(), "events.jsonl");
    await logOf(path, ["a", "b", "c"], 2);
    const bytes = await readFile(path);
    const end = bytes.indexOf("\n", bytes.indexOf("\n") + 1) + 1; // after line 2, whose append goes on
    const after = { seq: 2, end, digest: createHash("blake2b512").update(bytes.subarray(0, end)).digest("hex") };
    const opened = await EventLog.open<TestEvent>(path, { after });
    expect(opened.afterRefused).toMatch(/not the last of an append/);
    expect(opened.events).toHaveLength(3);
    await opened.log.close();
  });

  it("refuses a log altered before the head exactly as without it: corrupt, the line named", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const head = await logOf(path, ["alice", "bob", "carol"]);
    const text = await readFile(path, "utf8");
    await writeFile(path, text.replace('"bob"', '"rob"'));
    const error = await EventLog.open<TestEvent>(path, { after: head }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventLogCorrupt);
    expect(error).toMatchObject({ line: 2 });
  });

  it("refuses a log cut short before the head: the whole (shorter) log is replayed", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const head = await logOf(path, ["a", "b", "c"]);
    const bytes = await readFile(path);
    await truncate(path, bytes.indexOf("\n") + 1);
    const opened = await EventLog.open<TestEvent>(path, { after: head });
    expect(opened.afterRefused).toMatch(/shorter/);
    expect(opened.events.map((e) => e.event.who)).toEqual(["a"]);
    await opened.log.close();
  });
});

describe("snapshot files", () => {
  const tempDir = useTempDirs();
  const snapshot = { head: { seq: 7, end: 1234, digest: "ab".repeat(64) }, state: { phase: "waiting", queue: ["ü", 1] }, shell: { pace: null } };

  it("reads back what was written, and nothing is left beside it", async () => {
    const dir = await tempDir();
    const path = join(dir, "snapshot.json");
    expect(await readSnapshot(path)).toBeNull();
    await writeSnapshot(path, snapshot);
    await writeSnapshot(path, { ...snapshot, head: { ...snapshot.head, seq: 8 } });
    expect(await readSnapshot(path)).toEqual({ snapshot: { ...snapshot, head: { ...snapshot.head, seq: 8 } } });
    expect(await readdir(dir)).toEqual(["snapshot.json"]);
  });

  it("ignores a torn, altered or foreign snapshot, saying why", async () => {
    const path = join(await tempDir(), "snapshot.json");
    await writeSnapshot(path, snapshot);
    const bytes = await readFile(path);
    const cases: Array<[Uint8Array, RegExp]> = [
      [bytes.subarray(0, 10), /header/],
      [bytes.subarray(0, bytes.indexOf("\n") + 5), /torn/],
      [bytes.subarray(0, bytes.length - 1), /torn/],
      [Buffer.from(bytes.toString("latin1").replace("waiting", "running"), "latin1"), /checksum/],
      [Buffer.from(bytes.toString("latin1").replace("ceremony-snapshot/1", "ceremony-snapshot/9"), "latin1"), /header/],
      [Buffer.from(""), /header/],
      [Buffer.from('{"state":{}}\n'), /header/],
    ];
    for (const [content, why] of cases) {
      await writeFile(path, content);
      const read = await readSnapshot(path);
      expect(read && "ignored" in read ? read.ignored : read).toMatch(why);
    }
  });
});
