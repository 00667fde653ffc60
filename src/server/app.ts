/**
 * The HTTP API under /v1. Handlers only translate: validate (valibot), call the coordinator, shape JSON.
 * Participant requests are signed (src/auth); admin routes also need a key listed in the settings.
 */
import { Hono, type Context } from "hono";
import { validator } from "hono/validator";
import * as v from "valibot";
import { stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { refuse } from "../core/errors.ts";
import { currentRound } from "../core/evolve.ts";
import type { Command, ParticipantId } from "../core/model.ts";
import { instructionFor, statusView, verificationTasks } from "../core/views.ts";
import { chunkFileSize } from "../crypto/chunk.ts";
import { chunkLayout } from "../crypto/params.ts";
import { checkedBodyStream } from "../auth/body.ts";
import { requireSignature, requireSignatureStreaming, type AuthVariables, type StreamingAuthVariables } from "../auth/middleware.ts";
import type { ReplayGuard } from "../auth/replay.ts";
import { join } from "node:path";
import { createGitServer } from "../git-http/server.ts";
import { ApiError, handleError } from "./errors.ts";
import type { Coordinator } from "./coordinator.ts";

export interface AppOptions {
  replay: ReplayGuard;
  now?: () => number;
  /** Public key the coordinator signs with (receipts, its own verifiers). */
  coordinatorKey: string;
}

const MAX_JSON_BYTES = 64 * 1024;
const HEX = /^[0-9a-f]+$/;

function body<S extends v.GenericSchema>(schema: S) {
  return validator("json", (value): v.InferOutput<S> => {
    const r = v.safeParse(schema, value);
    if (!r.success) throw new ApiError("INVALID_BODY", v.summarize(r.issues));
    return r.output;
  });
}

function chunkParam(c: Context, numChunks: number): number {
  const raw = c.req.param("k") ?? "";
  const k = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(k) || k >= numChunks) throw new ApiError("NOT_FOUND", `no chunk ${raw}`);
  return k;
}

const JoinBody = v.object({ role: v.optional(v.picklist(["contributor", "verifier"]), "contributor") });
const VerdictBody = v.object({
  round: v.pipe(v.number(), v.integer(), v.minValue(1)),
  chunk: v.pipe(v.number(), v.integer(), v.minValue(0)),
  position: v.pipe(v.number(), v.integer(), v.minValue(0)),
  hash: v.pipe(v.string(), v.regex(/^[0-9a-f]{128}$/)),
  ok: v.boolean(),
  code: v.optional(v.pipe(v.string(), v.maxLength(64))),
  nextChallenge: v.optional(v.pipe(v.string(), v.regex(/^[0-9a-f]{128}$/))),
});
const ParticipantBody = v.object({ participant: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)), reason: v.optional(v.pipe(v.string(), v.maxLength(500)), "") });
const FinalizeBody = v.object({
  beacon: v.pipe(v.string(), v.regex(/^([0-9a-f]{2}){1,64}$/, "beacon must be 1..64 bytes of lowercase hex")),
  numIterationsExp: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(40)), 10),
});
const AckBody = v.object({ id: v.pipe(v.string(), v.maxLength(200)) });
const ReasonBody = v.object({ reason: v.optional(v.pipe(v.string(), v.maxLength(500)), "") });

