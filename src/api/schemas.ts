/**
 * The HTTP contract in valibot: the bodies the routes accept and the answers they give. The server validates
 * requests with these and types its answers by them; the client validates answers with the same schemas, so the
 * two cannot drift apart.
 */
import * as v from "valibot";
import type { Instruction, StatusView, VerificationTask } from "../core/views.ts";
import { MIRROR_URL } from "../core/mirrors.ts";
import { AnyHex, HashHex, hexSchema, KeyHex } from "../lib/hex.ts";
import type { RemoteStatus } from "../transcript/backup.ts";
import { ReceiptSchema } from "../transcript/receipt.ts";
import { IdentityProofSchema } from "../identity/schemas.ts";
import { AdminIdSchema } from "../auth/ethereum.ts";
import type { TranscriptStatus } from "../transcript/service.ts";

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const text = (max: number) => v.optional(v.pipe(v.string(), v.maxLength(max)), "");

// --- requests ---------------------------------------------------------------------------------------------------

/** A join: a contributor, with how it proves who it is when the ceremony admits by identity (serve --identity); or a trusted verifier checking in. */
export const JoinBody = v.object({ role: v.optional(v.picklist(["contributor", "verifier"]), "contributor"), proof: v.optional(IdentityProofSchema) });
export type { IdentityProof, SiweChallenge } from "../identity/schemas.ts";
export { SiweChallengeSchema } from "../identity/schemas.ts";
export const AckBody = v.object({ id: v.pipe(v.string(), v.maxLength(200)) });
export const VerdictBody = v.object({
  round: v.pipe(v.number(), v.integer(), v.minValue(1)),
  chunk: count,
  position: count,
  hash: HashHex,
  ok: v.boolean(),
  code: v.optional(v.pipe(v.string(), v.regex(/^[A-Z0-9_]{1,64}$/, "a rejection code is 1 to 64 of A-Z, 0-9 and _"))),
});
export type Verdict = v.InferOutput<typeof VerdictBody>;
export const ParticipantBody = v.object({ participant: KeyHex, reason: text(500) });
/** Adding or removing an admin: an ed25519 key or an Ethereum address (normalised to lowercase). */
export const AdminBody = v.object({ participant: AdminIdSchema, reason: text(500) });
export const ReasonBody = v.object({ reason: text(500) });
export const FinalizeBody = v.object({
  beacon: hexSchema([1, 64], "beacon must be 1..64 bytes of lowercase hex"),
  numIterationsExp: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(40)), 10),
});
/** Invitation tokens by their identity (the tagged hash, identity/tokens.ts): the coordinator never sees a token. */
export const InvitationsBody = v.object({ hashes: v.pipe(v.array(hexSchema(32)), v.minLength(1), v.maxLength(10_000)) });
export const ADMIN_ACTIONS = ["drop", "ban", "unban", "restart-round", "finalize", "add-verifier", "remove-verifier", "add-admin", "remove-admin", "invite"] as const;
export type AdminAction = (typeof ADMIN_ACTIONS)[number];

// --- answers ----------------------------------------------------------------------------------------------------

export const InstructionSchema = v.variant("kind", [
  v.object({ id: v.string(), kind: v.literal("wait"), reason: v.string(), stage: v.picklist(["setup", "queue", "round", "uploaded", "none"]) }),
  v.object({ id: v.string(), kind: v.literal("lock"), round: count, chunk: count }),
  v.object({ id: v.string(), kind: v.literal("contribute"), round: count, chunk: count, position: count, challenge: AnyHex }),
  v.object({ id: v.string(), kind: v.literal("done"), reason: v.string(), outcome: v.picklist(["contributed", "banned", "dropped", "finalized"]) }),
]) satisfies v.GenericSchema<Instruction>;
export const WithInstruction = v.object({ instruction: InstructionSchema });

