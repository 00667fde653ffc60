/**
 * The fetch the typed client runs on: every attempt signed afresh (new timestamp and nonce) with the participant
 * key, retried with backoff while the coordinator is unreachable, restarting or rate-limiting (network errors, also
 * mid-answer, and 429/502/503/504), each answer read whole inside its attempt. Gives up with COORDINATOR_UNREACHABLE.
 */
import { BODY_HASH_HEADER, signRequest, type RequestKey } from "../auth/sign.ts";
import { retry, RetriesExhausted } from "../lib/retry.ts";
import { ClientError } from "./errors.ts";

export interface RetryPolicy {
  /** Keep retrying an unreachable or restarting coordinator this long before giving up (ms). */
  giveUpAfterMs: number;
  /** First backoff; it doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  onRetry?: (message: string) => void;
  /** Abandon an attempt that has not been answered in full this long (ms); none by default (uploads take time). */
  attemptTimeoutMs?: number;
  /** An unknown host name fails at once (UNKNOWN_HOST) instead of being retried as a passing outage. */
  unknownHostIsFatal?: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { giveUpAfterMs: 5 * 60_000, backoffMs: 250, maxBackoffMs: 5_000 };

/** An answer worth another attempt: the coordinator is restarting or behind a proxy that cannot reach it. */
class Unavailable extends Error {}

const codeOf = (err: unknown): string | undefined => {
  const code = err instanceof Error ? ((err as Error & { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code) : undefined;
  return typeof code === "string" ? code : undefined;
};

/** A failed attempt in words a person can act on. */
export function describeFailure(err: unknown): string {
  const code = codeOf(err);
  if (code === "ECONNREFUSED") return "connection refused (is the coordinator running, and is the port right?)";
  if (code === "ENOTFOUND") return "unknown host";
  if (code === "ECONNRESET") return "connection reset";
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return "no answer in time";
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS: ${err instanceof Error ? err.message : code}`;
  return err instanceof Error ? err.message : String(err);
}

function bodyBytes(body: RequestInit["body"]): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  throw new ClientError(0, "BAD_REQUEST", "signed requests carry a string or bytes");
}

/** Who signs (a participant key, or an Ethereum admin's key), and for which ceremony (its id, asked of the coordinator once). */
export interface Signer {
  key: RequestKey;
  ceremony: () => Promise<string>;
}

/**
 * A fetch for hc: signs as `signer` (or sends unsigned when null) and retries. A request that declares its body hash
 * (uploads) is signed over that hash; any other over its bytes.
 */
export function ceremonyFetch(signer: Signer | null, policy: RetryPolicy, fetchImpl: typeof fetch = fetch): typeof fetch {
  const attempt = async (input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (signer) {
      const { key } = signer;
      const ceremony = await signer.ceremony();
      const method = init.method ?? "GET";
      const path = input instanceof Request ? input.url : String(input);
      const declared = headers.get(BODY_HASH_HEADER);
      const auth = declared ? signRequest(key, { ceremony, method, path, bodyHash: declared }) : signRequest(key, { ceremony, method, path, body: bodyBytes(init.body) });
      for (const [name, value] of Object.entries(auth)) headers.set(name, value);
    }
    const signal = policy.attemptTimeoutMs ? AbortSignal.any([AbortSignal.timeout(policy.attemptTimeoutMs), ...(init.signal ? [init.signal] : [])]) : init.signal;
    const res = await fetchImpl(input, { ...init, headers, ...(signal ? { signal } : {}) });
    // A restarting coordinator (or its proxy) and a rate limit both say: try again shortly.
    if (res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504) {
      await res.body?.cancel();
      throw new Unavailable(`the coordinator answered ${res.status}`);
    }
    // The body is read inside the attempt: a connection reset half-way through an answer is retried too.
    const bytes = new Uint8Array(await res.arrayBuffer());
    return new Response(bytes.length > 0 ? bytes : null, { status: res.status, headers: res.headers });
  };
  const retried = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    try {
      return await retry(() => attempt(input, init), {
        initialMs: policy.backoffMs,
        maxMs: policy.maxBackoffMs,
        giveUpAfterMs: policy.giveUpAfterMs,
        retryable: (err) => !(err instanceof ClientError) && !(policy.unknownHostIsFatal && codeOf(err) === "ENOTFOUND"),
        onRetry: (err, _n, wait) => policy.onRetry?.(`${describeFailure(err)}; retrying in ${wait} ms`),
      });
    } catch (err) {
      const host = new URL(input instanceof Request ? input.url : String(input)).host;
      if (codeOf(err) === "ENOTFOUND") throw new ClientError(0, "UNKNOWN_HOST", `unknown host ${host}`);
      if (!(err instanceof RetriesExhausted)) throw err;
      throw new ClientError(0, "COORDINATOR_UNREACHABLE", `cannot reach ${host}: ${describeFailure(err.cause)} (gave up after ${Math.max(1, Math.round(err.elapsedMs / 1000))} s)`);
    }
  };
  return retried as typeof fetch;
}
