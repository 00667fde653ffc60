/**
 * Request bodies under a size cap: read whole and hashed for signed buffered requests, or passed through with their
 * size and declared hash checked for signed streamed uploads.
 */
import { toHex } from "../crypto/hash.ts";
import { newBodyHasher } from "./sign.ts";

export type BodyErrorCode = "BODY_TOO_LARGE" | "BODY_HASH_MISMATCH";

export class BodyError extends Error {
  constructor(
    readonly code: BodyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

function tooLarge(maxBytes: number): BodyError {
  return new BodyError("BODY_TOO_LARGE", `the request body exceeds the limit of ${maxBytes} bytes`);
}

/** Refuses a request whose Content-Length already announces more than maxBytes, before reading anything. */
export function assertDeclaredLength(headers: Headers, maxBytes: number): void {
  const declared = headers.get("content-length");
  if (declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) throw tooLarge(maxBytes);
}

/**
 * Reads a body whole, hashing as it goes, and stops (cancelling the stream) as soon as it passes maxBytes, so an
 * oversized body never sits in memory.
 */
export async function readBodyCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<{ bytes: Uint8Array<ArrayBuffer>; hash: string }> {
  const hasher = newBodyHasher();
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      hasher.update(value);
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, hash: toHex(hasher.digest()) };
}

/**
 * Passes a streamed body through unchanged, failing the stream with a BodyError if it grows past maxBytes or, at
 * its end, if its blake2b-512 differs from the signed declared hash. The bytes are not authenticated until the
 * stream has ended without error: write them to a temporary place and keep them only then.
 */
export function checkedBodyStream(body: ReadableStream<Uint8Array> | null, declaredHash: string, maxBytes: number): ReadableStream<Uint8Array> {
  const hasher = newBodyHasher();
  let total = 0;
  const check = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) throw tooLarge(maxBytes);
      hasher.update(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      const actual = toHex(hasher.digest());
      if (actual !== declaredHash) {
        throw new BodyError("BODY_HASH_MISMATCH", `the body's blake2b-512 is ${actual}, not the signed ${declaredHash}`);
      }
    },
  });
  return (body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })).pipeThrough(check);
}
