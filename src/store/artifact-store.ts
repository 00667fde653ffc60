/**
 * Content-addressed storage for chunk files: an artifact's name is the blake2b-512 (hex) of its bytes, kept at
 * `<dir>/<first two hex>/<hash>`. Uploads stream into `<dir>/tmp/` while being hashed and counted, then are fsynced
 * and renamed into place, so a stored name always matches whole, durable content (until the disk says otherwise:
 * reads re-hash).
 */
import { createHash, randomUUID } from "node:crypto";
import { open, readFile, rm, stat, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { piecesOf, verifiedFileStream, type ByteSource } from "./byte-streams.ts";
import { ensureDir, isErrnoCode, renameDurably, writeAll, writeTempFile } from "./durable.ts";
import { isHashHex } from "../lib/hex.ts";
import {
  ArtifactCorrupt,
  ArtifactIncomplete,
  ArtifactNotFound,
  ArtifactTooLarge,
  InvalidArtifactHash,
} from "./errors.ts";

export {
  ArtifactCorrupt,
  ArtifactIncomplete,
  ArtifactNotFound,
  ArtifactTooLarge,
  InvalidArtifactHash,
} from "./errors.ts";
export type { ByteSource } from "./byte-streams.ts";

export interface ArtifactLimits {
  /** Refuse (ArtifactTooLarge) as soon as more than this many bytes arrive. */
  maxBytes: number;
  /** When given: refuse fewer (ArtifactIncomplete) or more (ArtifactTooLarge) bytes than this. */
  exactBytes?: number;
}

export interface StoredArtifact {
  hash: string;
  size: number;
}


export class ArtifactStore {
  constructor(readonly dir: string) {}

  /** Where the artifact lives (or would); refuses anything but 128 lowercase hex digits, so no path can escape `dir`. */
  path(hash: string): string {
    if (!isHashHex(hash)) throw new InvalidArtifactHash("an artifact hash is 128 lowercase hex digits");
    return join(this.dir, hash.slice(0, 2), hash);
  }

  async put(body: ByteSource, limits: ArtifactLimits): Promise<StoredArtifact> {
    checkLimits(limits);
    const tempDir = join(this.dir, "tmp");
    await ensureDir(tempDir);
    const tempPath = join(tempDir, randomUUID());
    const stored = await writeTempFile(tempPath, (handle) => receive(body, handle, limits));
    const finalPath = this.path(stored.hash);
    try {
      await ensureDir(dirname(finalPath));
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    // Renaming over an existing artifact is harmless: same name, same bytes (and a damaged copy gets replaced).
    await renameDurably(tempPath, finalPath);
    return stored;
  }

  async has(hash: string): Promise<boolean> {
    try {
      return (await stat(this.path(hash))).isFile();
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) return false;
      throw error;
    }
  }

  /** The artifact's bytes, re-hashed: ArtifactCorrupt when they no longer match the name, ArtifactNotFound when absent. */
  async get(hash: string): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(hash));
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) throw new ArtifactNotFound(`no artifact ${hash}`);
      throw error;
    }
    const actual = createHash("blake2b512").update(bytes).digest("hex");
    if (actual !== hash) throw new ArtifactCorrupt(`artifact ${hash} on disk hashes to ${actual}`);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * The artifact as a stream (for HTTP responses) and its size, or null when absent. The stream is verified as it
   * goes and errors with ArtifactCorrupt at the end if the bytes do not match. Read it to the end or cancel it:
   * it holds the file open until then.
   */
  async open(hash: string): Promise<{ size: number; stream: ReadableStream<Uint8Array> } | null> {
    let handle: FileHandle;
    try {
      handle = await open(this.path(hash), "r");
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) return null;
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const corrupt = (reason: string) => new ArtifactCorrupt(`artifact ${hash} on disk: ${reason}`);
      return { size, stream: verifiedFileStream(handle, size, hash, corrupt) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }
}

function checkLimits({ maxBytes, exactBytes }: ArtifactLimits): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError("maxBytes must be a non-negative integer");
  if (exactBytes === undefined) return;
  if (!Number.isSafeInteger(exactBytes) || exactBytes < 0 || exactBytes > maxBytes) {
    throw new RangeError("exactBytes must be a non-negative integer no greater than maxBytes");
  }
}

/** Writes the body into the temp file while hashing and counting it; refuses before writing a byte past the limit. */
async function receive(body: ByteSource, handle: FileHandle, limits: ArtifactLimits): Promise<StoredArtifact> {
  const { maxBytes, exactBytes } = limits;
  const limit = exactBytes ?? maxBytes;
  const hasher = createHash("blake2b512");
  let size = 0;
  for await (const piece of piecesOf(body)) {
    if (size + piece.length > limit) {
      throw new ArtifactTooLarge(
        exactBytes === undefined
          ? `artifact is larger than the limit of ${maxBytes} bytes`
          : `artifact is longer than the expected ${exactBytes} bytes`,
      );
    }
    hasher.update(piece);
    await writeAll(handle, piece, size);
    size += piece.length;
  }
  if (exactBytes !== undefined && size < exactBytes) {
    throw new ArtifactIncomplete(`artifact has ${size} bytes, expected ${exactBytes}`);
  }
  return { hash: hasher.digest("hex"), size };
}
