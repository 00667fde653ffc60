/**
 * The participant's HTTP client: every call signed with the participant key, every answer validated, every error
 * answer turned into a ClientError carrying the server's stable code.
 */
import * as v from "valibot";
import type { VerificationTask } from "../core/views.ts";
import type { ParticipantKey } from "../auth/keys.ts";
import { bodyHash, signRequest } from "../auth/sign.ts";
import { ReceiptSchema, type Receipt } from "../transcript/receipt.ts";

export class ClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ClientError";
  }
}

const ErrorBody = v.object({ error: v.object({ code: v.string(), message: v.string() }) });

const InstructionSchema = v.variant("kind", [
  v.object({ id: v.string(), kind: v.literal("wait"), reason: v.string() }),
  v.object({ id: v.string(), kind: v.literal("lock"), round: v.number(), chunk: v.number() }),
  v.object({ id: v.string(), kind: v.literal("contribute"), round: v.number(), chunk: v.number(), position: v.number(), challenge: v.string() }),
  v.object({ id: v.string(), kind: v.literal("done"), reason: v.string() }),
]);
export type ClientInstruction = v.InferOutput<typeof InstructionSchema>;
const WithInstruction = v.object({ instruction: InstructionSchema });

const CeremonyInfo = v.object({
  ceremonyId: v.string(),
  curve: v.string(),
  power: v.number(),
  chunkSize: v.number(),
  numChunks: v.number(),
  contributorsPerRound: v.number(),
  lockLimit: v.number(),
  coordinatorKey: v.string(),
});
export type CeremonyInfo = v.InferOutput<typeof CeremonyInfo>;

const Parent = v.object({ round: v.number(), chunk: v.number(), position: v.number(), parentHash: v.string() });
const Uploaded = v.object({ hash: v.string(), instruction: InstructionSchema });
const TaskSchema = v.object({
  task: v.object({
    round: v.number(),
    chunk: v.number(),
    position: v.number(),
    contributor: v.string(),
    hash: v.string(),
    parentHash: v.string(),
    challenge: v.string(),
    previousRecordChunk: v.nullable(v.string()),
    ownChunk0: v.nullable(v.string()),
    ownPreviousChunk: v.nullable(v.string()),
  }),
});
const Anything = v.unknown();

