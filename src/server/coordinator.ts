/**
 * The running coordinator: the Ceremony shell plus its effects, each triggered by committed state. The tick
 * starts rounds; coordinator-owned verifiers verify uploads; a finished round is aggregated (its data hash is the
 * next round's challenge); after finalization is requested and the last round aggregated, the beacon is applied
 * and the final .ptau written. Crypto runs here, never in the core.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import { stat } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { CronJob } from "cron";
import { ensureKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { contributeChunk } from "../crypto/contribute.ts";
import { createContributorKey, destroyKey, type KeyPair } from "../crypto/keys.ts";
import { roundComplete } from "../core/decide.ts";
import { currentRound } from "../core/evolve.ts";
import type { CeremonyEvent, CeremonyState, Command, Settings } from "../core/model.ts";
import { instructionFor, verificationTasks, type VerificationTask } from "../core/views.ts";
import { dataHash, exportPtau } from "../crypto/accumulator.ts";
import { decodeChunk } from "../crypto/chunk.ts";
import { getCurve } from "../crypto/curve.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../crypto/initial.ts";
import { initMcl } from "../crypto/mcl.ts";
import type { CurveOps } from "../crypto/ops.ts";
import { numChunks, type CeremonyParams } from "../crypto/params.ts";
import { responseHash } from "../crypto/pipeline.ts";
import type { ChunkStorage } from "../crypto/rounds.ts";
import { publicKeyId } from "../crypto/verify.ts";
import { ArtifactStore } from "../store/artifact-store.ts";
import { DomainError } from "../core/errors.ts";
import { beaconAccumulator } from "../facts/records.ts";
import { runVerificationTask } from "../facts/verification.ts";
import { Ceremony } from "./ceremony.ts";
import { TranscriptService, type TranscriptSettings } from "../transcript/service.ts";

export interface CoordinatorOptions {
  dataDir: string;
  settings: Omit<Settings, "ceremonyId" | "numChunks">;
  /** Period of the update tick: whole seconds run on a cron schedule, shorter periods (tests) on a timer. */
  tickMs: number;
  verifiers: number;
  /** Coordinator-owned replacement contributors run in-process. */
  replacements?: number;
  ops: CurveOps;
  /** Signs receipts (its public key is published in the transcript); the coordinator's own verifiers act as it. */
  coordinatorKey: ParticipantKey;
  /** The git transcript; omitted, no transcript is kept (unit tests of the API). */
  transcript?: TranscriptSettings;
  now?: () => number;
  log?: (line: string) => void;
}

export class Coordinator {
  readonly artifacts: ArtifactStore;
  private readonly knownKeys = new Set<string>();
  private readonly inFlight = new Set<string>();
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private cron: CronJob | null = null;
  /** When each participant was last heard from; the tick drops silent round contributors. In memory only: after a
   * restart every round contributor gets a fresh grace period. */
  readonly heartbeats = new Map<string, number>();
  private readonly replacementKeys: ParticipantKey[] = [];
  private stopping = false;
  private loops: Promise<void>[] = [];
  private busy = { aggregating: false, finalizing: false };
  readonly finalPath: string;
  transcript: TranscriptService | null = null;

