/** valibot schemas of the logged events: the event log is a boundary, so replay validates every line's event. */
import * as v from "valibot";
import type { CeremonyEvent } from "./model.ts";

const id = v.string();
const hex = v.pipe(v.string(), v.regex(/^[0-9a-f]*$/));
const int = v.pipe(v.number(), v.integer(), v.minValue(0));
const beacon = v.object({ hash: hex, numIterationsExp: int });
const settings = v.object({
  ceremonyId: hex,
  power: int,
  chunkSize: int,
  numChunks: int,
  contributorsPerRound: int,
  lockLimit: int,
  roundStartWaitMs: int,
  heartbeatTimeoutMs: int,
  lockTimeoutMs: int,
  turnTimeoutMs: int,
  maxVerificationFailures: int,
  dropsBeforeBan: int,
  admins: v.array(id),
  coordinator: id,
  identity: v.picklist(["open", "token", "ethereum"]),
  contributionsPerIdentity: int,
});
const moment = v.nullable(int);
const imported = v.object({ file: hex, records: hex, contributions: int, keyIds: v.array(hex) });
const trust = <T extends string>(type: T) => v.object({ type: v.literal(type), participant: id, by: id });

const EventSchema = v.variant("type", [
  v.object({ type: v.literal("CeremonyInitialized"), settings, accumulator: v.array(hex), challenge: hex, imported: v.optional(imported) }),
  v.object({ type: v.literal("ParticipantQueued"), participant: id, at: int, identity: v.optional(v.string()) }),
  trust("VerifierAdded"),
  trust("VerifierRemoved"),
  trust("AdminAdded"),
  trust("AdminRemoved"),
  v.object({ type: v.literal("InvitationsIssued"), hashes: v.array(hex), by: id }),
  v.object({ type: v.literal("ParticipantLeftQueue"), participant: id }),
  v.object({ type: v.literal("RoundStarted"), round: int, contributors: v.array(id), startedAt: int }),
  v.object({ type: v.literal("ChunkLocked"), round: int, chunk: int, participant: id, at: int }),
  v.object({ type: v.literal("ContributionRecorded"), round: int, chunk: int, position: int, contributor: id, hash: hex, at: int }),
  v.object({
    type: v.literal("ContributionVerified"),
    round: int,
    chunk: int,
    position: int,
    verifier: id,
    hash: hex,
    at: int,
    nextChallenge: v.optional(hex),
    publicKeyId: v.optional(hex),
  }),
  v.object({ type: v.literal("ContributionRejected"), round: int, chunk: int, position: int, verifier: id, hash: hex, code: v.string(), at: int }),
  v.object({ type: v.literal("RoundAggregated"), round: int, accumulator: v.array(hex), challenge: hex }),
  v.object({ type: v.literal("FinalizationRequested"), beacon, by: id }),
  v.object({ type: v.literal("CeremonyFinalized"), hash: hex }),
  v.object({
    type: v.literal("ParticipantDropped"),
    participant: id,
    reason: v.string(),
    by: id,
    discarded: v.optional(v.array(v.object({ chunk: int, position: int, hash: hex }))),
  }),
  v.object({ type: v.literal("ReplacementRegistered"), participant: id, by: id }),
  v.object({ type: v.literal("ContributorReplaced"), round: int, position: int, dropped: id, replacement: id }),
  v.object({ type: v.literal("ParticipantBanned"), participant: id, reason: v.string(), by: id }),
  v.object({ type: v.literal("ParticipantUnbanned"), participant: id, by: id }),
  v.object({ type: v.literal("RoundRestarted"), round: int, reason: v.string(), requeued: v.array(id), by: id }),
  v.object({ type: v.literal("MirrorRegistered"), mirror: hex, url: v.string(), pop: hex, signature: hex, at: int }),
  v.object({ type: v.literal("MirrorAdmitted"), mirror: hex, by: id }),
  v.object({ type: v.literal("MirrorRetired"), mirror: hex, reason: v.string(), by: id }),
  v.object({ type: v.literal("EpochStarted"), epoch: int, members: v.array(hex), threshold: int }),
  v.object({
    type: v.literal("MirrorMisbehaved"),
    mirror: hex,
    code: v.picklist(["FALSE_STATEMENT", "EQUIVOCATION"]),
    statements: v.array(v.object({ message: hex, signature: hex })),
    by: id,
  }),
  v.object({ type: v.literal("QueueScheduled"), opensAt: moment, closesAt: moment, at: int, by: id }),
  v.object({ type: v.literal("QueueOpened"), at: int }),
  v.object({ type: v.literal("QueueClosed"), at: int }),
]);

export function parseEvent(input: unknown): CeremonyEvent {
  const r = v.safeParse(EventSchema, input);
  if (!r.success) throw new Error(`invalid event: ${v.summarize(r.issues)}`);
  return r.output satisfies CeremonyEvent;
}
