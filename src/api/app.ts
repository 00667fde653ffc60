/**
 * The HTTP API under /v1. Handlers only translate: authenticate, validate (valibot, schemas.ts), call the
 * CeremonyService, shape JSON. Errors become statuses in errors.ts. The chained routes give AppType, from which
 * the participant client is typed (hc<AppType>).
 */
import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import { validator } from "hono/validator";
import * as v from "valibot";
import { ReplayGuard } from "../auth/replay.ts";
import { createGitServer, type GitServerOptions } from "../git-http/server.ts";
import { errorBody } from "../lib/error-body.ts";
import type { Logger } from "../lib/log.ts";
import { isKeyHex } from "../lib/hex.ts";
import { ApiError, handleError } from "./errors.ts";
import { RateLimited, RateLimiter, type Rate } from "./limits.ts";
import { sseRoute, wsRoute } from "./live.ts";
import { openApiDocument } from "./openapi.ts";
import { webRoutes, type WebAssets } from "./web.ts";
import { metricsAnswer, readinessAnswer, timeRequests, type Operations } from "./operations.ts";
import type { UpgradeWebSocket } from "hono/ws";
import { requireSignature, requireSignatureStreaming, type AuthVariables, type StreamingAuthVariables } from "./middleware.ts";
import { AckBody, AdminBody, FinalizeBody, InvitationsBody, JoinBody, MirrorBody, MirrorRegistrationBody, MirrorStatementBody, ParticipantBody, QueryPage, ReasonBody, VerdictBody } from "./schemas.ts";
import type { CeremonyService, FileStream } from "./service.ts";

export interface AppOptions {
  /** Nonces of signed requests by known participants. */
  replay: ReplayGuard;
  /** Nonces of keys the coordinator does not know yet (they may only join); default: a small evicting guard. */
  strangers?: ReplayGuard;
  now?: () => number;
  /** The transcript repository served read-only at /transcript.git; omitted, none is served. */
  transcriptRepo?: string;
  /** Admission limits (all off when omitted). */
  limits?: AdmissionLimits;
  /** The client's address (the adapter knows the socket; behind a trusted proxy, X-Forwarded-For). */
  clientAddress?: (c: Context) => string;
  /** The transcript's git server: caps and pack cache (its per-client cap counts by clientAddress). */
  git?: Omit<GitServerOptions, "repoDir" | "clientAddress">;
  /** WebSocket upgrades, where the runtime adapter provides them (Bun): the live feed at /v1/ws. */
  upgradeWebSocket?: UpgradeWebSocket;
  /** Readiness and metrics for /readyz and /metrics (omitted: always ready, no metrics), and request timing. */
  operations?: Operations;
  /** Where internal errors go (default: stderr). */
  log?: Logger;
  /** The status page, the browser contributor and the API docs (/, /contribute, /docs, /web/*); omitted, none. */
  web?: WebAssets;
}

export interface AdmissionLimits {
  /** Joins per client address. */
  joinsPerAddress: Rate;
  /** Signed requests per client address (checked before the signature is). */
  requestsPerAddress: Rate;
  /** Signed requests per participant key. */
  requestsPerKey: Rate;
}

const OFF: Rate = { perSecond: 0, burst: 0 };

const MAX_JSON_BYTES = 64 * 1024;
/** The API's version in its OpenAPI document: the /v1 routes. */
const API_VERSION = "1.0.0";
const MAX_UPLOAD_BYTES = 1 << 30;

function query<S extends v.GenericSchema>(schema: S) {
  return validator("query", (value): v.InferOutput<S> => {
    const r = v.safeParse(schema, value);
    if (!r.success) throw new ApiError("BAD_REQUEST", v.summarize(r.issues));
    return r.output;
  });
}

function body<S extends v.GenericSchema>(schema: S) {
  return validator("json", (value): v.InferOutput<S> => {
    const r = v.safeParse(schema, value);
    if (!r.success) throw new ApiError("INVALID_BODY", v.summarize(r.issues));
    return r.output;
  });
}

/** The chunk index of the path: digits only; the service checks the range. */
function chunkParam(c: Context): number {
  const raw = c.req.param("k") ?? "";
  if (!/^\d{1,9}$/.test(raw)) throw new ApiError("NOT_FOUND", `no chunk ${raw.slice(0, 20)}`);
  return Number(raw);
}

function octets(file: FileStream, headers: Record<string, string> = {}): Response {
  return new Response(file.stream, { headers: { "content-type": "application/octet-stream", "content-length": String(file.size), ...headers } });
}

