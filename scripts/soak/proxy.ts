/**
 * A TCP proxy between the participants and the coordinator that can cut every connection (and refuse new ones for
 * a while) or slow every byte down, and tells whether an upload is in flight through it (a request line
 * `POST /v1/chunks/K/contribution` seen, its answer not yet begun).
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export class ChaosProxy {
  private server: Server | null = null;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; uploading: boolean }>();
  private refuseUntil = 0;
  private latencyMs = 0;
  private latencyUntil = 0;

  constructor(private readonly target: () => number) {}

  async listen(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const a = server.address();
    if (a === null || typeof a === "string") throw new Error("proxy: no port");
    return a.port;
  }

  /** Uploads in flight now. */
  get uploads(): number {
    let n = 0;
    for (const p of this.pairs) if (p.uploading) n++;
    return n;
  }

  /** Drops every connection, and refuses new ones for `refuseMs`. */
  cut(refuseMs: number): number {
    this.refuseUntil = performance.now() + refuseMs;
    const n = this.pairs.size;
    for (const p of [...this.pairs]) this.drop(p);
    return n;
  }

  /** Delays every piece of data by `ms` (both ways) for `forMs`. */
  slow(ms: number, forMs: number): void {
    this.latencyMs = ms;
    this.latencyUntil = performance.now() + forMs;
  }

  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.drop(p);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private delay(): number {
    return performance.now() < this.latencyUntil ? this.latencyMs : 0;
  }

  private drop(p: { client: Socket; upstream: Socket }): void {
    p.client.destroy();
    p.upstream.destroy();
  }

  private accept(client: Socket): void {
    if (performance.now() < this.refuseUntil) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target(), "127.0.0.1");
    const pair = { client, upstream, uploading: false };
    this.pairs.add(pair);
    const end = (): void => {
      this.pairs.delete(pair);
      this.drop(pair);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
    this.pipe(client, upstream, (d) => {
      if (/^POST \/v1\/chunks\/\d+\/contribution /.test(d.subarray(0, 48).toString("latin1"))) pair.uploading = true;
    });
    this.pipe(upstream, client, () => (pair.uploading = false));
  }

  /** Forwards in order, each piece after the latency in force when it arrived. */
  private pipe(from: Socket, to: Socket, seen: (d: Buffer) => void): void {
    let chain = Promise.resolve();
    from.on("data", (d: Buffer) => {
      seen(d);
      const ms = this.delay();
      chain = chain.then(() => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : undefined)).then(() => {
        if (!to.destroyed) to.write(d);
      });
    });
    from.on("end", () => void chain.then(() => to.end()));
  }
}
