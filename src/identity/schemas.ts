/**
 * The valibot schemas of identity at the HTTP boundary: the admission mode, the nonce challenge the coordinator
 * hands out for Sign-In with Ethereum, and the proof a participant sends when joining.
 */
import * as v from "valibot";
import { SIGNATURE_SYNTAX } from "./ethereum.ts";
import { DOMAIN_SYNTAX, NONCE_SYNTAX, SCHEME_SYNTAX, URI_SYNTAX } from "./siwe-grammar.ts";
import { MAX_SIWE_MESSAGE_LENGTH } from "./siwe.ts";
import { TokenSchema } from "./tokens.ts";

export const IDENTITY_MODES = ["open", "token", "ethereum"] as const;
export const IdentityModeSchema = v.picklist(IDENTITY_MODES, 'the identity mode is "open", "token" or "ethereum"');
export type IdentityMode = v.InferOutput<typeof IdentityModeSchema>;

/** What a client needs to build the message to sign (`siweMessageFor`), besides the ceremony id and its own keys. */
export const SiweChallengeSchema = v.strictObject({
  domain: v.pipe(v.string(), v.maxLength(255), v.regex(DOMAIN_SYNTAX, "domain must be an RFC 3986 authority")),
  scheme: v.optional(v.pipe(v.string(), v.maxLength(32), v.regex(SCHEME_SYNTAX, "scheme must be an RFC 3986 scheme"))),
  uri: v.pipe(v.string(), v.maxLength(2048), v.regex(URI_SYNTAX, "uri must be an RFC 3986 URI")),
  chainId: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  nonce: v.pipe(v.string(), v.maxLength(64), v.regex(NONCE_SYNTAX, "nonce must be at least 8 letters and digits")),
  /** Milliseconds since the epoch: sign and join before then. */
  expiresAt: v.pipe(v.number(), v.safeInteger()),
});
export type SiweChallenge = v.InferOutput<typeof SiweChallengeSchema>;

export const SiweProofSchema = v.strictObject({
  message: v.pipe(v.string(), v.maxLength(MAX_SIWE_MESSAGE_LENGTH)),
  signature: v.pipe(v.string(), v.regex(SIGNATURE_SYNTAX, "a signature is 0x and 130 hex digits")),
});

/** The identity part of a join request; which kind the coordinator wants follows from its mode. */
export const IdentityProofSchema = v.variant("kind", [
  v.strictObject({ kind: v.literal("token"), token: TokenSchema }),
  v.strictObject({ kind: v.literal("ethereum"), ...SiweProofSchema.entries }),
]);
export type IdentityProof = v.InferOutput<typeof IdentityProofSchema>;