export function createApp(service: CeremonyService, options: AppOptions) {
  const now = options.now ?? Date.now;
  const auth = {
    ceremony: () => service.info().ceremonyId,
    replay: options.replay,
    strangers: options.strangers ?? new ReplayGuard({ windowMs: options.replay.windowMs, maxEntries: 20_000, maxEntriesPerKey: 16, evictWhenFull: true }),
    known: (key: string) => service.knows(key),
    now,
  };
  const address = options.clientAddress ?? (() => "unknown");
  const limits = options.limits ?? { joinsPerAddress: OFF, requestsPerAddress: OFF, requestsPerKey: OFF };
  const limiters = { joins: new RateLimiter(limits.joinsPerAddress), address: new RateLimiter(limits.requestsPerAddress), key: new RateLimiter(limits.requestsPerKey) };
  const charge = (limiter: RateLimiter, key: string, what: string): void => {
    const wait = limiter.take(key, now());
    if (wait > 0) throw new RateLimited(what, wait);
  };
  // Cheap checks first: the address before the signature is verified, the key right after.
  const perAddress = createMiddleware(async (c, next) => {
    charge(limiters.address, address(c), "requests from this address");
    await next();
  });
  const perKey = createMiddleware<{ Variables: { participant: string } }>(async (c, next) => {
    charge(limiters.key, c.get("participant"), "requests from this key");
    await next();
  });
  const joinsPerAddress = createMiddleware(async (c, next) => {
    charge(limiters.joins, address(c), "joins from this address");
    await next();
  });
  const signed = [perAddress, requireSignature({ ...auth, maxBodyBytes: MAX_JSON_BYTES }), perKey] as const;
  const signedByAnyone = [perAddress, requireSignature({ ...auth, openToStrangers: true, maxBodyBytes: MAX_JSON_BYTES }), perKey] as const;
  const signedUpload = [perAddress, requireSignatureStreaming({ ...auth, maxBodyBytes: MAX_UPLOAD_BYTES }), perKey] as const;
  // Admins may be ed25519 keys or Ethereum addresses; every other route takes ed25519 keys only.
  const signedByAdmin = [perAddress, requireSignature({ ...auth, ethereum: true, maxBodyBytes: MAX_JSON_BYTES }), perKey] as const;

  const operations = options.operations;
  const app = new Hono<{ Variables: AuthVariables & StreamingAuthVariables }>()
    .onError((err, c) => handleError(err, c, options.log))
    .notFound((c) => c.json(errorBody("NOT_FOUND", `no route ${c.req.method} ${c.req.path}`), 404))
    .use(operations ? timeRequests(operations.metrics) : (_c, next) => next())
    .get("/healthz", (c) => c.json({ ok: true as const }))
    .get("/readyz", (c) => readinessAnswer(c, operations))
    .get("/metrics", (c) => metricsAnswer(c, operations))
    .get("/v1/ceremony", (c) => c.json(service.info()))
    .get("/openapi.json", (c) => c.json(openApiDocument(API_VERSION)))
    .get("/v1/events", sseRoute(service.live))
    .get("/v1/status", (c) => {
      const { json, etag } = service.statusJson();
      const headers = { etag, "cache-control": "no-cache" };
      if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
      return new Response(json, { headers: { ...headers, "content-type": "application/json" } });
    })
    .get("/v1/receipts/:participant", async (c) => {
      const p = c.req.param("participant");
      if (!isKeyHex(p)) throw new ApiError("NOT_FOUND", "not a participant key");
      return c.json({ receipts: await service.receipts(p) });
    })
    .post("/v1/queue/join", joinsPerAddress, ...signedByAnyone, body(JoinBody), async (c) => {
      const { role, proof } = c.req.valid("json");
      return c.json({ instruction: await service.join(c.get("participant"), role, proof) });
    })
    .post("/v1/identity/challenge", joinsPerAddress, ...signedByAnyone, (c) => c.json(service.siweChallenge()))
    .post("/v1/queue/leave", ...signed, async (c) => {
      await service.leave(c.get("participant"));
      return c.json({ ok: true as const });
    })
    .post("/v1/heartbeat", ...signed, (c) => c.json({ instruction: service.heartbeat(c.get("participant")) }))
    .get("/v1/queue", query(QueryPage), (c) => {
      const { offset, limit } = c.req.valid("query");
      return c.json(service.queuePage(offset, limit));
    })
    .get("/v1/queue/position", ...signed, (c) => c.json(service.queuePosition(c.get("participant"))))
    .get("/v1/instructions", ...signed, (c) => c.json({ instruction: service.instruction(c.get("participant")) }))
    .post("/v1/instructions/ack", ...signed, body(AckBody), (c) => c.json({ instruction: service.acknowledge(c.get("participant"), c.req.valid("json").id) }))
    .post("/v1/chunks/:k/lock", ...signed, async (c) => c.json({ instruction: await service.lock(c.get("participant"), chunkParam(c)) }))
    .get("/v1/chunks/:k/parent", ...signed, (c) => c.json(service.parent(c.get("participant"), chunkParam(c))))
    .get("/v1/artifacts/:hash", async (c) => {
      const file = await service.artifact(c.req.param("hash"));
      if (!file) throw new ApiError("NOT_FOUND", `no artifact ${c.req.param("hash").slice(0, 16)}…`);
      return octets(file);
    })
    .post("/v1/chunks/:k/contribution", ...signedUpload, async (c) => {
      const k = chunkParam(c);
      return c.json(await service.upload(c.get("participant"), k, c.req.raw.body ?? new Uint8Array(0), c.get("declaredBodyHash")));
    })
    .get("/v1/verifications/next", ...signed, (c) => {
      const task = service.nextTask(c.get("participant"));
      return task ? c.json({ task }) : c.body(null, 204);
    })
    .post("/v1/verifications", ...signed, body(VerdictBody), async (c) => {
      await service.verdict(c.get("participant"), c.req.valid("json"));
      return c.json({ ok: true as const });
    })
    .get("/v1/ceremony/final.ptau", async () => {
      const file = await service.finalPtau();
      return octets(file, { "x-ceremony-final-hash": file.hash });
    })
    .post("/v1/admin/drop", ...signedByAdmin, body(ParticipantBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "drop", c.req.valid("json")) }))
    .post("/v1/admin/ban", ...signedByAdmin, body(ParticipantBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "ban", c.req.valid("json")) }))
    .post("/v1/admin/unban", ...signedByAdmin, body(ParticipantBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "unban", c.req.valid("json")) }))
    .post("/v1/admin/restart-round", ...signedByAdmin, body(ReasonBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "restart-round", c.req.valid("json")) }))
    .post("/v1/admin/finalize", ...signedByAdmin, body(FinalizeBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "finalize", c.req.valid("json")) }))
    .post("/v1/admin/verifiers/add", ...signedByAdmin, body(ParticipantBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "add-verifier", c.req.valid("json")) }))
    .post("/v1/admin/verifiers/remove", ...signedByAdmin, body(ParticipantBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "remove-verifier", c.req.valid("json")) }))
    .post("/v1/admin/admins/add", ...signedByAdmin, body(AdminBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "add-admin", c.req.valid("json")) }))
    .post("/v1/admin/admins/remove", ...signedByAdmin, body(AdminBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "remove-admin", c.req.valid("json")) }))
    .post("/v1/admin/invitations", ...signedByAdmin, body(InvitationsBody), async (c) => c.json({ events: await service.admin(c.get("participant"), "invite", c.req.valid("json")) }))
    // Mirrors authenticate with their BLS signatures, which the service checks; the address limit comes first.
    .get("/v1/mirrors", (c) => c.json(service.mirrorsStatus()))
    .post("/v1/mirrors/register", perAddress, body(MirrorRegistrationBody), async (c) => c.json({ events: await service.registerMirror(c.req.valid("json")) }))
    .post("/v1/mirrors/statements", perAddress, body(MirrorStatementBody), async (c) => c.json(await service.submitStatement(c.req.valid("json"))))
    .post("/v1/admin/mirrors/admit", ...signedByAdmin, body(MirrorBody), async (c) => c.json({ events: await service.mirrorAdmin(c.get("participant"), "admit", c.req.valid("json")) }))
    .post("/v1/admin/mirrors/retire", ...signedByAdmin, body(MirrorBody), async (c) => c.json({ events: await service.mirrorAdmin(c.get("participant"), "retire", c.req.valid("json")) }));
  if (options.web) app.route("/", webRoutes(options.web));
  if (options.upgradeWebSocket) app.get("/v1/ws", wsRoute(service.live, options.upgradeWebSocket));
  if (options.transcriptRepo) {
    const log = options.log;
    app.route(
      "/",
      createGitServer({
        repoDir: options.transcriptRepo,
        ...options.git,
        ...(options.clientAddress ? { clientAddress: options.clientAddress } : {}),
        ...(log ? { log: (line: string) => log.error(line) } : {}),
      }),
    );
  }
  return app;
}

export type AppType = ReturnType<typeof createApp>;
