/**
 * The coordinator's append-only event log: one JSON line per event in a single file, each fsynced before the append
 * resolves. Opening replays and checks every line, cuts off a torn tail left by a crash, and refuses a corrupt file.
 * Appends run one at a time and each names the sequence number it expects the log to be at.
 */
import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { ensureDir, fsyncDir, isErrnoCode, writeAll } from "./durable.ts";
import { decodeLine, encodeLine, type LoggedEvent } from "./event-line.ts";
import { replay } from "./event-replay.ts";
import { EventLogConflict, EventLogUnavailable } from "./errors.ts";
import { SerialQueue } from "../lib/serial.ts";

export type { LoggedEvent } from "./event-line.ts";
export { EventLogConflict, EventLogCorrupt, EventLogUnavailable } from "./errors.ts";

export interface EventLogOptions<E> {
  /** Checks each event read back on open and each event before it is appended (so nothing unreadable is written). */
  validate?: (event: unknown) => E;
}

export interface OpenedEventLog<E> {
  log: EventLog<E>;
  events: LoggedEvent<E>[];
  /** Set when a torn tail was cut off the file. */
  repaired: null | { droppedBytes: number };
}

/** An event as it will be stored (its JSON value) and as replay will hand it back (after `validate`). */
interface PreparedEvent<E> {
  stored: unknown;
  event: E;
}

export class EventLog<E> {
  private readonly queue = new SerialQueue();
  private unavailable: EventLogUnavailable | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private size: number,
    private seq: number,
    private readonly validate: (event: unknown) => E,
  ) {}

  static async open<E>(path: string, options: EventLogOptions<E> = {}): Promise<OpenedEventLog<E>> {
    const validate = options.validate ?? ((event: unknown) => event as E);
    const handle = await openOrCreate(path);
    try {
      const bytes = await handle.readFile();
      const { events, keptBytes } = replay(bytes, path, validate);
      let repaired: OpenedEventLog<E>["repaired"] = null;
      if (keptBytes < bytes.length) {
        await handle.truncate(keptBytes);
        await handle.sync();
        repaired = { droppedBytes: bytes.length - keptBytes };
      }
      const lastSeq = events.at(-1)?.seq ?? 0;
      return { log: new EventLog(path, handle, keptBytes, lastSeq, validate), events, repaired };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get lastSeq(): number {
    return this.seq;
  }

  /**
   * Appends `events` as one write and fsyncs the file before resolving; all of them share one `time`. Waits for
   * earlier appends, then refuses with EventLogConflict unless `expectedSeq` is the log's last seq. The events are
   * copied and validated when called. If the write or fsync fails, the error propagates and the log refuses further
   * appends (EventLogUnavailable): only reopening tells what reached the disk.
   */
  append(events: E[], expectedSeq: number, now?: Date): Promise<LoggedEvent<E>[]> {
    return this.appendGroups([{ events, ...(now ? { now } : {}) }], expectedSeq).then((groups) => groups[0] ?? []);
  }

  /**
   * Group commit: several appends (each its own group of events with its own time) in one write and one fsync.
   * Each group stays a unit on replay (a torn write loses at most the groups it tore, none of them acknowledged).
   */
  appendGroups(groups: Array<{ events: E[]; now?: Date }>, expectedSeq: number): Promise<LoggedEvent<E>[][]> {
    let prepared: Array<{ events: PreparedEvent<E>[]; now: Date | undefined }>;
    try {
      prepared = groups.map((g) => ({ events: g.events.map((event) => this.prepare(event)), now: g.now }));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.queue.run(() => this.write(prepared, expectedSeq));
  }

  /** Waits for queued appends, then closes the file; later appends refuse with EventLogUnavailable. */
  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = this.queue.run(() => {
        this.unavailable = new EventLogUnavailable(`event log ${this.path} is closed`);
        return this.handle.close();
      });
    }
    return this.closing;
  }

  private prepare(event: E): PreparedEvent<E> {
    const json = JSON.stringify(event);
    if (json === undefined) throw new TypeError("an event must be a JSON value");
    const stored: unknown = JSON.parse(json);
    return { stored, event: this.validate(stored) };
  }

  private async write(groups: Array<{ events: PreparedEvent<E>[]; now: Date | undefined }>, expectedSeq: number): Promise<LoggedEvent<E>[][]> {
    if (this.unavailable) throw this.unavailable;
    if (expectedSeq !== this.seq) throw new EventLogConflict(expectedSeq, this.seq);
    const lines: Buffer[] = [];
    const logged: LoggedEvent<E>[][] = [];
    let seq = this.seq;
    for (const group of groups) {
      const time = (group.now ?? new Date()).toISOString(); // taken at the append's turn unless given
      logged.push(
        group.events.map(({ stored, event }, i) => {
          const entry = { seq: ++seq, time, event: stored };
          lines.push(replayableLine(entry, i < group.events.length - 1));
          return { seq, time, event };
        }),
      );
    }
    const bytes = Buffer.concat(lines);
    if (bytes.length > 0) {
      try {
        await writeAll(this.handle, bytes, this.size);
        await this.handle.sync();
      } catch (error) {
        const reason = `an append to ${this.path} failed; reopen the log to learn what reached the disk`;
        this.unavailable = new EventLogUnavailable(reason, { cause: error });
        throw error;
      }
    }
    this.size += bytes.length;
    this.seq = seq;
    return logged;
  }
}

/**
 * The line's bytes, decoded once before they are written: an acknowledged append must never be one that replay
 * would refuse or cut off (a `now` outside years 0-9999, say, whose ISO form is not a plain timestamp).
 */
function replayableLine(entry: LoggedEvent<unknown>, more: boolean): Buffer {
  const line = Buffer.from(encodeLine(entry, more), "utf8");
  const decoded = decodeLine(line.subarray(0, line.length - 1));
  if (!decoded.ok) throw new RangeError(`refusing to append a line replay would reject: ${decoded.reason}`);
  return line;
}

/** Opens the log for reading and writing, creating it (and its folders) durably when it does not exist yet. */
async function openOrCreate(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r+");
  } catch (error) {
    if (!isErrnoCode(error, "ENOENT")) throw error;
  }
  await ensureDir(dirname(path));
  const handle = await open(path, "wx+");
  try {
    await handle.sync();
    await fsyncDir(dirname(path));
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}
