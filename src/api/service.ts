/**
 * What the coordinator offers participants, verifiers, admins and the public: the narrow port the HTTP routes call
 * and the in-process participant calls, implemented by the shell (server/service.ts). Every method names who asks;
 * the routes have authenticated them.
 */
import type { CeremonyEvent, ParticipantId } from "../core/model.ts";
import type { Instruction, VerificationTask } from "../core/views.ts";
import type { Receipt } from "../transcript/receipt.ts";
import type { AdminAction, CeremonyInfo, Parent, Status, Uploaded, Verdict } from "./schemas.ts";

export interface FileStream {
  stream: ReadableStream<Uint8Array>;
  size: number;
}

export interface CeremonyService {
  info(): CeremonyInfo;
  status(): Status;
  receipts(participant: ParticipantId): Promise<Receipt[]>;
  /** A chunk file by hash, streamed; null when there is none. */
  artifact(hash: string): Promise<FileStream | null>;
  /** The published .ptau and its hash, once finalized. */
  finalPtau(): Promise<FileStream & { hash: string }>;

  join(participant: ParticipantId, role: "contributor" | "verifier"): Promise<Instruction>;
  leave(participant: ParticipantId): Promise<void>;
  heartbeat(participant: ParticipantId): Instruction;
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

  admin(actor: ParticipantId, action: AdminAction, body: { participant?: string; reason?: string; beacon?: string; numIterationsExp?: number }): Promise<CeremonyEvent[]>;
}
