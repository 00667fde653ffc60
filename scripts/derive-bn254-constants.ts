/**
 * Derives, and checks, the BN254 constants the C curve engine (src/crypto/msm/*.h, msm.c) hard-codes: Montgomery
 * forms (R = 2^256, the .ptau form) of b, β, the twist's b', ψ's γ1 and γ2, the Frobenius constants ξ^(k(p^j−1)/6)
 * and 1/2; the GLV lattice of λ on G1 with its rounding constants; μ = 6x² for GLS on G2; the NAFs of x and 6x + 2.
 * Each derived value is checked against its defining property (φ = [λ] on the G1 generator, ψ = [μ] on the G2
 * generator, v + λ·w ≡ 0 for the lattice), then printed as u64 limbs, least significant first.
 *
 *   bun scripts/derive-bn254-constants.ts
 */

const q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const x = 4965661367192848881n;
const R = 1n << 256n;

const mod = (a: bigint, m = q): bigint => ((a % m) + m) % m;
function pow(b: bigint, e: bigint, m = q): bigint {
  let res = 1n;
  let base = mod(b, m);
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) res = (res * base) % m;
    base = (base * base) % m;
  }
  return res;
}
const inv = (a: bigint, m = q): bigint => pow(a, m - 2n, m);
/** a^-1 mod 2^64 for odd a (Newton's iteration doubles the correct low bits each step) */
function inv64(a: bigint): bigint {
  const M = 1n << 64n;
  let y = 1n;
  for (let i = 0; i < 7; i++) y = (y * (2n - ((a * y) % M))) % M;
  return mod(y, M);
}

type F2 = [bigint, bigint];
const f2mul = (a: F2, b: F2): F2 => [mod(a[0] * b[0] - a[1] * b[1]), mod(a[0] * b[1] + a[1] * b[0])];
const f2add = (a: F2, b: F2): F2 => [mod(a[0] + b[0]), mod(a[1] + b[1])];
const f2sub = (a: F2, b: F2): F2 => [mod(a[0] - b[0]), mod(a[1] - b[1])];
const f2inv = (a: F2): F2 => {
  const n = inv(mod(a[0] * a[0] + a[1] * a[1]));
  return [mod(a[0] * n), mod(-a[1] * n)];
};
function f2pow(b: F2, e: bigint): F2 {
  let res: F2 = [1n, 0n];
  let base = b;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) res = f2mul(res, base);
    base = f2mul(base, base);
  }
  return res;
}

/** Affine addition on y² = x³ + b over a field given by its operations (null: infinity). */
function curveOps<T>(add: (a: T, b: T) => T, sub: (a: T, b: T) => T, mul: (a: T, b: T) => T, inverse: (a: T) => T, eq: (a: T, b: T) => boolean, zero: T, three: T, two: T) {
  type P = [T, T] | null;
  const addP = (a: P, b: P): P => {
    if (!a) return b;
    if (!b) return a;
    let l: T;
    if (eq(a[0], b[0])) {
      if (eq(add(a[1], b[1]), zero)) return null;
      l = mul(mul(three, mul(a[0], a[0])), inverse(mul(two, a[1])));
    } else {
      l = mul(sub(b[1], a[1]), inverse(sub(b[0], a[0])));
    }
    const x3 = sub(sub(mul(l, l), a[0]), b[0]);
    return [x3, sub(mul(l, sub(a[0], x3)), a[1])];
  };
  const mulP = (k: bigint, p: P): P => {
    let res: P = null;
    let base = p;
    for (let e = k; e > 0n; e >>= 1n) {
      if (e & 1n) res = addP(res, base);
      base = addP(base, base);
    }
    return res;
  };
  return { addP, mulP };
}

const limbs = (v: bigint, n = 4): string =>
  `{${Array.from({ length: n }, (_, i) => `0x${((v >> BigInt(64 * i)) & 0xffffffffffffffffn).toString(16).padStart(16, "0")}ull`).join(", ")}}`;
const mont = (v: bigint): string => limbs(mod(v * R));
const mont2 = (v: F2): string => `${mont(v[0])}, ${mont(v[1])}`;
function naf(v: bigint): number[] {
  const out: number[] = [];
  for (let k = v; k > 0n; k >>= 1n) {
    if (k & 1n) {
      const d = 2n - (k & 3n);
      out.push(Number(d));
      k -= d;
    } else out.push(0);
  }
  return out;
}
function check(what: string, ok: boolean): void {
  if (!ok) throw new Error(`check failed: ${what}`);
}

// G1: β (cube root of unity in Fp) and λ (in Fr) with φ(x, y) = (β·x, y) = [λ](x, y) on the generator (1, 2);
// of the two such pairs, the one with the smaller λ (below 2^192), whose lattice wide.h uses
const g1 = curveOps<bigint>((a, b) => mod(a + b), (a, b) => mod(a - b), (a, b) => mod(a * b), (a) => inv(a), (a, b) => a === b, 0n, 3n, 2n);
const cubeRoot = (m: bigint): bigint => [2n, 3n, 5n, 7n].map((g) => pow(g, (m - 1n) / 3n, m)).find((c) => c !== 1n) as bigint;
const betas = [cubeRoot(q), pow(cubeRoot(q), 2n)];
const lambdas = [cubeRoot(r), pow(cubeRoot(r), 2n, r)].filter((l) => l < 1n << 192n);
const [beta, lambda] = betas.flatMap((b) => lambdas.map((l) => [b, l] as const)).find(([b, l]) => {
  const p = g1.mulP(l, [1n, 2n]);
  return p !== null && p[0] === mod(b) && p[1] === 2n;
}) ?? [0n, 0n];
check("φ = [λ] on G1", beta !== 0n);

