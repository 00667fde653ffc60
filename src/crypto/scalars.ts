/** Scalars of BN254 (the order r of G1 and G2): the modulus, powers, and the 32-byte little-endian form the engines take. */

export const FR_ORDER = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export function modPow(base: bigint, exp: bigint, mod: bigint = FR_ORDER): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/** A non-negative scalar below 2^256 as 32 little-endian bytes. */
export function scalarToLE(s: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = s;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (v !== 0n) throw new RangeError("scalar does not fit in 32 bytes");
  return out;
}
