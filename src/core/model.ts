/**
 * The ceremony's state, commands and events. State is a union keyed by phase; ids and hashes are hex strings, and
 * the event log alone rebuilds it.
 */
import type { Map as ImmutableMap, OrderedMap, Set as ImmutableSet } from "immutable";

/** A participant is named by its ed25519 public key, hex. */
export type ParticipantId = string;
export type Role = "contributor";
/** How participants are admitted (see the README's trust model). */
export type IdentityKind = "open" | "token" | "ethereum";

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
  /** A round contributor whose next chunk is free to lock and who does not lock it this long is dropped. */
  turnTimeoutMs: number;
  /** The admins at the start (admins may add and remove admins later; never the last one). */
  admins: ParticipantId[];
  /** The coordinator's own key: it signs receipts, its verifiers act as it, and it drops on timeouts. */
  coordinator: ParticipantId;
  /** How participants prove who they are when they join. */
  identity: IdentityKind;
  /** Accepted contributions one identity may make in the ceremony. */
  contributionsPerIdentity: number;
}

/** Fault-handling settings for callers that do not choose their own (tests, tools). */
export const DEFAULT_FAULT_SETTINGS = {
  heartbeatTimeoutMs: 60_000,
  lockTimeoutMs: 600_000,
  turnTimeoutMs: 600_000,
  maxVerificationFailures: 3,
  dropsBeforeBan: 3,
} as const satisfies Partial<Settings>;

/** Admission settings for callers that do not choose their own (tests, tools): anyone, once. */
export const OPEN_ADMISSION = { identity: "open", contributionsPerIdentity: 1 } as const satisfies Partial<Settings>;

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
  /** For each position, when it last moved or was let move (its lock, upload or rejection, or the verification of the chunk it waited for): the turn timeout counts from here. */
  turnSince: number[];
}

/**
 * Whether joins are accepted: `scheduled` before the queue's opening time, `open`, or `closed` after its closing
 * time (the operator's schedule, recorded as QueueScheduled; the tick opens and closes it as time passes).
 */
export type QueueStatus = "scheduled" | "open" | "closed";

/** When the queue opens and closes (ms since the epoch); null: no such moment. */
export interface QueueSchedule {
  opensAt: number | null;
  closesAt: number | null;
}

/** A ceremony started from an existing .ptau (serve --import): what the transcript records of that file. */
export interface ImportedPtau {
  /** Hex blake2b-512 of the imported .ptau file, as read. */
  file: string;
  /** The artifact holding its contribution records (the body of the .ptau's section 7): they stay in the final file. */
  records: string;
  /** How many contributions the imported file records. */
  contributions: number;
  /** Ids of those contributions' public keys: none of them is accepted again. */
  keyIds: string[];
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

/** A mirror is named by its BLS12-381 public key (48 bytes compressed, 96 hex). */
export type MirrorKey = string;

/** The mirrors whose signatures a certificate needs: fixed for an epoch, so a certificate stays valid under its epoch. */
export interface MirrorEpoch {
  number: number;
  /** Members in the order they were admitted. */
  members: MirrorKey[];
  /** Signatures a certificate needs (0 while there are no members). */
  threshold: number;
}

/** Certified mirrors: who registered (with the proof of possession the shell verified), who is in, which epoch runs. */
export interface Mirrors {
  registered: ReadonlyArray<{ key: MirrorKey; url: string }>;
  /** The membership now; the epoch takes it over when it starts (in the same command as the change). */
  members: MirrorKey[];
  epoch: MirrorEpoch;
  /** Mirrors recorded as signing falsely or equivocating: their signatures no longer count. */
  faulty: MirrorKey[];
}

/**
 * What every phase after setup shares. Collections that grow with the number of participants are persistent
 * (immutable.js): evolve returns a new state in O(log n) per event, sharing everything it did not change, so the
 * core stays pure and a lobby of 100,000 costs the same per join as a lobby of ten.
 */
export interface Base {
  settings: Settings;
  /** Keys allowed to run admin commands. */
  admins: ParticipantId[];
  /** Contributors carried over from a restarted round: they go first. Each with when it joined. */
  front: OrderedMap<ParticipantId, number>;
  /** Contributors waiting for a round, first come first served (after `front`), with when each joined. */
  queue: OrderedMap<ParticipantId, number>;
  verifiers: ParticipantId[];
  banned: ImmutableSet<ParticipantId>;
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
  drops: ImmutableMap<ParticipantId, number>;
  /** Ids of the public keys of every chunk 0 ever verified (restarted rounds included): no key is accepted twice. */
  acceptedKeys: ImmutableSet<string>;
  /** The identity each queued or round participant joined with (`token:<hash>`, `eth:<address>`). */
  identityOf: ImmutableMap<ParticipantId, string>;
  /** Who holds each identity now (queued or in the round). */
  holders: ImmutableMap<string, ParticipantId>;
  /** Accepted contributions (rounds aggregated with them) of each identity and each key (`key:<key>`). */
  contributions: ImmutableMap<string, number>;
  /** The round each participant's contribution was aggregated in. */
  contributedIn: ImmutableMap<ParticipantId, number>;
  /** Identities (tagged hashes) of the invitation tokens admins issued; the tokens themselves are never stored. */
  invitations: ImmutableSet<string>;
  /** Certified mirrors and their epochs (see core/mirrors.ts). */
  mirrors: Mirrors;
  /** Whether joins are accepted now, and the schedule that opens and closes the queue. */
  queueStatus: QueueStatus;
  schedule: QueueSchedule;
  /** The .ptau the ceremony started from, if it was imported. */
  imported: ImportedPtau | null;
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

/** A statement a mirror signed and the signature, as evidence (hex of the exact bytes signed; hex of the BLS signature). */
export interface SignedStatement {
  message: string;
  signature: string;
}

export type { Command } from "./commands.ts";
export type { CeremonyEvent, EventType } from "./events.ts";
