/** What every build of the C curve engine (src/crypto/msm: native through bun:ffi, or wasm) offers, and its argument checks. */

export type Group = "G1" | "G2";
export type PointFault = "POINT_AT_INFINITY" | "POINT_NOT_CANONICAL" | "POINT_NOT_ON_CURVE";
export type PointCheck = { ok: true } | { ok: false; fault: PointFault; index: number };
export type EngineKind = "native" | "wasm";

/** Supported scalar widths of msm: 1 to MAX_SCALAR_BYTES bytes (any value up to 2^(8·scalarBytes) − 1). */
export const MAX_SCALAR_BYTES = 32;

/**
 * The synchronous per-thread operations. Points are .ptau bytes (affine, little-endian Montgomery, zeros for
 * infinity); scalars little-endian. Results are bit-identical across builds and to ffjavascript (tested).
 */
export interface CurveEngine {
  readonly kind: EngineKind;
  /** Σ s_i·P_i (scalars of `scalarBytes` bytes, not reduced); points canonical and on the curve. */
  msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Uint8Array;
  /**
   * Point i times first·inc^(offset + i) mod r (32-byte scalars; offset 0 by default). Exact for every point of G1
   * and of the G2 subgroup; for a G2 point outside the subgroup the result is unspecified (keys are only applied
   * to verified points).
   */
  applyKey(g: Group, points: Uint8Array, first: Uint8Array, inc: Uint8Array, offset?: number): Uint8Array;
  /** Canonical and not infinity (every point first), then on the curve; the first fault with its index. */
  checkPoints(g: Group, points: Uint8Array): PointCheck;
  /** Whether a G2 point already known to be on the curve lies in the prime-order subgroup. */
  g2InSubgroup(point: Uint8Array): boolean;
  /** The uncompressed big-endian form snarkjs hashes (ffjavascript's batchLEMtoU; infinity stays zeros). */
  toUncompressed(g: Group, points: Uint8Array): Uint8Array;
  /**
   * Whether Π e(P_i, Q_i) = 1 for the n G1 points in `g1` and n G2 points in `g2` (at most PAIRING_MAX pairs; G2
   * points subgroup-checked first). Only the native build has it: in wasm, mcl-wasm's pairing is the faster one.
   */
  pairingIsOne?(g1: Uint8Array, g2: Uint8Array, n: number): boolean;
}

/** The most pairs pairingIsOne takes at once. */
export const PAIRING_MAX = 16;

export const POINT_BYTES: Readonly<Record<Group, number>> = { G1: 64, G2: 128 };
export const GROUP_ID: Readonly<Record<Group, number>> = { G1: 1, G2: 2 };

export function isGroup(g: unknown): g is Group {
  return g === "G1" || g === "G2";
}

/** Checks msm's arguments and returns the number of points. */
export function msmCount(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): number {
  if (!isGroup(g)) throw new TypeError(`msm: unknown group ${String(g)}`);
  if (!Number.isInteger(scalarBytes) || scalarBytes < 1 || scalarBytes > MAX_SCALAR_BYTES) {
    throw new RangeError(`msm: scalarBytes must be an integer from 1 to ${MAX_SCALAR_BYTES}, got ${scalarBytes}`);
  }
  const n = pointCount(g, points, "msm");
  if (scalars.length !== n * scalarBytes) {
    throw new RangeError(`msm: ${n} points need ${n * scalarBytes} bytes of ${scalarBytes}-byte scalars, got ${scalars.length}`);
  }
  return n;
}

/** The number of whole points in `points`, or a RangeError naming `op`. */
export function pointCount(g: Group, points: Uint8Array, op: string): number {
  const size = POINT_BYTES[g];
  if (points.length % size !== 0) throw new RangeError(`${op}: ${points.length} bytes is not a whole number of ${g} points (${size} bytes each)`);
  return points.length / size;
}

export function checkScalar(s: Uint8Array, what: string): void {
  if (s.length !== 32) throw new RangeError(`applyKey: ${what} must be 32 bytes, got ${s.length}`);
}

export function checkOffset(offset: number): void {
  if (!Number.isInteger(offset) || offset < 0 || offset > 0xffffffff) throw new RangeError(`applyKey: offset must be a u32, got ${offset}`);
}

const FAULTS: readonly PointFault[] = ["POINT_AT_INFINITY", "POINT_NOT_CANONICAL", "POINT_NOT_ON_CURVE"];

/** The C engine's answer (−1, or index·4 + fault code 1..3) as a PointCheck. */
export function pointCheckOf(code: bigint | number): PointCheck {
  const c = Number(code);
  if (c < 0) return { ok: true };
  const fault = FAULTS[(c % 4) - 1];
  if (!fault) throw new Error(`checkPoints: engine answered ${c}`);
  return { ok: false, fault, index: Math.floor(c / 4) };
}
