/**
 * The contributor loop, once for every contributor: the CLI, the coordinator's replacement contributors and the
 * simulation harness. It follows the coordinator's instructions (wait, lock, contribute, done), acknowledging an
 * instruction before acting on it; to contribute it downloads the parent, checks its hash, computes with the
 * round's secret key and uploads. A refusal because the state moved on (409) makes it ask for its current
 * instruction; what was acknowledged is never sent again.
 */
import type { Curve } from "ffjavascript";
import type { CeremonyInfo, IdentityProof } from "../api/schemas.ts";
import type { Instruction } from "../core/views.ts";
import { chunkHash } from "../crypto/chunk.ts";
import { contributeChunk, type ContributionSlot } from "../crypto/contribute.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import { createContributorKey, destroyKey, type KeyPair } from "../crypto/keys.ts";
import type { CurveOps } from "../crypto/ops.ts";
import { sleep } from "../lib/retry.ts";
import { ClientError } from "./errors.ts";
import type { ParticipantApi } from "./participant.ts";

export type ContributeInstruction = Extract<Instruction, { kind: "contribute" }>;

/** Computes the contribution to one chunk; null holds it back for now (scripted behaviours in the simulation). */
export type Compute = (parent: Uint8Array, target: ContributionSlot, key: KeyPair) => Promise<Uint8Array | null>;

export interface ContributorOptions {
  ops: CurveOps;
  curve: Curve;
  /** Extra entropy mixed into the round's secret. */
  entropy?: string;
  log?: (line: string) => void;
  compute?: Compute;
  /** The identity proof to join with, made when joining (a Sign-In with Ethereum needs a fresh nonce). */
  proof?: () => Promise<IdentityProof>;
  /** Told whenever the instruction is to wait (to show a place in the queue, say). */
  onWait?: (instruction: Instruction) => Promise<void> | void;
  /** How to pass the time when there is nothing to do (default: sleep the poll interval); woken by the live feed, say. */
  pause?: (instruction: Instruction | null) => Promise<void>;
  /**
   * While a chunk is downloaded, computed and uploaded, check in this often (a first computation that starts the
   * worker pool, a slow machine or a large chunk must not look like silence to the coordinator). Default: never.
   */
  keepAliveMs?: number;
}

export type StepResult = "waited" | "locked" | "contributed" | "held" | "moved-on" | "rejoined" | "done";

/** A refusal that means the state moved on under the participant (a drop, a restart, a replaced position). */
const movedOn = (err: unknown): boolean => err instanceof ClientError && (err.status === 409 || err.code === "NOT_IN_ROUND");

export class Contributor {
  private instruction: Instruction | null = null;
  private roundKey: { round: number; challenge: string; key: KeyPair } | null = null;
  private info: CeremonyInfo | null = null;
  readonly uploads: Array<{ round: number; chunk: number; hash: string }> = [];

  constructor(
    readonly api: ParticipantApi,
    private readonly options: ContributorOptions,
  ) {}

  /** The instruction it acts on next (null before the first step). */
  get current(): Instruction | null {
    return this.instruction;
  }

  /** Joins the queue; a participant already queued or in the round carries on from its instruction. */
  async join(): Promise<Instruction> {
    const proof = await this.options.proof?.();
    this.instruction = await this.api.join(proof).catch(async (err: unknown) => {
      if (err instanceof ClientError && (err.code === "ALREADY_QUEUED" || err.code === "ALREADY_IN_ROUND")) return this.api.instruction();
      throw err;
    });
    return this.instruction;
  }

  /** One step: follows the current instruction and keeps the next. */
  async step(): Promise<StepResult> {
    // A "done" is asked again: a replacement contributor that finished one round may be put into the next.
    const ins = this.instruction && this.instruction.kind !== "done" ? this.instruction : await this.api.instruction();
    switch (ins.kind) {
      case "done":
        this.instruction = ins;
        return "done";
      case "wait":
        await this.options.onWait?.(ins);
        this.instruction = await this.api.heartbeat();
        return "waited";
      case "lock":
        if (this.secretLost(ins)) return this.rejoin(ins.round);
        this.instruction = await this.followingRefusals(() => this.api.lock(ins.chunk));
        return "locked";
      case "contribute":
        if (this.secretLost(ins)) return this.rejoin(ins.round);
        return this.contribute(ins);
      default: {
        const never: never = ins;
        throw new Error(`unknown instruction ${JSON.stringify(never)}`);
      }
    }
  }

  /** Steps until done, sleeping `pollMs` whenever there is nothing to do; returns the final instruction. */
  async run(pollMs: number): Promise<Instruction> {
    if (!this.instruction) await this.join();
    let shown = "";
    for (;;) {
      const ins = this.instruction;
      if (ins && ins.id !== shown) {
        shown = ins.id;
        if (ins.kind === "wait" && !this.options.onWait) this.options.log?.(`waiting: ${ins.reason}`);
      }
      const did = await this.step();
      if (did === "done") return this.instruction as Instruction;
      if (did === "waited" || did === "held") await (this.options.pause ? this.options.pause(this.instruction) : sleep(pollMs));
    }
  }

