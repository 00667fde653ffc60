/**
 * Sign-In with Ethereum for a ceremony: the message a participant signs (binding their ceremony key to an
 * Ethereum address) and the coordinator's verification of it, refusing with a stable code.
 */
import { KEY_HEX } from "../lib/hex.ts";
import { SignatureError, recoverAddress } from "./ethereum.ts";
import { formatSiweMessage, parseSiweMessage, type SiweFields } from "./siwe.ts";
import { rfc3339, rfc3339Millis } from "./siwe-grammar.ts";

export const SIWE_ERROR_CODES = [
  "SIWE_MALFORMED",
  "SIWE_WRONG_DOMAIN",
  "SIWE_WRONG_URI",
  "SIWE_WRONG_CHAIN",
  "SIWE_WRONG_CEREMONY",
  "SIWE_WRONG_KEY",
  "SIWE_NOT_YET_VALID",
  "SIWE_EXPIRED",
  "SIWE_BAD_SIGNATURE",
  "SIWE_NONCE",
] as const;
export type SiweErrorCode = (typeof SIWE_ERROR_CODES)[number];

export interface SiweProof {
  /** The EIP-4361 text the wallet showed and signed. */
  message: string;
  /** Its `personal_sign` signature: 0x ‖ r ‖ s ‖ v. */
  signature: string;
}

export type SiweVerdict = { ok: true; address: string; fields: SiweFields } | { ok: false; code: SiweErrorCode; message: string };

/** How far Issued At may lie ahead of the coordinator's clock, for participants whose clock runs fast. */
export const DEFAULT_CLOCK_SKEW_MS = 60_000;

const STATEMENT = /^Contribute to ceremony ([0-9a-f]{64}) with key ([0-9a-f]{64})$/;

/** The statement of a ceremony sign-in: it binds the signing address to one participant key in one ceremony. */
export function siweStatement(ceremonyId: string, participantKey: string): string {
  if (!KEY_HEX.test(ceremonyId) || !KEY_HEX.test(participantKey)) throw new TypeError("the ceremony id and the key are 64 lowercase hex digits");
  return `Contribute to ceremony ${ceremonyId} with key ${participantKey}`;
}

export interface SiweRequest {
  /** What the coordinator said to sign: its domain (host[:port]), URI and chain, and a nonce it issued. */
  domain: string;
  scheme?: string;
  uri: string;
  chainId: number;
  nonce: string;
  ceremonyId: string;
  participantKey: string;
  /** The signing account's EIP-55 address (`addressOf` the key). */
  address: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  /** Milliseconds since the epoch; the coordinator refuses the message after it (the nonce also expires). */
  expiresAt?: number;
}

/** The message a client (the CLI, a browser) asks its wallet or key to sign. */
export function siweMessageFor(r: SiweRequest): string {
  return formatSiweMessage({
    ...(r.scheme !== undefined ? { scheme: r.scheme } : {}),
    domain: r.domain,
    address: r.address,
    statement: siweStatement(r.ceremonyId, r.participantKey),
    uri: r.uri,
    version: "1",
    chainId: r.chainId,
    nonce: r.nonce,
    issuedAt: rfc3339(r.issuedAt),
    ...(r.expiresAt !== undefined ? { expirationTime: rfc3339(r.expiresAt) } : {}),
  });
}

export interface SiweExpectation {
  /** The coordinator's own domain, host[:port] as participants reach it; compared without regard to case. */
  domain: string;
  /** When set, a message that names a scheme must name this one. */
  scheme?: string;
  /** When set, the URI must be exactly this. */
  uri?: string;
  /** When set, the chain id must be this one. */
  chainId?: number;
  ceremonyId: string;
  /** The ceremony key (64 hex) of the participant asking to join. */
  participantKey: string;
  now: number;
  maxClockSkewMs?: number;
  /** Spends the nonce: true once for a nonce this coordinator issued and that has not expired (NonceStore.consume). */
  consumeNonce(nonce: string): boolean;
}

