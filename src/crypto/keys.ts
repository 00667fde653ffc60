/**
 * Contributor keys and their proofs of knowledge, exactly as snarkjs records them: for each secret x in (τ, α, β)
 * with personalisation 0, 1, 2, a random g1_s, g1_sx = x·g1_s, g2_sp = hashToG2(H(pers ‖ challenge ‖ U(g1_s) ‖
 * U(g1_sx))) and g2_spx = x·g2_sp. Secrets live only in memory and are zeroed by destroyKey.
 */
import { ChaCha, type Curve, type Elem } from "ffjavascript";
import { randomBytes } from "node:crypto";
import { bytesEqual, hash, newHasher } from "./hash.ts";
import { checkPoints, g2InSubgroup } from "./engine.ts";
import { sameRatioHolds, type SameRatio } from "./ratios.ts";
import { negate } from "./encoding.ts";
import { G1_SIZE, G2_SIZE, PUBKEY_SIZE } from "./sizes.ts";

export const KEY_PARTS = ["tau", "alpha", "beta"] as const;
export type KeyPart = (typeof KEY_PARTS)[number];

/** Byte offsets of each key element in the 768-byte public key (snarkjs order). */
export function keyOffsets(part: KeyPart): { g1_s: number; g1_sx: number; g2_spx: number } {
  const i = KEY_PARTS.indexOf(part);
  return { g1_s: 2 * i * G1_SIZE, g1_sx: (2 * i + 1) * G1_SIZE, g2_spx: 6 * G1_SIZE + i * G2_SIZE };
}

export interface KeyPair {
  /** The three secrets as ffjavascript field elements (Montgomery form). Zeroed by destroyKey. */
  secrets: Record<KeyPart, Elem>;
  /** 768 bytes, .ptau encoding. */
  publicKey: Uint8Array;
}

function rngFromDigest(digest: Uint8Array): ChaCha {
  const dv = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const seed: number[] = [];
  for (let i = 0; i < 8; i++) seed.push(dv.getUint32(4 * i, false));
  return new ChaCha(seed);
}

function uncompressedG1(curve: Curve, lem: Uint8Array): Uint8Array {
  const out = new Uint8Array(G1_SIZE);
  curve.G1.toRprUncompressed(out, 0, curve.G1.fromRprLEM(lem, 0));
  return out;
}

/** The G2 point a proof of knowledge is checked against: hashToG2 of (personalisation, challenge, g1_s, g1_sx). */
export function g2sp(curve: Curve, part: KeyPart, challenge: Uint8Array, g1s: Uint8Array, g1sx: Uint8Array): Uint8Array {
  const digest = hash(
    new Uint8Array([KEY_PARTS.indexOf(part)]),
    challenge,
    uncompressedG1(curve, g1s),
    uncompressedG1(curve, g1sx),
  );
  const out = new Uint8Array(G2_SIZE);
  curve.G2.toRprLEM(out, 0, curve.G2.toAffine(curve.G2.fromRng(rngFromDigest(digest))));
  return out;
}

/** snarkjs's createPTauKey: three secrets then, per secret, g1_s from the same rng. */
export function createKey(curve: Curve, challenge: Uint8Array, rng: ChaCha): KeyPair {
  return keyFromSecrets(curve, challenge, { tau: curve.Fr.fromRng(rng), alpha: curve.Fr.fromRng(rng), beta: curve.Fr.fromRng(rng) }, rng);
}

/** The public key and proofs of knowledge for given secrets, each g1_s drawn from `rng`. */
export function keyFromSecrets(curve: Curve, challenge: Uint8Array, secrets: Record<KeyPart, Elem>, rng: ChaCha): KeyPair {
  const publicKey = new Uint8Array(PUBKEY_SIZE);
  for (const part of KEY_PARTS) {
    const off = keyOffsets(part);
    const s = curve.G1.toAffine(curve.G1.fromRng(rng));
    curve.G1.toRprLEM(publicKey, off.g1_s, s);
    curve.G1.toRprLEM(publicKey, off.g1_sx, curve.G1.toAffine(curve.G1.timesFr(s, secrets[part])));
    const sp = g2sp(curve, part, challenge, publicKey.subarray(off.g1_s, off.g1_s + G1_SIZE), publicKey.subarray(off.g1_sx, off.g1_sx + G1_SIZE));
    curve.G2.toRprLEM(publicKey, off.g2_spx, curve.G2.toAffine(curve.G2.timesFr(curve.G2.fromRprLEM(sp, 0), secrets[part])));
  }
  return { secrets, publicKey };
}

/** A contributor's key: 64 bytes from the OS CSPRNG mixed with optional user entropy seed the generator. */
export function createContributorKey(curve: Curve, challenge: Uint8Array, entropy?: string): KeyPair {
  const h = newHasher();
  const osRandom = randomBytes(64);
  h.update(osRandom);
  if (entropy) h.update(new TextEncoder().encode(entropy));
  const digest = h.digest();
  const key = createKey(curve, challenge, rngFromDigest(digest));
  osRandom.fill(0);
  digest.fill(0);
  return key;
}

/** The beacon key from its seed (beacon-seed.ts), once the iterations ran elsewhere. */
export function beaconKeyFromSeed(curve: Curve, challenge: Uint8Array, seed: Uint8Array): KeyPair {
  return createKey(curve, challenge, rngFromDigest(seed));
}