  /**
   * Whether this round's secret is gone: a chunk after the first is this position's next work, but this process
   * never made the key that contributed its first chunk (an earlier run did, and is gone). The chunks after it must
   * be made with that same key, so nothing this process could upload would be accepted.
   */
  private secretLost(ins: Extract<Instruction, { kind: "lock" | "contribute" }>): boolean {
    return ins.chunk > 0 && this.roundKey?.round !== ins.round;
  }

  /** Gives the position up at once (the coordinator moves on without it) and joins the queue again. */
  private async rejoin(round: number): Promise<StepResult> {
    this.options.log?.(`the secret of round ${round} is gone with the run that made it: giving up this position and joining a later round`);
    await this.api.leave();
    await this.join();
    return "rejoined";
  }

  /** Leaves the queue, or gives up the position in the round (a participant stopping early). */
  async leave(): Promise<void> {
    await this.api.leave();
  }

  /** Forgets the round's secret key. */
  close(): void {
    if (this.roundKey) destroyKey(this.roundKey.key);
    this.roundKey = null;
  }

  /** Calls `action`; if the state moved on meanwhile, takes the current instruction instead. */
  private async followingRefusals(action: () => Promise<Instruction>): Promise<Instruction> {
    try {
      return await action();
    } catch (err) {
      if (movedOn(err)) return this.api.instruction();
      throw err;
    }
  }

  private async contribute(ins: ContributeInstruction): Promise<StepResult> {
    // Acknowledge the instruction before acting on it; if the state moved on, take the new one.
    const acked = await this.api.acknowledge(ins.id).catch((err: unknown) => {
      if (err instanceof ClientError && err.code === "STALE_INSTRUCTION") return null;
      throw err;
    });
    if (!acked || acked.kind !== "contribute") {
      this.instruction = acked ?? (await this.api.instruction());
      return "moved-on";
    }
    const keepAlive = this.keepAlive();
    try {
      const uploaded = await this.contributeOne(acked);
      if (!uploaded) return "held";
      this.uploads.push({ round: acked.round, chunk: acked.chunk, hash: uploaded.hash });
      this.instruction = uploaded.instruction;
      return "contributed";
    } catch (err) {
      // The state moved on meanwhile (an earlier attempt was recorded before a restart, a drop, a restart):
      // never resend what was acknowledged; follow the coordinator's current instruction.
      if (!movedOn(err)) throw err;
      this.instruction = await this.api.instruction();
      return "moved-on";
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** Heartbeats while working on a chunk (their instructions are not acted on: the upload's answer is). */
  private keepAlive(): ReturnType<typeof setInterval> | undefined {
    const every = this.options.keepAliveMs;
    if (!every) return undefined;
    return setInterval(() => {
      this.api.heartbeat().catch((err: unknown) => this.options.log?.(`heartbeat while working failed: ${err instanceof Error ? err.message : String(err)}`));
    }, every);
  }

  private keyFor(ins: ContributeInstruction): KeyPair {
    if (!this.roundKey || this.roundKey.round !== ins.round || this.roundKey.challenge !== ins.challenge) {
      this.close();
      this.roundKey = { round: ins.round, challenge: ins.challenge, key: createContributorKey(this.options.curve, fromHex(ins.challenge), this.options.entropy) };
    }
    return this.roundKey.key;
  }

  private async contributeOne(ins: ContributeInstruction): Promise<{ hash: string; instruction: Instruction } | null> {
    const info = (this.info ??= await this.api.ceremony());
    const { chunk, round, position } = ins;
    let t = performance.now();
    const ms = (): string => {
      const d = performance.now() - t;
      t = performance.now();
      return `${Math.round(d)} ms`;
    };
    const { parentHash } = await this.api.parent(chunk);
    const parent = await this.api.artifact(parentHash);
    if (toHex(chunkHash(parent)) !== parentHash) throw new ClientError(0, "BAD_ARTIFACT", `the coordinator sent chunk ${chunk + 1} with the wrong hash`);
    const downloaded = ms();
    const target: ContributionSlot = { params: { ceremonyId: info.ceremonyId, power: info.power, chunkSize: info.chunkSize }, chunkIndex: chunk, round, contributor: position };
    const compute: Compute = this.options.compute ?? ((p, tg, key) => contributeChunk(this.options.ops, this.options.curve, p, tg, key));
    const bytes = await compute(parent, target, this.keyFor(ins));
    if (!bytes) return null;
    const computed = ms();
    const result = await this.api.upload(chunk, bytes);
    this.options.log?.(`round ${round}, chunk ${chunk + 1}/${info.numChunks}: downloaded ${downloaded}, computed ${computed}, uploaded ${ms()} (${result.hash.slice(0, 16)}…)`);
    return result;
  }
}
