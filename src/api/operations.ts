/**
 * What the operator's tooling asks of the service, outside /v1: is the process alive (/healthz), should it get
 * traffic (/readyz: 200, or 503 UNREADY with the reason), and its Prometheus metrics (/metrics; behind a bearer token
 * when the operator sets one). Every request is timed by its route pattern (never the raw path, so the metric's
 * labels stay few) and status.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { ApiError } from "./errors.ts";

/** Whether the coordinator should be sent traffic. */
export type Readiness = { ready: true } | { ready: false; reason: string };

export interface MetricsPort {
  /** The exposition format's content type. */
  readonly contentType: string;
  render(): Promise<string>;
  /** One answered request: its method, route pattern, status, and seconds to its answer's headers. */
  request(method: string, route: string, status: number, seconds: number): void;
}

export interface Operations {
  readiness(): Readiness;
  metrics: MetricsPort;
  /** When set (non-empty), /metrics asks for `Authorization: Bearer <token>`. */
  metricsToken?: string;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
/** The label of a request that matched no route (whatever its path). */
export const UNMATCHED_ROUTE = "unmatched";

/** Times every request; the route is the matched pattern (`/v1/chunks/:k/lock`), or "unmatched". */
export function timeRequests(metrics: MetricsPort): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = routePath(c);
      const label = route === "" || route === "*" || route === "/*" ? UNMATCHED_ROUTE : route;
      metrics.request(METHODS.has(c.req.method) ? c.req.method : "other", label, c.res.status, (performance.now() - started) / 1000);
    }
  };
}

export function readinessAnswer(c: Context, operations: Operations | undefined): Response {
  const r = operations?.readiness() ?? { ready: true };
  if (!r.ready) throw new ApiError("UNREADY", r.reason);
  return c.json({ ready: true as const });
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

export async function metricsAnswer(c: Context, operations: Operations | undefined): Promise<Response> {
  if (!operations) throw new ApiError("NOT_FOUND", "this server keeps no metrics");
  const token = operations.metricsToken;
  if (token) {
    const given = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    // Compared as digests: constant time, and the token's length stays hidden too.
    if (!timingSafeEqual(digest(given), digest(token))) {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      throw new ApiError("METRICS_UNAUTHORIZED", "the metrics need the operator's token: Authorization: Bearer <token>");
    }
  }
  return new Response(await operations.metrics.render(), { headers: { "content-type": operations.metrics.contentType, "cache-control": "no-store" } });
}
