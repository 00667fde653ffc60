/**
 * The two ends of the artifact store's streaming: bodies coming in (a web ReadableStream from an HTTP request, any
 * async iterable, or bytes already in memory) and a file going out as a web ReadableStream for an HTTP response.
 */
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";

export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

const READ_SIZE = 1 << 16;

/** Yields the pieces of `body`; stopping early (break, throw) cancels a web stream so its producer stops too. */
export async function* piecesOf(body: ByteSource): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  if (!isWebStream(body)) {
    yield* checkedPieces(body);
    return;
  }
  const reader = body.getReader();
  let ended = false; // the stream finished or errored by itself: nothing to cancel
  try {
    for (;;) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        ended = true;
        throw error;
      }
      if (result.done) {
        ended = true;
        return;
      }
      yield checkPiece(result.value);
    }
  } finally {
    if (!ended) await reader.cancel();
    reader.releaseLock();
  }
}

async function* checkedPieces(body: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const piece of body) yield checkPiece(piece);
}

function checkPiece(piece: unknown): Uint8Array {
  if (!(piece instanceof Uint8Array)) throw new TypeError("an artifact body must yield Uint8Array pieces");
  return piece;
}

function isWebStream(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): body is ReadableStream<Uint8Array> {
  return "getReader" in body && typeof body.getReader === "function";
}

/**
 * Streams an open file and closes it at the end, on error or on cancel. The bytes are hashed on the way out: if they
 * do not hash to `expectedHash` or their count is not `size`, the stream errors with `corrupt()` instead of closing,
 * so a response carrying a tampered artifact ends in an error rather than looking complete.
 */
export function verifiedFileStream(
  handle: FileHandle,
  size: number,
  expectedHash: string,
  corrupt: (reason: string) => Error,
): ReadableStream<Uint8Array> {
  const hasher = createHash("blake2b512");
  let position = 0;
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => (closed ??= handle.close());
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const buffer = new Uint8Array(READ_SIZE);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead > 0) {
          const piece = buffer.subarray(0, bytesRead);
          hasher.update(piece);
          position += bytesRead;
          controller.enqueue(piece);
          return;
        }
        await close();
        const actual = hasher.digest("hex");
        if (position !== size) throw corrupt(`read ${position} bytes, expected ${size}`);
        if (actual !== expectedHash) throw corrupt(`content hashes to ${actual}`);
        controller.close();
      } catch (error) {
        await close();
        throw error;
      }
    },
    cancel: close,
  });
}
