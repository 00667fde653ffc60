// Eligibility over JSON-RPC, against a real HTTP server on loopback that speaks (and misspeaks) JSON-RPC 2.0.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { checkEligibility, transactionCount } from "../../src/identity/index.ts";
import { closedPortUrl, startJsonRpcNode, type Answer, type JsonRpcNode } from "./json-rpc-node.ts";

const alice = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const bob = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";

let node: JsonRpcNode;
let url: string;
beforeAll(async () => {
  node = await startJsonRpcNode({ [alice.toLowerCase()]: "0x5", [bob.toLowerCase()]: "0x1" });
  url = node.url;
});
afterAll(() => node.close());
beforeEach(() => {
  node.answer = node.honest;
  node.received.length = 0;
});

describe("transactionCount", () => {
  it("asks eth_getTransactionCount(address, latest) and reads the quantity", async () => {
    expect(await transactionCount(url, alice)).toBe(5n);
    expect(node.received).toEqual([
      {
        method: "POST",
        contentType: "application/json",
        body: { jsonrpc: "2.0", id: 1, method: "eth_getTransactionCount", params: [alice, "latest"] },
      },
    ]);
    node.answer = ({ id }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, result: "0xffffffffffffffffffff" }) });
    expect(await transactionCount(url, alice)).toBe(2n ** 80n - 1n);
  });
});

describe("checkEligibility", () => {
  it("admits an account with enough transactions and refuses one with too few", async () => {
    expect(await checkEligibility(alice, { rpcUrl: url, minTransactions: 5 })).toEqual({ ok: true, transactionCount: 5n });
    const verdict = await checkEligibility(bob, { rpcUrl: url, minTransactions: 3 });
    expect(verdict).toMatchObject({ ok: false, code: "NOT_ELIGIBLE" });
    expect(verdict.ok || verdict.message).toContain("has sent 1 transaction(s)");
  });

  it("asks nothing when no minimum is set", async () => {
    expect(await checkEligibility(bob, { rpcUrl: "http://127.0.0.1:1", minTransactions: 0 })).toEqual({ ok: true, transactionCount: 0n });
    expect(node.received).toEqual([]);
  });

  const failures: [string, Answer, string][] = [
    ["a JSON-RPC error", ({ id }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32000, message: "header not found" } }) }), "header not found"],
    ["HTTP 500", () => ({ status: 500, body: "{}" }), "HTTP 500"],
    ["a body that is not JSON", () => ({ body: "<html>rate limited</html>" }), "not JSON"],
    ["a result without 0x", ({ id }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, result: "5" }) }), "quantity"],
    ["a result with a leading zero", ({ id }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, result: "0x05" }) }), "quantity"],
    ["a numeric result", ({ id }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, result: 5 }) }), "not a JSON-RPC 2.0 answer"],
    ["an answer to another request", () => ({ body: JSON.stringify({ jsonrpc: "2.0", id: 2, result: "0x5" }) }), "not a JSON-RPC 2.0 answer"],
    ["an answer without jsonrpc", ({ id }) => ({ body: JSON.stringify({ id, result: "0x5" }) }), "not a JSON-RPC 2.0 answer"],
    ["an answer of 100 KiB", ({ id }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, result: "0x5", pad: "x".repeat(100 * 1024) }) }), "longer than"],
    ["no answer in time", (r) => ({ ...node.honest(r), delayMs: 1_000 }), "no answer within 200 ms"],
  ];
  it.each(failures)("reports %s as unavailable, never as ineligible", async (_, failure, reason) => {
    node.answer = failure;
    const verdict = await checkEligibility(alice, { rpcUrl: url, minTransactions: 1, timeoutMs: 200 });
    expect(verdict).toMatchObject({ ok: false, code: "ELIGIBILITY_UNAVAILABLE" });
    expect(verdict.ok || verdict.message).toContain(reason);
  });

  it("reports an unreachable node as unavailable", async () => {
    const verdict = await checkEligibility(alice, { rpcUrl: await closedPortUrl(), minTransactions: 1 });
    expect(verdict).toMatchObject({ ok: false, code: "ELIGIBILITY_UNAVAILABLE" });
    expect(verdict.ok || verdict.message).toContain("could not be reached");
  });
});
