/**
 * One line of the event log: `{"seq","time","event","checksum"}` where the checksum is blake2b-512 (hex) over the
 * UTF-8 of the canonical JSON `JSON.stringify({seq, time, event})`, keys in that order. Decoding is strict: a line
 * must re-encode to exactly its own text, so no byte of it can change unnoticed.
 */
import { createHash } from "node:crypto";
import * as v from "valibot";
import { HashHex } from "../lib/hex.ts";

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

const LineSchema = v.strictObject({
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  time: v.pipe(v.string(), v.isoTimestamp()),
  event: v.unknown(),
  checksum: HashHex,
  more: v.optional(v.literal(true)),
});

export function checksumOf(entry: LoggedEvent<unknown>): string {
  const canonical = JSON.stringify({ seq: entry.seq, time: entry.time, event: entry.event });
  return createHash("blake2b512").update(canonical, "utf8").digest("hex");
}

/** The line's text including its trailing newline. */
export function encodeLine(entry: LoggedEvent<unknown>, more: boolean): string {
  const line: EventLine = { seq: entry.seq, time: entry.time, event: entry.event, checksum: checksumOf(entry) };
  if (more) line.more = true;
  return `${JSON.stringify(line)}\n`;
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
  const shape = v.safeParse(LineSchema, parsed);
  if (!shape.success) return { ok: false, reason: `not an event line (${v.summarize(shape.issues)})` };
  const line: EventLine = shape.output;
  if (checksumOf(line) !== line.checksum) return { ok: false, reason: "checksum mismatch" };
  if (encodeLine(line, line.more === true) !== `${text}\n`) return { ok: false, reason: "not in canonical form" };
  return { ok: true, line };
}
