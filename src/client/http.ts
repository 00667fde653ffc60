/**
 * The coordinator's HTTP API as a typed client: Hono's hc<AppType> over the signing, retrying fetch (transport.ts).
 * Every answer is validated with the schemas the server answers by (api/schemas.ts); every error answer becomes a
 * ClientError with the server's stable code.
 */
import { hc } from "hono/client";
import * as v from "valibot";
import type { AppType } from "../api/app.ts";
import {
  CeremonyInfoSchema,
  EventsSchema,
  OkSchema,
  ParentSchema,
  ReceiptsSchema,
  StatusSchema,
  UploadedSchema,
  WithInstruction,
  WithTask,
  type AdminAction,
  type CeremonyInfo,
  type IdentityProof,
  type Parent,
  type QueuePosition,
  QueuePositionSchema,
  type SiweChallenge,
  SiweChallengeSchema,
  type Status,
  type Uploaded,
  type Verdict,
} from "../api/schemas.ts";
import type { AdminBody } from "../api/service.ts";
import { bodyHash, BODY_HASH_HEADER, type RequestKey } from "../auth/sign.ts";
import type { Instruction, VerificationTask } from "../core/views.ts";
import type { Receipt } from "../transcript/receipt.ts";
import { ClientError } from "./errors.ts";
import type { ParticipantApi } from "./participant.ts";
import { ceremonyFetch, DEFAULT_RETRY, type RetryPolicy } from "./transport.ts";

const ErrorBody = v.object({ error: v.object({ code: v.string(), message: v.string() }) });

/** What the client reads of an answer (hc's typed responses are Responses narrowed by the route). */
export type Answer = Pick<Response, "ok" | "status" | "text" | "arrayBuffer">;

/** The answer's JSON, checked against `schema`; an error answer throws its code. */
export async function read<S extends v.GenericSchema>(res: Answer, schema: S): Promise<v.InferOutput<S>> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ClientError(res.status, "BAD_RESPONSE", `the coordinator answered ${res.status} with a body that is not JSON`);
  }
  if (!res.ok) {
    const e = v.safeParse(ErrorBody, json);
    if (e.success) throw new ClientError(res.status, e.output.error.code, e.output.error.message);
    throw new ClientError(res.status, "HTTP_ERROR", `the coordinator answered ${res.status}`);
  }
  const r = v.safeParse(schema, json);
  if (!r.success) throw new ClientError(res.status, "BAD_RESPONSE", `unexpected answer: ${v.summarize(r.issues)}`);
  return r.output;
}

async function bytesOf(res: Answer): Promise<Uint8Array> {
  if (!res.ok) await read(res, v.unknown());
  return new Uint8Array(await res.arrayBuffer());
}

const k = (chunk: number) => ({ param: { k: String(chunk) } });

export class CeremonyClient implements ParticipantApi {
  /** Unsigned calls (public routes) and signed ones, on the same base URL. */
  private readonly open: ReturnType<typeof hc<AppType>>;
  private readonly signed: ReturnType<typeof hc<AppType>>;

  constructor(
    url: string,
    private readonly key: RequestKey | null,
    retry: RetryPolicy = DEFAULT_RETRY,
    fetchImpl: typeof fetch = fetch,
  ) {
    const base = url.replace(/\/+$/, "");
    this.open = hc<AppType>(base, { fetch: ceremonyFetch(null, retry, fetchImpl) });
    const signer = key ? { key, ceremony: () => this.ceremonyId() } : null;
    this.signed = hc<AppType>(base, { fetch: ceremonyFetch(signer, retry, fetchImpl) });
  }

  private idOnce: Promise<string> | null = null;

  /** The ceremony's id, which every signature names; asked once. */
  private ceremonyId(): Promise<string> {
    this.idOnce ??= this.ceremony().then((info) => info.ceremonyId);
    this.idOnce.catch(() => (this.idOnce = null));
    return this.idOnce;
  }

  get id(): string {
    if (!this.key) throw new ClientError(0, "NO_KEY", "this request needs a participant key");
    return "publicKey" in this.key ? this.key.publicKey : this.key.address.toLowerCase();
  }

  private get api(): ReturnType<typeof hc<AppType>> {
    if (!this.key) throw new ClientError(0, "NO_KEY", "this request needs a participant key");
    return this.signed;
  }

