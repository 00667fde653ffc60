// An in-process simulation of a whole ceremony with a controllable clock: the real coordinator (shell, crypto,
// own verifier, replacement contributor) and scripted participants that talk to it directly.
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { DEFAULT_FAULT_SETTINGS } from "../../src/core/model.ts";
import { instructionFor } from "../../src/core/views.ts";
import { contributeChunk } from "../../src/crypto/contribute.ts";
import { fromHex } from "../../src/crypto/hash.ts";
import { createContributorKey, destroyKey, type KeyPair } from "../../src/crypto/keys.ts";
import { getCurve } from "../../src/crypto/curve.ts";
import { chunkFileSize } from "../../src/crypto/chunk.ts";
import { chunkLayout } from "../../src/crypto/params.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { currentRound } from "../../src/core/evolve.ts";
import { Coordinator } from "../../src/server/coordinator.ts";

export type Behaviour = "honest" | "silent" | "slow" | "garbage" | "leaver";

export class Clock {
  now = Date.UTC(2026, 10, 21);
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface Sim {
  clock: Clock;
  coord: Coordinator;
  admin: ParticipantKey;
  /** Runs one participant's next step; returns false when it has nothing to do. */
  step(p: Participant): Promise<boolean>;
}

export class Participant {
  private secret: { id: string; key: KeyPair } | null = null;
  acted = 0;
  constructor(
    readonly behaviour: Behaviour,
    readonly key: ParticipantKey = generateKeyPair(),
  ) {}
  get id(): string {
    return this.key.publicKey;
  }
  forget(): void {
    if (this.secret) destroyKey(this.secret.key);
    this.secret = null;
  }
  keyFor(round: number, challenge: string, make: () => KeyPair): KeyPair {
    const id = `${round}:${challenge}`;
    if (this.secret?.id !== id) {
      this.forget();
      this.secret = { id, key: make() };
    }
    return this.secret.key;
  }
}

export async function openSim(dataDir: string, contributorsPerRound: number): Promise<Sim> {
  const clock = new Clock();
  const admin = generateKeyPair();
  const coord = await Coordinator.open({
    dataDir,
    settings: {
      power: 3,
      chunkSize: 4,
      contributorsPerRound,
      lockLimit: 1,
      roundStartWaitMs: 1_000,
      ...DEFAULT_FAULT_SETTINGS,
      heartbeatTimeoutMs: 10_000,
      lockTimeoutMs: 30_000,
      maxVerificationFailures: 2,
      admins: [admin.publicKey],
    },
    tickMs: 3_600_000,
    verifiers: 1,
    replacements: 1,
    coordinatorKey: generateKeyPair(),
    ops: await LocalOps.create(),
    now: () => clock.now,
  });
  coord.start();
  const curve = await getCurve();
  const step = async (p: Participant): Promise<boolean> => {
    const s = coord.state();
    if (p.behaviour === "silent") return false;
    coord.heartbeats.set(p.id, clock.now);
    const ins = instructionFor(s, p.id);
    if (ins.kind === "lock") {
      await coord.execute({ type: "LockChunk", now: clock.now, participant: p.id, chunk: ins.chunk }).catch(() => []);
      return true;
    }
    if (ins.kind !== "contribute" || s.phase === "setup") return false;
    if (p.behaviour === "slow") return false;
    if (p.behaviour === "leaver" && p.acted >= 1) return false;
    const round = currentRound(s);
    const parent = ins.position === 0 ? s.accumulator[ins.chunk] : round?.chunks[ins.chunk]?.contributions[ins.position - 1]?.hash;
    if (!parent) return false;
    const params = { ceremonyId: s.settings.ceremonyId, power: s.settings.power, chunkSize: s.settings.chunkSize };
    const bytes =
      p.behaviour === "garbage"
        ? crypto.getRandomValues(new Uint8Array(chunkFileSize(chunkLayout(params, ins.chunk), true)))
        : await contributeChunk(
            await LocalOps.create(),
            curve,
            await coord.artifacts.get(parent),
            { params, chunkIndex: ins.chunk, round: ins.round, contributor: ins.position },
            p.keyFor(ins.round, ins.challenge, () => createContributorKey(curve, fromHex(ins.challenge))),
          );
    const stored = await coord.artifacts.put(bytes, { maxBytes: bytes.length, exactBytes: bytes.length });
    await coord.execute({ type: "RecordContribution", now: clock.now, participant: p.id, chunk: ins.chunk, hash: stored.hash }).catch(() => []);
    p.acted++;
    return true;
  };
  return { clock, coord, admin, step };
}
