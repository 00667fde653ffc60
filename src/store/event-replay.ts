/**
 * Reads an event log's bytes back into entries. A bad tail left by a crash mid-append is cut off and reported; any
 * other bad line is corruption and stops the replay, because skipping it would rebuild a state that never existed.
 */
import { decodeLine, type EventLine, type LoggedEvent } from "./event-line.ts";
import { EventLogCorrupt } from "./errors.ts";

export interface Replay<E> {
  events: LoggedEvent<E>[];
  /** Length of the prefix made of whole appends; everything after it is a torn tail to truncate. */
  keptBytes: number;
}

const NEWLINE = 0x0a;

/**
 * The tail counts as torn when the file does not end with a newline, when its last line fails to parse or to match
 * its checksum, or when the last whole lines belong to a multi-event append whose final line never made it (`more`).
 * A last line that is intact but out of sequence, or that `validate` rejects, was written that way: corruption.
 */
export function replay<E>(bytes: Uint8Array, path: string, validate: (event: unknown) => E): Replay<E> {
  const events: LoggedEvent<E>[] = [];
  let keptBytes = 0;
  let keptEvents = 0;
  let start = 0;
  for (let lineNumber = 1; start < bytes.length; lineNumber++) {
    const newline = bytes.indexOf(NEWLINE, start);
    if (newline === -1) break; // an unterminated last line: torn whatever it holds
    const decoded = decodeLine(bytes.subarray(start, newline));
    const isLast = newline === bytes.length - 1;
    if (!decoded.ok) {
      if (isLast) break;
      throw new EventLogCorrupt(path, lineNumber, decoded.reason);
    }
    events.push(checkLine(decoded.line, events.length + 1, path, lineNumber, validate));
    start = newline + 1;
    if (decoded.line.more !== true) {
      keptBytes = start;
      keptEvents = events.length;
    }
  }
  return { events: events.slice(0, keptEvents), keptBytes };
}

function checkLine<E>(
  line: EventLine,
  expectedSeq: number,
  path: string,
  lineNumber: number,
  validate: (event: unknown) => E,
): LoggedEvent<E> {
  if (line.seq !== expectedSeq) {
    throw new EventLogCorrupt(path, lineNumber, `expected seq ${expectedSeq}, found ${line.seq}`);
  }
  let event: E;
  try {
    event = validate(line.event);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new EventLogCorrupt(path, lineNumber, `event rejected by validate: ${reason}`, { cause: error });
  }
  return { seq: line.seq, time: line.time, event };
}
