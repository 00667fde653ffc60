/**
 * What a contributor needs from the coordinator, one interface with two implementations: over HTTP (http.ts, the
 * CLI) and in-process (in-process.ts: the coordinator's replacement contributors and the simulation harness). The
 * contributor loop (contributor.ts) runs on either, so it exists once.
 */
import type { CeremonyInfo, IdentityProof, Parent, Uploaded } from "../api/schemas.ts";
import type { Instruction } from "../core/views.ts";
import type { Receipt } from "../transcript/receipt.ts";

export interface ParticipantApi {
  /** The participant's public key. */
  readonly id: string;
  ceremony(): Promise<CeremonyInfo>;
  /** Joins the queue as a contributor, with the identity proof the ceremony asks for (none in an open one). */
  join(proof?: IdentityProof): Promise<Instruction>;
  leave(): Promise<void>;
  heartbeat(): Promise<Instruction>;
  instruction(): Promise<Instruction>;
  acknowledge(id: string): Promise<Instruction>;
  lock(chunk: number): Promise<Instruction>;
  parent(chunk: number): Promise<Parent>;
  artifact(hash: string): Promise<Uint8Array>;
  upload(chunk: number, bytes: Uint8Array): Promise<Uploaded>;
  receipts(): Promise<Receipt[]>;
}
