/**
 * Reads an event log's bytes back into entries, in large blocks read into one reused buffer (lines are decoded in
 * place, never copied out). A bad tail left by a crash mid-append is cut off and reported; any other bad line is
 * corruption and stops the replay, because skipping it would rebuild a state that never existed.
 */
import type { FileHandle } from "node:fs/promises";
import { blake2b512Into, type Blake2b512Stream } from "../adapters/bun/blake2b.ts";
import { FastLineReader } from "./event-line-fast.ts";
import { decodeLineStrict, type LoggedEvent } from "./event-line.ts";
import { EventLogCorrupt } from "./errors.ts";

export interface Replay<E> {
  events: LoggedEvent<E>[];
  /** Length of the prefix made of whole appends; everything after it is a torn tail to truncate. */
  keptBytes: number;
  /** The seq of the last kept line. */
  lastSeq: number;
  /** How far `prefix` was fed: the whole file read (keptBytes unless a torn tail was read too). */
  hashedTo: number;
}

const NEWLINE = 0x0a;
const BLOCK_BYTES = 8 << 20;

/**
 * Replays the file's `size` bytes from `from` (the end of line `from.seq`; the start of the file is seq 0, offset
 * 0), feeding every byte it reads to `prefix`. The tail counts as torn when the file does not end with a newline,
 * when its last line fails to parse or to match its checksum, or when the last whole lines belong to a multi-event
 * append whose final line never made it (`more`). A last line that is intact but out of sequence, or that
 * `validate` rejects, was written that way: corruption.
 */
export async function replayFile<E>(
  handle: FileHandle,
  path: string,
  validate: (event: unknown) => E,
  size: number,
  prefix: Blake2b512Stream,
  from: { seq: number; end: number } = { seq: 0, end: 0 },
): Promise<Replay<E>> {
  const reader = new LineReader(path, validate, size, from);
  let buf: Buffer = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, Math.max(size - from.end, 1)));
  let filled = 0;
  let bufAt = from.end; // file offset of buf[0]
  while (bufAt + filled < size && !reader.stopped) {
    if (filled === buf.length) buf = grown(buf); // one line longer than the buffer
    const { bytesRead } = await handle.read(buf, filled, Math.min(buf.length - filled, size - bufAt - filled), bufAt + filled);
    if (bytesRead === 0) break;
    prefix.update(buf.subarray(filled, filled + bytesRead));
    filled += bytesRead;
    const consumed = reader.feed(buf, filled, bufAt);
    buf.copyWithin(0, consumed, filled);
    filled -= consumed;
    bufAt += consumed;
  }
  return { ...reader.result(), hashedTo: bufAt + filled };
}

function grown(buf: Buffer): Buffer {
  const bigger = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(bigger);
  return bigger;
}

class LineReader<E> {
  private readonly fast = new FastLineReader(blake2b512Into());
  private readonly events: LoggedEvent<E>[] = [];
  private keptBytes: number;
  private keptEvents = 0;
  /** Whether the line just decoded is not its append's last. */
  private more = false;
  stopped = false;

  constructor(
    private readonly path: string,
    private readonly validate: (event: unknown) => E,
    private readonly size: number,
    private readonly from: { seq: number; end: number },
  ) {
    this.keptBytes = from.end;
  }

  /** Decodes every whole line of `buf[0, filled)` (file offset `at`); returns how many bytes it consumed. */
  feed(buf: Buffer, filled: number, at: number): number {
    const view = buf.subarray(0, filled);
    let start = 0;
    for (;;) {
      const newline = view.indexOf(NEWLINE, start);
      if (newline === -1) break;
      const seq = this.from.seq + this.events.length + 1;
      const entry = this.decode(buf, start, newline, at + newline === this.size - 1, seq);
      if (entry === null) {
        this.stopped = true; // a torn last line
        break;
      }
      this.events.push(entry);
      start = newline + 1;
      if (!this.more) {
        this.keptBytes = at + start;
        this.keptEvents = this.events.length;
      }
    }
    return start;
  }

  /** One line: null when it is bad and the file's last (torn); throws when it is bad anywhere else. */
  private decode(buf: Buffer, start: number, end: number, isLast: boolean, seq: number): LoggedEvent<E> | null {
    const fast = this.fast.read(buf, start, end);
    let line: { seq: number; time: string; event: unknown };
    if (fast) {
      line = fast;
      this.more = fast.more;
    } else {
      const decoded = decodeLineStrict(buf.subarray(start, end));
      if (!decoded.ok) {
        if (isLast) return null;
        throw new EventLogCorrupt(this.path, seq, decoded.reason);
      }
      line = decoded.line;
      this.more = decoded.line.more === true;
    }
    if (line.seq !== seq) throw new EventLogCorrupt(this.path, seq, `expected seq ${seq}, found ${line.seq}`);
    let event: E;
    try {
      event = this.validate(line.event);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new EventLogCorrupt(this.path, seq, `event rejected by validate: ${reason}`, { cause: error });
    }
    return { seq, time: line.time, event };
  }

  result(): Omit<Replay<E>, "hashedTo"> {
    this.events.length = this.keptEvents;
    return { events: this.events, keptBytes: this.keptBytes, lastSeq: this.from.seq + this.keptEvents };
  }
}