  private constructor(
    readonly ceremony: Ceremony,
    private readonly curve: Curve,
    private readonly options: CoordinatorOptions,
  ) {
    this.artifacts = new ArtifactStore(join(options.dataDir, "artifacts"));
    this.finalPath = join(options.dataDir, "final.ptau");
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  get now(): number {
    return (this.options.now ?? Date.now)();
  }

  private say(line: string): void {
    this.options.log?.(line);
  }

  static async open(options: CoordinatorOptions): Promise<Coordinator> {
    await initMcl();
    const curve = await getCurve();
    const { ceremony, repaired, events } = await Ceremony.open(join(options.dataDir, "events.jsonl"));
    const c = new Coordinator(ceremony, curve, options);
    // Every append from here on is also kept for the transcript's catch-up, until the transcript streams them.
    const log = [...events];
    ceremony.onCommit((entries) => {
      if (c.transcript) c.transcript.committed(entries, ceremony.state);
      else log.push(...entries);
    });
    if (repaired) c.say(`event log: dropped a torn tail of ${repaired.droppedBytes} bytes`);
    if (ceremony.state.phase === "setup") await c.initialize();
    else c.say(`resumed from ${events.length} events (phase ${ceremony.state.phase})`);
    await c.loadKnownKeys(events.map((e) => e.event));
    if (options.verifiers > 0 && !(ceremony.state.phase !== "setup" && ceremony.state.verifiers.includes(options.coordinatorKey.publicKey))) {
      await ceremony.execute({ type: "JoinQueue", now: c.now, participant: options.coordinatorKey.publicKey, role: "verifier" });
    }
    for (let i = 0; i < (options.replacements ?? 0); i++) {
      const { key } = await ensureKeyFile(join(options.dataDir, `replacement-${i + 1}.key`));
      c.replacementKeys.push(key);
      const st = ceremony.state;
      if (st.phase !== "setup" && !st.replacements.includes(key.publicKey) && !st.banned.includes(key.publicKey)) {
        await ceremony.execute({ type: "JoinQueue", now: c.now, participant: key.publicKey, role: "replacement" });
      }
    }
    const round = currentRound(ceremony.state);
    for (const p of round?.contributors ?? []) c.heartbeats.set(p, c.now);
    if (options.transcript) {
      const transcript = await TranscriptService.open({
        dataDir: options.dataDir,
        state: ceremony.state,
        coordinatorKey: options.coordinatorKey,
        artifacts: c.artifacts,
        settings: options.transcript,
        log: (line) => c.say(line),
      });
      const caught = await transcript.catchUp(log);
      if (caught > 0) c.say(`transcript: committed ${caught} event(s) it was missing`);
      c.transcript = transcript;
      const s = ceremony.state;
      if (s.phase === "finalized") await transcript.commitFinal(s.finalHash);
    }
    return c;
  }

  get params(): CeremonyParams {
    const s = this.ceremony.state;
    if (s.phase === "setup") throw new Error("not initialized");
    return { ceremonyId: s.settings.ceremonyId, power: s.settings.power, chunkSize: s.settings.chunkSize };
  }

  private storage(): ChunkStorage {
    return {
      put: async (bytes) => (await this.artifacts.put(bytes, { maxBytes: bytes.length, exactBytes: bytes.length })).hash,
      get: (id) => this.artifacts.get(id),
    };
  }

  private async initialize(): Promise<void> {
    const ceremonyId = toHex(crypto.getRandomValues(new Uint8Array(32)));
    const params: CeremonyParams = { ceremonyId, power: this.options.settings.power, chunkSize: this.options.settings.chunkSize };
    const accumulator: string[] = [];
    for (let k = 0; k < numChunks(params); k++) accumulator.push(await this.storage().put(initialChunk(this.curve, params, k)));
    await this.ceremony.execute({
      type: "Initialize",
      now: this.now,
      settings: { ...this.options.settings, ceremonyId, numChunks: numChunks(params) },
      accumulator,
      challenge: toHex(firstChallengeHash(this.curve, params.power)),
    });
    this.say(`initialized ceremony ${ceremonyId.slice(0, 16)}… (power ${params.power}, ${numChunks(params)} chunks of ${params.chunkSize})`);
  }

  /** Public keys already accepted: the key of every chunk 0 ever verified, restarted rounds included. */
  private async loadKnownKeys(events: CeremonyEvent[]): Promise<void> {
    const hashes = events.flatMap((e) => (e.type === "ContributionVerified" && e.chunk === 0 ? [e.hash] : []));
    for (const h of hashes) {
      const key = await this.publicKeyOf(h);
      if (key) this.knownKeys.add(publicKeyId(key));
    }
  }

  private async publicKeyOf(chunk0Hash: string): Promise<Uint8Array | null> {
    const d = decodeChunk(await this.artifacts.get(chunk0Hash), this.params, 0);
    return d.ok ? d.chunk.publicKey : null;
  }

  /** Starts the tick and the effect loops. */
  start(): void {
    const tick = (): void => {
      this.tick().catch((err: unknown) => this.say(`tick failed: ${String(err)}`));
    };
    const ms = this.options.tickMs;
    if (ms >= 1000 && ms % 1000 === 0 && ms <= 59_000) this.cron = CronJob.from({ cronTime: `*/${ms / 1000} * * * * *`, onTick: tick, start: true });
    else this.timers.push(setInterval(tick, ms));
    for (const key of this.replacementKeys) this.loops.push(this.loop(() => this.replacementStep(key)));
    for (let i = 0; i < this.options.verifiers; i++) this.loops.push(this.loop(() => this.verifyOne()));
    this.loops.push(this.loop(() => this.aggregateIfComplete()));
    this.loops.push(this.loop(() => this.finalizeIfReady()));
  }

  /** Runs `step` whenever the state changes (and at least every second); a step that did work runs again at once. */
  private async loop(step: () => Promise<boolean>): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await step();
      } catch (err) {
        this.say(`background step failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!worked && !this.stopping) await this.ceremony.changed(1000);
    }
  }

  /** The update tick: starts rounds, drops silent or slow contributors. */
  tick(): ReturnType<Ceremony["execute"]> {
    return this.execute({ type: "Tick", now: this.now, lastSeen: Object.fromEntries(this.heartbeats), coordinator: this.options.coordinatorKey.publicKey });
  }

  /** One step of a coordinator-owned replacement contributor: lock, or contribute to, its next chunk. */
  private async replacementStep(key: ParticipantKey): Promise<boolean> {
    const s = this.ceremony.state;
    const ins = instructionFor(s, key.publicKey);
    if (ins.kind === "lock") {
      await this.execute({ type: "LockChunk", now: this.now, participant: key.publicKey, chunk: ins.chunk });
      return true;
    }
    if (ins.kind !== "contribute" || s.phase === "setup") return false;
    const round = currentRound(s);
    const parentHash = ins.position === 0 ? s.accumulator[ins.chunk] : round?.chunks[ins.chunk]?.contributions[ins.position - 1]?.hash;
    if (!parentHash) return false;
    const cacheKey = `${ins.round}:${ins.challenge}`;
    let secret = this.replacementSecrets.get(key.publicKey);
    if (!secret || secret.id !== cacheKey) {
      if (secret) destroyKey(secret.key);
      secret = { id: cacheKey, key: createContributorKey(this.curve, fromHex(ins.challenge)) };
      this.replacementSecrets.set(key.publicKey, secret);
    }
    const bytes = await contributeChunk(this.options.ops, this.curve, await this.artifacts.get(parentHash), { params: this.params, chunkIndex: ins.chunk, round: ins.round, contributor: ins.position }, secret.key);
    const hash = await this.storage().put(bytes);
    await this.execute({ type: "RecordContribution", now: this.now, participant: key.publicKey, chunk: ins.chunk, hash });
    this.say(`replacement ${key.publicKey.slice(0, 8)}…: round ${ins.round}, chunk ${ins.chunk} contributed`);
    return true;
  }

  private readonly replacementSecrets = new Map<string, { id: string; key: KeyPair }>();

  execute(command: Command): ReturnType<Ceremony["execute"]> {
    if (this.stopping && command.type !== "Tick") return Promise.reject(new Error("the coordinator is shutting down"));
    return this.ceremony.execute(command);
  }

  private nextTask(): VerificationTask | null {
    return verificationTasks(this.ceremony.state).find((t) => !this.inFlight.has(t.hash)) ?? null;
  }

  /** Claims and verifies one task with the coordinator's own verifier. */
  private async verifyOne(): Promise<boolean> {
    const task = this.nextTask();
    if (!task) return false;
    this.inFlight.add(task.hash);
    try {
      const verdict = await this.verifyTask(task);
      try {
        await this.recordVerdict(this.options.coordinatorKey.publicKey, task, verdict);
      } catch (err) {
        // The contribution moved on meanwhile (replaced, rejected by another verifier, round restarted).
        if (!(err instanceof DomainError && err.code === "STALE_VERIFICATION")) throw err;
      }
    } finally {
      this.inFlight.delete(task.hash);
    }
    return true;
  }

  verifyTask(task: VerificationTask): ReturnType<typeof runVerificationTask> {
    return runVerificationTask(this.options.ops, this.curve, this.params, task, this.artifacts, this.knownKeys);
  }

  /** Records a verifier's verdict (the coordinator's own, or an external verify-worker's). */
  async recordVerdict(
    verifier: string,
    task: { round: number; chunk: number; position: number; hash: string },
    reported: { ok: boolean; code?: string; nextChallenge?: string },
  ): Promise<void> {
    // Whoever verified, a chunk 0 whose key was already accepted in this ceremony is refused here.
    const key = reported.ok && task.chunk === 0 ? await this.publicKeyOf(task.hash) : null;
    const reused = key !== null && this.knownKeys.has(publicKeyId(key));
    const verdict = reused ? { ok: false, code: "REUSED_PUBLIC_KEY" } : reported;
    await this.execute({
      type: "RecordVerification",
      now: this.now,
      verifier,
      round: task.round,
      chunk: task.chunk,
      position: task.position,
      hash: task.hash,
      ok: verdict.ok,
      ...(verdict.code ? { code: verdict.code } : {}),
      ...(verdict.nextChallenge ? { nextChallenge: verdict.nextChallenge } : {}),
    });
    if (verdict.ok && key) this.knownKeys.add(publicKeyId(key));
    this.say(`round ${task.round}, chunk ${task.chunk}: contribution ${task.position + 1} ${verdict.ok ? "verified" : `rejected (${verdict.code})`}`);
  }

  private async aggregateIfComplete(): Promise<boolean> {
    const s = this.ceremony.state;
    const round = currentRound(s);
    if (!round || !roundComplete(round) || this.busy.aggregating) return false;
    this.busy.aggregating = true;
    try {
      const last = round.contributors.length - 1;
      const chunks = round.chunks.map((c) => (c.contributions[last] as { hash: string }).hash);
      const c0 = chunks[0] as string;
      const key = await this.publicKeyOf(c0);
      if (!key) throw new Error("the last contributor's chunk 0 has no public key");
      const challenge = fromHex(round.challenges[last] ?? "");
      const next = await dataHash(this.curve, this.params, responseHash(this.curve, challenge, key), (k) => this.artifacts.get(chunks[k] as string));
      await this.execute({ type: "AggregateRound", now: this.now, round: round.number, challenge: toHex(next) });
      this.say(`round ${round.number} aggregated`);
      return true;
    } finally {
      this.busy.aggregating = false;
    }
  }

  private async finalizeIfReady(): Promise<boolean> {
    const s = this.ceremony.state;
    if (s.phase !== "finalizing" || s.round || this.busy.finalizing) return false;
    this.busy.finalizing = true;
    try {
      const params = this.params;
      const final = await beaconAccumulator(this.options.ops, this.curve, params, s, s.beacon, this.storage());
      await exportPtau(this.finalPath, params, final.records, (k) => this.artifacts.get(final.chunks[k] as string));
      // The final file also goes to the artifact store: hashed while streamed, served and referenced by hash.
      const size = (await stat(this.finalPath)).size;
      const { hash: fileHash } = await this.artifacts.put(createReadStream(this.finalPath), { maxBytes: size, exactBytes: size });
      await this.execute({ type: "RecordFinal", now: this.now, hash: fileHash });
      await this.transcript?.commitFinal(fileHash);
      this.say(`finalized: ${this.finalPath} (${fileHash.slice(0, 16)}…)`);
      return true;
    } finally {
      this.busy.finalizing = false;
    }
  }

  state(): CeremonyState {
    return this.ceremony.state;
  }

  /** Stops the tick and the loops, lets in-flight commands finish, closes the log. */
  async close(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.cron?.stop();
    for (const { key } of this.replacementSecrets.values()) destroyKey(key);
    await this.ceremony.close();
    await Promise.all(this.loops);
    await this.transcript?.close();
  }
}
