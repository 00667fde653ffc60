/**
 * Optional eligibility of an Ethereum account: a minimum number of transactions sent (its nonce), read over
 * JSON-RPC from a node the operator names, to make fresh throwaway accounts useless for flooding the queue.
 */
import * as v from "valibot";
import { BodyError, readBodyCapped } from "../auth/body.ts";
import { ADDRESS_SYNTAX } from "./ethereum.ts";

/** How long one RPC call may take before the account is reported unavailable rather than ineligible. */
export const DEFAULT_RPC_TIMEOUT_MS = 5_000;
/** A JSON-RPC answer for one number is well under a kilobyte; a larger body is not read to the end. */
const MAX_RESPONSE_BYTES = 64 * 1024;

const Quantity = v.pipe(v.string(), v.regex(/^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/, "a JSON-RPC quantity is 0x and hex digits without leading zeros"));
const RpcAnswer = v.union([
  v.object({ jsonrpc: v.literal("2.0"), id: v.literal(1), result: Quantity }),
  v.object({ jsonrpc: v.literal("2.0"), id: v.union([v.literal(1), v.null()]), error: v.object({ code: v.number(), message: v.string() }) }),
]);

/** The RPC could not give an answer: unreachable, slow, an HTTP or JSON-RPC error, or an answer out of spec. */
export class RpcError extends Error {
  override readonly name = "RpcError";
}

/** `eth_getTransactionCount(address, "latest")`: how many transactions the account has sent. */
export async function transactionCount(
  rpcUrl: string,
  address: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs: number = DEFAULT_RPC_TIMEOUT_MS,
): Promise<bigint> {
  if (!ADDRESS_SYNTAX.test(address)) throw new TypeError("an address is 0x and 40 hex digits");
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getTransactionCount", params: [address, "latest"] });
  let text: string;
  try {
    const response = await fetchImpl(rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new RpcError(`the RPC answered HTTP ${response.status}`);
    }
    text = new TextDecoder().decode((await readBodyCapped(response.body, MAX_RESPONSE_BYTES)).bytes);
  } catch (error) {
    if (error instanceof RpcError) throw error;
    if (error instanceof BodyError) throw new RpcError(`the RPC answer is longer than ${MAX_RESPONSE_BYTES} bytes`);
    const reason = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError") ? `no answer within ${timeoutMs} ms` : describe(error);
    throw new RpcError(`the RPC could not be reached: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RpcError("the RPC answer is not JSON");
  }
  const answer = v.safeParse(RpcAnswer, json);
  if (!answer.success) throw new RpcError(`the RPC answer is not a JSON-RPC 2.0 answer to eth_getTransactionCount: ${answer.issues[0].message}`);
  if ("error" in answer.output) throw new RpcError(`the RPC refused: ${answer.output.error.message.slice(0, 200)} (${answer.output.error.code})`);
  return BigInt(answer.output.result);
}

/** fetch's own message is often "fetch failed"; the reason (refused, reset, DNS) is in its cause. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}

export interface EligibilityPolicy {
  rpcUrl: string;
  /** Transactions the account must have sent; 0 admits every account (and skips the RPC call). */
  minTransactions: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export type EligibilityVerdict =
  | { ok: true; transactionCount: bigint }
  | { ok: false; code: "NOT_ELIGIBLE" | "ELIGIBILITY_UNAVAILABLE"; message: string };

/** Whether `address` has sent at least `minTransactions` transactions; an RPC failure is never read as "no". */
export async function checkEligibility(address: string, policy: EligibilityPolicy): Promise<EligibilityVerdict> {
  if (policy.minTransactions <= 0) return { ok: true, transactionCount: 0n };
  let count: bigint;
  try {
    count = await transactionCount(policy.rpcUrl, address, policy.fetchImpl, policy.timeoutMs);
  } catch (error) {
    if (error instanceof RpcError) return { ok: false, code: "ELIGIBILITY_UNAVAILABLE", message: `cannot check eligibility now: ${error.message}` };
    throw error;
  }
  if (count < BigInt(policy.minTransactions))
    return { ok: false, code: "NOT_ELIGIBLE", message: `${address} has sent ${count} transaction(s); this ceremony asks for at least ${policy.minTransactions}` };
  return { ok: true, transactionCount: count };
}
