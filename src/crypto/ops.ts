/**
 * The curve operations the protocol needs on whole chunks, behind one interface: LocalOps runs them in this
 * thread; WorkerPool (pool.ts) splits them across Bun/Node workers that each run the same engine on a slice.
 */
import type { Curve } from "ffjavascript";
import { getCurve } from "./curve.ts";
import { engineApplyKey, initEngine, type CurveEngine, type EnginePreference } from "./engine.ts";
import { initPairing } from "./pairing.ts";
import { MAX_SCALAR_BYTES, type Group, type PointCheck } from "./msm/engine-types.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";
import { chunkSums, type SumsInput, type SumsResult } from "./verify-sums.ts";

export type { Group, PointCheck };
export { FR_ORDER, modPow } from "./scalars.ts";

export interface CurveOps {
  /** How many threads the operations use. */
  readonly parallelism: number;
  /** Point i of `points` times first·inc^i. */
  applyKey(g: Group, points: Uint8Array, first: bigint, inc: bigint): Promise<Uint8Array>;
  /** Canonical, not infinity, on the curve; the first fault with its index. */
  checkPoints(g: Group, points: Uint8Array): Promise<PointCheck>;
  /** Σ s_i·P_i with little-endian scalars of `scalarBytes` bytes each; the affine result in .ptau encoding. */
  msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array>;
  /**
   * The point checks and random combinations of one chunk (verify-sums.ts) as one task: a pool runs it on one
   * worker, so that many chunks verified at once use every core without splitting each msm. Optional: without it,
   * chunkSums runs on msm and checkPoints.
   */
  chunkSums?(input: SumsInput): Promise<SumsResult>;
  /** The beacon's hash iterations (beacon-seed.ts) off the calling thread. Optional: without it, they run inline. */
  beaconSeed?(hash: Uint8Array, numIterationsExp: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function pointBytes(g: Group): number {
  return g === "G1" ? G1_SIZE : G2_SIZE;
}

/** The affine .ptau encoding of an ffjavascript point. */
export function encodePoint(curve: Curve, g: Group, p: Uint8Array): Uint8Array {
  const out = new Uint8Array(pointBytes(g));
  curve[g].toRprLEM(out, 0, curve[g].toAffine(p));
  return out;
}

/** Sum of .ptau-encoded points. */
export function sumPoints(curve: Curve, g: Group, points: Uint8Array[]): Uint8Array {
  let acc = curve[g].zero;
  for (const p of points) acc = curve[g].add(acc, curve[g].fromRprLEM(p, 0));
  return encodePoint(curve, g, acc);
}

/** msm with this thread's engine (the current one, else "auto"). */
export async function localMsm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array> {
  return engineMsm(await initEngine(), g, points, scalars, scalarBytes);
}

/** msm with the given engine, or ffjavascript for scalars wider than it takes. */
export async function engineMsm(e: CurveEngine, g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array> {
  const n = points.length / pointBytes(g);
  if (scalars.length !== n * scalarBytes) throw new RangeError(`msm: ${n} points but ${scalars.length / scalarBytes} scalars`);
  if (n === 0) return new Uint8Array(pointBytes(g));
  // The C engine (src/crypto/msm, bit-identical to ffjavascript's multiExpAffine) takes scalars of 1 to 32 bytes;
  // wider ones, which nothing here uses, still go to ffjavascript.
  if (Number.isInteger(scalarBytes) && scalarBytes >= 1 && scalarBytes <= MAX_SCALAR_BYTES) return e.msm(g, points, scalars, scalarBytes);
  const curve = await getCurve();
  return encodePoint(curve, g, await curve[g].multiExpAffine(points, scalars));
}

/** All operations in the calling thread, on its curve engine (native or wasm, see engine.ts). */
export class LocalOps implements CurveOps {
  readonly parallelism = 1;

  private constructor(private readonly engine: CurveEngine) {}

  /** Also readies this thread's pairings (pairing.ts: the native engine's, or mcl's). */
  static async create(preference: EnginePreference = "auto"): Promise<LocalOps> {
    const e = await initEngine(preference);
    await initPairing();
    return new LocalOps(e);
  }

  get kind(): CurveEngine["kind"] {
    return this.engine.kind;
  }

  async applyKey(g: Group, points: Uint8Array, first: bigint, inc: bigint): Promise<Uint8Array> {
    return engineApplyKey(this.engine, g, points, first, inc);
  }

  async checkPoints(g: Group, points: Uint8Array): Promise<PointCheck> {
    return this.engine.checkPoints(g, points);
  }

  msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array> {
    return engineMsm(this.engine, g, points, scalars, scalarBytes);
  }

  chunkSums(input: SumsInput): Promise<SumsResult> {
    return chunkSums(this, input);
  }

  async close(): Promise<void> {}
}
