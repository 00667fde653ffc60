/**
 * The live feed over HTTP: Server-Sent Events at GET /v1/events and a WebSocket at /v1/ws (where the adapter can
 * upgrade one), the same messages on both, resuming after `Last-Event-ID` (or `?since=`). A subscriber that reads
 * too slowly is dropped; a full feed answers 503 LIVE_FULL.
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { UpgradeWebSocket, WSContext } from "hono/ws";
import { ApiError } from "./errors.ts";
import type { LiveMessage } from "./schemas.ts";
import type { LiveSource, Subscription } from "./service.ts";

/** SSE comment lines keep idle connections (and proxies) from timing out. */
const KEEPALIVE_MS = 15_000;

function sinceOf(c: Context): number {
  const raw = c.req.header("last-event-id") ?? c.req.query("since") ?? "0";
  return /^\d{1,15}$/.test(raw) ? Number(raw) : 0;
}

function full(): never {
  throw Object.assign(new ApiError("LIVE_FULL", "the live feed has as many subscribers as it takes; retry later"), { retryAfterMs: 10_000 });
}

export function sseRoute(live: LiveSource) {
  return (c: Context) => {
    const queue: LiveMessage[] = [];
    let wake: (() => void) | null = null;
    let dropped: string | null = null;
    const poke = (): void => {
      wake?.();
      wake = null;
    };
    const sub = live.subscribe(
      {
        deliver: (m) => {
          if (queue.length >= live.perSubscriber) return false;
          queue.push(m);
          poke();
          return true;
        },
        drop: (reason) => {
          dropped = reason;
          poke();
        },
      },
      sinceOf(c),
    );
    if (!sub) full();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => {
        sub.close();
        poke();
      });
      const keepalive = setInterval(poke, KEEPALIVE_MS);
      try {
        while (!stream.aborted && dropped === null) {
          const m = queue.shift();
          if (m) await stream.writeSSE({ id: String(m.id), event: m.kind, data: JSON.stringify(m) });
          else {
            await new Promise<void>((resolve) => (wake = resolve));
            if (queue.length === 0 && dropped === null && !stream.aborted) await stream.write(": keepalive\n\n");
          }
        }
        if (dropped !== null) await stream.writeSSE({ event: "dropped", data: JSON.stringify({ reason: dropped }) });
      } finally {
        clearInterval(keepalive);
        sub.close();
      }
    });
  };
}

/** The WebSocket route, when the runtime adapter can upgrade (Bun): the same messages, one JSON text frame each. */
export function wsRoute(live: LiveSource, upgradeWebSocket: UpgradeWebSocket) {
  return upgradeWebSocket((c) => {
    let sub: Subscription | null = null;
    const since = sinceOf(c);
    return {
      onOpen: (_evt: Event, ws: WSContext) => {
        sub = live.subscribe(
          {
            deliver: (m) => {
              if (ws.readyState !== 1 || buffered(ws) > live.perSubscriber * 512) return false;
              ws.send(JSON.stringify(m));
              return true;
            },
            drop: (reason) => ws.close(1013, reason.slice(0, 100)),
          },
          since,
        );
        if (!sub) ws.close(1013, "the live feed is full; retry later");
      },
      onClose: () => sub?.close(),
    };
  });
}

/** Bytes a WebSocket still has to send, where the runtime tells (Bun's getBufferedAmount). */
function buffered(ws: WSContext): number {
  const raw = ws.raw as { getBufferedAmount?: () => number } | undefined;
  return raw?.getBufferedAmount?.() ?? 0;
}
