/** Refusals of the durable store, each with a stable code; plain I/O errors are not wrapped and propagate as they are. */
export const STORE_ERROR_CODES = [
  "SEQUENCE_CONFLICT",
  "LOG_CORRUPT",
  "LOG_UNAVAILABLE",
  "INVALID_HASH",
  "ARTIFACT_TOO_LARGE",
  "ARTIFACT_INCOMPLETE",
  "ARTIFACT_NOT_FOUND",
  "ARTIFACT_CORRUPT",
  "JSON_INVALID",
  "DISK_FULL",
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export abstract class StoreError extends Error {
  abstract readonly code: StoreErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An append named an expected sequence number that is no longer the log's last one. */
export class EventLogConflict extends StoreError {
  readonly code = "SEQUENCE_CONFLICT";
  constructor(
    readonly expectedSeq: number,
    readonly actualSeq: number,
  ) {
    super(`event log append expected seq ${expectedSeq}, but the log is at ${actualSeq}`);
  }
}

/** A line other than a torn tail failed its checks: the log is never replayed past it. */
export class EventLogCorrupt extends StoreError {
  readonly code = "LOG_CORRUPT";
  constructor(
    readonly path: string,
    readonly line: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`event log ${path} is corrupt at line ${line}: ${reason}`, options);
  }
}

/** The log was closed, or an earlier append failed part-way so its state on disk is known only after reopening. */
export class EventLogUnavailable extends StoreError {
  readonly code = "LOG_UNAVAILABLE";
}

export class InvalidArtifactHash extends StoreError {
  readonly code = "INVALID_HASH";
}

export class ArtifactTooLarge extends StoreError {
  readonly code = "ARTIFACT_TOO_LARGE";
}

export class ArtifactIncomplete extends StoreError {
  readonly code = "ARTIFACT_INCOMPLETE";
}

export class ArtifactNotFound extends StoreError {
  readonly code = "ARTIFACT_NOT_FOUND";
}

export class ArtifactCorrupt extends StoreError {
  readonly code = "ARTIFACT_CORRUPT";
}

export class JsonFileInvalid extends StoreError {
  readonly code = "JSON_INVALID";
  constructor(
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${path}: ${reason}`, options);
  }
}

/**
 * The filesystem is out of space or quota (ENOSPC, EDQUOT): nothing was written (an append is rolled back, a
 * temp file removed). Writes are refused until space returns; everything already written stays as it was.
 */
export class DiskFull extends StoreError {
  readonly code = "DISK_FULL";
  /** When a client should try again (the coordinator probes for space about this often). */
  readonly retryAfterMs = 5_000;
}
