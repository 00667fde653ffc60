/**
 * The shell's side of the API port (api/service.ts): what participants, verifiers and admins may ask, carried out
 * with the core's views and commands. Every request from a participant counts as a sign of life (presence).
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { ApiError } from "../api/errors.ts";
import type { AdminAction, CeremonyInfo, IdentityProof, MirrorRegistration, MirrorsStatus, MirrorStatement, Parent, QueuePage, QueuePosition, SiweChallenge, Status, Uploaded, Verdict } from "../api/schemas.ts";
import type { AdminBody, CeremonyService, FileStream } from "../api/service.ts";
import { checkedBodyStream } from "../auth/body.ts";
import { refuse } from "../core/errors.ts";
import type { CeremonyEvent, CeremonyState, Command, ParticipantId, Settings } from "../core/model.ts";
import { parentOf, queueStatusAt } from "../core/rules.ts";
import { currentRound, hasTakenPart, inRound, isAdmin, isCoordinator, isKnown, isQueued, isVerifier, positionIn, type Open } from "../core/state.ts";
import { instructionFor, statusView, verificationTasks, type Instruction, type VerificationTask } from "../core/views.ts";
import { chunkFileSize, decodeChunk } from "../crypto/chunk.ts";
import { hash, toHex } from "../crypto/hash.ts";
import { chunkLayout } from "../crypto/params.ts";
import { isHashHex } from "../lib/hex.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import type { Receipt } from "../transcript/receipt.ts";
import type { TranscriptService } from "../transcript/service.ts";
import type { Verification } from "./effects/verification.ts";
import type { Certification } from "./certification/certification.ts";
import type { Admission } from "./admission.ts";
import type { LiveFeed } from "./live.ts";
import type { RoundPace } from "./pace.ts";
import type { Presence } from "./presence.ts";
import type { QueueIndex } from "./queue-index.ts";

/** Events the transcript may owe before joins wait for it (about five seconds of its work). */
export const MAX_TRANSCRIPT_BACKLOG = 50_000;

export interface ServicePort {
  admission: Admission;
  /** Most participants waiting at once (0: no cap); joins beyond it are refused QUEUE_FULL. */
  queueCap: number;
  /** Where each queued participant stands, and how long rounds take (projections of the committed events). */
  queue: QueueIndex;
  pace: RoundPace;
  live: LiveFeed;
  state(): CeremonyState;
  seq(): number;
  execute(command: Command): Promise<CeremonyEvent[]>;
  now(): number;
  presence: Presence;
  artifacts: ArtifactStore;
  verification: Verification;
  transcript(): TranscriptService | null;
  /** Certified mirrors (kept with the transcript). */
  certification(): Certification | null;
  coordinatorKey: ParticipantId;
  finalPath: string;
  /** Told the size of each upload received in full: the upload metric. */
  uploaded?: (bytes: number) => void;
  /** The full-disk mode: uploads are refused before a byte is read while it lasts; a full disk met is reported. */
  disk: { assertRoom(): void; report(err: unknown): void };
  /** What the operator must look at (alerts.ts), and when the ceremony is scheduled to finalize (ISO; null: not). */
  alerts(): string[];
  finalizeAt: string | null;
}

export class CoordinatorService implements CeremonyService {
  constructor(private readonly port: ServicePort) {}

  get live(): LiveFeed {
    return this.port.live;
  }

  private settings(): Settings {
    const s = this.port.state();
    if (s.phase === "setup") throw new ApiError("NOT_READY", "the ceremony is initializing");
    return s.settings;
  }