  async ceremony(): Promise<CeremonyInfo> {
    return read(await this.open.v1.ceremony.$get(), CeremonyInfoSchema);
  }
  async status(): Promise<Status> {
    return read(await this.open.v1.status.$get(), StatusSchema);
  }
  async join(proof?: IdentityProof): Promise<Instruction> {
    return (await read(await this.api.v1.queue.join.$post({ json: { role: "contributor", ...(proof ? { proof } : {}) } }), WithInstruction)).instruction;
  }
  /** A fresh Sign-In with Ethereum challenge (a nonce, and what the message must name). */
  async siweChallenge(): Promise<SiweChallenge> {
    return read(await this.api.v1.identity.challenge.$post(), SiweChallengeSchema);
  }
  /** A trusted verifier checks in (keys the operator or an admin did not add are refused: NOT_A_VERIFIER). */
  async checkInAsVerifier(): Promise<Instruction> {
    return (await read(await this.api.v1.queue.join.$post({ json: { role: "verifier" } }), WithInstruction)).instruction;
  }
  async leave(): Promise<void> {
    await read(await this.api.v1.queue.leave.$post(), OkSchema);
  }
  /** This participant's place in the queue, how many rounds are ahead, and an estimated wait. */
  async queuePosition(): Promise<QueuePosition> {
    return read(await this.api.v1.queue.position.$get(), QueuePositionSchema);
  }
  async heartbeat(): Promise<Instruction> {
    return (await read(await this.api.v1.heartbeat.$post(), WithInstruction)).instruction;
  }
  async instruction(): Promise<Instruction> {
    return (await read(await this.api.v1.instructions.$get(), WithInstruction)).instruction;
  }
  async acknowledge(id: string): Promise<Instruction> {
    return (await read(await this.api.v1.instructions.ack.$post({ json: { id } }), WithInstruction)).instruction;
  }
  async lock(chunk: number): Promise<Instruction> {
    return (await read(await this.api.v1.chunks[":k"].lock.$post(k(chunk)), WithInstruction)).instruction;
  }
  async parent(chunk: number): Promise<Parent> {
    return read(await this.api.v1.chunks[":k"].parent.$get(k(chunk)), ParentSchema);
  }
  /** Downloads an artifact; the caller checks its hash. */
  async artifact(hash: string): Promise<Uint8Array> {
    return bytesOf(await this.open.v1.artifacts[":hash"].$get({ param: { hash } }));
  }
  /** Uploads a contribution: the signature covers the body's hash, sent before the body. */
  async upload(chunk: number, bytes: Uint8Array): Promise<Uploaded> {
    const headers = { "content-type": "application/octet-stream", [BODY_HASH_HEADER]: bodyHash(bytes) };
    return read(await this.api.v1.chunks[":k"].contribution.$post(k(chunk), { headers, init: { body: bytes as Uint8Array<ArrayBuffer> } }), UploadedSchema);
  }
  async nextTask(): Promise<VerificationTask | null> {
    const res = await this.api.v1.verifications.next.$get();
    return res.status === 204 ? null : (await read(res, WithTask)).task;
  }
  async submitVerdict(task: VerificationTask, verdict: { ok: boolean; code?: string }): Promise<void> {
    const { round, chunk, position, hash } = task;
    const json: Verdict = { round, chunk, position, hash, ok: verdict.ok, ...(verdict.code ? { code: verdict.code } : {}) };
    await read(await this.api.v1.verifications.$post({ json }), OkSchema);
  }
  /** The coordinator's signed receipts for this participant (checked against the schema, not yet the signature). */
  async receipts(): Promise<Receipt[]> {
    return (await read(await this.open.v1.receipts[":participant"].$get({ param: { participant: this.id } }), ReceiptsSchema)).receipts;
  }
  async finalPtau(): Promise<Uint8Array> {
    return bytesOf(await this.open.v1.ceremony["final.ptau"].$get());
  }
  async admin(action: AdminAction, body: AdminBody): Promise<v.InferOutput<typeof EventsSchema>> {
    const a = this.api.v1.admin;
    const participant = { participant: body.participant ?? "", reason: body.reason ?? "" };
    const reason = { reason: body.reason ?? "" };
    const answers: Record<AdminAction, () => Promise<Answer>> = {
      drop: () => a.drop.$post({ json: participant }),
      ban: () => a.ban.$post({ json: participant }),
      unban: () => a.unban.$post({ json: participant }),
      "restart-round": () => a["restart-round"].$post({ json: reason }),
      finalize: () => a.finalize.$post({ json: { beacon: body.beacon ?? "", numIterationsExp: body.numIterationsExp ?? 10 } }),
      "add-verifier": () => a.verifiers.add.$post({ json: participant }),
      "remove-verifier": () => a.verifiers.remove.$post({ json: participant }),
      "add-admin": () => a.admins.add.$post({ json: participant }),
      "remove-admin": () => a.admins.remove.$post({ json: participant }),
      invite: () => a.invitations.$post({ json: { hashes: body.hashes ?? [] } }),
    };
    return read(await answers[action](), EventsSchema);
  }
}
