/**
 * The ceremony's state, commands and events. State is a union keyed by phase; everything in it is plain JSON
 * (ids and hashes as hex strings), so that the event log alone rebuilds it.
 */

/** A participant is named by its ed25519 public key, hex. */
export type ParticipantId = string;
export type Role = "contributor" | "verifier" | "replacement";

export interface Settings {
  ceremonyId: string;
  power: number;
  chunkSize: number;
  numChunks: number;
  contributorsPerRound: number;
  /** How many chunks one participant may hold locked at once. */
  lockLimit: number;
  /** A round starts with fewer than contributorsPerRound once the first queued contributor has waited this long. */
  roundStartWaitMs: number;
  /** A round contributor silent this long (no heartbeat or request) is dropped. */
  heartbeatTimeoutMs: number;
  /** A lock held this long without an upload drops its holder. */
  lockTimeoutMs: number;
  /** Rejected uploads a contributor may make in a round before it is dropped. */
  maxVerificationFailures: number;
  /** Drops after which a participant is banned. */
  dropsBeforeBan: number;
  /** Participant ids allowed to run admin commands. */
  admins: ParticipantId[];
  /** The coordinator's own key: it signs receipts, its verifiers act as it, and it drops on timeouts. */
  coordinator: ParticipantId;
}

/** Fault-handling settings for callers that do not choose their own (tests, tools). */
export const DEFAULT_FAULT_SETTINGS = {
  heartbeatTimeoutMs: 60_000,
  lockTimeoutMs: 600_000,
  maxVerificationFailures: 3,
  dropsBeforeBan: 3,
} as const satisfies Partial<Settings>;

export interface Contribution {
  contributor: ParticipantId;
  /** Hex blake2b-512 of the uploaded chunk file. */
  hash: string;
  verified: boolean;
  verifier?: ParticipantId;
}

export interface ChunkProgress {
  lock: { holder: ParticipantId; since: number } | null;
  /** contributions[j]: the accepted upload of the round's contributor at position j, in order. */
  contributions: Contribution[];
}

export interface Round {
  number: number;
  contributors: ParticipantId[];
  startedAt: number;
  /** c_j for each position; null until position j−1's chunk 0 is verified. */
  challenges: Array<string | null>;
  chunks: ChunkProgress[];
}

export interface Beacon {
  /** Hex of the public random value. */
  hash: string;
  numIterationsExp: number;
}

export interface RoundSummary {
  number: number;
  contributors: ParticipantId[];
  /** c_j of each position. */
  challenges: string[];
  /** Hash of each position's verified chunk 0 (it carries the key and the record). */
  chunk0: string[];
  /** The round's last nextChallenge: the hash of its aggregate, and the next round's c_1. */
  aggregateChallenge: string;
}

export interface Base {
  settings: Settings;
  /** Contributors waiting for a round, first come first served. */
  queue: ParticipantId[];
  /** When each queued contributor joined (ms since the epoch). */
  queuedAt: Record<ParticipantId, number>;
  verifiers: ParticipantId[];
  banned: ParticipantId[];
  /** Number of the last aggregated round (0: the initial accumulator). */
  lastRound: number;
  /** Chunk hashes of the last aggregated accumulator, by chunk index. */
  accumulator: string[];
  /** The challenge the next round's first contributor is bound to. */
  challenge: string;
  /** Each aggregated round, in order (round 1 first): what its .ptau records are made from. */
  completedRounds: RoundSummary[];
  /** Coordinator-owned contributors that can take over a dropped contributor's position. */
  replacements: ParticipantId[];
  /** Rejected uploads of each contributor in the current round. */
  failures: Record<ParticipantId, number>;
  /** How often each participant was dropped. */
  drops: Record<ParticipantId, number>;
  /** Ids of the public keys of every chunk 0 ever verified (restarted rounds included): no key is accepted twice. */
  acceptedKeys: Record<string, true>;
}

export type CeremonyState =
  | { phase: "setup" }
  | ({ phase: "waiting" } & Base)
  | ({ phase: "running"; round: Round } & Base)
  | ({ phase: "finalizing"; round: Round | null; beacon: Beacon } & Base)
  | ({ phase: "finalized"; beacon: Beacon; finalHash: string } & Base);

