/**
 * The beacon's seed: the public beacon hash iterated 2^numIterationsExp times through SHA-256 (snarkjs's beacon).
 * Seconds to minutes of hashing at the exponents ceremonies use, so the coordinator runs it on a pool worker
 * (`CurveOps.beaconSeed`), never on the thread that answers requests. Imports no curve library: workers load it.
 */
import { sha256 } from "@noble/hashes/sha2.js";

export function beaconSeed(beaconHash: Uint8Array, numIterationsExp: number): Uint8Array {
  if (!Number.isInteger(numIterationsExp) || numIterationsExp < 0 || numIterationsExp > 63) {
    throw new RangeError("numIterationsExp must be an integer in 0..63");
  }
  let cur = beaconHash;
  const iterations = 2n ** BigInt(numIterationsExp);
  for (let i = 0n; i < iterations; i++) cur = sha256(cur);
  return cur;
}