export function destroyKey(key: KeyPair): void {
  for (const part of KEY_PARTS) key.secrets[part].fill(0);
}

/** The public key in uncompressed big-endian form, as hashed into response hashes. */
export function publicKeyUncompressed(curve: Curve, publicKey: Uint8Array): Uint8Array {
  const out = new Uint8Array(PUBKEY_SIZE);
  for (let i = 0; i < 6; i++) curve.G1.toRprUncompressed(out, i * G1_SIZE, curve.G1.fromRprLEM(publicKey, i * G1_SIZE));
  for (let i = 0; i < 3; i++) {
    const off = 6 * G1_SIZE + i * G2_SIZE;
    curve.G2.toRprUncompressed(out, off, curve.G2.fromRprLEM(publicKey, off));
  }
  return out;
}

export type KeyFault = "KEY_MALFORMED" | "G2_NOT_IN_SUBGROUP" | "TRIVIAL_SECRET" | "POK_INVALID";
export type KeyCheck = { ok: true; g2sp: Record<KeyPart, Uint8Array> } | { ok: false; code: KeyFault; message: string };

/** snarkjs's sameRatio: e(a1, b2) = e(b1, a2), with zero points refused. */
export function sameRatio(a1: Uint8Array, b1: Uint8Array, a2: Uint8Array, b2: Uint8Array): boolean {
  return sameRatioHolds({ a1, b1, a2, b2 });
}

/** Element `name` of a key part, sliced from the 768-byte public key. */
export function keyElement(publicKey: Uint8Array, part: KeyPart, name: "g1_s" | "g1_sx" | "g2_spx"): Uint8Array {
  const off = keyOffsets(part)[name];
  return publicKey.subarray(off, off + (name === "g2_spx" ? G2_SIZE : G1_SIZE));
}

/**
 * The checks of verifyPublicKey that need no pairing, and its three proofs of knowledge as same-ratio checks (τ, α,
 * β in order), for firstFailingRatio to run together with other checks.
 */
export function keyStructure(curve: Curve, publicKey: Uint8Array, challenge: Uint8Array): KeyCheck & { proofs?: SameRatio[] } {
  if (publicKey.length !== PUBKEY_SIZE) return { ok: false, code: "KEY_MALFORMED", message: `public key must be ${PUBKEY_SIZE} bytes` };
  for (const part of KEY_PARTS) {
    if (keyElement(publicKey, part, "g1_sx").every((b) => b === 0)) {
      return { ok: false, code: "TRIVIAL_SECRET", message: `the ${part} secret is zero` };
    }
  }
  const g1Part = publicKey.subarray(0, 6 * G1_SIZE);
  const g2Part = publicKey.subarray(6 * G1_SIZE);
  const c1 = checkPoints("G1", g1Part);
  if (!c1.ok) return { ok: false, code: "KEY_MALFORMED", message: `public key G1 element ${c1.index}: ${c1.fault}` };
  const c2 = checkPoints("G2", g2Part);
  if (!c2.ok) return { ok: false, code: "KEY_MALFORMED", message: `public key G2 element ${c2.index}: ${c2.fault}` };
  const g2spByPart = {} as Record<KeyPart, Uint8Array>;
  for (const part of KEY_PARTS) {
    const s = keyElement(publicKey, part, "g1_s");
    const sx = keyElement(publicKey, part, "g1_sx");
    const spx = keyElement(publicKey, part, "g2_spx");
    if (!g2InSubgroup(spx)) return { ok: false, code: "G2_NOT_IN_SUBGROUP", message: `public key ${part}.g2_spx is outside the G2 subgroup` };
    if (bytesEqual(s, sx) || bytesEqual(negate("G1", s), sx)) {
      return { ok: false, code: "TRIVIAL_SECRET", message: `the ${part} secret is ±1` };
    }
    g2spByPart[part] = g2sp(curve, part, challenge, s, sx);
  }
  const proofs = KEY_PARTS.map((part) => ({
    a1: keyElement(publicKey, part, "g1_s"),
    b1: keyElement(publicKey, part, "g1_sx"),
    a2: g2spByPart[part],
    b2: keyElement(publicKey, part, "g2_spx"),
  }));
  return { ok: true, g2sp: g2spByPart, proofs };
}

/** The proof of knowledge that fails, as a KeyCheck failure. */
export function proofFailure(index: number): KeyCheck {
  return { ok: false, code: "POK_INVALID", message: `proof of knowledge of ${KEY_PARTS[index] ?? "?"} does not hold for this challenge` };
}

/**
 * Checks a public key against the challenge it must be bound to: valid points, G2 elements in the subgroup,
 * non-trivial secrets (x ≠ 0, ±1) and the three proofs of knowledge e(g1_s, g2_spx) = e(g1_sx, g2_sp).
 */
export function verifyPublicKey(curve: Curve, publicKey: Uint8Array, challenge: Uint8Array): KeyCheck {
  const key = keyStructure(curve, publicKey, challenge);
  if (!key.ok || !key.proofs) return key;
  const bad = key.proofs.findIndex((c) => !sameRatioHolds(c));
  return bad < 0 ? { ok: true, g2sp: key.g2sp } : proofFailure(bad);
}

