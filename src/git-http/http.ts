/**
 * HTTP plumbing of the git server: error bodies in the API's shape, capped (and gunzipped) request bodies, and
 * responses streamed from async generators.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorBody } from "../lib/error-body.ts";
import { concatBytes } from "./pkt.ts";

/** Requests carry wants and haves only; git's own negotiation stays far below this. */
export const MAX_UPLOAD_PACK_REQUEST = 4 * 1024 * 1024;

/** Error bodies have the API's shape, {"error":{"code","message"}}. */
export function gitError(c: Context, status: ContentfulStatusCode, code: string, message: string): Response {
  return c.json(errorBody(code, message), status);
}

export function readOnly(c: Context): Response {
  return gitError(c, 403, "READ_ONLY", "the transcript repository is read-only");
}

type BodyResult = { ok: true; bytes: Uint8Array } | { ok: false; status: ContentfulStatusCode; code: string; message: string };

/** The request body, gunzipped if it came gzipped (git gzips larger requests), never more than the cap either way. */
export async function readRequestBody(request: Request): Promise<BodyResult> {
  const tooLarge: BodyResult = { ok: false, status: 413, code: "BODY_TOO_LARGE", message: `requests are limited to ${MAX_UPLOAD_PACK_REQUEST} bytes` };
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_UPLOAD_PACK_REQUEST) return tooLarge;
  const encoding = (request.headers.get("Content-Encoding") ?? "identity").toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip" && encoding !== "x-gzip") {
    return { ok: false, status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: `unsupported Content-Encoding ${encoding.slice(0, 40)}` };
  }
  if (request.body === null) return { ok: true, bytes: new Uint8Array(0) };
  const raw = await readCapped(request.body, MAX_UPLOAD_PACK_REQUEST);
  if (raw === null) return tooLarge;
  if (encoding === "identity") return { ok: true, bytes: raw };
  try {
    const unzipped = await readCapped(new Blob([raw as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")), MAX_UPLOAD_PACK_REQUEST);
    return unzipped === null ? tooLarge : { ok: true, bytes: unzipped };
  } catch {
    return { ok: false, status: 400, code: "BAD_REQUEST", message: "the request body is not valid gzip" };
  }
}

/** All of `stream`, or null (and the stream cancelled) once it passes `max` bytes. */
async function readCapped(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array | null> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(parts);
    total += value.length;
    if (total > max) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
}

/**
 * A pull-driven stream: the next piece is made only when the client has taken the previous one. `onClose` runs once the
 * stream ends, fails or is cancelled (the client went away), before the generator is returned.
 */
export function streamOf(pieces: AsyncGenerator<Uint8Array>, onClose: () => void = () => undefined): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await pieces.next();
      } catch (error) {
        onClose();
        throw error;
      }
      if (next.done === true) {
        onClose();
        controller.close();
      } else controller.enqueue(next.value);
    },
    async cancel() {
      onClose();
      await pieces.return(undefined);
    },
  });
}