export function createApp(coord: Coordinator, options: AppOptions) {
  const now = options.now ?? Date.now;
  const heartbeats = coord.heartbeats;
  const signed = requireSignature({ replay: options.replay, now, maxBodyBytes: MAX_JSON_BYTES });
  const settings = () => {
    const s = coord.state();
    if (s.phase === "setup") throw new ApiError("NOT_READY", "the ceremony is initializing");
    return s.settings;
  };
  const exec = (command: Command) => coord.execute(command);
  // Any signed request from a participant counts as a heartbeat.
  const instruction = (p: ParticipantId) => {
    heartbeats.set(p, now());
    return instructionFor(coord.state(), p);
  };

  const app = new Hono<{ Variables: AuthVariables & StreamingAuthVariables }>()
    .onError(handleError)
    .notFound((c) => c.json({ error: { code: "NOT_FOUND", message: `no route ${c.req.method} ${c.req.path}` } }, 404))
    .get("/v1/ceremony", (c) => {
      const s = settings();
      return c.json({
        ceremonyId: s.ceremonyId,
        curve: "bn128",
        power: s.power,
        chunkSize: s.chunkSize,
        numChunks: s.numChunks,
        contributorsPerRound: s.contributorsPerRound,
        lockLimit: s.lockLimit,
        coordinatorKey: options.coordinatorKey,
      });
    })
    .get("/v1/status", (c) => c.json({ ...statusView(coord.state()), transcript: coord.transcript?.status(coord.ceremony.seq) ?? null }))
    .get("/v1/receipts/:participant", async (c) => {
      const p = c.req.param("participant");
      if (!/^[0-9a-f]{64}$/.test(p)) throw new ApiError("NOT_FOUND", "not a participant key");
      if (!coord.transcript) throw new ApiError("NOT_FOUND", "this coordinator keeps no transcript");
      return c.json({ receipts: await coord.transcript.receiptsOf(p) });
    })
    .post("/v1/queue/join", signed, body(JoinBody), async (c) => {
      const participant = c.get("participant");
      await exec({ type: "JoinQueue", now: now(), participant, role: c.req.valid("json").role });
      heartbeats.set(participant, now());
      return c.json({ instruction: instruction(participant) });
    })
    .post("/v1/queue/leave", signed, async (c) => {
      await exec({ type: "LeaveQueue", now: now(), participant: c.get("participant") });
      return c.json({ ok: true });
    })
    .post("/v1/heartbeat", signed, (c) => {
      const participant = c.get("participant");
      heartbeats.set(participant, now());
      return c.json({ instruction: instruction(participant) });
    })
    .get("/v1/instructions", signed, (c) => c.json({ instruction: instruction(c.get("participant")) }))
    .post("/v1/instructions/ack", signed, body(AckBody), (c) => {
      // Acknowledging names the instruction the participant acts on; a stale id means the state moved on.
      const current = instruction(c.get("participant"));
      if (current.id !== c.req.valid("json").id) throw new ApiError("STALE_INSTRUCTION", `the current instruction is ${current.id}`);
      heartbeats.set(c.get("participant"), now());
      return c.json({ instruction: current });
    })
    .post("/v1/chunks/:k/lock", signed, async (c) => {
      const participant = c.get("participant");
      await exec({ type: "LockChunk", now: now(), participant, chunk: chunkParam(c, settings().numChunks) });
      return c.json({ instruction: instruction(participant) });
    })
    .get("/v1/chunks/:k/parent", signed, (c) => {
      // The chunk file this participant's contribution to chunk k must build on.
      const participant = c.get("participant");
      const k = chunkParam(c, settings().numChunks);
      const s = coord.state();
      const round = currentRound(s);
      const j = round?.contributors.indexOf(participant) ?? -1;
      if (s.phase === "setup" || !round || j < 0) throw new ApiError("NOT_FOUND", "not a contributor of the current round");
      const parent = j === 0 ? s.accumulator[k] : round.chunks[k]?.contributions[j - 1]?.hash;
      if (!parent) throw new ApiError("NOT_READY", `chunk ${k} has no state for position ${j} yet`);
      return c.json({ round: round.number, chunk: k, position: j, parentHash: parent });
    })
    .get("/v1/artifacts/:hash", async (c) => {
      const h = c.req.param("hash");
      if (h.length !== 128 || !HEX.test(h)) throw new ApiError("NOT_FOUND", "not an artifact hash");
      const file = await coord.artifacts.open(h);
      if (!file) throw new ApiError("NOT_FOUND", `no artifact ${h.slice(0, 16)}…`);
      return new Response(file.stream, { headers: { "content-type": "application/octet-stream", "content-length": String(file.size) } });
    })
    .post(
      "/v1/chunks/:k/contribution",
      requireSignatureStreaming({ replay: options.replay, now, maxBodyBytes: 1 << 30 }),
      async (c) => {
        const participant = c.get("participant");
        const k = chunkParam(c, settings().numChunks);
        const round = currentRound(coord.state());
        // Refuse before reading a byte unless this participant holds the lock on this chunk.
        if (!round || round.chunks[k]?.lock?.holder !== participant) throw refuse("LOCK_NOT_HELD", `chunk ${k} is not locked by this participant`);
        const size = chunkFileSize(chunkLayout(settings(), k), true);
        const stored = await coord.artifacts.put(checkedBodyStream(c.req.raw.body, c.get("declaredBodyHash"), size), { maxBytes: size, exactBytes: size });
        await exec({ type: "RecordContribution", now: now(), participant, chunk: k, hash: stored.hash });
        return c.json({ hash: stored.hash, instruction: instruction(participant) });
      },
    )
    .get("/v1/verifications/next", signed, (c) => {
      const verifier = c.get("participant");
      const s = coord.state();
      if (s.phase === "setup" || !s.verifiers.includes(verifier)) throw new ApiError("NOT_FOUND", "not a registered verifier");
      const task = verificationTasks(s)[0];
      return task ? c.json({ task }) : c.body(null, 204);
    })
    .post("/v1/verifications", signed, body(VerdictBody), async (c) => {
      const b = c.req.valid("json");
      await coord.recordVerdict(c.get("participant"), b, b);
      return c.json({ ok: true });
    })
    .get("/v1/ceremony/final.ptau", async (c) => {
      const s = coord.state();
      if (s.phase !== "finalized") throw new ApiError("NOT_READY", "the ceremony is not finalized yet");
      const size = (await stat(coord.finalPath)).size;
      const stream = Readable.toWeb(createReadStream(coord.finalPath)) as ReadableStream<Uint8Array>;
      return new Response(stream, { headers: { "content-type": "application/octet-stream", "content-length": String(size), "x-ceremony-final-hash": s.finalHash } });
    })
    .post("/v1/admin/drop", signed, body(ParticipantBody), async (c) => {
      const b = c.req.valid("json");
      return c.json({ events: await exec({ type: "Drop", now: now(), actor: c.get("participant"), participant: b.participant, reason: b.reason || "dropped by an admin" }) });
    })
    .post("/v1/admin/ban", signed, body(ParticipantBody), async (c) => {
      const b = c.req.valid("json");
      return c.json({ events: await exec({ type: "Ban", now: now(), actor: c.get("participant"), participant: b.participant, reason: b.reason || "banned by an admin" }) });
    })
    .post("/v1/admin/unban", signed, body(ParticipantBody), async (c) => {
      return c.json({ events: await exec({ type: "Unban", now: now(), actor: c.get("participant"), participant: c.req.valid("json").participant }) });
    })
    .post("/v1/admin/restart-round", signed, body(ReasonBody), async (c) => {
      return c.json({ events: await exec({ type: "RestartRound", now: now(), actor: c.get("participant"), reason: c.req.valid("json").reason || "restarted by an admin" }) });
    })
    .post("/v1/admin/finalize", signed, body(FinalizeBody), async (c) => {
      const b = c.req.valid("json");
      return c.json({ events: await exec({ type: "Finalize", now: now(), actor: c.get("participant"), beacon: { hash: b.beacon, numIterationsExp: b.numIterationsExp } }) });
    });
  if (coord.transcript) app.route("/", createGitServer({ repoDir: join(coord.dataDir, "transcript") }));
  return app;
}

export type AppType = ReturnType<typeof createApp>;