  private chunk(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.settings().numChunks) throw new ApiError("NOT_FOUND", `no chunk index ${k} (indexes run from 0 to ${this.settings().numChunks - 1})`);
    return k;
  }

  /** A sign of life, kept only for keys the coordinator knows (strangers' requests leave nothing behind). */
  private seen(p: ParticipantId): void {
    if (this.knows(p)) this.port.presence.seen(p, this.port.now());
  }

  /** Keys with a part in the ceremony: queued, in the round, verifiers, admins, its own, and those that contributed or were dropped (they still ask for their instruction). */
  knows(participant: ParticipantId): boolean {
    const s = this.port.state();
    if (s.phase === "setup") return false;
    return isKnown(s, participant) || isAdmin(s, participant) || isCoordinator(s, participant) || hasTakenPart(s, participant);
  }

  private verifier(p: ParticipantId): void {
    const s = this.port.state();
    if (s.phase === "setup" || !isVerifier(s, p)) throw refuse("NOT_A_VERIFIER", "this key is not a trusted verifier of the ceremony (the operator or an admin adds verifiers)");
  }

  info(): CeremonyInfo {
    const s = this.settings();
    const { ceremonyId, power, chunkSize, numChunks, contributorsPerRound, lockLimit, heartbeatTimeoutMs, identity } = s;
    return { ceremonyId, curve: "bn128", power, chunkSize, numChunks, contributorsPerRound, lockLimit, heartbeatTimeoutMs, coordinatorKey: this.port.coordinatorKey, identity };
  }

  private statusCache: { key: string; status: Status; json: string; etag: string } | null = null;

  /** The status, built once per state version and transcript status, with its JSON and an entity tag. */
  private cachedStatus(): { status: Status; json: string; etag: string } {
    const seq = this.port.seq();
    const transcript = this.port.transcript()?.status(seq) ?? null;
    const alerts = this.port.alerts();
    const certification = this.port.certification();
    const key = `${seq}|${JSON.stringify(transcript)}|${JSON.stringify(alerts)}|${certification?.version ?? -1}`;
    if (this.statusCache?.key !== key) {
      const mirrors = certification?.status() ?? null;
      const view = this.statusCache?.key.startsWith(`${seq}|`) ? this.statusCache.status : statusView(this.port.state());
      const status = { ...view, transcript, alerts, finalizeAt: this.port.finalizeAt, mirrors };
      const json = JSON.stringify(status);
      this.statusCache = { key, status, json, etag: `"${toHex(hash(new TextEncoder().encode(key))).slice(0, 32)}"` };
    }
    return this.statusCache;
  }

  status(): Status {
    return this.cachedStatus().status;
  }

  statusJson(): { json: string; etag: string } {
    return this.cachedStatus();
  }

  async receipts(participant: ParticipantId): Promise<Receipt[]> {
    const transcript = this.port.transcript();
    if (!transcript) throw new ApiError("NOT_FOUND", "this coordinator keeps no transcript");
    return transcript.receiptsOf(participant);
  }

  async artifact(hash: string): Promise<FileStream | null> {
    if (!isHashHex(hash)) return null;
    return this.port.artifacts.open(hash);
  }

  async finalPtau(): Promise<FileStream & { hash: string }> {
    const s = this.port.state();
    if (s.phase !== "finalized") throw new ApiError("NOT_READY", "the ceremony is not finalized yet");
    const size = (await stat(this.port.finalPath)).size;
    return { stream: Readable.toWeb(createReadStream(this.port.finalPath)) as ReadableStream<Uint8Array>, size, hash: s.finalHash };
  }

  async join(participant: ParticipantId, role: "contributor" | "verifier", proof?: IdentityProof): Promise<Instruction> {
    if (role === "verifier") {
      this.verifier(participant);
      this.seen(participant);
      return { id: "verifier", kind: "wait", reason: "a trusted verifier: fetch tasks from /v1/verifications/next", stage: "none" };
    }
    if (this.port.queueCap > 0 && this.port.queue.length >= this.port.queueCap) {
      throw Object.assign(new ApiError("QUEUE_FULL", `the queue is full (${this.port.queueCap} waiting); retry later`), { retryAfterMs: 60_000 });
    }
    // Backpressure: joins wait while the transcript is far behind, rather than letting it fall behind without bound.
    await this.port.transcript()?.room(MAX_TRANSCRIPT_BACKLOG);
    const s = this.port.state();
    // Already queued or in the round: the core refuses the join as it is, without spending the proof (a nonce).
    // Likewise while the schedule keeps the queue shut: the core refuses with QUEUE_NOT_OPEN or QUEUE_CLOSED.
    const shut = s.phase !== "setup" && queueStatusAt(s.schedule, this.port.now()) !== "open";
    const identity = s.phase === "setup" || shut || isQueued(s, participant) || inRound(s, participant) ? undefined : await this.admitted(participant, proof, s);
    await this.port.execute({ type: "JoinQueue", now: this.port.now(), participant, role, ...(identity !== undefined ? { identity } : {}) });
    return this.heartbeat(participant);
  }

  private admitted(participant: ParticipantId, proof: IdentityProof | undefined, s: Open): Promise<string | undefined> {
    return this.port.admission.identify(participant, proof, s.settings.ceremonyId, s.invitations, this.port.now());
  }

  siweChallenge(): SiweChallenge {
    return this.port.admission.challenge(this.port.now());
  }

  async leave(participant: ParticipantId): Promise<void> {
    await this.port.execute({ type: "LeaveQueue", now: this.port.now(), participant });
  }

  heartbeat(participant: ParticipantId): Instruction {
    this.seen(participant);
    return instructionFor(this.port.state(), participant, this.port.queue.position(participant) ?? undefined);
  }

  queuePosition(participant: ParticipantId): QueuePosition {
    this.seen(participant);
    const s = this.port.state();
    const position = this.port.queue.position(participant);
    if (s.phase === "setup" || position === null) return { position: null, length: this.port.queue.length, roundsAhead: null, etaSeconds: null };
    const perRound = s.settings.contributorsPerRound;
    const eta = this.port.pace.eta(position, perRound, currentRound(s) !== null);
    return { position, length: this.port.queue.length, roundsAhead: Math.ceil(position / perRound) - 1, etaSeconds: eta === null ? null : Math.round(eta / 1000) };
  }

  queuePage(offset: number, limit: number): QueuePage {
    return { length: this.port.queue.length, offset, participants: this.port.queue.page(offset, limit) };
  }

  instruction(participant: ParticipantId): Instruction {
    return this.heartbeat(participant);
  }

  acknowledge(participant: ParticipantId, id: string): Instruction {
    // Acknowledging names the instruction the participant acts on; a stale id means the state moved on.
    const current = this.heartbeat(participant);
    if (current.id !== id) throw new ApiError("STALE_INSTRUCTION", `the current instruction is ${current.id}`);
    return current;
  }

  async lock(participant: ParticipantId, chunk: number): Promise<Instruction> {
    this.seen(participant);
    await this.port.execute({ type: "LockChunk", now: this.port.now(), participant, chunk: this.chunk(chunk) });
    return this.heartbeat(participant);
  }

  parent(participant: ParticipantId, chunk: number): Parent {
    this.seen(participant);
    const k = this.chunk(chunk);
    const s = this.port.state();
    const round = currentRound(s);
    const j = round ? positionIn(round, participant) : -1;
    if (s.phase === "setup" || !round || j < 0) throw refuse("NOT_IN_ROUND", "not a contributor of the current round");
    const parentHash = parentOf(s, round, k, j);
    if (!parentHash) throw new ApiError("NOT_READY", `chunk ${k + 1} has no state for contributor ${j + 1} yet`);
    return { round: round.number, chunk: k, position: j, parentHash };
  }

  async upload(participant: ParticipantId, chunk: number, body: ReadableStream<Uint8Array> | Uint8Array, declaredHash: string): Promise<Uploaded> {
    this.seen(participant);
    const k = this.chunk(chunk);
    // Refuse before reading a byte unless this participant holds the lock on this chunk.
    const round = currentRound(this.port.state());
    if (!round || round.chunks[k]?.lock?.holder !== participant) throw refuse("LOCK_NOT_HELD", `chunk ${k + 1} is not locked by this participant`);
    this.port.disk.assertRoom();
    const size = chunkFileSize(chunkLayout(this.settings(), k), true);
    const stream = body instanceof Uint8Array ? new Blob([body]).stream() : body;
    const stored = await this.port.artifacts.put(checkedBodyStream(stream, declaredHash, size), { maxBytes: size, exactBytes: size }).catch((err: unknown) => {
      this.port.disk.report(err);
      throw err;
    });
    this.port.uploaded?.(size);
    this.assertDecodes(await this.port.artifacts.get(stored.hash), participant, k);
    await this.port.execute({ type: "RecordContribution", now: this.port.now(), participant, chunk: k, hash: stored.hash });
    return { hash: stored.hash, instruction: this.heartbeat(participant) };
  }

  /**
   * Only an upload whose header and length decode as the chunk file this participant owes (this ceremony, chunk,
   * round, position and parent) is recorded: nothing undecodable is ever verified, aggregated, receipted or built on.
   */
  private assertDecodes(bytes: Uint8Array, participant: ParticipantId, k: number): void {
    const s = this.port.state();
    const round = currentRound(s);
    const j = round ? positionIn(round, participant) : -1;
    if (s.phase === "setup" || !round || j < 0) throw refuse("NOT_IN_ROUND", "not a contributor of the current round");
    const d = decodeChunk(bytes, s.settings, k);
    const parent = parentOf(s, round, k, j);
    const why = !d.ok
      ? `${d.code}: ${d.message}`
      : d.chunk.header.round !== round.number
        ? `the header names round ${d.chunk.header.round}, not ${round.number}`
        : d.chunk.header.contributor !== j
          ? `the header names contributor ${d.chunk.header.contributor + 1}, not ${j + 1}`
          : null;
    if (!why && d.ok && (parent === null || toHex(d.chunk.header.parentHash) !== parent)) {
      // Well formed, for this position, on a parent that was current when it was fetched: a drop or a replacement
      // changed what this position builds on while it computed. Not recorded; the client follows its instruction.
      throw new ApiError("PARENT_CHANGED", `round ${round.number}, chunk ${k + 1}: the chunk this position builds on changed while the upload was computed; ask for the current instruction`);
    }
    if (why) throw new ApiError("MALFORMED_CHUNK", `the upload is not a chunk file for round ${round.number}, chunk ${k + 1}, contributor ${j + 1}: ${why}`);
  }

  nextTask(verifier: ParticipantId): VerificationTask | null {
    this.verifier(verifier);
    this.seen(verifier);
    return verificationTasks(this.port.state())[0] ?? null;
  }

  async verdict(verifier: ParticipantId, verdict: Verdict): Promise<void> {
    this.verifier(verifier);
    this.seen(verifier);
    await this.port.verification.record(verifier, verdict, verdict);
  }

  private mirrors(): Certification {
    const c = this.port.certification();
    if (!c) throw new ApiError("NOT_FOUND", "this coordinator keeps no transcript, so no mirrors");
    return c;
  }

  registerMirror(body: MirrorRegistration): Promise<CeremonyEvent[]> {
    return this.mirrors().register(body.mirror, body.url, body.pop, body.signature);
  }

  submitStatement(body: MirrorStatement): Promise<{ certified: boolean }> {
    return this.mirrors().submit(body.mirror, body.message, body.signature);
  }

  mirrorsStatus(): MirrorsStatus {
    return this.mirrors().status();
  }

  mirrorAdmin(actor: ParticipantId, action: "admit" | "retire", body: { mirror: string; reason: string }): Promise<CeremonyEvent[]> {
    return this.mirrors().admin(actor, action, body.mirror, body.reason);
  }

  admin(actor: ParticipantId, action: AdminAction, body: AdminBody): Promise<CeremonyEvent[]> {
    const now = this.port.now();
    const participant = body.participant ?? "";
    const reason = body.reason ?? "";
    switch (action) {
      case "drop":
        return this.port.execute({ type: "Drop", now, actor, participant, reason: reason || "dropped by an admin" });
      case "ban":
        return this.port.execute({ type: "Ban", now, actor, participant, reason: reason || "banned by an admin" });
      case "unban":
        return this.port.execute({ type: "Unban", now, actor, participant });
      case "restart-round":
        return this.port.execute({ type: "RestartRound", now, actor, reason: reason || "restarted by an admin" });
      case "finalize":
        return this.port.execute({ type: "Finalize", now, actor, beacon: { hash: body.beacon ?? "", numIterationsExp: body.numIterationsExp ?? 10 } });
      case "add-verifier":
        return this.port.execute({ type: "AddVerifier", now, actor, participant });
      case "remove-verifier":
        return this.port.execute({ type: "RemoveVerifier", now, actor, participant });
      case "add-admin":
        return this.port.execute({ type: "AddAdmin", now, actor, participant });
      case "remove-admin":
        return this.port.execute({ type: "RemoveAdmin", now, actor, participant });
      case "invite":
        return this.port.execute({ type: "IssueInvitations", now, actor, hashes: body.hashes ?? [] });
      default: {
        const never: never = action;
        throw new ApiError("NOT_FOUND", `no admin action ${String(never)}`);
      }
    }
  }
}
