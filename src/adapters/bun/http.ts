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
    stop: async () => {
      await server.stop(true);
    },
  };
}