export const CeremonyInfoSchema = v.object({
  ceremonyId: KeyHex,
  curve: v.literal("bn128"),
  power: count,
  chunkSize: count,
  numChunks: count,
  contributorsPerRound: count,
  lockLimit: count,
  /** A round contributor silent this long is dropped: clients check in well within it. */
  heartbeatTimeoutMs: count,
  coordinatorKey: KeyHex,
  /** How a contributor proves who it is when joining (absent from older coordinators: open). */
  identity: v.optional(v.picklist(["open", "token", "ethereum"]), "open"),
});
export type CeremonyInfo = v.InferOutput<typeof CeremonyInfoSchema>;

export const ParentSchema = v.object({ round: count, chunk: count, position: count, parentHash: HashHex });
export type Parent = v.InferOutput<typeof ParentSchema>;

export const UploadedSchema = v.object({ hash: HashHex, instruction: InstructionSchema });
export type Uploaded = v.InferOutput<typeof UploadedSchema>;

export const TaskSchema = v.object({
  round: count,
  chunk: count,
  position: count,
  contributor: v.string(),
  hash: HashHex,
  parentHash: HashHex,
  challenge: AnyHex,
  previousRecordChunk: v.nullable(HashHex),
  ownChunk0: v.nullable(HashHex),
  ownPreviousChunk: v.nullable(HashHex),
}) satisfies v.GenericSchema<VerificationTask>;
export const WithTask = v.object({ task: TaskSchema });

export const ReceiptsSchema = v.object({ receipts: v.array(ReceiptSchema) });

/**
 * One message of the live feed (GET /v1/events as Server-Sent Events, /v1/ws as a WebSocket): a committed event,
 * the lobby's length, or a reset (resumed from further back than the feed remembers: read the status again).
 */
export const LiveMessageSchema = v.variant("kind", [
  v.object({ id: count, kind: v.literal("event"), seq: count, event: v.looseObject({ type: v.string() }) }),
  v.object({ id: count, kind: v.literal("lobby"), seq: count, queued: count }),
  v.object({ id: count, kind: v.literal("reset"), seq: count }),
]);
export type LiveMessage = v.InferOutput<typeof LiveMessageSchema>;

/** A queued participant's place (1-based; null when not queued), the queue's length and an estimated wait. */
export const QueuePositionSchema = v.object({
  position: v.nullable(count),
  length: count,
  /** Full rounds ahead of the one this participant will be in. */
  roundsAhead: v.nullable(count),
  /** Estimated seconds until its round starts, from how long recent rounds took; null before any round finished. */
  etaSeconds: v.nullable(count),
});
export type QueuePosition = v.InferOutput<typeof QueuePositionSchema>;
export const QueuePageSchema = v.object({ length: count, offset: count, participants: v.array(v.string()) });
export type QueuePage = v.InferOutput<typeof QueuePageSchema>;
export const QueryPage = v.object({
  offset: v.optional(v.pipe(v.string(), v.regex(/^\d{1,9}$/), v.transform(Number)), "0"),
  limit: v.optional(v.pipe(v.string(), v.regex(/^\d{1,4}$/), v.transform(Number), v.minValue(1), v.maxValue(1000)), "100"),
});
export const OkSchema = v.object({ ok: v.literal(true) });
/** /readyz when the coordinator should get traffic (otherwise 503 UNREADY with the reason). */
export const ReadySchema = v.object({ ready: v.literal(true) });
/** Admin answers list the events the command made (their shapes are the core's; see the transcript's README). */
export const EventsSchema = v.object({ events: v.array(v.looseObject({ type: v.string() })) });

const nullableCount = v.nullable(count);
const RemoteStatusSchema = v.object({
  url: v.string(),
  lastAttempt: v.nullable(v.string()),
  lastSuccess: v.nullable(v.string()),
  lastError: v.nullable(v.string()),
  consecutiveFailures: count,
  pushedCommit: v.nullable(v.string()),
}) satisfies v.GenericSchema<RemoteStatus>;
export const TranscriptStatusSchema = v.object({
  clone: v.string(),
  head: v.nullable(v.string()),
  committedSeq: count,
  lag: count,
  lastError: v.nullable(v.string()),
  backups: v.array(RemoteStatusSchema),
}) satisfies v.GenericSchema<TranscriptStatus>;