type Refusal = Extract<SiweVerdict, { ok: false }>;
const refuse = (code: SiweErrorCode, message: string): Refusal => ({ ok: false, code, message });

/**
 * Verifies a sign-in. The nonce is spent last, only for an otherwise valid proof, so nobody can burn another
 * participant's nonce by sending junk that names it.
 */
export function verifySiwe(proof: SiweProof, expected: SiweExpectation): SiweVerdict {
  const parsed = parseSiweMessage(proof.message);
  if (!parsed.ok) return refuse("SIWE_MALFORMED", `not an EIP-4361 message: ${parsed.error}`);
  const f = parsed.fields;
  const refusal = bindingRefusal(f, expected) ?? timeRefusal(f, expected);
  if (refusal) return refusal;
  let signer: string;
  try {
    signer = recoverAddress(proof.message, proof.signature);
  } catch (error) {
    if (error instanceof SignatureError) return refuse("SIWE_BAD_SIGNATURE", error.message);
    throw error;
  }
  if (signer !== f.address) return refuse("SIWE_BAD_SIGNATURE", `the message was not signed by ${f.address}`);
  if (!expected.consumeNonce(f.nonce)) return refuse("SIWE_NONCE", "the nonce is unknown, used or expired: ask for a new one");
  return { ok: true, address: f.address, fields: f };
}

/** Is the message for this coordinator, this ceremony and this participant key? */
function bindingRefusal(f: SiweFields, e: SiweExpectation): Refusal | undefined {
  if (f.domain.toLowerCase() !== e.domain.toLowerCase()) return refuse("SIWE_WRONG_DOMAIN", `the message is for ${f.domain}, not ${e.domain}`);
  if (e.scheme !== undefined && f.scheme !== undefined && f.scheme.toLowerCase() !== e.scheme.toLowerCase())
    return refuse("SIWE_WRONG_DOMAIN", `the message is for ${f.scheme}://, not ${e.scheme}://`);
  if (e.uri !== undefined && f.uri !== e.uri) return refuse("SIWE_WRONG_URI", `the message's URI is ${f.uri}, not ${e.uri}`);
  if (e.chainId !== undefined && f.chainId !== e.chainId) return refuse("SIWE_WRONG_CHAIN", `the message is for chain ${f.chainId}, not ${e.chainId}`);
  const statement = STATEMENT.exec(f.statement ?? "");
  if (!statement) return refuse("SIWE_WRONG_KEY", 'the statement must be "Contribute to ceremony <id> with key <key>"');
  if (statement[1] !== e.ceremonyId) return refuse("SIWE_WRONG_CEREMONY", "the message is for another ceremony");
  if (statement[2] !== e.participantKey) return refuse("SIWE_WRONG_KEY", "the message names another participant key");
  return undefined;
}

/** Is the message valid now? Parsing already proved every time is an RFC 3339 date-time. */
function timeRefusal(f: SiweFields, e: SiweExpectation): Refusal | undefined {
  const at = (text: string | undefined): number | undefined => (text === undefined ? undefined : rfc3339Millis(text));
  const issuedAt = at(f.issuedAt) ?? Number.NaN;
  const notBefore = at(f.notBefore);
  const expiresAt = at(f.expirationTime);
  if (issuedAt > e.now + (e.maxClockSkewMs ?? DEFAULT_CLOCK_SKEW_MS)) return refuse("SIWE_NOT_YET_VALID", `the message is issued in the future (${f.issuedAt})`);
  if (notBefore !== undefined && notBefore > e.now) return refuse("SIWE_NOT_YET_VALID", `the message is not valid before ${f.notBefore}`);
  if (expiresAt !== undefined && expiresAt <= e.now) return refuse("SIWE_EXPIRED", `the message expired at ${f.expirationTime}`);
  return undefined;
}
