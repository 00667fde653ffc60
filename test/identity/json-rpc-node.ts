// A stand-in Ethereum node for tests: a real HTTP server on loopback answering eth_getTransactionCount from a table,
// or however a test tells it to misbehave.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface RpcRequest {
  id: unknown;
  params: unknown[];
}
export interface RpcReply {
  status?: number;
  body: string;
  delayMs?: number;
}
export type Answer = (request: RpcRequest) => RpcReply;

export interface JsonRpcNode {
  url: string;
  /** Every request as received: HTTP method, content type and parsed body. */
  received: { method: string | undefined; contentType: string | undefined; body: RpcRequest }[];
  /** How the node answers from now on (`honest` until changed). */
  answer: Answer;
  honest: Answer;
  close(): Promise<void>;
}

/** `counts` maps lowercase addresses to their transaction count as a JSON-RPC quantity; others have sent none. */
export async function startJsonRpcNode(counts: Record<string, string>): Promise<JsonRpcNode> {
  const honest: Answer = ({ id, params }) => ({ body: JSON.stringify({ jsonrpc: "2.0", id, result: counts[String(params[0]).toLowerCase()] ?? "0x0" }) });
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      const body = JSON.parse(text) as RpcRequest;
      node.received.push({ method: req.method, contentType: req.headers["content-type"], body });
      const { status = 200, body: reply, delayMs = 0 } = node.answer(body);
      setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(reply), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const node: JsonRpcNode = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: [],
    answer: honest,
    honest,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return node;
}

/** A loopback URL where nothing listens: a port that was just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
