/**
 * The one place where error codes become HTTP statuses. Every error response is
 * {"error":{"code","message"}}; anything the caller did wrong is a 4xx with a stable code.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, type DomainErrorCode } from "../core/errors.ts";

const DOMAIN_STATUS: Record<DomainErrorCode, ContentfulStatusCode> = {
  NOT_INITIALIZED: 503,
  ALREADY_INITIALIZED: 409,
  CEREMONY_FINALIZED: 409,
  QUEUE_CLOSED: 409,
  BANNED: 403,
  ALREADY_QUEUED: 409,
  ALREADY_IN_ROUND: 409,
  NOT_QUEUED: 409,
  NO_ACTIVE_ROUND: 409,
  NOT_IN_ROUND: 403,
  WRONG_ROUND: 409,
  CHUNK_OUT_OF_RANGE: 404,
  NOT_YOUR_TURN: 409,
  CHUNK_LOCKED: 409,
  LOCK_LIMIT_REACHED: 429,
  LOCK_NOT_HELD: 409,
  ALREADY_CONTRIBUTED: 409,
  NOT_A_VERIFIER: 403,
  NOTHING_TO_VERIFY: 404,
  STALE_VERIFICATION: 409,
  ROUND_NOT_COMPLETE: 409,
  NOT_AN_ADMIN: 403,
  UNKNOWN_PARTICIPANT: 404,
  NOT_BANNED: 409,
  INVALID_COMMAND: 400,
};

/** Errors the shell raises itself (bad requests, missing things, upload problems). */
export const API_STATUS = {
  BAD_REQUEST: 400,
  INVALID_BODY: 400,
  NOT_FOUND: 404,
  ARTIFACT_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  ARTIFACT_INCOMPLETE: 400,
  BODY_HASH_MISMATCH: 400,
  NOT_READY: 409,
  STALE_INSTRUCTION: 409,
  SHUTTING_DOWN: 503,
  ARTIFACT_NOT_FOUND: 404,
  INVALID_HASH: 404,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ApiErrorCode = keyof typeof API_STATUS;

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/** Hono onError: domain and API errors become their status; anything else is a 500 without internals. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof DomainError) return c.json(errorBody(err.code, err.message), DOMAIN_STATUS[err.code]);
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), API_STATUS[err.code]);
  // Upload and store errors (auth/body.ts, store/) carry codes of their own.
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code in API_STATUS) return c.json(errorBody(code, err.message), API_STATUS[code as ApiErrorCode]);
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return c.json(errorBody("BAD_REQUEST", err.message), status as ContentfulStatusCode);
  }
  console.error(`ceremony: internal error: ${err.stack ?? err.message}`);
  return c.json(errorBody("INTERNAL", "internal error"), 500);
}

export function statusOfDomainCode(code: DomainErrorCode): ContentfulStatusCode {
  return DOMAIN_STATUS[code];
}
