/**
 * Invitation tokens: an admin mints one per invited participant, the coordinator keeps only its identity (a tagged
 * hash), and a participant who presents the token is admitted under that identity.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import * as v from "valibot";

/** 20 random bytes: 160 bits, beyond any guessing even with many tokens outstanding. */
const TOKEN_BYTES = 20;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
// "cer_" says what the string is when it turns up in a chat or a log. Lowercase base32 has no characters that
// shells, URLs or double-click selection treat specially, and 20 bytes make exactly 32 digits with no padding.
export const TOKEN_SYNTAX = /^cer_[a-z2-7]{32}$/;
export const TokenSchema = v.pipe(v.string("a token is a string"), v.regex(TOKEN_SYNTAX, "a token is cer_ and 32 characters a-z, 2-7"));

/** The hash input starts with this tag, so a token's identity can never equal a hash made for another purpose. */
const IDENTITY_TAG = "ceremony/invitation-token/v1\0";

/** A new single-use invitation token, from the platform's cryptographic random source. */
export function newToken(): string {
  return `cer_${base32(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES)))}`;
}

/**
 * The identity the coordinator stores and records for a token: sha256 of the tagged token, 64 lowercase hex. A fast
 * hash is enough because tokens carry 160 random bits; a leaked list of identities admits nobody.
 */
export function tokenIdentity(token: string): string {
  if (!TOKEN_SYNTAX.test(token)) throw new TypeError("not an invitation token (cer_ and 32 characters a-z, 2-7)");
  return bytesToHex(sha256(utf8ToBytes(IDENTITY_TAG + token)));
}

export type TokenVerdict = { ok: true; identity: string } | { ok: false; code: "TOKEN_MALFORMED" | "TOKEN_UNKNOWN"; message: string };

/** Admits the holder of a token that an admin minted; `isMinted` looks the identity up in the coordinator's list. */
export function verifyToken(token: string, isMinted: (identity: string) => boolean): TokenVerdict {
  // The token is never quoted in messages: it is a secret.
  if (!TOKEN_SYNTAX.test(token)) return { ok: false, code: "TOKEN_MALFORMED", message: "the token is not cer_ and 32 characters a-z, 2-7" };
  const identity = tokenIdentity(token);
  if (!isMinted(identity)) return { ok: false, code: "TOKEN_UNKNOWN", message: "this coordinator minted no such invitation token" };
  return { ok: true, identity };
}

/** RFC 4648 base32, lowercase, for a byte count that is a multiple of 5 (no padding). */
function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32.charAt((buffer >> bits) & 31);
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
