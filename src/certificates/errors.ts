/** Why the coordinator refuses a mirror's registration or statement: stable codes (their HTTP statuses: api/errors.ts). */
export const MIRROR_ERROR_CODES = [
  /** The message is not a canonical statement (certificates/statement.ts). */
  "MIRROR_BAD_STATEMENT",
  /** A statement for another ceremony: a replay from elsewhere, or a mirror pointed at the wrong coordinator. */
  "MIRROR_WRONG_CEREMONY",
  /** No mirror registered this key. */
  "MIRROR_UNKNOWN",
  /** The signature is not the key's over the message. */
  "MIRROR_BAD_SIGNATURE",
  /** A registration whose proof of possession or signature does not verify. */
  "MIRROR_BAD_REGISTRATION",
  /** Too many registrations wait for an admin. */
  "MIRROR_REGISTRATIONS_FULL",
  /** The same statement from the same mirror, again. */
  "MIRROR_REPLAYED",
  /** A statement about a commit, tree, sequence number or epoch the coordinator never published together (recorded). */
  "MIRROR_NOT_PUBLISHED",
  /** A second tree for a sequence number the mirror already signed, one of them never published (recorded, with both). */
  "MIRROR_EQUIVOCATION",
  /** The head is at or behind the latest certified one, or older than the coordinator still tracks. */
  "MIRROR_STALE",
  /** A commit that only adds certificates: nobody signs those. */
  "MIRROR_NOT_SIGNABLE",
  /** The mirror is not a member of the epoch the statement names. */
  "MIRROR_NOT_MEMBER",
] as const;
export type MirrorErrorCode = (typeof MIRROR_ERROR_CODES)[number];

export class MirrorRefusal extends Error {
  constructor(
    readonly code: MirrorErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "MirrorRefusal";
  }
}