export interface RetryOptions {
  /** Keep retrying an unreachable or restarting coordinator this long before giving up (ms). */
  giveUpAfterMs: number;
  /** First backoff; it doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  onRetry?: (message: string) => void;
}

const DEFAULT_RETRY: RetryOptions = { giveUpAfterMs: 5 * 60_000, backoffMs: 250, maxBackoffMs: 5_000 };

export class CeremonyClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly key: ParticipantKey | null,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
  ) {
    this.base = url.replace(/\/+$/, "");
  }

  /**
   * Sends a request and reads its answer, retrying with backoff while the coordinator is unreachable or restarting
   * (network errors, also mid-answer, and 502/503/504). `build` runs for every attempt, so signed requests get a
   * fresh timestamp and nonce. A retried request the coordinator had already applied is refused with a 4xx code
   * (409 and the like), which the commands handle by asking for their current instruction.
   */
  private async send(build: () => { path: string; init: RequestInit }): Promise<Response> {
    const start = Date.now();
    let wait = this.retry.backoffMs;
    for (;;) {
      const { path, init } = build();
      let problem: string;
      try {
        const res = await this.fetchImpl(`${this.base}${path}`, init);
        if (res.status !== 502 && res.status !== 503 && res.status !== 504) {
          // The body is read inside the attempt: a connection reset half-way through an answer is retried too.
          const bytes = new Uint8Array(await res.arrayBuffer());
          return new Response(bytes.length > 0 ? bytes : null, { status: res.status, headers: res.headers });
        }
        problem = `the coordinator answered ${res.status}`;
        await res.body?.cancel();
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() - start + wait > this.retry.giveUpAfterMs) {
        throw new ClientError(0, "COORDINATOR_UNREACHABLE", `gave up after ${Math.round((Date.now() - start) / 1000)} s: ${problem}`);
      }
      this.retry.onRetry?.(`${problem}; retrying in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, this.retry.maxBackoffMs);
    }
  }

  get participant(): string | null {
    return this.key?.publicKey ?? null;
  }

  private async call<S extends v.GenericSchema>(method: string, path: string, schema: S, json?: unknown, signed = true): Promise<v.InferOutput<S>> {
    const body = json === undefined ? undefined : new TextEncoder().encode(JSON.stringify(json));
    if (signed && !this.key) throw new ClientError(0, "NO_KEY", "this request needs a participant key");
    const res = await this.send(() => {
      const headers: Record<string, string> = body ? { "content-type": "application/json" } : {};
      if (signed && this.key) Object.assign(headers, signRequest(this.key, { method, path, body: body ?? new Uint8Array(0) }));
      return { path, init: { method, headers, ...(body ? { body } : {}) } };
    });
    return this.read(res, schema);
  }

  private async read<S extends v.GenericSchema>(res: Response, schema: S): Promise<v.InferOutput<S>> {
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

  ceremony(): Promise<CeremonyInfo> {
    return this.call("GET", "/v1/ceremony", CeremonyInfo, undefined, false);
  }
  status(): Promise<unknown> {
    return this.call("GET", "/v1/status", Anything, undefined, false);
  }
  async join(role: "contributor" | "verifier" = "contributor"): Promise<ClientInstruction> {
    return (await this.call("POST", "/v1/queue/join", WithInstruction, { role })).instruction;
  }
  async leave(): Promise<void> {
    await this.call("POST", "/v1/queue/leave", Anything, {});
  }
  async heartbeat(): Promise<ClientInstruction> {
    return (await this.call("POST", "/v1/heartbeat", WithInstruction, {})).instruction;
  }
  async instruction(): Promise<ClientInstruction> {
    return (await this.call("GET", "/v1/instructions", WithInstruction)).instruction;
  }
  async acknowledge(id: string): Promise<ClientInstruction> {
    return (await this.call("POST", "/v1/instructions/ack", WithInstruction, { id })).instruction;
  }
  async lock(chunk: number): Promise<ClientInstruction> {
    return (await this.call("POST", `/v1/chunks/${chunk}/lock`, WithInstruction, {})).instruction;
  }
  parent(chunk: number): Promise<v.InferOutput<typeof Parent>> {
    return this.call("GET", `/v1/chunks/${chunk}/parent`, Parent);
  }

  /** Downloads an artifact; the caller checks its hash. */
  async artifact(hash: string): Promise<Uint8Array> {
    const res = await this.send(() => ({ path: `/v1/artifacts/${hash}`, init: {} }));
    if (!res.ok) await this.read(res, Anything);
    return new Uint8Array(await res.arrayBuffer());
  }

  /** Uploads a contribution: the signature covers the body's hash, sent before the body. */
  async upload(chunk: number, bytes: Uint8Array): Promise<v.InferOutput<typeof Uploaded>> {
    if (!this.key) throw new ClientError(0, "NO_KEY", "uploads need a participant key");
    const path = `/v1/chunks/${chunk}/contribution`;
    const key = this.key;
    const declared = bodyHash(bytes);
    const res = await this.send(() => ({
      path,
      init: { method: "POST", headers: { "content-type": "application/octet-stream", ...signRequest(key, { method: "POST", path, bodyHash: declared }) }, body: bytes },
    }));
    return this.read(res, Uploaded);
  }

  async nextTask(): Promise<VerificationTask | null> {
    if (!this.key) throw new ClientError(0, "NO_KEY", "verifiers need a key");
    const path = "/v1/verifications/next";
    const key = this.key;
    const res = await this.send(() => ({ path, init: { headers: signRequest(key, { method: "GET", path, body: new Uint8Array(0) }) } }));
    if (res.status === 204) return null;
    return (await this.read(res, TaskSchema)).task;
  }
  async submitVerdict(task: VerificationTask, verdict: { ok: boolean; code?: string; nextChallenge?: string }): Promise<void> {
    const { round, chunk, position, hash } = task;
    await this.call("POST", "/v1/verifications", Anything, { round, chunk, position, hash, ...verdict });
  }

  /** The coordinator's signed receipts for this participant (checked against the schema, not yet the signature). */
  async receipts(): Promise<Receipt[]> {
    if (!this.key) throw new ClientError(0, "NO_KEY", "receipts are per participant key");
    return (await this.call("GET", `/v1/receipts/${this.key.publicKey}`, v.object({ receipts: v.array(ReceiptSchema) }), undefined, false)).receipts;
  }

  async finalPtau(): Promise<Uint8Array> {
    const res = await this.send(() => ({ path: "/v1/ceremony/final.ptau", init: {} }));
    if (!res.ok) await this.read(res, Anything);
    return new Uint8Array(await res.arrayBuffer());
  }

  admin(action: "drop" | "ban" | "unban" | "restart-round" | "finalize", body: Record<string, unknown>): Promise<unknown> {
    return this.call("POST", `/v1/admin/${action}`, Anything, body);
  }
}
