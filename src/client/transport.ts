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
}

export const DEFAULT_RETRY: RetryPolicy = { giveUpAfterMs: 5 * 60_000, backoffMs: 250, maxBackoffMs: 5_000 };

/** An answer worth another attempt: the coordinator is restarting or behind a proxy that cannot reach it. */
class Unavailable extends Error {}

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
    const res = await fetchImpl(input, { ...init, headers });
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
        retryable: (err) => !(err instanceof ClientError),
        onRetry: (err, _n, wait) => policy.onRetry?.(`${err instanceof Error ? err.message : String(err)}; retrying in ${wait} ms`),
      });
    } catch (err) {
      if (!(err instanceof RetriesExhausted)) throw err;
      const why = err.cause instanceof Error ? err.cause.message : String(err.cause);
      throw new ClientError(0, "COORDINATOR_UNREACHABLE", `gave up after ${Math.round(err.elapsedMs / 1000)} s: ${why}`);
    }
  };
  return retried as typeof fetch;
}
