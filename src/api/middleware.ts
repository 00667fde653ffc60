/**
 * Hono middleware that admits only requests signed by a participant key (see sign.ts), and tells the handler who
 * signed.
 *
 * requireSignature buffers the body (up to maxBodyBytes), so the signature covers the bytes the handler gets.
 *
 * requireSignatureStreaming is for uploads too large to buffer. The client signs the blake2b-512 of the body and
 * sends it in x-ceremony-body-hash; the middleware checks the signature over that declared hash before a byte of
 * the body is read, and gives the handler c.get("declaredBodyHash"). The body is NOT yet authenticated then: the
 * handler must read it through checkedBodyStream(c.req.raw.body, c.get("declaredBodyHash"), maxBytes) (or hash it
 * itself and compare), store it under a temporary name, and keep or act on it only once the stream has ended
 * without error. A mismatch means someone else's bytes: discard them.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { assertDeclaredLength, BodyError, readBodyCapped, type BodyErrorCode } from "../auth/body.ts";
import { isEthAddressId } from "../auth/ethereum.ts";
import type { ReplayGuard } from "../auth/replay.ts";
import { type AuthFailureCode, BODY_HASH_HEADER, parseAuthHeaders, verifyRequest, type ReplayPolicy } from "../auth/sign.ts";
import { errorResponse, statusOf } from "./errors.ts";

export type AuthVariables = {
  /** The signer's public key, 64 lowercase hex. */
  participant: string;
  /** The whole request body, exactly the bytes the signature covers. Read it here, not with c.req.arrayBuffer(). */
  rawBody: Uint8Array;
};

export type StreamingAuthVariables = {
  participant: string;
  /** The signed blake2b-512 (hex) the streamed body must have; the handler checks it (see above). */
  declaredBodyHash: string;
};

export interface SignatureOptions {
  /** The ceremony's id: signatures name it (a request signed for another ceremony is refused). */
  ceremony: () => string;
  /** Nonces of known participants' requests. */
  replay: ReplayGuard;
  /**
   * Who the coordinator knows (queued, in a round, verifier, admin). Unknown keys may only use routes marked
   * `strangers: true` (joining), and their nonces go to `strangers`, a separate guard, so a flood of fresh keys
   * cannot fill the one that known participants need. Without it, every key is treated as known.
   */
  known?: (publicKey: string) => boolean;
  strangers?: ReplayGuard;
  /** Whether unknown keys may use this route. */
  openToStrangers?: boolean;
  /** Whether Ethereum addresses may sign (the admin routes: admins may be addresses). */
  ethereum?: boolean;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  maxBodyBytes: number;
}

function policyOf(options: SignatureOptions): ReplayPolicy {
  const known = options.known;
  const strangers = options.strangers ?? options.replay;
  return {
    windowMs: options.replay.windowMs,
    ethereum: options.ethereum === true,
    guardFor: (key) => (!known || known(key) ? options.replay : strangers),
    admit: (key) =>
      !known || options.openToStrangers || known(key)
        ? null
        : { ok: false, code: "AUTH_UNKNOWN_KEY", message: isEthAddressId(key) ? "this Ethereum address is not an admin of the ceremony" : "this key is not known to the ceremony: join the queue first" },
  };
}

function refuse(c: Context, f: { code: AuthFailureCode | BodyErrorCode; message: string }): Response {
  return errorResponse(c, f.code, f.message, statusOf(f.code) ?? 400);
}

function pathOf(c: Context): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

export function requireSignature(options: SignatureOptions) {
  const now = options.now ?? Date.now;
  const policy = policyOf(options);
  return createMiddleware<{ Variables: AuthVariables }>(async (c, next) => {
    const at = now();
    // Fail on the headers alone before reading up to maxBodyBytes of an unauthenticated body.
    const early = parseAuthHeaders(c.req.raw.headers, at, options.replay.windowMs);
    if (!early.ok) return refuse(c, early);
    let body: { bytes: Uint8Array<ArrayBuffer>; hash: string };
    try {
      assertDeclaredLength(c.req.raw.headers, options.maxBodyBytes);
      body = await readBodyCapped(c.req.raw.body, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyError) return refuse(c, error);
      throw error;
    }
    const result = verifyRequest({ ceremony: options.ceremony(), method: c.req.method, path: pathOf(c), headers: c.req.raw.headers, now: at, bodyHash: body.hash }, policy);
    if (!result.ok) return refuse(c, result);
    c.set("participant", result.participant);
    c.set("rawBody", body.bytes);
    // The stream is consumed; serve c.req.json(), c.req.text() and Hono's validator from the same bytes. Hono keeps
    // promises in bodyCache at run time although its type declares plain values.
    (c.req.bodyCache as unknown as { arrayBuffer?: Promise<ArrayBuffer> }).arrayBuffer = Promise.resolve(body.bytes.buffer);
    await next();
  });
}

export function requireSignatureStreaming(options: SignatureOptions) {
  const now = options.now ?? Date.now;
  const policy = policyOf(options);
  return createMiddleware<{ Variables: StreamingAuthVariables }>(async (c, next) => {
    try {
      assertDeclaredLength(c.req.raw.headers, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyError) return refuse(c, error);
      throw error;
    }
    const at = now();
    const early = parseAuthHeaders(c.req.raw.headers, at, options.replay.windowMs);
    if (!early.ok) return refuse(c, early);
    const declared = c.req.header(BODY_HASH_HEADER);
    if (declared === undefined) return refuse(c, { code: "AUTH_MISSING", message: `missing header: ${BODY_HASH_HEADER}` });
    const result = verifyRequest({ ceremony: options.ceremony(), method: c.req.method, path: pathOf(c), headers: c.req.raw.headers, now: at, bodyHash: declared }, policy);
    if (!result.ok) return refuse(c, result);
    c.set("participant", result.participant);
    c.set("declaredBodyHash", declared);
    await next();
  });
}
