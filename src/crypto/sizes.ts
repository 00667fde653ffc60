/** Byte sizes of BN254 field elements and points as stored in .ptau files (affine, little-endian Montgomery). */
export const N8 = 32;
export const G1_SIZE = 2 * N8;
export const G2_SIZE = 4 * N8;
export const HASH_SIZE = 64;
/** The public key as snarkjs stores it: 6 G1 points then 3 G2 points. */
export const PUBKEY_SIZE = 6 * G1_SIZE + 3 * G2_SIZE;

export function pointSize(group: "G1" | "G2"): number {
  return group === "G1" ? G1_SIZE : G2_SIZE;
}
