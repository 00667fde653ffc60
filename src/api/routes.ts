/**
 * Every route of the API described once: who may call it, what it takes and answers (the valibot schemas the
 * routes validate with and the client reads with), and the error codes it may answer. The OpenAPI document is
 * generated from this table (openapi.ts), and a test holds it to the routes the app really serves.
 */
import type * as v from "valibot";
import { MIRROR_ERROR_CODES } from "../certificates/errors.ts";
import {
  AckBody,
  AdminBody,
  CeremonyInfoSchema,
  EventsSchema,
  FinalizeBody,
  InvitationsBody,
  JoinBody,
  MirrorBody,
  MirrorRegistrationBody,
  MirrorsStatusSchema,
  MirrorStatementBody,
  StatementAnswerSchema,
  OkSchema,
  ParentSchema,
  ParticipantBody,
  QueryPage,
  QueuePageSchema,
  QueuePositionSchema,
  ReadySchema,
  ReasonBody,
  ReceiptsSchema,
  SiweChallengeSchema,
  StatusSchema,
  UploadedSchema,
  VerdictBody,
  WithInstruction,
  WithTask,
} from "./schemas.ts";

/** none: public. signed: a known participant's signature. open: any key's signature (joining). metrics: the operator's token, when set. */
export type Auth = "none" | "signed" | "open" | "admin" | "verifier" | "metrics";

export interface RouteSpec {
  method: "get" | "post";
  /** Hono's path syntax (`:k`). */
  path: string;
  summary: string;
  auth: Auth;
  body?: v.GenericSchema;
  query?: v.GenericSchema;
  /** The JSON answer, or a raw one: a byte stream, a Server-Sent Events stream, or the Prometheus text format. */
  answer: v.GenericSchema | "octets" | "event-stream" | "prometheus" | "none";
  /** Error codes beyond those of its auth (authentication, rate limits). */
  errors: string[];
}

const ADMIN = ["NOT_AN_ADMIN", "CEREMONY_FINALIZED", "INVALID_BODY"];
const MIRROR_STATEMENT_ERRORS: string[] = [...MIRROR_ERROR_CODES.filter((c) => c !== "MIRROR_BAD_REGISTRATION" && c !== "MIRROR_REGISTRATIONS_FULL"), "MIRROR_FAULTY"];
const IN_ROUND = ["NOT_IN_ROUND", "NO_ACTIVE_ROUND", "NOT_FOUND"];