/** A mirror's registration: its BLS key, where it serves its clone, its proof of possession, its signature over the registration. */
export const MirrorRegistrationBody = v.object({
  mirror: hexSchema(48),
  url: v.pipe(v.string(), v.regex(MIRROR_URL, "url must be an http(s) URL of at most 200 printable characters")),
  pop: hexSchema(96),
  signature: hexSchema(96),
});
export type MirrorRegistration = v.InferOutput<typeof MirrorRegistrationBody>;
/** A signed statement: the exact bytes (hex) and the mirror's BLS signature over them. */
export const MirrorStatementBody = v.object({ mirror: hexSchema(48), message: hexSchema([1, 512]), signature: hexSchema(96) });
export type MirrorStatement = v.InferOutput<typeof MirrorStatementBody>;
export const MirrorBody = v.object({ mirror: hexSchema(48), reason: text(500) });
export const StatementAnswerSchema = v.object({ certified: v.boolean() });

const nullableString = v.nullable(v.string());
/**
 * Certified mirrors in the status: the epoch; each member with the last head it signed and how many events it is
 * behind the latest signable head (lagging: behind and silent for a while); registrations waiting for an admin; the
 * latest certificate; certification latency (head published → certified); refusals no event records.
 */
export const MirrorsStatusSchema = v.object({
  epoch: count,
  threshold: count,
  members: v.array(
    v.object({
      key: v.string(),
      url: v.string(),
      faulty: v.boolean(),
      signedSeq: nullableCount,
      signedCommit: nullableString,
      signedAt: nullableString,
      behind: nullableCount,
      lagging: v.boolean(),
    }),
  ),
  waiting: v.array(v.string()),
  certified: v.nullable(v.object({ seq: count, commit: v.string(), epoch: count, signers: v.array(v.string()), at: nullableString })),
  head: v.nullable(v.object({ commit: v.string(), seq: count })),
  latency: v.object({ samples: count, lastMs: nullableCount, p50Ms: nullableCount, p90Ms: nullableCount, maxMs: nullableCount }),
  refusals: v.object({
    counts: v.record(v.string(), count),
    recent: v.array(v.object({ at: v.string(), code: v.string(), mirror: nullableString, message: v.string() })),
  }),
});
export type MirrorsStatus = v.InferOutput<typeof MirrorsStatusSchema>;

export const StatusSchema = v.object({
  phase: v.picklist(["setup", "waiting", "running", "finalizing", "finalized"]),
  ceremonyId: v.nullable(v.string()),
  power: nullableCount,
  chunkSize: nullableCount,
  numChunks: nullableCount,
  lastRound: count,
  queue: v.object({
    length: count,
    head: v.array(v.string()),
    status: v.picklist(["scheduled", "open", "closed"]),
    opensAt: v.nullable(v.string()),
    closesAt: v.nullable(v.string()),
  }),
  verifiers: count,
  replacements: count,
  banned: count,
  dropped: count,
  round: v.nullable(
    v.object({
      number: count,
      contributors: v.array(v.string()),
      startedAt: v.string(),
      chunks: v.array(v.object({ chunk: count, contributions: count, verified: count, lockedBy: v.nullable(v.string()) })),
      percentDone: count,
      complete: v.boolean(),
    }),
  ),
  finalHash: v.nullable(v.string()),
  beacon: v.nullable(v.object({ hash: v.string(), numIterationsExp: count })),
  transcript: v.nullable(TranscriptStatusSchema),
  mirrors: v.nullable(MirrorsStatusSchema),
  /** What the operator must look at (a scheduled finalization without a usable beacon…). */
  alerts: v.optional(v.array(v.string()), []),
  /** When the ceremony is scheduled to finalize (serve --finalize-at), or null. */
  finalizeAt: v.optional(v.nullable(v.string()), null),
}) satisfies v.GenericSchema<StatusView & { transcript: TranscriptStatus | null }>;
export type Status = v.InferOutput<typeof StatusSchema>;
