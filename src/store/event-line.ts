/**
 * One line of the event log: `{"seq","time","event","checksum"}` where the checksum is blake2b-512 (hex) over the
 * UTF-8 of the canonical JSON `JSON.stringify({seq, time, event})`, keys in that order. Decoding is strict: a line
 * must re-encode to exactly its own text, so no byte of it can change unnoticed.
 */
import { createHash } from "node:crypto";

export interface LoggedEvent<E> {
  seq: number;
  time: string;
  event: E;
}

/**
 * A line as stored. `more: true` marks every line of a multi-event append except its last, so that replay can tell
 * a whole append from one cut short by a crash; lines of single-event appends never carry it. It sits outside the
 * checksum (which stays exactly the documented formula) but inside the exact re-encoding check.
 */
export interface EventLine extends LoggedEvent<unknown> {
  checksum: string;
  more?: true;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CHECKSUM = /^[0-9a-f]{128}$/;
const KEYS = ["seq", "time", "event", "checksum"];

/** The JSON the checksum covers: `{"seq","time","event"}`, keys in that order. */
function canonicalOf(entry: LoggedEvent<unknown>): string {
  return JSON.stringify({ seq: entry.seq, time: entry.time, event: entry.event });
}

const hashHex = (text: string): string => createHash("blake2b512").update(text, "utf8").digest("hex");

export function checksumOf(entry: LoggedEvent<unknown>): string {
  return hashHex(canonicalOf(entry));
}

/** The line's text (without its newline) for a canonical body and its checksum: the body's keys, then the checksum. */
function lineText(canonical: string, checksum: string, more: boolean): string {
  return `${canonical.slice(0, -1)},"checksum":"${checksum}"${more ? ',"more":true' : ""}}`;
}

/** The line's text including its trailing newline. */
export function encodeLine(entry: LoggedEvent<unknown>, more: boolean): string {
  const canonical = canonicalOf(entry);
  return `${lineText(canonical, hashHex(canonical), more)}\n`;
}

export type DecodedLine = { ok: true; line: EventLine } | { ok: false; reason: string };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Parses one line (without its newline) and checks its shape, checksum and canonical form. Never throws. */
export function decodeLine(bytes: Uint8Array): DecodedLine {
  let text: string;
  let parsed: unknown;
  try {
    text = utf8.decode(bytes);
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not UTF-8 JSON" };
  }
  // The shape, checked by hand: this runs for every line of the log at every start.
  const why = shapeProblem(parsed);
  if (why) return { ok: false, reason: `not an event line (${why})` };
  const line = parsed as EventLine;
  const canonical = canonicalOf(line);
  if (hashHex(canonical) !== line.checksum) return { ok: false, reason: "checksum mismatch" };
  if (lineText(canonical, line.checksum, line.more === true) !== text) return { ok: false, reason: "not in canonical form" };
  return { ok: true, line };
}

function shapeProblem(x: unknown): string | null {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return "not an object";
  const o = x as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.includes(key) && key !== "more") return `unknown key ${JSON.stringify(key).slice(0, 40)}`;
  if (typeof o.seq !== "number" || !Number.isSafeInteger(o.seq) || o.seq < 1) return "seq: a positive integer";
  if (typeof o.time !== "string" || !ISO_TIME.test(o.time) || Number.isNaN(Date.parse(o.time))) return "time: an ISO timestamp";
  if (!("event" in o)) return "event: missing";
  if (typeof o.checksum !== "string" || !CHECKSUM.test(o.checksum)) return "checksum: 128 lowercase hex digits";
  if ("more" in o && o.more !== true) return "more: true or absent";
  return null;
}
