// An in-process simulation of a whole ceremony with a controllable clock: the real coordinator (shell, crypto,
// own verifier, replacement contributor) and scripted participants: the ordinary contributor loop on the
// in-process participant interface, with a behaviour that decides what, if anything, each one uploads.
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { Contributor, type Compute } from "../../src/client/contributor.ts";
import { InProcessParticipant } from "../../src/client/in-process.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { contributeChunk } from "../../src/crypto/contribute.ts";
import { getCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { Coordinator, type CoordinatorOptions } from "../../src/server/coordinator.ts";

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
  /** Contributions uploaded so far. */
  acted = 0;
  contributor: Contributor | null = null;
  constructor(
    readonly behaviour: Behaviour,
    readonly key: ParticipantKey = generateKeyPair(),
  ) {}
  get id(): string {
    return this.key.publicKey;
  }
}

/** Options of the coordinator a test sets itself (its schedule, say), and the clock and admin to reuse on a reopen. */
export interface SimExtras {
  options?: Partial<CoordinatorOptions>;
  clock?: Clock;
  admin?: ParticipantKey;
}

export async function openSim(dataDir: string, contributorsPerRound: number, extras: SimExtras = {}): Promise<Sim> {
  const clock = extras.clock ?? new Clock();
  const admin = extras.admin ?? generateKeyPair();
  const ops = await LocalOps.create();
  const coord = await Coordinator.open({
    dataDir,
    settings: {
      power: 3,
      chunkSize: 4,
      contributorsPerRound,
      lockLimit: 1,
      roundStartWaitMs: 1_000,
      ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION,
      heartbeatTimeoutMs: 10_000,
      lockTimeoutMs: 30_000,
      maxVerificationFailures: 2,
      admins: [admin.publicKey],
    },
    tickMs: 3_600_000,
    verifiers: 1,
    replacements: 1,
    coordinatorKey: generateKeyPair(),
    ops,
    now: () => clock.now,
    ...extras.options,
  });
  coord.start();
  const curve = await getCurve();
  /**
   * What each behaviour uploads: real work; garbage (a well-formed chunk file whose points are random bytes, so it
   * reaches the verifier, which rejects it); or nothing (it holds its lock).
   */
  const computeFor = (p: Participant): Compute => async (parent, slot, key) => {
    if (p.behaviour === "slow" || (p.behaviour === "leaver" && p.acted >= 1)) return null;
    p.acted++;
    const bytes = await contributeChunk(ops, curve, parent, slot, key);
    if (p.behaviour === "garbage") bytes.set(crypto.getRandomValues(new Uint8Array(128)), bytes.length - 128);
    return bytes;
  };
  const step = async (p: Participant): Promise<boolean> => {
    if (p.behaviour === "silent") return false;
    p.contributor ??= new Contributor(new InProcessParticipant(coord.service, p.id), { ops, curve, compute: computeFor(p) });
    const did = await p.contributor.step();
    return did === "locked" || did === "contributed";
  };
  return { clock, coord, admin, step };
}
