/**
 * Step 2 of verify-transcript: every file under events/ is an event file at the path of its seq, the seqs run from 1
 * with no gap, and each file is exactly the coordinator's canonical log line (checksum included) of a valid event.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { CeremonyEvent } from "../core/model.ts";
import { parseEvent } from "../core/event-schema.ts";
import { decodeLine } from "../store/event-line.ts";
import { eventFileText, eventPath, seqOfEventFile } from "../transcript/layout.ts";
import { messageOf, StepFailure } from "./files.ts";

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

/** Paths of every file under `root/sub`, relative to root, with "/" separators. */
export async function listFiles(root: string, sub: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, sub), { withFileTypes: true });
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = `${sub}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(root, path)));
    else out.push(path);
  }
  return out;
}

/** Where each event file is, by seq; refuses any other file and any file away from its seq's path. */
async function eventFiles(dir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const path of await listFiles(dir, "events")) {
    const seq = seqOfEventFile(path.slice(path.lastIndexOf("/") + 1));
    if (seq === null || seq < 1) throw new StepFailure(STEP, `${path} is not an event file (events/<D1>/<D2>/<SEQ>.json)`);
    const expected = eventPath(seq);
    if (path !== expected) throw new StepFailure(STEP, `${path} is not where event ${seq} belongs (${expected})`);
    seqs.push(seq);
  }
  seqs.sort((a, b) => a - b);
  if (seqs.length === 0) throw new StepFailure(STEP, "the transcript has no events");
  seqs.forEach((seq, i) => {
    if (seq !== i + 1) throw new StepFailure(STEP, `event ${i + 1} is missing: the events jump from ${i} to ${seq}`);
  });
  return seqs;
}

async function readEvent(dir: string, seq: number): Promise<TranscriptEvent> {
  const path = eventPath(seq);
  const bytes = new Uint8Array(await readFile(join(dir, path)));
  const fail = (why: string): never => {
    throw new StepFailure(STEP, `${path}: ${why}`);
  };
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

/** Step 2: all event files, checked and in order. */
export async function readEvents(dir: string, progress: (line: string) => void): Promise<TranscriptEvent[]> {
  const seqs = await eventFiles(dir);
  const events: TranscriptEvent[] = [];
  const every = Math.max(1000, Math.ceil(seqs.length / 10));
  for (let i = 0; i < seqs.length; i += READ_BATCH) {
    // Read in parallel, but report the lowest failing seq, so the failure named never depends on I/O timing.
    for (const r of await Promise.allSettled(seqs.slice(i, i + READ_BATCH).map((seq) => readEvent(dir, seq)))) {
      if (r.status === "rejected") throw r.reason;
      events.push(r.value);
    }
    const done = Math.min(i + READ_BATCH, seqs.length);
    if (done === seqs.length || Math.floor(done / every) > Math.floor(i / every)) progress(`events ${done}/${seqs.length}`);
  }
  return events;
}
