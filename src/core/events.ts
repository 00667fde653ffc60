/** Events: past-tense facts; the log, and the transcript, are a sequence of these. */
import type { Beacon, ImportedPtau, MirrorKey, ParticipantId, Settings, SignedStatement } from "./model.ts";

export type CeremonyEvent =
  | {
      type: "CeremonyInitialized";
      settings: Settings;
      accumulator: string[];
      challenge: string;
      /** Started from an existing .ptau: its hash and its contribution records (absent: from the generators). */
      imported?: ImportedPtau;
    }
  | {
      type: "ParticipantQueued";
      participant: ParticipantId;
      at: number;
      /** The verified identity it joined with; absent in an open ceremony (the key is the identity). */
      identity?: string;
    }
  | { type: "VerifierAdded"; participant: ParticipantId; by: ParticipantId }
  | { type: "VerifierRemoved"; participant: ParticipantId; by: ParticipantId }
  | { type: "AdminAdded"; participant: ParticipantId; by: ParticipantId }
  | { type: "AdminRemoved"; participant: ParticipantId; by: ParticipantId }
  | { type: "InvitationsIssued"; hashes: string[]; by: ParticipantId }
  | { type: "ParticipantLeftQueue"; participant: ParticipantId }
  | { type: "RoundStarted"; round: number; contributors: ParticipantId[]; startedAt: number }
  | { type: "ChunkLocked"; round: number; chunk: number; participant: ParticipantId; at: number }
  | { type: "ContributionRecorded"; round: number; chunk: number; position: number; contributor: ParticipantId; hash: string; at: number }
  | {
      type: "ContributionVerified";
      round: number;
      chunk: number;
      position: number;
      verifier: ParticipantId;
      hash: string;
      at: number;
      /** Chunk 0, except the round's last position: the next position's challenge. */
      nextChallenge?: string;
      /** Chunk 0: the id of the contributor's public key. */
      publicKeyId?: string;
    }
  | { type: "ContributionRejected"; round: number; chunk: number; position: number; verifier: ParticipantId; hash: string; code: string; at: number }
  | { type: "RoundAggregated"; round: number; accumulator: string[]; challenge: string }
  | { type: "FinalizationRequested"; beacon: Beacon; by: ParticipantId }
  | { type: "CeremonyFinalized"; hash: string }
  | {
      type: "ParticipantDropped";
      participant: ParticipantId;
      reason: string;
      by: ParticipantId;
      /** Contributions of the current round removed with it: its own and every one built on them (kept in the transcript). */
      discarded?: Array<{ chunk: number; position: number; hash: string }>;
    }
  | { type: "ReplacementRegistered"; participant: ParticipantId; by: ParticipantId }
  | { type: "ContributorReplaced"; round: number; position: number; dropped: ParticipantId; replacement: ParticipantId }
  | { type: "ParticipantBanned"; participant: ParticipantId; reason: string; by: ParticipantId }
  | { type: "ParticipantUnbanned"; participant: ParticipantId; by: ParticipantId }
  | { type: "RoundRestarted"; round: number; reason: string; requeued: ParticipantId[]; by: ParticipantId }
  /** A mirror's key, where it serves the transcript, its proof of possession and its signature of the registration (both checked by the shell, again by the public verifier). */
  | { type: "MirrorRegistered"; mirror: MirrorKey; url: string; pop: string; signature: string; at: number }
  | { type: "MirrorAdmitted"; mirror: MirrorKey; by: ParticipantId }
  | { type: "MirrorRetired"; mirror: MirrorKey; reason: string; by: ParticipantId }
  /** Follows every membership change in the same command: the members and threshold certificates of this epoch need. */
  | { type: "EpochStarted"; epoch: number; members: MirrorKey[]; threshold: number }
  /** Evidence against a mirror: a statement no published commit bears out, or two for one sequence number. */
  | { type: "MirrorMisbehaved"; mirror: MirrorKey; code: MirrorFault; statements: SignedStatement[]; by: ParticipantId }
  /** The queue's schedule as of `at`: joins are accepted from opensAt until closesAt (null: no such moment). */
  | { type: "QueueScheduled"; opensAt: number | null; closesAt: number | null; at: number; by: ParticipantId }
  /** The schedule's opening time passed (the tick saw it at `at`). */
  | { type: "QueueOpened"; at: number }
  /** The schedule's closing time passed: no more joins; those already queued still get their rounds. */
  | { type: "QueueClosed"; at: number };

/** FALSE_STATEMENT: it signed a commit, tree, sequence number or epoch the coordinator never published together. EQUIVOCATION: two different trees for one sequence number, one of them never published. */
export type MirrorFault = "FALSE_STATEMENT" | "EQUIVOCATION";

export type EventType = CeremonyEvent["type"];
