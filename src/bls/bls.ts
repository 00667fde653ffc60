/**
 * BLS signatures as the IETF draft (draft-irtf-cfrg-bls-signature-05) and Ethereum's consensus layer define them:
 * BLS12-381, minimal-pubkey-size (48-byte public keys in G1, 96-byte signatures in G2), the proof-of-possession
 * ciphersuite, through @noble/curves. Keys, messages and signatures cross this module as bytes or lowercase hex;
 * anything that does not decode is "not valid", never an exception.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bytesToHex as toHex, hexToBytes as fromHex } from "@noble/hashes/utils.js";
import { hexPattern } from "../lib/hex.ts";

const sigs = bls12_381.longSignatures;
const G1 = bls12_381.G1.Point;

/** The ciphersuite of signatures (the one Ethereum's consensus layer uses). */
export const SIGNATURE_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/** The proof of possession's own domain: a proof is never a signature over the key's bytes, nor the reverse. */
export const POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

export const BLS_PUBLIC_KEY_BYTES = 48;
export const BLS_SIGNATURE_BYTES = 96;
export const BLS_SECRET_KEY_BYTES = 32;
export const BLS_PUBLIC_KEY_HEX = hexPattern(BLS_PUBLIC_KEY_BYTES);
export const BLS_SIGNATURE_HEX = hexPattern(BLS_SIGNATURE_BYTES);

export interface BlsKeyPair {
  /** 32-byte secret scalar, big-endian, 64 hex digits. */
  secretKey: string;
  /** 48-byte compressed G1 point, 96 hex digits. */
  publicKey: string;
}

export function generateBlsKey(): BlsKeyPair {
  const secretKey = bls12_381.utils.randomSecretKey();
  return { secretKey: toHex(secretKey), publicKey: toHex(sigs.getPublicKey(secretKey).toBytes()) };
}

export function blsPublicKeyOf(secretKey: string): string {
  return toHex(sigs.getPublicKey(fromHex(secretKey)).toBytes());
}

/** KeyValidate: the key decodes to a point of G1's prime-order subgroup that is not the identity. */
export function isValidBlsPublicKey(publicKey: string): boolean {
  return decodePublicKey(publicKey) !== null;
}

function decodePublicKey(publicKey: string): ReturnType<typeof G1.fromBytes> | null {
  if (!BLS_PUBLIC_KEY_HEX.test(publicKey)) return null;
  try {
    const p = G1.fromBytes(fromHex(publicKey));
    p.assertValidity();
    return p.is0() || !p.isTorsionFree() ? null : p;
  } catch {
    return null;
  }
}

function decodeSignature(signature: string): ReturnType<typeof sigs.Signature.fromBytes> | null {
  if (!BLS_SIGNATURE_HEX.test(signature)) return null;
  try {
    const p = sigs.Signature.fromBytes(fromHex(signature));
    p.assertValidity();
    return p.isTorsionFree() ? p : null;
  } catch {
    return null;
  }
}

/** Messages hashed to G2 lately: every mirror signs the same statement, so the coordinator hashes it once. */
const hashed = new Map<string, ReturnType<typeof sigs.hash>>();
const HASHED_KEPT = 64;

function hashToG2(message: Uint8Array, dst: string): ReturnType<typeof sigs.hash> {
  const key = `${dst}:${toHex(message)}`;
  const known = hashed.get(key);
  if (known) return known;
  const point = sigs.hash(message, dst);
  hashed.set(key, point);
  if (hashed.size > HASHED_KEPT) hashed.delete(hashed.keys().next().value as string);
  return point;
}

function signWith(secretKey: string, message: Uint8Array, dst: string): string {
  return toHex(sigs.Signature.toBytes(sigs.sign(hashToG2(message, dst), fromHex(secretKey))));
}

function verifyWith(publicKey: string, message: Uint8Array, signature: string, dst: string): boolean {
  const pk = decodePublicKey(publicKey);
  const sig = decodeSignature(signature);
  if (!pk || !sig || sig.is0()) return false;
  return sigs.verify(sig, hashToG2(message, dst), pk);
}

export function blsSign(secretKey: string, message: Uint8Array): string {
  return signWith(secretKey, message, SIGNATURE_DST);
}

export function blsVerify(publicKey: string, message: Uint8Array, signature: string): boolean {
  return verifyWith(publicKey, message, signature, SIGNATURE_DST);
}

/** PopProve: a signature over the public key's own bytes, in the proof-of-possession domain. */
export function popProve(secretKey: string): string {
  return signWith(secretKey, fromHex(blsPublicKeyOf(secretKey)), POP_DST);
}

/** PopVerify: the key is valid and the proof is its owner's signature over it; no rogue key passes this. */
export function popVerify(publicKey: string, proof: string): boolean {
  return BLS_PUBLIC_KEY_HEX.test(publicKey) && verifyWith(publicKey, fromHex(publicKey), proof, POP_DST);
}

/** Aggregate: the sum of the signatures (each must decode); throws on one that does not. */
export function aggregateSignatures(signatures: string[]): string {
  if (signatures.length === 0) throw new RangeError("nothing to aggregate");
  const points = signatures.map((s) => {
    const p = decodeSignature(s);
    if (!p) throw new RangeError(`not a BLS signature: ${s.slice(0, 16)}…`);
    return p;
  });
  return toHex(sigs.Signature.toBytes(sigs.aggregateSignatures(points)));
}

/**
 * FastAggregateVerify: one message signed by every key. Sound only for keys whose proofs of possession were
 * verified (the callers hold keys registered with one).
 */
export function fastAggregateVerify(publicKeys: string[], message: Uint8Array, signature: string): boolean {
  if (publicKeys.length === 0) return false;
  const points = publicKeys.map(decodePublicKey);
  if (points.some((p) => p === null)) return false;
  const valid = points.filter((p): p is NonNullable<typeof p> => p !== null);
  const aggregate = sigs.aggregatePublicKeys(valid);
  const sig = decodeSignature(signature);
  if (!sig || sig.is0() || aggregate.is0()) return false;
  return sigs.verify(sig, hashToG2(message, SIGNATURE_DST), aggregate);
}
