/** The browser's twin of auth/ed25519.ts (no node:crypto there): the same strict RFC 8032 verdicts, by noble alone. */
import { ed25519 } from "@noble/curves/ed25519.js";
import { fromHex } from "../../crypto/hash.ts";

export function verifyEd25519(signatureHex: string, message: Uint8Array, publicKeyHex: string): boolean {
  try {
    return ed25519.verify(fromHex(signatureHex), message, fromHex(publicKeyHex), { zip215: false });
  } catch {
    return false; // not a canonical encoding: strict mode refuses it
  }
}
