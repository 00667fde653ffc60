/**
 * Request signatures: a participant signs each HTTP request with its ed25519 key, and the server checks who sent
 * it, that it is recent, and that it is not a replay.
 *
 * The signed message is the UTF-8 encoding of these seven lines joined by "\n" (no trailing newline):
 *
 *     ceremony-request-v2
 *     <ceremony id>            64 lowercase hex: a request signed for one ceremony is worthless at any other
 *     <METHOD>                 upper-cased, e.g. POST
 *     <path with query>        as a WHATWG URL serialises it: pathname + search, e.g. /rounds/3/chunks/7?x=1
 *     <body hash>              128 lowercase hex digits: blake2b-512 of the body bytes (of no bytes if no body)
 *     <timestamp>              milliseconds since the Unix epoch, decimal without leading zeros
 *     <nonce>                  16 to 64 random bytes, lowercase hex
 *
 * and the headers carrying it are x-ceremony-key (public key, 64 hex), x-ceremony-timestamp, x-ceremony-nonce and
 * x-ceremony-signature (128 hex). Requests whose body is streamed instead of buffered also send the body hash in
 * x-ceremony-body-hash; the signature then covers that declared hash (see middleware.ts for the contract).
 *
 * Verification order: headers present, well formed, timestamp within the window, signature valid, and only then
 * the replay guard, so a forged request can never spend a real participant's nonce.
 *
 * Admins may also be Ethereum addresses (ethereum.ts): x-ceremony-key is then the address (0x and 40 lowercase hex)
 * and x-ceremony-signature its EIP-191 `personal_sign` over the same message (0x and 130 lowercase hex). Only routes
 * whose policy says so (the admin routes) accept them.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { randomBytes } from "node:crypto";
import * as v from "valibot";
import { fromHex, hash, newHasher, type Hasher, toHex } from "../crypto/hash.ts";
import type { EthKey } from "../identity/eth-key-file.ts";
import type { ParticipantKey } from "./keys.ts";
import { verifyEd25519 } from "./ed25519.ts";
import { ETH_ADDRESS_ID, ETH_SIGNATURE_HEX, ethSignatureValid, signWithEthKey } from "./ethereum.ts";
import type { ReplayGuard } from "./replay.ts";
import { hexPattern, hexSchema, KEY_HEX } from "../lib/hex.ts";

export const AUTH_HEADERS = {
  key: "x-ceremony-key",
  timestamp: "x-ceremony-timestamp",
  nonce: "x-ceremony-nonce",
  signature: "x-ceremony-signature",
} as const;
export const BODY_HASH_HEADER = "x-ceremony-body-hash";

const MESSAGE_TAG = "ceremony-request-v2";
const NONCE_BYTES = 16;

export const AUTH_FAILURE_CODES = [
  "AUTH_MISSING",
  "AUTH_MALFORMED",
  "AUTH_STALE",
  "AUTH_BAD_SIGNATURE",
  "AUTH_REPLAYED",
  /** The replay guard is full: retry shortly. */
  "AUTH_REPLAY_FULL",
  /** This key already has the most requests in flight the replay guard keeps for one key: retry shortly. */
  "AUTH_RATE_LIMITED",
  /** A valid signature by a key the coordinator does not know, on a route for known participants only: join first. */
  "AUTH_UNKNOWN_KEY",
] as const;
export type AuthFailureCode = (typeof AUTH_FAILURE_CODES)[number];
export type AuthFailure = { ok: false; code: AuthFailureCode; message: string };
export type AuthResult = { ok: true; participant: string } | AuthFailure;

/** The blake2b-512 hasher of request bodies (node:crypto's blake2b512), for callers that hash as they stream. */
export function newBodyHasher(): Hasher {
  return newHasher();
}

export function bodyHash(body: Uint8Array | string = new Uint8Array(0)): string {
  return toHex(hash(typeof body === "string" ? new TextEncoder().encode(body) : body));
}

/**
 * Pathname and query of a path or absolute URL as a WHATWG URL (and so fetch, and the server) serialises them. A
 * path is always a path: "//host/x" stays "//host/x" rather than being read as a URL of host "host".
 */
export function canonicalPath(pathOrUrl: string): string {
  const absolute = /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl);
  const url = new URL(absolute ? pathOrUrl : `http://canonical.invalid${pathOrUrl.startsWith("/") ? "" : "/"}${pathOrUrl}`);
  return url.pathname + url.search;
}

export interface SignedFields {
  /** The ceremony the request is for (its id, 64 hex). */
  ceremony: string;
  method: string;
  path: string;
  bodyHash: string;
  timestamp: number;
  nonce: string;
}

