/** Bun.serve for the Hono app: the only place that binds a socket. */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function serveHttp(fetchHandler: (req: Request) => Response | Promise<Response>, host: string, port: number): RunningServer {
  if (typeof Bun === "undefined") throw new Error("`ceremony serve` runs under Bun (the compiled binary, or `bun src/main.ts`)");
  const server = Bun.serve({ hostname: host, port, fetch: fetchHandler, maxRequestBodySize: 1 << 30, idleTimeout: 120 });
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
