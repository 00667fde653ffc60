/**
 * Verification: the coordinator's own verifiers claim ready contributions and check them, and every verdict (its
 * own or an external verifier's) is recorded with the facts the coordinator derives itself from an accepted
 * chunk 0 (its key's id and the next challenge), never taken from the verifier.
 */
import { DomainError, refuse } from "../../core/errors.ts";
import type { Chunk0Facts, ParticipantId } from "../../core/model.ts";
import { verificationTasks, type VerificationTask } from "../../core/views.ts";
import type { CurveOps } from "../../crypto/ops.ts";
import { chunk0Facts } from "../../facts/chunk0.ts";
import { runVerificationTask } from "../../facts/verification.ts";
import type { EffectPort } from "./port.ts";

export interface VerificationPort extends EffectPort {
  ops: CurveOps;
  /** The coordinator's key: its own verifiers act as it. */
  coordinator: ParticipantId;
  /** Told how long each of its own verifications took, and the verdict: the verification metric. */
  timed?: (seconds: number, ok: boolean) => void;
}

type TaskRef = Pick<VerificationTask, "round" | "chunk" | "position" | "hash">;

export class Verification {
  private readonly inFlight = new Set<string>();

  constructor(private readonly port: VerificationPort) {}

  /** The next task no own verifier holds. */
  nextTask(): VerificationTask | null {
    return verificationTasks(this.port.state()).find((t) => !this.inFlight.has(t.hash)) ?? null;
  }

  /** Claims and verifies one task with the coordinator's own verifier; false when there is none. */
  async verifyOne(): Promise<boolean> {
    const task = this.nextTask();
    if (!task) return false;
    this.inFlight.add(task.hash);
    try {
      const started = performance.now();
      const verdict = await runVerificationTask(this.port.ops, this.port.curve, this.port.params(), task, this.port.artifacts);
      this.port.timed?.((performance.now() - started) / 1000, verdict.ok);
      await this.record(this.port.coordinator, task, verdict);
    } catch (err) {
      // Expected race: the contribution moved on meanwhile (replaced, rejected by another verifier, round restarted).
      if (!(err instanceof DomainError && err.code === "STALE_VERIFICATION")) throw err;
    } finally {
      this.inFlight.delete(task.hash);
    }
    return true;
  }

  /** Records a verdict on a contribution awaiting verification. */
  async record(verifier: ParticipantId, ref: TaskRef, reported: { ok: boolean; code?: string }): Promise<void> {
    const task = verificationTasks(this.port.state()).find((t) => t.round === ref.round && t.chunk === ref.chunk && t.position === ref.position && t.hash === ref.hash);
    if (!task) throw refuse("STALE_VERIFICATION", "that contribution is not awaiting verification (replaced, rejected, already verified or not ready)");
    let { ok, code } = reported;
    let chunk0: Chunk0Facts | undefined;
    if (ok && task.chunk === 0) {
      const facts = chunk0Facts(this.port.curve, this.port.params(), await this.port.artifacts.get(task.hash), task.hash, task.challenge);
      if (facts) chunk0 = facts;
      else [ok, code] = [false, "MALFORMED_CHUNK"];
    }
    await this.port.execute({
      type: "RecordVerification",
      now: this.port.now(),
      verifier,
      round: task.round,
      chunk: task.chunk,
      position: task.position,
      hash: task.hash,
      ok,
      ...(code !== undefined ? { code } : {}),
      ...(chunk0 ? { chunk0 } : {}),
    });
  }
}
