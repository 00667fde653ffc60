/**
 * Pairing-product checks for this thread: the native engine's pairing where the C engine is loaded natively (about
 * 3× mcl's), else mcl-wasm's. initPairing() readies whichever applies; mcl is loaded only when needed.
 */
import { engine, initEngine } from "./engine.ts";
import { initMcl, pairingProductIsOne as mclPairingProductIsOne } from "./mcl.ts";
import { PAIRING_MAX } from "./msm/engine-types.ts";
import { G1_SIZE, G2_SIZE } from "./sizes.ts";

/** Loads this thread's engine and, where it has no pairing, mcl. */
export async function initPairing(): Promise<void> {
  const e = await initEngine();
  if (!e.pairingIsOne) await initMcl();
}

/** Whether Π e(P_i, Q_i) = 1 for .ptau-encoded pairs (P in G1, Q in G2 subgroup-checked). Needs initPairing() (or initMcl()). */
export function pairingProductIsOne(pairs: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): boolean {
  let e;
  try {
    e = engine();
  } catch {
    return mclPairingProductIsOne(pairs); // no engine in this thread: mcl, which the caller initialised
  }
  if (!e.pairingIsOne || pairs.length > PAIRING_MAX) return mclPairingProductIsOne(pairs);
  const g1 = new Uint8Array(pairs.length * G1_SIZE);
  const g2 = new Uint8Array(pairs.length * G2_SIZE);
  pairs.forEach(([p, q], i) => {
    g1.set(p, i * G1_SIZE);
    g2.set(q, i * G2_SIZE);
  });
  return e.pairingIsOne(g1, g2, pairs.length);
}
