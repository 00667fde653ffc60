/**
 * Where things live in the transcript repository (format `ceremony-transcript/1`, specified in transcript/README.md)
 * and the bytes of the small files the writer makes itself: ceremony.json, event files and artifact refs.
 */
import { encodeLine, type LoggedEvent } from "../store/event-line.ts";
import { isHashHex } from "../lib/hex.ts";

export const TRANSCRIPT_FORMAT = "ceremony-transcript/1";

export interface CeremonyIdentity {
  ceremonyId: string;
  power: number;
  chunkSize: number;
  numChunks: number;
  /** Hex ed25519 public key that signs receipts. */
  coordinatorKey: string;
}

/** The content of ceremony.json, keys in the README's order. */
export interface CeremonyFile extends CeremonyIdentity {
  format: typeof TRANSCRIPT_FORMAT;
  curve: "bn128";
}

const MAX_SEQ = 999_999_999_999;

/** `events/<D1>/<D2>/<SEQ>.json`: SEQ on 12 digits, D1 = ⌊seq / 10^6⌋ on 6, D2 = ⌊seq / 10^3⌋ mod 1000 on 3. */
export function eventPath(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`no event path for seq ${seq}`);
  const d1 = Math.floor(seq / 1_000_000);
  const d2 = Math.floor(seq / 1_000) % 1_000;
  return `events/${pad(d1, 6)}/${pad(d2, 3)}/${pad(seq, 12)}.json`;
}

/** The seq an event file name stands for (`000000001234.json` → 1234), or null for any other name. */
export function seqOfEventFile(name: string): number | null {
  const match = /^(\d{12})\.json$/.exec(name);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** `artifacts/<H0>/<H1>/<HASH>.chunk`, or `….ref.json` when the file itself is kept outside the repository. */
export function artifactPath(hash: string, external: boolean): string {
  if (!isHashHex(hash)) throw new RangeError("an artifact hash is 128 lowercase hex digits");
  return `artifacts/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}${external ? ".ref.json" : ".chunk"}`;
}

/** The path of the ref that stands for an external file at `path` (`final/final.ptau` → `final/final.ptau.ref.json`). */
export function refPathFor(path: string): string {
  return `${path}.ref.json`;
}

/**
 * Refuses paths that could escape the repository or rewrite the record: only plain relative names, and none under
 * `events/` or `artifacts/` or naming the two files made at opening (those are written from events only).
 */
export function checkExtraPath(path: string): void {
  const parts = path.split("/");
  const plain = parts.every((p) => p !== "" && p !== "." && p !== ".." && !/[\\\0\n]/.test(p) && p.toLowerCase() !== ".git");
  if (!plain) throw new RangeError(`not a plain relative path: ${JSON.stringify(path)}`);
  if (parts[0] === "events" || parts[0] === "artifacts" || path === "README.md" || path === "ceremony.json") {
    throw new RangeError(`${path} is written by the transcript itself`);
  }
}

export function ceremonyFile(info: CeremonyIdentity): CeremonyFile {
  const { ceremonyId, power, chunkSize, numChunks, coordinatorKey } = info;
  return { format: TRANSCRIPT_FORMAT, ceremonyId, curve: "bn128", power, chunkSize, numChunks, coordinatorKey };
}

/** Names the fields of ceremony.json that differ from `expected` (empty when it matches). */
export function ceremonyFileDifferences(stored: unknown, expected: CeremonyFile): string[] {
  const record: Record<string, unknown> = typeof stored === "object" && stored !== null ? { ...stored } : {};
  return Object.entries(expected)
    .filter(([key, value]) => record[key] !== value)
    .map(([key]) => key);
}

/**
 * An event file: the log's line without `more`, that is exactly `{"seq","time","event","checksum"}` on one line and a
 * newline, so the file's JSON re-hashes to its checksum.
 */
export function eventFileText(entry: LoggedEvent<unknown>): string {
  return encodeLine({ seq: entry.seq, time: entry.time, event: entry.event }, false);
}

export function refFileText(hash: string, size: number, url: string): string {
  return `${JSON.stringify({ hash, size, url })}\n`;
}

export function jsonFileText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function pad(n: number, digits: number): string {
  return String(n).padStart(digits, "0");
}
