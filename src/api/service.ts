/**
 * What the coordinator offers participants, verifiers, admins and the public: the narrow port the HTTP routes call
 * and the in-process participant calls, implemented by the shell (server/service.ts). Every method names who asks;
 * the routes have authenticated them.
 */
import type { CeremonyEvent, ParticipantId } from "../core/model.ts";
import type { Instruction, VerificationTask } from "../core/views.ts";
import type { Receipt } from "../transcript/receipt.ts";
import type { AdminAction, CeremonyInfo, IdentityProof, LiveMessage, MirrorRegistration, MirrorsStatus, MirrorStatement, Parent, QueuePage, QueuePosition, SiweChallenge, Status, Uploaded, Verdict } from "./schemas.ts";

/** What admin actions carry: the participant (drop, ban, unban, add-/remove-verifier, add-/remove-admin), a reason, the beacon (finalize), invitation hashes (invite). */
export interface AdminBody {
  participant?: string;
  reason?: string;
  beacon?: string;
  numIterationsExp?: number;
  hashes?: string[];
}

export interface Subscription {
  close(): void;
}

/** A live-feed subscriber: takes a message (false when its queue is full), and is told when it is dropped. */
export interface Subscriber {
  deliver(message: LiveMessage): boolean;
  drop(reason: string): void;
}

export interface LiveSource {
  /** Joins the feed after message `since` (0: from now); null when the feed has as many subscribers as it takes. */
  subscribe(s: Subscriber, since: number): Subscription | null;
  /** Messages a subscriber may hold undelivered before it is dropped as too slow. */
  readonly perSubscriber: number;
}

export interface FileStream {
  stream: ReadableStream<Uint8Array>;
  size: number;
}

export interface CeremonyService {
  /** The live feed of what happens. */
  readonly live: LiveSource;
  info(): CeremonyInfo;
  status(): Status;
  /** The status as JSON, with an entity tag that changes whenever it does. */
  statusJson(): { json: string; etag: string };
  receipts(participant: ParticipantId): Promise<Receipt[]>;
  /** A chunk file by hash, streamed; null when there is none. */
  artifact(hash: string): Promise<FileStream | null>;
  /** The published .ptau and its hash, once finalized. */
  finalPtau(): Promise<FileStream & { hash: string }>;

  /** Whether the coordinator knows this key (queued, in the round, a verifier, an admin, its own): others may only join. */
  knows(participant: ParticipantId): boolean;
  /** Joins the queue (a contributor, proving its identity when the ceremony asks), or checks in as a trusted verifier. */
  join(participant: ParticipantId, role: "contributor" | "verifier", proof?: IdentityProof): Promise<Instruction>;
  /** A fresh nonce and what else a Sign-In with Ethereum message must name (ceremonies that admit by Ethereum). */
  siweChallenge(): SiweChallenge;
  leave(participant: ParticipantId): Promise<void>;
  heartbeat(participant: ParticipantId): Instruction;
  /** Where a queued participant stands, and an estimated wait. */
  queuePosition(participant: ParticipantId): QueuePosition;
  /** A page of the queue, in order. */
  queuePage(offset: number, limit: number): QueuePage;
  instruction(participant: ParticipantId): Instruction;
  /** The participant names the instruction it acts on; a stale id is refused (STALE_INSTRUCTION). */
  acknowledge(participant: ParticipantId, id: string): Instruction;
  lock(participant: ParticipantId, chunk: number): Promise<Instruction>;
  parent(participant: ParticipantId, chunk: number): Parent;
  /**
   * Stores an upload to a chunk this participant holds locked and records it. `declaredHash` is what the
   * participant signed: the body is hashed while stored, and kept only if it matches and has the chunk's size.
   */
  upload(participant: ParticipantId, chunk: number, body: ReadableStream<Uint8Array> | Uint8Array, declaredHash: string): Promise<Uploaded>;

  nextTask(verifier: ParticipantId): VerificationTask | null;
  verdict(verifier: ParticipantId, verdict: Verdict): Promise<void>;

  admin(actor: ParticipantId, action: AdminAction, body: AdminBody): Promise<CeremonyEvent[]>;

  /** Certified mirrors: a registration (proof of possession and signature checked), a signed statement, an admin's admission or retirement, and how they stand. */
  registerMirror(body: MirrorRegistration): Promise<CeremonyEvent[]>;
  submitStatement(body: MirrorStatement): Promise<{ certified: boolean }>;
  mirrorAdmin(actor: ParticipantId, action: "admit" | "retire", body: { mirror: string; reason: string }): Promise<CeremonyEvent[]>;
  mirrorsStatus(): MirrorsStatus;
}
