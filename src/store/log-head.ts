/**
 * The head of an event log: its last line's seq, where the log's bytes end, and the blake2b-512 of every byte up to
 * there. A state saved with a head (a snapshot) stands for exactly those bytes: at start-up the log is checked to
 * still begin with them, byte for byte, before only what follows is replayed.
 */
import { open, type FileHandle } from "node:fs/promises";
import { blake2b512Stream, type Blake2b512Stream } from "../adapters/bun/blake2b.ts";
import { decodeLine } from "./event-line.ts";

export interface LogHead {
  /** The seq of the last line (0: an empty log). */
  seq: number;
  /** Length in bytes of the log up to and including that line's newline. */
  end: number;
  /** blake2b-512 (hex) of those bytes. */
  digest: string;
}

const BLOCK_BYTES = 8 << 20;
const NEWLINE = 0x0a;

/** Feeds `stream` the file's bytes [0, end). */
export async function hashPrefix(handle: FileHandle, end: number, stream: Blake2b512Stream): Promise<void> {
  const buf = Buffer.allocUnsafe(Math.min(BLOCK_BYTES, Math.max(end, 1)));
  for (let at = 0; at < end; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - at), at);
    if (bytesRead === 0) throw new Error(`the log ended at ${at} bytes while ${end} were being read`);
    stream.update(buf.subarray(0, bytesRead));
    at += bytesRead;
  }
}

/**
 * Checks that the file of `size` bytes begins with the bytes `head` stands for, and that they end with line
 * `head.seq`, the last of its append. Answers the stream that hashed them (to go on with the rest), or why not.
 */
export async function checkHead(handle: FileHandle, size: number, head: LogHead): Promise<{ stream: Blake2b512Stream } | { refused: string }> {
  if (!Number.isSafeInteger(head.end) || head.end < 0 || head.end > size) return { refused: `the log (${size} bytes) is shorter than the snapshot's ${head.end}` };
  const stream = blake2b512Stream();
  await hashPrefix(handle, head.end, stream);
  if (stream.hex() !== head.digest) return { refused: `the log's first ${head.end} bytes are not those the snapshot was taken after` };
  if (lastSeqBefore(await lineBefore(handle, head.end)) !== head.seq) return { refused: `the log's line ending at byte ${head.end} is not the last of an append with seq ${head.seq}` };
  return { stream };
}

/** The seq of a line that ends an append (0 for none: the start of the file), or −1. */
function lastSeqBefore(line: Uint8Array | null): number {
  if (line === null) return 0;
  const decoded = decodeLine(line);
  return decoded.ok && decoded.line.more !== true ? decoded.line.seq : -1;
}

/** The line (without its newline) that ends at byte `end`: null at the start of the file, empty when no newline ends there. */
async function lineBefore(handle: FileHandle, end: number): Promise<Uint8Array | null> {
  if (end === 0) return null;
  let window = 64 << 10;
  for (;;) {
    const start = Math.max(0, end - window);
    const bytes = Buffer.alloc(end - start);
    await handle.read(bytes, 0, bytes.length, start);
    if (bytes[bytes.length - 1] !== NEWLINE) return new Uint8Array(0); // decodes as nothing
    const previous = bytes.lastIndexOf(NEWLINE, bytes.length - 2);
    if (previous >= 0 || start === 0) return bytes.subarray(previous + 1, bytes.length - 1);
    window *= 4;
  }
}

/** The time of the log's first line (its first event's: when the ceremony was initialized), or null for an empty log. */
export async function firstLineTime(path: string): Promise<string | null> {
  const handle = await open(path, "r");
  try {
    const chunks: Buffer[] = [];
    for (let at = 0; ; ) {
      const chunk = Buffer.alloc(64 << 10);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
      const newline = chunk.subarray(0, bytesRead).indexOf(NEWLINE);
      chunks.push(chunk.subarray(0, newline >= 0 ? newline : bytesRead));
      if (newline >= 0) break;
      if (bytesRead === 0) return null;
      at += bytesRead;
    }
    const decoded = decodeLine(Buffer.concat(chunks));
    if (!decoded.ok) throw new Error(`${path}: the first line does not decode (${decoded.reason})`);
    return decoded.line.time;
  } finally {
    await handle.close();
  }
}