export function canonicalMessage(f: SignedFields): Uint8Array {
  const lines = [MESSAGE_TAG, f.ceremony, f.method.toUpperCase(), canonicalPath(f.path), f.bodyHash, String(f.timestamp), f.nonce];
  return new TextEncoder().encode(lines.join("\n"));
}

export interface SignInput {
  /** The ceremony's id (GET /v1/ceremony): the signature is valid for this ceremony only. */
  ceremony: string;
  method: string;
  /** Path with query, or a full URL (only its path and query are signed). */
  path: string;
  /** The body sent; omit for none. */
  body?: Uint8Array | string;
  /** For a streamed body: its blake2b-512 (hex). Also sent as x-ceremony-body-hash. Do not combine with body. */
  bodyHash?: string;
  /** Milliseconds since the epoch; default Date.now(). */
  now?: number;
  /** Lowercase hex, at least 16 bytes; default 16 random bytes. */
  nonce?: string;
}

/** Who signs a request: a participant's ed25519 key, or an Ethereum admin's key. */
export type RequestKey = ParticipantKey | EthKey;

/** The headers that authenticate one request. */
export function signRequest(key: RequestKey, input: SignInput): Record<string, string> {
  if (input.body !== undefined && input.bodyHash !== undefined) throw new TypeError("signRequest takes body or bodyHash, not both");
  const fields: SignedFields = {
    ceremony: input.ceremony,
    method: input.method,
    path: input.path,
    bodyHash: input.bodyHash ?? bodyHash(input.body),
    timestamp: input.now ?? Date.now(),
    nonce: input.nonce ?? randomBytes(NONCE_BYTES).toString("hex"),
  };
  const message = canonicalMessage(fields);
  const eth = "privateKey" in key;
  const signature = eth ? signWithEthKey(key, message) : toHex(ed25519.sign(message, fromHex(key.secretKey)));
  const headers: Record<string, string> = {
    [AUTH_HEADERS.key]: eth ? key.address.toLowerCase() : key.publicKey,
    [AUTH_HEADERS.timestamp]: String(fields.timestamp),
    [AUTH_HEADERS.nonce]: fields.nonce,
    [AUTH_HEADERS.signature]: signature,
  };
  if (input.bodyHash !== undefined) headers[BODY_HASH_HEADER] = input.bodyHash;
  return headers;
}

export type HeaderSource = Headers | Record<string, string | undefined>;

function headerOf(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [k, value] of Object.entries(headers)) if (k.toLowerCase() === name) return value;
  return undefined;
}

const hexOf = (bytes: number, what: string) => hexSchema(bytes, `${what} must be ${2 * bytes} lowercase hex digits`);

const AuthHeadersSchema = v.object({
  [AUTH_HEADERS.key]: v.pipe(
    v.string(),
    v.check((k) => KEY_HEX.test(k) || ETH_ADDRESS_ID.test(k), "must be an ed25519 public key (64 lowercase hex digits) or an Ethereum address (0x and 40 lowercase hex digits)"),
  ),
  [AUTH_HEADERS.timestamp]: v.pipe(
    v.string(),
    v.regex(/^(0|[1-9][0-9]{0,15})$/, "must be milliseconds since the epoch, in decimal"),
    v.transform(Number),
    v.safeInteger("must be a safe integer"),
  ),
  [AUTH_HEADERS.nonce]: hexSchema([16, 64]),
  [AUTH_HEADERS.signature]: v.pipe(
    v.string(),
    v.check((k) => SIGNATURE_HEX.test(k) || ETH_SIGNATURE_HEX.test(k), "must be an ed25519 signature (128 lowercase hex digits) or an Ethereum one (0x and 130 lowercase hex digits)"),
  ),
});
const SIGNATURE_HEX = hexPattern(64);
const BodyHashSchema = hexOf(64, "a blake2b-512 hash");

export interface AuthHeaders {
  publicKey: string;
  timestamp: number;
  nonce: string;
  signature: string;
}

function failure(code: AuthFailureCode, message: string): AuthFailure {
  return { ok: false, code, message };
}

function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => `${v.getDotPath(issue) ?? "header"}: ${issue.message}`).join("; ");
}

/**
 * The cheap checks, which need neither the body nor a signature verification: every header present, well formed,
 * and the timestamp within windowMs of now.
 */
