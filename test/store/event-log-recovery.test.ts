// Opening a damaged log: a torn tail is cut off and reported; damage anywhere else refuses to open.
import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EventLog, EventLogCorrupt } from "../../src/store/event-log.ts";
import { encodeLine } from "../../src/store/event-line.ts";
import { useTempDirs } from "./temp-dirs.ts";

type TestEvent = { who: string };
const T0 = new Date("2025-01-02T03:04:05.678Z");
const line = (seq: number, who: string, more = false) =>
  encodeLine({ seq, time: T0.toISOString(), event: { who } }, more);

describe("EventLog recovery", () => {
  const tempDir = useTempDirs();

  /** A log holding one append per name, closed, and its bytes. */
  async function logOf(...names: string[]): Promise<{ path: string; bytes: Buffer }> {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await EventLog.open<TestEvent>(path);
    for (const [i, who] of names.entries()) await log.append([{ who }], i, T0);
    await log.close();
    return { path, bytes: await readFile(path) };
  }

  async function expectCorruptAt(path: string, lineNumber: number, reason: RegExp): Promise<void> {
    const before = await readFile(path);
    const error = await EventLog.open(path).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventLogCorrupt);
    expect(error).toMatchObject({ code: "LOG_CORRUPT", line: lineNumber });
    expect((error as Error).message).toContain(`line ${lineNumber}`);
    expect((error as Error).message).toMatch(reason);
    expect(await readFile(path)).toEqual(before); // a corrupt log is left exactly as found
  }

  it("drops a torn last line, reports it, and continues at the right seq", async () => {
    const { path, bytes } = await logOf("alice", "bob");
    const torn = line(3, "carol").slice(0, 40);
    await appendFile(path, torn);

    const { log, events, repaired } = await EventLog.open<TestEvent>(path);
    expect(events.map((e) => e.event.who)).toEqual(["alice", "bob"]);
    expect(repaired).toEqual({ droppedBytes: Buffer.byteLength(torn) });
    expect((await stat(path)).size).toBe(bytes.length);
    expect(log.lastSeq).toBe(2);
    expect(await log.append([{ who: "dave" }], 2)).toMatchObject([{ seq: 3, event: { who: "dave" } }]);
    await log.close();

    const reopened = await EventLog.open<TestEvent>(path);
    expect(reopened.repaired).toBeNull();
    expect(reopened.events.map((e) => [e.seq, e.event.who])).toEqual([
      [1, "alice"],
      [2, "bob"],
      [3, "dave"],
    ]);
    await reopened.log.close();
  });

  it("treats a complete last line without its newline as torn", async () => {
    const { path, bytes } = await logOf("alice", "bob", "carol");
    await writeFile(path, bytes.subarray(0, bytes.length - 1));
    const { log, events, repaired } = await EventLog.open<TestEvent>(path);
    expect(events.map((e) => e.event.who)).toEqual(["alice", "bob"]);
    expect(repaired).toEqual({ droppedBytes: Buffer.byteLength(line(3, "carol")) - 1 });
    await log.close();
  });

  it("treats a last line that fails its checksum as torn", async () => {
    const { path } = await logOf("alice");
    await appendFile(path, line(2, "bob").replace('"bob"', '"bib"'));
    const { log, events, repaired } = await EventLog.open<TestEvent>(path);
    expect(events).toHaveLength(1);
    expect(repaired).toEqual({ droppedBytes: Buffer.byteLength(line(2, "bob")) });
    await log.close();
  });

  it("treats zero-filled bytes after the last line as torn", async () => {
    const { path, bytes } = await logOf("alice");
    await appendFile(path, Buffer.alloc(4096));
    const { log, events, repaired } = await EventLog.open<TestEvent>(path);
    expect(events).toHaveLength(1);
    expect(repaired).toEqual({ droppedBytes: 4096 });
    expect((await stat(path)).size).toBe(bytes.length);
    await log.close();
  });

  it("drops every line of a multi-event append whose last line is missing or torn", async () => {
    const { path, bytes } = await logOf("alice");
    const { log } = await EventLog.open<TestEvent>(path);
    await log.append([{ who: "b" }, { who: "c" }, { who: "d" }], 1, T0);
    await log.close();
    const full = await readFile(path);
    const lastLineLength = Buffer.byteLength(line(4, "d"));

    for (const cut of [lastLineLength, 10]) {
      await writeFile(path, full.subarray(0, full.length - cut));
      const reopened = await EventLog.open<TestEvent>(path);
      expect(reopened.events.map((e) => e.event.who)).toEqual(["alice"]);
      expect(reopened.repaired).toEqual({ droppedBytes: full.length - cut - bytes.length });
      expect(reopened.log.lastSeq).toBe(1);
      await reopened.log.close();
    }
  });

  it("refuses a corrupted middle line, naming it", async () => {
    const { path, bytes } = await logOf("alice", "bob", "carol");
    const at = bytes.indexOf("bob");
    bytes[at] = (bytes[at] ?? 0) ^ 0x01; // "bob" -> "cob"
    await writeFile(path, bytes);
    await expectCorruptAt(path, 2, /checksum mismatch/);
  });

  it("refuses a middle line that is no longer JSON", async () => {
    const { path, bytes } = await logOf("alice", "bob", "carol");
    const at = bytes.indexOf('"seq":2');
    bytes[at] = 0x27; // a quote becomes an apostrophe
    await writeFile(path, bytes);
    await expectCorruptAt(path, 2, /not UTF-8 JSON/);
  });

  it("refuses a middle line whose checksum was altered", async () => {
    const { path } = await logOf();
    const forged = line(2, "bob").replace(/"checksum":"[0-9a-f]{128}"/, `"checksum":"${"0".repeat(128)}"`);
    await writeFile(path, line(1, "alice") + forged + line(3, "carol"));
    await expectCorruptAt(path, 2, /checksum mismatch/);
  });

  it("refuses a seq gap, even on an intact last line", async () => {
    const { path } = await logOf();
    await writeFile(path, line(1, "alice") + line(3, "carol") + line(4, "dave"));
    await expectCorruptAt(path, 2, /expected seq 2, found 3/);
    await writeFile(path, line(1, "alice") + line(3, "carol"));
    await expectCorruptAt(path, 2, /expected seq 2, found 3/);
  });

  it("refuses a repeated seq", async () => {
    const { path } = await logOf();
    await writeFile(path, line(1, "alice") + line(1, "alice") + line(2, "bob"));
    await expectCorruptAt(path, 2, /expected seq 2, found 1/);
  });

  it("refuses a middle line that is valid but not in canonical form", async () => {
    const { path } = await logOf();
    const spaced = line(2, "bob").replace('"seq":2', '"seq": 2');
    await writeFile(path, line(1, "alice") + spaced + line(3, "carol"));
    await expectCorruptAt(path, 2, /canonical/);
  });

  it("refuses an empty middle line", async () => {
    const { path } = await logOf();
    await writeFile(path, `${line(1, "alice")}\n${line(2, "bob")}`);
    await expectCorruptAt(path, 2, /not UTF-8 JSON/);
  });

  it("refuses an event the validator rejects, even on the last line", async () => {
    const { path } = await logOf("alice", "bob");
    const validate = (event: unknown): TestEvent => {
      if ((event as TestEvent).who === "bob") throw new Error("no bobs");
      return event as TestEvent;
    };
    const error = await EventLog.open(path, { validate }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "LOG_CORRUPT", line: 2 });
    expect((error as Error).message).toContain("no bobs");
  });
});
