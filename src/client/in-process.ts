/**
 * The participant interface in the coordinator's own process: the same service the HTTP routes call, with errors
 * turned into ClientErrors by the same status table, so the contributor loop cannot tell the difference.
 */
import { classify } from "../api/errors.ts";
import type { CeremonyInfo, IdentityProof, Parent, Uploaded } from "../api/schemas.ts";
import type { CeremonyService } from "../api/service.ts";
import { bodyHash } from "../auth/sign.ts";
import type { Instruction } from "../core/views.ts";
import type { Receipt } from "../transcript/receipt.ts";
import { ClientError } from "./errors.ts";
import type { ParticipantApi } from "./participant.ts";

async function mapped<T>(call: () => Promise<T> | T): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const known = classify(err);
    if (known) throw new ClientError(known.status, known.code, known.message);
    throw err;
  }
}

export class InProcessParticipant implements ParticipantApi {
  constructor(
    private readonly service: CeremonyService,
    readonly id: string,
  ) {}

  ceremony(): Promise<CeremonyInfo> {
    return mapped(() => this.service.info());
  }
  join(proof?: IdentityProof): Promise<Instruction> {
    return mapped(() => this.service.join(this.id, "contributor", proof));
  }
  leave(): Promise<void> {
    return mapped(() => this.service.leave(this.id));
  }
  heartbeat(): Promise<Instruction> {
    return mapped(() => this.service.heartbeat(this.id));
  }
  instruction(): Promise<Instruction> {
    return mapped(() => this.service.instruction(this.id));
  }
  acknowledge(id: string): Promise<Instruction> {
    return mapped(() => this.service.acknowledge(this.id, id));
  }
  lock(chunk: number): Promise<Instruction> {
    return mapped(() => this.service.lock(this.id, chunk));
  }
  parent(chunk: number): Promise<Parent> {
    return mapped(() => this.service.parent(this.id, chunk));
  }
  artifact(hash: string): Promise<Uint8Array> {
    return mapped(async () => {
      const file = await this.service.artifact(hash);
      if (!file) throw new ClientError(404, "NOT_FOUND", `no artifact ${hash.slice(0, 16)}…`);
      return new Uint8Array(await new Response(file.stream).arrayBuffer());
    });
  }
  upload(chunk: number, bytes: Uint8Array): Promise<Uploaded> {
    return mapped(() => this.service.upload(this.id, chunk, bytes, bodyHash(bytes)));
  }
  receipts(): Promise<Receipt[]> {
    return mapped(() => this.service.receipts(this.id));
  }
}