export function parseAuthHeaders(headers: HeaderSource, now: number, windowMs: number): { ok: true; auth: AuthHeaders } | AuthFailure {
  const names = Object.values(AUTH_HEADERS);
  const raw = Object.fromEntries(names.map((name) => [name, headerOf(headers, name)]));
  const missing = names.filter((name) => raw[name] === undefined);
  if (missing.length > 0) return failure("AUTH_MISSING", `missing header${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`);
  const parsed = v.safeParse(AuthHeadersSchema, raw);
  if (!parsed.success) return failure("AUTH_MALFORMED", describeIssues(parsed.issues));
  const out = parsed.output;
  const auth: AuthHeaders = {
    publicKey: out[AUTH_HEADERS.key],
    timestamp: out[AUTH_HEADERS.timestamp],
    nonce: out[AUTH_HEADERS.nonce],
    signature: out[AUTH_HEADERS.signature],
  };
  if (ETH_ADDRESS_ID.test(auth.publicKey) !== ETH_SIGNATURE_HEX.test(auth.signature)) {
    return failure("AUTH_MALFORMED", "an ed25519 key goes with an ed25519 signature, an Ethereum address with an Ethereum signature");
  }
  const skew = auth.timestamp - now;
  if (Math.abs(skew) > windowMs) {
    const direction = skew > 0 ? "in the future" : "old";
    return failure("AUTH_STALE", `request timestamp is ${Math.abs(skew)} ms ${direction}; at most ${windowMs} ms is accepted (check the clock)`);
  }
  return { ok: true, auth };
}

export type VerifyInput = {
  /** The id of this coordinator's ceremony. */
  ceremony: string;
  method: string;
  path: string;
  headers: HeaderSource;
  /** Milliseconds since the epoch. */
  now: number;
} & ({ body: Uint8Array | string } | { bodyHash: string });

/**
 * Where nonces go: the replay guard for a signer (the coordinator keeps a separate, smaller one for keys it does
 * not know), and, optionally, a refusal of a validly signed key before its nonce is recorded (keys the coordinator
 * does not know, on routes only known participants may use).
 */
export interface ReplayPolicy {
  windowMs: number;
  /** Whether Ethereum addresses may sign (admin routes); default no. */
  ethereum?: boolean;
  guardFor(publicKey: string): ReplayGuard;
  admit?(publicKey: string): AuthFailure | null;
}

/** Authenticates one request; on success its nonce is recorded in the signer's replay guard, whose window is the timestamp window. */
export function verifyRequest(input: VerifyInput, replay: ReplayGuard | ReplayPolicy): AuthResult {
  const policy: ReplayPolicy = "guardFor" in replay ? replay : { windowMs: replay.windowMs, guardFor: () => replay };
  const windowMs = policy.windowMs;
  const parsed = parseAuthHeaders(input.headers, input.now, windowMs);
  if (!parsed.ok) return parsed;
  const { auth } = parsed;
  const eth = ETH_ADDRESS_ID.test(auth.publicKey);
  if (eth && !policy.ethereum) return failure("AUTH_MALFORMED", "Ethereum addresses may sign admin requests only; sign with an ed25519 participant key");
  const digest = "bodyHash" in input ? input.bodyHash : bodyHash(input.body);
  if (!v.is(BodyHashSchema, digest)) return failure("AUTH_MALFORMED", `${BODY_HASH_HEADER}: a blake2b-512 hash must be 128 lowercase hex digits`);
  const message = canonicalMessage({ ceremony: input.ceremony, method: input.method, path: input.path, bodyHash: digest, timestamp: auth.timestamp, nonce: auth.nonce });
  if (!(eth ? ethSignatureValid(auth.signature, message, auth.publicKey) : signatureValid(auth.signature, message, auth.publicKey))) {
    return failure("AUTH_BAD_SIGNATURE", "the signature does not match this request and key (for this ceremony)");
  }
  const refused = policy.admit?.(auth.publicKey);
  if (refused) return refused;
  const verdict = policy.guardFor(auth.publicKey).remember(auth.publicKey, auth.nonce, auth.timestamp, input.now);
  switch (verdict) {
    case "fresh":
      return { ok: true, participant: auth.publicKey };
    case "replayed":
      return failure("AUTH_REPLAYED", "this nonce was already used; sign every request with a new nonce");
    case "full":
      return failure("AUTH_REPLAY_FULL", "too many recent requests on the server; retry shortly");
    case "key-full":
      return failure("AUTH_RATE_LIMITED", `more than ${policy.guardFor(auth.publicKey).maxEntriesPerKey} requests from this key within the time window; retry shortly`);
    default:
      return assertNever(verdict);
  }
}

/** Strict RFC 8032 verification (zip215: false): canonical encodings only, small-order public keys refused. */
function signatureValid(signature: string, message: Uint8Array, publicKey: string): boolean {
  return verifyEd25519(signature, message, publicKey);
}

function assertNever(value: never): never {
  throw new Error(`unexpected replay verdict ${String(value)}`);
}
