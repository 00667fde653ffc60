/**
 * A snapshot: a state saved with the head of the event log it was folded from, so that a start-up checks the log
 * still begins with those bytes and replays only what follows. Two lines: a header (format, head, the body's length
 * and blake2b-512) and the body (JSON). Written atomically (temp file, fsync, rename, fsync directory); a snapshot
 * that is missing, torn, altered, of another format or of another log is only ever ignored, never trusted.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import * as v from "valibot";
import { blake2b512Stream } from "../adapters/bun/blake2b.ts";
import { ensureDir, isErrnoCode, renameDurably, writeAll, writeTempFile } from "./durable.ts";
import type { LogHead } from "./log-head.ts";

export const SNAPSHOT_FORMAT = "ceremony-snapshot/1";

export interface Snapshot {
  head: LogHead;
  /** The state (as its codec writes it) after the log's line `head.seq`. */
  state: unknown;
  /** What the shell keeps beside the state (its projections' own data), as it writes it. */
  shell: unknown;
}

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const digest = v.pipe(v.string(), v.regex(/^[0-9a-f]{128}$/));
const Header = v.object({
  format: v.literal(SNAPSHOT_FORMAT),
  head: v.object({ seq: count, end: count, digest }),
  bytes: count,
  checksum: digest,
});
const Body = v.object({ state: v.unknown(), shell: v.unknown() });

const hexOf = (bytes: Uint8Array): string => {
  const stream = blake2b512Stream();
  stream.update(bytes);
  return stream.hex();
};

/** Replaces the snapshot at `path`; a crash leaves the old one or the new one. */
export async function writeSnapshot(path: string, snapshot: Snapshot): Promise<void> {
  const body = Buffer.from(JSON.stringify({ state: snapshot.state, shell: snapshot.shell }), "utf8");
  const header = { format: SNAPSHOT_FORMAT, head: snapshot.head, bytes: body.length, checksum: hexOf(body) };
  const bytes = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, "utf8"), body, Buffer.from("\n")]);
  await ensureDir(dirname(path));
  const tempPath = `${path}.${randomUUID()}.tmp`;
  await writeTempFile(tempPath, (handle) => writeAll(handle, bytes, 0));
  await renameDurably(tempPath, path);
}

/** The snapshot at `path`: null when there is none, `ignored` (why) when it cannot be trusted. */
export async function readSnapshot(path: string): Promise<{ snapshot: Snapshot } | { ignored: string } | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (isErrnoCode(error, "ENOENT")) return null;
    throw error;
  }
  const newline = bytes.indexOf(0x0a);
  let header: v.InferOutput<typeof Header>;
  try {
    header = v.parse(Header, JSON.parse(bytes.toString("utf8", 0, newline < 0 ? bytes.length : newline)));
  } catch {
    return { ignored: "its header is not a snapshot's" };
  }
  const body = bytes.subarray(newline + 1, bytes.length - 1);
  if (body.length !== header.bytes || bytes[bytes.length - 1] !== 0x0a) return { ignored: `it is not ${header.bytes + newline + 2} bytes long (torn)` };
  if (hexOf(body) !== header.checksum) return { ignored: "its body does not match its checksum" };
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch (error) {
    return { ignored: `its body is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const parsed = v.safeParse(Body, json);
  if (!parsed.success) return { ignored: "its body is not a snapshot's" };
  return { snapshot: { head: header.head, state: parsed.output.state, shell: parsed.output.shell } };
}