export const ROUTES: RouteSpec[] = [
  { method: "get", path: "/healthz", summary: "Liveness: the process answers", auth: "none", answer: OkSchema, errors: [] },
  {
    method: "get",
    path: "/readyz",
    summary: "Readiness: the log is replayed, nothing failed, the transcript keeps up (503 UNREADY with the reason otherwise)",
    auth: "none",
    answer: ReadySchema,
    errors: ["UNREADY"],
  },
  { method: "get", path: "/metrics", summary: "Prometheus metrics (text exposition format)", auth: "metrics", answer: "prometheus", errors: ["METRICS_UNAUTHORIZED", "NOT_FOUND"] },
  { method: "get", path: "/v1/ceremony", summary: "The ceremony's parameters and the coordinator's key", auth: "none", answer: CeremonyInfoSchema, errors: ["NOT_READY"] },
  { method: "get", path: "/v1/status", summary: "The public status, summarised (ETag; 304 when unchanged)", auth: "none", answer: StatusSchema, errors: [] },
  { method: "get", path: "/v1/events", summary: "The live feed as Server-Sent Events (resume with Last-Event-ID)", auth: "none", answer: "event-stream", errors: ["LIVE_FULL"] },
  { method: "get", path: "/v1/queue", summary: "A page of the queue, in order", auth: "none", query: QueryPage, answer: QueuePageSchema, errors: ["BAD_REQUEST"] },
  { method: "get", path: "/v1/receipts/:participant", summary: "A participant's signed receipts", auth: "none", answer: ReceiptsSchema, errors: ["NOT_FOUND"] },
  { method: "get", path: "/v1/artifacts/:hash", summary: "A chunk file, by its blake2b-512", auth: "none", answer: "octets", errors: ["NOT_FOUND"] },
  { method: "get", path: "/v1/ceremony/final.ptau", summary: "The final .ptau, once finalized", auth: "none", answer: "octets", errors: ["NOT_READY"] },
  {
    method: "post",
    path: "/v1/queue/join",
    summary: "Join the queue (with an identity proof when the ceremony asks), or check in as a trusted verifier",
    auth: "open",
    body: JoinBody,
    answer: WithInstruction,
    errors: ["ALREADY_QUEUED", "ALREADY_IN_ROUND", "ALREADY_CONTRIBUTED", "BANNED", "QUEUE_CLOSED", "QUEUE_NOT_OPEN", "QUEUE_FULL", "CEREMONY_FINALIZED", "IDENTITY_REQUIRED", "IDENTITY_IN_USE", "UNKNOWN_INVITATION", "TOKEN_MALFORMED", "TOKEN_UNKNOWN", "SIWE_MALFORMED", "SIWE_NONCE", "SIWE_BAD_SIGNATURE", "SIWE_EXPIRED", "SIWE_NOT_YET_VALID", "SIWE_WRONG_DOMAIN", "SIWE_WRONG_URI", "SIWE_WRONG_CHAIN", "SIWE_WRONG_CEREMONY", "SIWE_WRONG_KEY", "NOT_ELIGIBLE", "ELIGIBILITY_UNAVAILABLE", "NOT_A_VERIFIER", "INVALID_BODY"],
  },
  { method: "post", path: "/v1/identity/challenge", summary: "A fresh nonce for a Sign-In with Ethereum", auth: "open", answer: SiweChallengeSchema, errors: ["NOT_FOUND"] },
  { method: "post", path: "/v1/queue/leave", summary: "Leave the queue", auth: "signed", answer: OkSchema, errors: ["NOT_QUEUED", "CEREMONY_FINALIZED"] },
  { method: "post", path: "/v1/heartbeat", summary: "A sign of life; answers the current instruction", auth: "signed", answer: WithInstruction, errors: [] },
  { method: "get", path: "/v1/queue/position", summary: "This participant's place in the queue and an estimated wait", auth: "signed", answer: QueuePositionSchema, errors: [] },
  { method: "get", path: "/v1/instructions", summary: "The current instruction", auth: "signed", answer: WithInstruction, errors: [] },
  { method: "post", path: "/v1/instructions/ack", summary: "Acknowledge the instruction acted on", auth: "signed", body: AckBody, answer: WithInstruction, errors: ["STALE_INSTRUCTION", "INVALID_BODY"] },
  { method: "post", path: "/v1/chunks/:k/lock", summary: "Lock the next chunk to contribute to", auth: "signed", answer: WithInstruction, errors: [...IN_ROUND, "NOT_YOUR_TURN", "CHUNK_LOCKED", "LOCK_LIMIT_REACHED", "ALREADY_CONTRIBUTED", "CHUNK_OUT_OF_RANGE"] },
  { method: "get", path: "/v1/chunks/:k/parent", summary: "The chunk file this participant's contribution builds on", auth: "signed", answer: ParentSchema, errors: [...IN_ROUND, "NOT_READY"] },
  {
    method: "post",
    path: "/v1/chunks/:k/contribution",
    summary: "Upload a contribution (streamed; signed over the declared body hash in x-ceremony-body-hash)",
    auth: "signed",
    answer: UploadedSchema,
    errors: [...IN_ROUND, "LOCK_NOT_HELD", "MALFORMED_CHUNK", "BODY_TOO_LARGE", "BODY_HASH_MISMATCH", "ARTIFACT_TOO_LARGE", "ARTIFACT_INCOMPLETE"],
  },
  { method: "get", path: "/v1/verifications/next", summary: "The next upload to verify (204 when none)", auth: "verifier", answer: WithTask, errors: [] },
  { method: "post", path: "/v1/verifications", summary: "A verdict on an upload", auth: "verifier", body: VerdictBody, answer: OkSchema, errors: ["STALE_VERIFICATION", "WRONG_ROUND", "INVALID_BODY"] },
  { method: "post", path: "/v1/admin/drop", summary: "Drop a participant", auth: "admin", body: ParticipantBody, answer: EventsSchema, errors: [...ADMIN, "UNKNOWN_PARTICIPANT"] },
  { method: "post", path: "/v1/admin/ban", summary: "Ban a participant", auth: "admin", body: ParticipantBody, answer: EventsSchema, errors: [...ADMIN, "BANNED"] },
  { method: "post", path: "/v1/admin/unban", summary: "Lift a ban", auth: "admin", body: ParticipantBody, answer: EventsSchema, errors: [...ADMIN, "NOT_BANNED"] },
  { method: "post", path: "/v1/admin/restart-round", summary: "Restart the current round", auth: "admin", body: ReasonBody, answer: EventsSchema, errors: [...ADMIN, "NO_ACTIVE_ROUND"] },
  { method: "post", path: "/v1/admin/finalize", summary: "Close the queue and finalize with a beacon", auth: "admin", body: FinalizeBody, answer: EventsSchema, errors: [...ADMIN, "QUEUE_CLOSED", "NO_AGGREGATED_ROUND", "BEACON_INVALID"] },
  { method: "post", path: "/v1/admin/verifiers/add", summary: "Trust a verifier's key", auth: "admin", body: ParticipantBody, answer: EventsSchema, errors: [...ADMIN, "ALREADY_REGISTERED", "BANNED"] },
  { method: "post", path: "/v1/admin/verifiers/remove", summary: "Stop trusting a verifier", auth: "admin", body: ParticipantBody, answer: EventsSchema, errors: [...ADMIN, "NOT_REGISTERED", "LAST_VERIFIER"] },
  { method: "post", path: "/v1/admin/admins/add", summary: "Add an admin (an ed25519 key or an Ethereum address)", auth: "admin", body: AdminBody, answer: EventsSchema, errors: [...ADMIN, "ALREADY_REGISTERED", "BANNED"] },
  { method: "post", path: "/v1/admin/admins/remove", summary: "Remove an admin (never the last)", auth: "admin", body: AdminBody, answer: EventsSchema, errors: [...ADMIN, "NOT_REGISTERED", "LAST_ADMIN"] },
  { method: "post", path: "/v1/admin/invitations", summary: "Issue invitation tokens, by their hashes", auth: "admin", body: InvitationsBody, answer: EventsSchema, errors: ADMIN },
  { method: "get", path: "/v1/mirrors", summary: "Certified mirrors: the epoch, each member's lag, the latest certificate, certification latency", auth: "none", answer: MirrorsStatusSchema, errors: ["NOT_FOUND"] },
  {
    method: "post",
    path: "/v1/mirrors/register",
    summary: "Register a mirror's BLS key (with its proof of possession and its signature over the registration)",
    auth: "none",
    body: MirrorRegistrationBody,
    answer: EventsSchema,
    errors: ["ALREADY_REGISTERED", "MIRROR_BAD_REGISTRATION", "MIRROR_REGISTRATIONS_FULL", "NOT_FOUND", "INVALID_BODY", "INVALID_COMMAND"],
  },
  {
    method: "post",
    path: "/v1/mirrors/statements",
    summary: "A mirror's BLS signature over a statement naming a head it checked; answers whether it completed a certificate",
    auth: "none",
    body: MirrorStatementBody,
    answer: StatementAnswerSchema,
    errors: [...MIRROR_STATEMENT_ERRORS, "NOT_FOUND", "INVALID_BODY"],
  },
  { method: "post", path: "/v1/admin/mirrors/admit", summary: "Admit a registered mirror (a new epoch)", auth: "admin", body: MirrorBody, answer: EventsSchema, errors: [...ADMIN, "NOT_REGISTERED", "ALREADY_REGISTERED", "MIRROR_FAULTY", "NOT_FOUND"] },
  { method: "post", path: "/v1/admin/mirrors/retire", summary: "Retire a mirror (a new epoch)", auth: "admin", body: MirrorBody, answer: EventsSchema, errors: [...ADMIN, "NOT_REGISTERED", "NOT_FOUND"] },
];
