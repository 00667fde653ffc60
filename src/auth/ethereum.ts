/**
 * Admins identified by Ethereum addresses: the address (0x and 40 lowercase hex) is their id in the ceremony, and
 * they sign the same request message as ed25519 keys do (sign.ts), with EIP-191 `personal_sign` (65 bytes r‖s‖v,
 * low s), recovered with identity/ethereum.ts.
 */
import * as v from "valibot";
import { ADDRESS_SYNTAX, isChecksumAddress, recoverAddress, SignatureError, signMessage } from "../identity/ethereum.ts";
import type { EthKey } from "../identity/eth-key-file.ts";
import { KEY_HEX } from "../lib/hex.ts";

/** An Ethereum address as an id: 0x and 40 lowercase hex digits. */
export const ETH_ADDRESS_ID = /^0x[0-9a-f]{40}$/;
/** A `personal_sign` signature in a header: 0x and 130 lowercase hex digits. */
export const ETH_SIGNATURE_HEX = /^0x[0-9a-f]{130}$/;

export const isEthAddressId = (s: string): boolean => ETH_ADDRESS_ID.test(s);

/**
 * The id of an admin as an operator or an admin writes it: an ed25519 public key (64 lowercase hex) as it is, or an
 * Ethereum address in lowercase (all-lowercase, all-uppercase and EIP-55 forms accepted; a mixed case that is not
 * its checksum is a typo). Null when it is neither.
 */
export function adminId(text: string): string | null {
  if (KEY_HEX.test(text)) return text;
  if (!ADDRESS_SYNTAX.test(text)) return null;
  const digits = text.slice(2);
  const mixed = digits !== digits.toLowerCase() && digits !== digits.toUpperCase();
  if (mixed && !isChecksumAddress(text)) return null;
  return `0x${digits.toLowerCase()}`;
}

/** Admin ids at a boundary (options, admin bodies): either kind, normalised. */
export const AdminIdSchema = v.pipe(
  v.string(),
  v.check((s) => adminId(s) !== null, "an admin is an ed25519 public key (64 lowercase hex) or an Ethereum address (0x and 40 hex, EIP-55 when mixed case)"),
  v.transform((s) => adminId(s) as string),
);

/** The request signature of an Ethereum key: `personal_sign` over the message, lowercase. */
export function signWithEthKey(key: EthKey, message: Uint8Array): string {
  return signMessage(key.privateKey, message).toLowerCase();
}

/** Whether `signature` is `address`'s `personal_sign` over `message`; malformed or malleable signatures are not. */
export function ethSignatureValid(signature: string, message: Uint8Array, address: string): boolean {
  try {
    return recoverAddress(message, signature).toLowerCase() === address;
  } catch (err) {
    if (err instanceof SignatureError) return false;
    throw err;
  }
}