export type Phase = CeremonyState["phase"];

/** What an accepted chunk 0 implies, computed by the shell from the chunk file and the position's challenge. */
export interface Chunk0Facts {
  /** The id of the contributor's public key (its proof of knowledge is in the file). */
  publicKeyId: string;
  /** The next position's challenge: the response hash chained with the chunk's hash. */
  nextChallenge: string;
}

/** Commands carry the time and the facts the shell established (hashes, verdicts); the core adds none. */
export type Command =
  | { type: "Initialize"; now: number; settings: Settings; accumulator: string[]; challenge: string }
  | { type: "JoinQueue"; now: number; participant: ParticipantId; role: Role }
  | { type: "LeaveQueue"; now: number; participant: ParticipantId }
  | {
      type: "Tick";
      now: number;
      /** When each participant was last heard from (the shell's heartbeats); without it, no timeout applies. */
      lastSeen?: Record<ParticipantId, number>;
      /** Who acts for the coordinator: automatic drops name it. */
      coordinator?: ParticipantId;
    }
  | { type: "LockChunk"; now: number; participant: ParticipantId; chunk: number }
  | { type: "RecordContribution"; now: number; participant: ParticipantId; chunk: number; hash: string }
  | {
      type: "RecordVerification";
      now: number;
      verifier: ParticipantId;
      round: number;
      chunk: number;
      position: number;
      hash: string;
      ok: boolean;
      /** Rejection code from the chunk verifier. */
      code?: string;
      /** Accepted chunk 0: facts the shell derived from the chunk file itself (never taken from a verifier). */
      chunk0?: Chunk0Facts;
    }
  | { type: "AggregateRound"; now: number; round: number; challenge: string }
  | { type: "Finalize"; now: number; actor: ParticipantId; beacon: Beacon }
  | { type: "RecordFinal"; now: number; hash: string }
  | { type: "Drop"; now: number; actor: ParticipantId; participant: ParticipantId; reason: string }
  | { type: "Ban"; now: number; actor: ParticipantId; participant: ParticipantId; reason: string }
  | { type: "Unban"; now: number; actor: ParticipantId; participant: ParticipantId }
  | { type: "RestartRound"; now: number; actor: ParticipantId; reason: string };

/** Past-tense facts; the log is a sequence of these. */
export type CeremonyEvent =
  | { type: "CeremonyInitialized"; settings: Settings; accumulator: string[]; challenge: string }
  | { type: "ParticipantQueued"; participant: ParticipantId; at: number }
  | { type: "VerifierRegistered"; participant: ParticipantId }
  | { type: "ParticipantLeftQueue"; participant: ParticipantId }
  | { type: "RoundStarted"; round: number; contributors: ParticipantId[]; startedAt: number }
  | { type: "ChunkLocked"; round: number; chunk: number; participant: ParticipantId; at: number }
  | { type: "ContributionRecorded"; round: number; chunk: number; position: number; contributor: ParticipantId; hash: string }
  | {
      type: "ContributionVerified";
      round: number;
      chunk: number;
      position: number;
      verifier: ParticipantId;
      hash: string;
      /** Chunk 0, except the round's last position: the next position's challenge. */
      nextChallenge?: string;
      /** Chunk 0: the id of the contributor's public key. */
      publicKeyId?: string;
    }
  | { type: "ContributionRejected"; round: number; chunk: number; position: number; verifier: ParticipantId; hash: string; code: string }
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
  | { type: "ReplacementRegistered"; participant: ParticipantId }
  | { type: "ContributorReplaced"; round: number; position: number; dropped: ParticipantId; replacement: ParticipantId }
  | { type: "ParticipantBanned"; participant: ParticipantId; reason: string; by: ParticipantId }
  | { type: "ParticipantUnbanned"; participant: ParticipantId; by: ParticipantId }
  | { type: "RoundRestarted"; round: number; reason: string; requeued: ParticipantId[]; by: ParticipantId };

export type EventType = CeremonyEvent["type"];
