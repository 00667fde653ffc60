/**
 * Step 2 of verify-transcript: every file under events/ is an event file at the path of its seq, the seqs run from 1
 * with no gap, and each file is exactly the coordinator's canonical log line (checksum included) of a valid event.
 */
import type { CeremonyEvent } from "../core/model.ts";
import { parseEvent } from "../core/event-schema.ts";
import { decodeLine } from "../store/event-line.ts";
import { eventFileText, eventPath, seqOfEventFile } from "../transcript/layout.ts";
import { messageOf, StepFailure } from "./files.ts";
import type { TranscriptSource } from "./source.ts";

export interface TranscriptEvent {
  seq: number;
  time: string;
  event: CeremonyEvent;
  /** Its path in the repository, and its exact text. */
  path: string;
  text: string;
}

const STEP = "events";
const READ_BATCH = 64;

/**
 * The seqs the event files at `paths` stand for, in order; refuses any other file, any file away from its seq's path,
 * and any gap: they must run from `after + 1`.
 */
export function eventSeqs(paths: string[], after = 0): number[] {
  const seqs: number[] = [];
  for (const path of paths) {
    const seq = seqOfEventFile(path.slice(path.lastIndexOf("/") + 1));
    if (seq === null || seq < 1) throw new StepFailure(STEP, `${path} is not an event file (events/<D1>/<D2>/<SEQ>.json)`);
    const expected = eventPath(seq);
    if (path !== expected) throw new StepFailure(STEP, `${path} is not where event ${seq} belongs (${expected})`);
    seqs.push(seq);
  }
  seqs.sort((a, b) => a - b);
  seqs.forEach((seq, i) => {
    const want = after + i + 1;
    if (seq !== want) throw new StepFailure(STEP, seq < want ? `event ${seq} is already in the transcript` : `event ${want} is missing: the events jump from ${want - 1} to ${seq}`);
  });
  return seqs;
}

async function readEvent(source: TranscriptSource, seq: number): Promise<TranscriptEvent> {
  const path = eventPath(seq);
  const bytes = await source.read(path);
  const fail = (why: string): never => {
    throw new StepFailure(STEP, `${path}: ${why}`);
  };
  if (bytes === null) return fail("missing");
  if (bytes[bytes.length - 1] !== 0x0a) fail("an event file is one line ending with a newline");
  const decoded = decodeLine(bytes.subarray(0, bytes.length - 1));
  if (!decoded.ok) return fail(decoded.reason);
  const { line } = decoded;
  if (line.seq !== seq) fail(`holds event ${line.seq}, not event ${seq}`);
  const text = eventFileText(line);
  if (new TextDecoder().decode(bytes) !== text) fail("not exactly the canonical event line");
  let event: CeremonyEvent;
  try {
    event = parseEvent(line.event);
  } catch (err) {
    return fail(messageOf(err));
  }
  return { seq, time: line.time, event, path, text };
}

/** The event files of `seqs`, checked and in order. */
export async function readEvents(source: TranscriptSource, seqs: number[], progress: (line: string) => void): Promise<TranscriptEvent[]> {
  const events: TranscriptEvent[] = [];
  const every = Math.max(1000, Math.ceil(seqs.length / 10));
  for (let i = 0; i < seqs.length; i += READ_BATCH) {
    // Read in parallel, but report the lowest failing seq, so the failure named never depends on I/O timing.
    for (const r of await Promise.allSettled(seqs.slice(i, i + READ_BATCH).map((seq) => readEvent(source, seq)))) {
      if (r.status === "rejected") throw r.reason;
      events.push(r.value);
    }
    const done = Math.min(i + READ_BATCH, seqs.length);
    if (done === seqs.length || Math.floor(done / every) > Math.floor(i / every)) progress(`events ${done}/${seqs.length}`);
  }
  return events;
}

/** Every event of a clone: all files under events/, from 1 with no gap. */
export async function readAllEvents(source: TranscriptSource, progress: (line: string) => void): Promise<TranscriptEvent[]> {
  const seqs = eventSeqs(await source.list("events"));
  if (seqs.length === 0) throw new StepFailure(STEP, "the transcript has no events");
  return readEvents(source, seqs, progress);
}
