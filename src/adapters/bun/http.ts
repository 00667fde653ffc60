/** Bun.serve for the Hono app: the only place that binds a socket, and knows a client's address. */
import type { Context } from "hono";
import { createBunWebSocket } from "hono/bun";

export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A bound server whose requests go to `handle`'s handler once it is given; until then each is answered by `starting`. */
export interface BoundServer extends RunningServer {
  handle(fetchHandler: FetchHandler): void;
}

export type FetchHandler = (req: Request, server: unknown) => Response | Promise<Response>;

/** PEM certificate chain and private key: the server speaks HTTPS. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** Why a socket could not be bound, in one line an operator can act on. */
export class ListenError extends Error {}

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

/**
 * Binds the socket first, before anything else starts (a busy port or a bad certificate fails here, having created
 * nothing). Requests are answered by `starting` until the app is handed over with `handle`.
 */
export function listen(options: { host: string; port: number; tls?: TlsFiles; websocket?: ReturnType<typeof createBunWebSocket>["websocket"]; starting: FetchHandler }): BoundServer {
  if (typeof Bun === "undefined") throw new Error("`ceremony serve` runs under Bun (the compiled binary, or `bun src/main.ts`)");
  let handler = options.starting;
  const fetch: FetchHandler = (req, server) => handler(req, server);
  const common = { hostname: options.host, port: options.port, fetch, maxRequestBodySize: 1 << 30, idleTimeout: 120, ...(options.tls ? { tls: options.tls } : {}) };
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = options.websocket ? Bun.serve({ ...common, websocket: options.websocket }) : Bun.serve(common);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const where = `${options.host}:${options.port}`;
    if (code === "EADDRINUSE") throw new ListenError(`cannot listen on ${where}: the port is in use (another coordinator?); choose another with --port`);
    if (code === "EACCES") throw new ListenError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges; use a higher --port behind a proxy)`);
    if (typeof code === "string" && code.startsWith("ERR_OSSL")) throw new ListenError(`cannot serve HTTPS with --tls-cert/--tls-key: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
  let stopped: Promise<void> | null = null;
  const bound = server.port ?? options.port;
  const scheme = options.tls ? "https" : "http";
  return {
    url: `${scheme}://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${bound}`,
    port: bound,
    handle: (h) => {
      handler = h;
    },
    // Stops accepting requests and lets in-flight ones (uploads) finish, for up to 10 s; then closes the rest. Once.
    stop: () => (stopped ??= stopGracefully(server)),
  };
}

async function stopGracefully(server: ReturnType<typeof Bun.serve>): Promise<void> {
  const graceful = server.stop(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([graceful.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 10_000)))]);
  clearTimeout(timer);
  if (timedOut) await server.stop(true);
}

/** Serves `fetchHandler` at once (benchmarks, tests). */
export function serveHttp(fetchHandler: FetchHandler, host: string, port: number, websocket?: ReturnType<typeof createBunWebSocket>["websocket"]): RunningServer {
  const bound = listen({ host, port, ...(websocket ? { websocket } : {}), starting: fetchHandler });
  return bound;
}
