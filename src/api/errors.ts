/**
 * The one place where error codes become HTTP statuses: the core's refusals, the API's own, authentication, bodies
 * and the artifact store. Every error response is {"error":{"code","message"}} (lib/error-body.ts); anything the
 * caller did wrong is a 4xx with a stable code; a 503 or 429 says when to retry.
 */
import type { Context } from "hono";
import { routePath } from "hono/route";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AuthFailureCode } from "../auth/sign.ts";
import type { BodyErrorCode } from "../auth/body.ts";
import { DomainError, type DomainErrorCode } from "../core/errors.ts";
import { errorBody } from "../lib/error-body.ts";
import type { Logger } from "../lib/log.ts";
import { StoreError, type StoreErrorCode } from "../store/errors.ts";
import type { MirrorErrorCode } from "../certificates/errors.ts";

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
  IDENTITY_REQUIRED: 401,
  UNKNOWN_INVITATION: 403,
  IDENTITY_IN_USE: 409,
  ALREADY_REGISTERED: 409,
  NOT_REGISTERED: 404,
  LAST_ADMIN: 409,
  LAST_VERIFIER: 409,
  NO_AGGREGATED_ROUND: 409,
  BEACON_INVALID: 400,
  MIRROR_FAULTY: 403,
  QUEUE_NOT_OPEN: 409,
};

/** Errors the API and the shell raise themselves (bad requests, missing things, shutting down). */
const API_STATUS = {
  BAD_REQUEST: 400,
  INVALID_BODY: 400,
  NOT_FOUND: 404,
  NOT_READY: 409,
  STALE_INSTRUCTION: 409,
  SHUTTING_DOWN: 503,
  RATE_LIMITED: 429,
  LIVE_FULL: 503,
  QUEUE_FULL: 429,
  MALFORMED_CHUNK: 400,
  // The chunk the upload builds on was replaced meanwhile (a drop, a replacement): the client asks again.
  PARENT_CHANGED: 409,
  // Admission (identity/): what a join's proof failed to establish.
  TOKEN_MALFORMED: 400,
  SIWE_MALFORMED: 400,
  SIWE_NONCE: 401,
  SIWE_BAD_SIGNATURE: 401,
  SIWE_EXPIRED: 401,
  SIWE_NOT_YET_VALID: 401,
  SIWE_WRONG_DOMAIN: 403,
  SIWE_WRONG_URI: 403,
  SIWE_WRONG_CHAIN: 403,
  SIWE_WRONG_CEREMONY: 403,
  SIWE_WRONG_KEY: 403,
  TOKEN_UNKNOWN: 403,
  NOT_ELIGIBLE: 403,
  ELIGIBILITY_UNAVAILABLE: 503,
  // Operations: /readyz while the coordinator should not get traffic; /metrics without the operator's token.
  UNREADY: 503,
  METRICS_UNAUTHORIZED: 401,
  // Serving (api/gates.ts): the coordinator is still opening its state, or serves a finalized ceremony only.
  STARTING: 503,
  READ_ONLY: 409,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ApiErrorCode = keyof typeof API_STATUS;

const AUTH_STATUS: Record<AuthFailureCode, ContentfulStatusCode> = {
  AUTH_MISSING: 401,
  AUTH_MALFORMED: 401,
  AUTH_STALE: 401,
  AUTH_BAD_SIGNATURE: 401,
  AUTH_REPLAYED: 401,
  AUTH_REPLAY_FULL: 503,
  AUTH_RATE_LIMITED: 429,
  AUTH_UNKNOWN_KEY: 403,
};

const BODY_STATUS: Record<BodyErrorCode, ContentfulStatusCode> = { BODY_TOO_LARGE: 413, BODY_HASH_MISMATCH: 400 };

/** Store refusals a request can cause; the others (a corrupt log, say) are the server's trouble: 500. */
const STORE_STATUS: Partial<Record<StoreErrorCode, ContentfulStatusCode>> = {
  INVALID_HASH: 404,
  ARTIFACT_TOO_LARGE: 413,
  ARTIFACT_INCOMPLETE: 400,
  ARTIFACT_NOT_FOUND: 404,
  // The coordinator's disk is full: a server-side condition that passes by itself; try again later (Retry-After).
  DISK_FULL: 503,
};

/** Mirrors' registrations and signed statements (certificates/errors.ts). */
const MIRROR_STATUS: Record<MirrorErrorCode, ContentfulStatusCode> = {
  MIRROR_BAD_STATEMENT: 400,
  MIRROR_WRONG_CEREMONY: 403,
  MIRROR_UNKNOWN: 403,
  MIRROR_BAD_SIGNATURE: 401,
  MIRROR_BAD_REGISTRATION: 401,
  MIRROR_REGISTRATIONS_FULL: 409,
  MIRROR_REPLAYED: 409,
  MIRROR_NOT_PUBLISHED: 409,
  MIRROR_EQUIVOCATION: 409,
  MIRROR_STALE: 409,
  MIRROR_NOT_SIGNABLE: 409,
  MIRROR_NOT_MEMBER: 403,
};

const STATUS: Record<string, ContentfulStatusCode> = { ...DOMAIN_STATUS, ...API_STATUS, ...AUTH_STATUS, ...BODY_STATUS, ...STORE_STATUS, ...MIRROR_STATUS };

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The HTTP status of a stable code, or null for a code that is not the caller's doing. */
export function statusOf(code: string): ContentfulStatusCode | null {
  return STATUS[code] ?? null;
}

/** The stable code of an error a request caused, with its status; null for anything else (a 500). */
export function classify(err: unknown): { code: string; status: ContentfulStatusCode; message: string } | null {
  if (!(err instanceof Error)) return null;
  const code = err instanceof DomainError || err instanceof ApiError || err instanceof StoreError ? err.code : (err as { code?: unknown }).code;
  if (typeof code !== "string") return null;
  const status = statusOf(code);
  return status === null ? null : { code, status, message: err.message };
}

/** A JSON error answer, with Retry-After (seconds, default 1) when the caller should simply try again. */
export function errorResponse(c: Context, code: string, message: string, status: ContentfulStatusCode, retryAfterMs = 1000): Response {
  if (status === 503 || status === 429) c.header("Retry-After", String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return c.json(errorBody(code, message), status);
}

/** Hono onError: coded errors become their status; anything else is a 500 without internals (logged, with its stack). */
export function handleError(err: Error, c: Context, log?: Logger): Response {
  const known = classify(err);
  const retryAfterMs = (err as { retryAfterMs?: unknown }).retryAfterMs;
  if (known) return errorResponse(c, known.code, known.message, known.status, typeof retryAfterMs === "number" ? retryAfterMs : undefined);
  const status = (err as { status?: unknown }).status;
  if (typeof status === "number" && status >= 400 && status < 500) return errorResponse(c, "BAD_REQUEST", err.message, status as ContentfulStatusCode);
  if (log) log.error(`internal error: ${err.message}`, { route: routePath(c), stack: err.stack ?? null });
  else console.error(`ceremony: internal error: ${err.stack ?? err.message}`);
  return c.json(errorBody("INTERNAL", "internal error"), 500);
}
