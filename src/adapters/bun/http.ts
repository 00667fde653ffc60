/** Bun.serve for the Hono app: the only place that binds a socket, and knows a client's address. */
import type { Context } from "hono";
import { createBunWebSocket } from "hono/bun";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The client's address of a request served by serveHttp (Hono gives the Bun server as the env). Behind a reverse
 * proxy the operator trusts, the first X-Forwarded-For entry; otherwise the socket's address.
 */
export function bunClientAddress(trustProxy: boolean): (c: Context) => string {
  return (c) => {
    if (trustProxy) {
      const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
      if (forwarded) return forwarded;
    }
    const server = c.env as { requestIP?: (req: Request) => { address: string } | null } | undefined;
    return server?.requestIP?.(c.req.raw)?.address ?? "unknown";
  };
}

/** WebSocket upgrades for the Hono app under Bun: the route helper, and the handler Bun.serve needs. */
export function bunWebSockets(): ReturnType<typeof createBunWebSocket> {
  return createBunWebSocket();
}

export function serveHttp(
  fetchHandler: (req: Request, server: unknown) => Response | Promise<Response>,
  host: string,
  port: number,
  websocket?: ReturnType<typeof createBunWebSocket>["websocket"],
): RunningServer {
  if (typeof Bun === "undefined") throw new Error("`ceremony serve` runs under Bun (the compiled binary, or `bun src/main.ts`)");
  const common = { hostname: host, port, fetch: fetchHandler, maxRequestBodySize: 1 << 30, idleTimeout: 120 };
  const server = websocket ? Bun.serve({ ...common, websocket }) : Bun.serve(common);
  const bound = server.port ?? port;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${bound}`,
    port: bound,
    // Stops accepting requests and lets in-flight ones (uploads) finish, for up to 10 s; then closes the rest.
    stop: async () => {
      const graceful = server.stop(false);
      const timedOut = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 10_000))]);
      if (timedOut) await server.stop(true);
    },
  };
}
