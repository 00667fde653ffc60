/** Every refusal of the ceremony core, with a stable code. The HTTP status of each lives in one place: server/errors.ts. */
export const DOMAIN_ERROR_CODES = [
  "NOT_INITIALIZED",
  "ALREADY_INITIALIZED",
  "CEREMONY_FINALIZED",
  "QUEUE_CLOSED",
  "BANNED",
  "ALREADY_QUEUED",
  "ALREADY_IN_ROUND",
  "NOT_QUEUED",
  "NO_ACTIVE_ROUND",
  "NOT_IN_ROUND",
  "WRONG_ROUND",
  "CHUNK_OUT_OF_RANGE",
  "NOT_YOUR_TURN",
  "CHUNK_LOCKED",
  "LOCK_LIMIT_REACHED",
  "LOCK_NOT_HELD",
  "ALREADY_CONTRIBUTED",
  "NOT_A_VERIFIER",
  "NOTHING_TO_VERIFY",
  "STALE_VERIFICATION",
  "ROUND_NOT_COMPLETE",
  "NOT_AN_ADMIN",
  "UNKNOWN_PARTICIPANT",
  "NOT_BANNED",
  "INVALID_COMMAND",
  "IDENTITY_REQUIRED",
  "UNKNOWN_INVITATION",
  "IDENTITY_IN_USE",
  "ALREADY_REGISTERED",
  "NOT_REGISTERED",
  "LAST_ADMIN",
  "LAST_VERIFIER",
  "NO_AGGREGATED_ROUND",
  "BEACON_INVALID",
  "MIRROR_FAULTY",
  "QUEUE_NOT_OPEN",
] as const;
export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "DomainError";
  }
}

export function refuse(code: DomainErrorCode, message: string): DomainError {
  return new DomainError(code, message);
}