// the reduced lattice {(u, v): u + v·λ ≡ 0 mod r} by the extended Euclidean algorithm (GLV, §4)
const seq: Array<[bigint, bigint]> = [[r, 0n], [lambda, 1n]];
for (;;) {
  const [[r0, t0], [r1, t1]] = [seq[seq.length - 2] as [bigint, bigint], seq[seq.length - 1] as [bigint, bigint]];
  if (r1 === 0n) break;
  const qq = r0 / r1;
  seq.push([r0 - qq * r1, t0 - qq * t1]);
}
let sq = 0n;
for (let b = 1n << 127n; b > 0n; b >>= 1n) if ((sq + b) * (sq + b) <= r) sq += b;
const l = seq.reduce((best, [ri], i) => (ri >= sq ? i : best), 0);
const [rl, tl] = seq[l] as [bigint, bigint];
const [rl1, tl1] = seq[l + 1] as [bigint, bigint];
const [rl2, tl2] = seq[l + 2] as [bigint, bigint];
const v1 = [rl1, -tl1];
const v2 = rl * rl + tl * tl <= rl2 * rl2 + tl2 * tl2 ? [rl, -tl] : [rl2, -tl2];
for (const [a, b] of [v1, v2] as Array<[bigint, bigint]>) check("lattice vector", mod(a + b * lambda, r) === 0n);
const [a1, b1] = v1 as [bigint, bigint];
const [a2, b2] = v2 as [bigint, bigint];
check("lattice signs as wide.h takes them (b1 < 0 < a1, a2, b2)", b1 < 0n && a1 > 0n && a2 > 0n && b2 > 0n);

// G2: ψ(x, y) = (conj(x)·γ1, conj(y)·γ2), γ1 = ξ^((q−1)/3), γ2 = ξ^((q−1)/2), and ψ = [μ] with μ = q − r = 6x²
const xi: F2 = [9n, 1n];
const bTwist = f2mul([3n, 0n], f2inv(xi));
const g2 = curveOps<F2>(f2add, f2sub, f2mul, f2inv, (a, b) => a[0] === b[0] && a[1] === b[1], [0n, 0n], [3n, 0n], [2n, 0n]);
const G2: [F2, F2] = [
  [10857046999023057135944570762232829481370756359578518086990519993285655852781n, 11559732032986387107991004021392285783925812861821192530917403151452391805634n],
  [8495653923123431417604973247489272438418190587263600148770280649306958101930n, 4082367875863433681332203403145435568316851327593401208105741076214120093531n],
];
const gamma1 = f2pow(xi, (q - 1n) / 3n);
const gamma2 = f2pow(xi, (q - 1n) / 2n);
const conj = (a: F2): F2 => [a[0], mod(-a[1])];
const mu = q - r;
check("μ = 6x²", mu === 6n * x * x);
const psiG2 = [f2mul(conj(G2[0]), gamma1), f2mul(conj(G2[1]), gamma2)];
const muG2 = g2.mulP(mu, G2);
check("ψ = [μ] on G2", muG2 !== null && muG2[0][0] === psiG2[0]?.[0] && muG2[0][1] === psiG2[0]?.[1] && muG2[1][0] === psiG2[1]?.[0]);

console.log("/* field */");
console.log(`q ${limbs(q)}  -q^-1 mod 2^64 0x${mod(-inv64(q), 1n << 64n).toString(16)}  R mod q ${limbs(mod(R))}`);
console.log(`r ${limbs(r)}  -r^-1 mod 2^64 0x${mod(-inv64(r), 1n << 64n).toString(16)}  R² mod r ${limbs(mod(R * R, r))}`);
console.log("/* msm.c */");
console.log(`G1_B (3) ${mont(3n)}\nG1_BETA ${mont(beta)}\nG2_B ${mont2(bTwist)}\nG2_GAMMA1 ${mont2(gamma1)}\nG2_GAMMA2 ${mont2(gamma2)}`);
console.log("/* wide.h */");
console.log(`GLV_G1C ⌊2^256·b2/r⌋ ${limbs((b2 << 256n) / r, 3)}\nGLV_G2C ⌊2^256·|b1|/r⌋ ${limbs((-b1 << 256n) / r, 3)}`);
console.log(`GLV_A1 ${limbs(a1, 1)} GLV_A2 ${limbs(a2, 2)} GLV_B1 |b1| ${limbs(-b1, 2)} GLV_B2 ${limbs(b2, 1)}`);
console.log(`GLS_MU ${limbs(mu, 2)} GLS_GMU ⌊2^256/μ⌋ ${limbs(R / mu, 3)}`);
console.log("/* pairing.h */");
for (const j of [1n, 2n, 3n]) for (const k of [1n, 2n, 3n, 4n, 5n]) console.log(`ξ^(${k}(p^${j}−1)/6) ${mont2(f2pow(xi, (k * (q ** j - 1n)) / 6n))}`);
console.log(`FP_INV2 ${mont(inv(2n))}`);
console.log(`ATE_NAF (6x + 2) ${naf(6n * x + 2n).join(", ")}`);
console.log(`X_NAF ${naf(x).join(", ")}`);
