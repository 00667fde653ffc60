/**
 * ed25519 verification on the platform's native code (OpenSSL or BoringSSL through node:crypto, under Node and
 * Bun), with exactly the verdicts of @noble/curves in strict RFC 8032 mode (zip215: false), which the project's
 * signatures are defined by: a public key is first checked strictly (canonical, not of small order) and cached; a
 * signature the native code accepts satisfies the cofactorless equation, hence noble's cofactored one too; one it
 * refuses is decided by noble, so an encoding the two would read differently gets noble's answer.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { createPublicKey, verify as nativeVerify, type KeyObject } from "node:crypto";
import { fromHex } from "../crypto/hash.ts";

const SPKI_PREFIX = fromHex("302a300506032b6570032100");
const KEYS_KEPT = 50_000;
/** Parsed public keys, or null for a key strict mode refuses; the least recently used forgotten first. */
const keys = new Map<string, KeyObject | null>();

function keyObject(publicKeyHex: string): KeyObject | null {
  const cached = keys.get(publicKeyHex);
  if (cached !== undefined) {
    keys.delete(publicKeyHex);
    keys.set(publicKeyHex, cached);
    return cached;
  }
  const raw = fromHex(publicKeyHex);
  let key: KeyObject | null = null;
  try {
    const point = ed25519.Point.fromBytes(raw, false);
    if (!point.isSmallOrder()) key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  } catch {
    key = null; // not a canonical point encoding: strict mode refuses every signature by it
  }
  keys.set(publicKeyHex, key);
  if (keys.size > KEYS_KEPT) keys.delete(keys.keys().next().value as string);
  return key;
}

/** Whether `signatureHex` (64 bytes) signs `message` under `publicKeyHex` (32 bytes), as noble's strict verify says. */
export function verifyEd25519(signatureHex: string, message: Uint8Array, publicKeyHex: string): boolean {
  const key = keyObject(publicKeyHex);
  if (key === null) return false;
  const signature = fromHex(signatureHex);
  if (nativeVerify(null, message, key, signature)) return true;
  return ed25519.verify(signature, message, fromHex(publicKeyHex), { zip215: false });
}
