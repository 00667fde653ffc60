/**
 * Ethereum accounts for Sign-In with Ethereum: EIP-55 addresses, EIP-191 `personal_sign` signatures (65 bytes,
 * r‖s‖v) and the recovery of the signing address, on @noble/curves secp256k1 and @noble/hashes keccak_256.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";

/** 0x and 40 hex digits in any case: the syntax of an address before its checksum is looked at. */
export const ADDRESS_SYNTAX = /^0x[0-9a-fA-F]{40}$/;
/** 0x and 64 hex digits (either case, 0x optional): a secp256k1 private key as wallets export it. */
export const PRIVATE_KEY_SYNTAX = /^(?:0x)?[0-9a-fA-F]{64}$/;
/** 0x and 130 hex digits: r (32 bytes), s (32 bytes), v (1 byte), as `personal_sign` returns it. */
export const SIGNATURE_SYNTAX = /^0x[0-9a-fA-F]{130}$/;

const CURVE_ORDER = secp256k1.Point.CURVE().n;
const HALF_ORDER = CURVE_ORDER >> 1n;

export type SignatureFault = "syntax" | "recovery-byte" | "range" | "high-s" | "unrecoverable";

/** A signature that cannot name a signer; `fault` says why, for the verifier's error message. */
export class SignatureError extends Error {
  constructor(
    readonly fault: SignatureFault,
    message: string,
  ) {
    super(message);
    this.name = "SignatureError";
  }
}

/** EIP-55: each letter of the lowercase hex is upper-cased where the matching nibble of its keccak256 is ≥ 8. */
export function toChecksumAddress(address: string): string {
  if (!ADDRESS_SYNTAX.test(address)) throw new TypeError("an address is 0x and 40 hex digits");
  const lower = address.slice(2).toLowerCase();
  const digest = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = "0x";
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charAt(i);
    out += parseInt(digest.charAt(i), 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/** Whether `address` is written exactly in its EIP-55 form (all-lowercase and all-uppercase forms are refused). */
export function isChecksumAddress(address: string): boolean {
  return ADDRESS_SYNTAX.test(address) && toChecksumAddress(address) === address;
}

/** EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" ‖ decimal byte length ‖ message). */
export function personalMessageHash(message: string | Uint8Array): Uint8Array {
  const bytes = typeof message === "string" ? utf8ToBytes(message) : message;
  return keccak_256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes));
}

function privateKeyBytes(privateKeyHex: string): Uint8Array {
  if (!PRIVATE_KEY_SYNTAX.test(privateKeyHex)) throw new TypeError("a private key is 64 hex digits, 0x optional");
  const bytes = hexToBytes(privateKeyHex.replace(/^0x/, "").toLowerCase());
  if (!secp256k1.utils.isValidSecretKey(bytes)) throw new RangeError("the private key is not in [1, n-1] of secp256k1");
  return bytes;
}

/** The address of an uncompressed public key (65 bytes, 0x04 ‖ x ‖ y): the last 20 bytes of keccak256(x ‖ y). */
function addressOfPublicKey(uncompressed: Uint8Array): string {
  return toChecksumAddress(`0x${bytesToHex(keccak_256(uncompressed.subarray(1)).subarray(12))}`);
}

/** The EIP-55 address of a private key. */
export function addressOf(privateKeyHex: string): string {
  return addressOfPublicKey(secp256k1.getPublicKey(privateKeyBytes(privateKeyHex), false));
}

/** `personal_sign`: 0x ‖ r ‖ s ‖ v with v 27 or 28 and a low s, as wallets produce it (deterministic, RFC 6979). */
export function signMessage(privateKeyHex: string, message: string | Uint8Array): string {
  // noble's "recovered" format puts the recovery byte first; Ethereum puts it last, plus 27.
  const signature = secp256k1.sign(personalMessageHash(message), privateKeyBytes(privateKeyHex), { prehash: false, format: "recovered" });
  const v = (signature[0] ?? 0) + 27;
  return `0x${bytesToHex(signature.subarray(1))}${v.toString(16)}`;
}

/**
 * The EIP-55 address whose key made `signatureHex` over `message` with `personal_sign`. Throws SignatureError for
 * a malformed signature, a recovery byte other than 0, 1, 27, 28, r or s outside [1, n-1], or a high s: (r, n-s)
 * verifies whenever (r, s) does, and accepting both would give one signed message two signatures.
 */
export function recoverAddress(message: string | Uint8Array, signatureHex: string): string {
  if (!SIGNATURE_SYNTAX.test(signatureHex)) throw new SignatureError("syntax", "a signature is 0x and 130 hex digits (r, s, v)");
  const bytes = hexToBytes(signatureHex.slice(2).toLowerCase());
  const v = bytes[64] ?? -1;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new SignatureError("recovery-byte", `the recovery byte v must be 27, 28, 0 or 1, not ${v}`);
  const r = BigInt(`0x${bytesToHex(bytes.subarray(0, 32))}`);
  const s = BigInt(`0x${bytesToHex(bytes.subarray(32, 64))}`);
  if (r < 1n || r >= CURVE_ORDER || s < 1n || s >= CURVE_ORDER) throw new SignatureError("range", "r and s must lie in [1, n-1]");
  if (s > HALF_ORDER) throw new SignatureError("high-s", "s is in the upper half of the curve order (a malleable signature)");
  let point;
  try {
    point = new secp256k1.Signature(r, s, recovery).recoverPublicKey(personalMessageHash(message));
  } catch {
    // No curve point has x = r (or the recovered key is the point at infinity): nobody signed this.
    throw new SignatureError("unrecoverable", "no public key recovers from this signature");
  }
  return addressOfPublicKey(point.toBytes(false));
}
