/**
 * snarkjs's same-ratio checks, e(a1, b2) = e(b1, a2), many at once: the proofs of knowledge of a key and the
 * links of a record to the one before. With fresh 64-bit ρ_i, Π_i e(ρ_i·a1_i, b2_i)·e(−ρ_i·b1_i, a2_i) = 1 holds
 * when some check fails only if the ρ of that check hits one value modulo r (the pairings land in the order-r group,
 * the G2 points being subgroup-checked first), and the terms that share a G2 point share its Miller loop: the
 * eight checks of a chunk 0 cost one product of at most ten pairings instead of eight products of two. When the
 * joint product fails, the checks are run one by one to name the first that fails.
 */
import { negate } from "./encoding.ts";
import { engine } from "./engine.ts";
import { toHex } from "./hash.ts";
import { pairingProductIsOne } from "./pairing.ts";
import { G1_SIZE } from "./sizes.ts";
import { randomScalars } from "./verify-sums.ts";

/** e(a1, b2) = e(b1, a2) for a1, b1 in G1 and a2, b2 in G2 (.ptau encodings). */
export interface SameRatio {
  a1: Uint8Array;
  b1: Uint8Array;
  a2: Uint8Array;
  b2: Uint8Array;
}

const isZero = (p: Uint8Array): boolean => p.every((x) => x === 0);

/** One check on its own; zero points fail it (a zero makes both sides 1). */
export function sameRatioHolds(c: SameRatio): boolean {
  if ([c.a1, c.b1, c.a2, c.b2].some(isZero)) return false;
  return pairingProductIsOne([[c.a1, c.b2], [negate("G1", c.b1), c.a2]]);
}

/** The index of the first check that fails, or −1 when all hold. Needs this thread's engine (initEngine). */
export function firstFailingRatio(checks: readonly SameRatio[]): number {
  const zero = checks.findIndex((c) => [c.a1, c.b1, c.a2, c.b2].some(isZero));
  const upTo = zero < 0 ? checks.length : zero; // a zero point fails its own check: only earlier ones can come first
  if (jointHolds(checks.slice(0, upTo))) return zero;
  for (let i = 0; i < upTo; i++) if (!sameRatioHolds(checks[i] as SameRatio)) return i;
  return zero; // the joint product failed while each check holds: only when a ρ hit one value mod r
}

function jointHolds(checks: readonly SameRatio[]): boolean {
  if (checks.length === 0) return true;
  // G1 terms by G2 partner: e(ρ·a1, b2) and e(−ρ·b1, a2)
  const byG2 = new Map<string, { g2: Uint8Array; points: Uint8Array[]; scalars: Uint8Array[] }>();
  const term = (g1: Uint8Array, g2: Uint8Array, rho: Uint8Array): void => {
    const key = toHex(g2);
    const t = byG2.get(key) ?? { g2, points: [], scalars: [] };
    t.points.push(g1);
    t.scalars.push(rho);
    byG2.set(key, t);
  };
  for (const c of checks) {
    const rho = randomScalars(1, 8);
    term(c.a1, c.b2, rho);
    term(negate("G1", c.b1), c.a2, rho);
  }
  const e = engine();
  const pairs: Array<[Uint8Array, Uint8Array]> = [];
  for (const t of byG2.values()) pairs.push([e.msm("G1", concat(t.points, G1_SIZE), concat(t.scalars, 8), 8), t.g2]);
  return pairingProductIsOne(pairs);
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(parts.length * size);
  parts.forEach((p, i) => out.set(p, i * size));
  return out;
}
