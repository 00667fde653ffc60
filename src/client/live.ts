/**
 * Following the coordinator's live feed (Server-Sent Events at /v1/events) from a client: it keeps one connection,
 * resumes after the last event id when the connection drops, and lets a waiting caller sleep until something
 * happens (or a time limit passes) instead of polling. Where the feed is unavailable (an older coordinator, a full
 * feed, a proxy that buffers), waits simply time out, which is the polling a client did before.
 */
import * as v from "valibot";
import { LiveMessageSchema, type LiveMessage } from "../api/schemas.ts";
import type { Instruction } from "../core/views.ts";
import { sleep } from "../lib/retry.ts";

const RECENT = 256;

/** What can change a queued participant's lot (thousands wait: the others' uploads must not wake them all). */
const QUEUE_MOVERS: ReadonlySet<string> = new Set(["RoundStarted", "RoundRestarted", "RoundAggregated", "FinalizationRequested", "CeremonyFinalized", "ParticipantBanned"]);
export const movesTheQueue = (m: LiveMessage): boolean => m.kind === "reset" || (m.kind === "event" && QUEUE_MOVERS.has(m.event.type));

type Waiter = { accept: (m: LiveMessage) => boolean; resolve: (m: LiveMessage | null) => void };

/** Parses one SSE block ("id: …\nevent: …\ndata: …") into its fields; comments and unknown fields are ignored. */
export function parseSseBlock(block: string): { id?: string; event?: string; data: string } | null {
  let id: string | undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return null;
  return { ...(id !== undefined ? { id } : {}), ...(event !== undefined ? { event } : {}), data: data.join("\n") };
}

export class LiveFollower {
  private lastId = 0;
  private waiters: Waiter[] = [];
  /** The latest messages, numbered by arrival, for callers that were busy when they came. */
  private readonly recent: Array<{ n: number; m: LiveMessage }> = [];
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;
  /** Whether a connection is open now (for tests and diagnostics). */
  connected = false;
  /** Messages received since the start. */
  received = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** Opens the feed in the background (from now on: only what happens after this). */
  start(): this {
    this.running ??= this.loop();
    return this;
  }

  /**
   * Resolves with the next message `accept` takes, or null after `timeoutMs`. With `after` (an earlier `received`),
   * a message that arrived since then counts too: one published while the caller was busy is not missed.
   */
  next(timeoutMs: number, accept: (m: LiveMessage) => boolean = () => true, after?: number): Promise<LiveMessage | null> {
    if (after !== undefined) {
      const missed = this.recent.find((r) => r.n > after && accept(r.m));
      if (missed) return Promise.resolve(missed.m);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        accept,
        resolve: (m) => {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(m);
        },
      };
      const timer = setTimeout(() => waiter.resolve(null), Math.max(0, timeoutMs));
      this.waiters.push(waiter);
    });
  }

  /**
   * Resolves true once the feed is open (the coordinator subscribes this client before it answers, so nothing
   * published afterwards is missed), or false after `timeoutMs` (waits then simply time out, as polling did).
   */
  async ready(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.connected && Date.now() < end && !this.abort.signal.aborted) await sleep(20);
    return this.connected;
  }

  close(): void {
    this.abort.abort();
    for (const w of [...this.waiters]) w.resolve(null);
  }

  private deliver(m: LiveMessage): void {
    this.received++;
    this.recent.push({ n: this.received, m });
    if (this.recent.length > RECENT) this.recent.shift();
    for (const w of [...this.waiters]) if (w.accept(m)) w.resolve(m);
  }

  private async loop(): Promise<void> {
    let backoff = 500;
    while (!this.abort.signal.aborted) {
      try {
        await this.connectOnce();
      } catch {
        // Unreachable, refused (LIVE_FULL), or cut: try again later; waits time out meanwhile.
      }
      // A feed that was up (and then cut: a coordinator restart) is tried again soon, not after a grown backoff.
      if (this.connected) backoff = 500;
      this.connected = false;
      if (this.abort.signal.aborted) return;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 30_000);
    }
  }

  private async connectOnce(): Promise<void> {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    // Without an id the feed starts from now; with one it resumes after it.
    const url = `${this.baseUrl.replace(/\/+$/, "")}/v1/events`;
    if (this.lastId > 0) headers["last-event-id"] = String(this.lastId);
    const res = await this.fetchImpl(url, { headers, signal: this.abort.signal });
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      throw new Error(`the live feed answered ${res.status}`);
    }
    this.connected = true;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const parsed = parseSseBlock(block);
        if (!parsed || parsed.event === "dropped") continue;
        let json: unknown;
        try {
          json = JSON.parse(parsed.data);
        } catch {
          continue;
        }
        const m = v.safeParse(LiveMessageSchema, json);
        if (!m.success) continue;
        this.lastId = m.output.id;
        this.deliver(m.output);
      }
    }
  }
}

/** A queued participant asks again at least this often (its place and the estimate move with the lobby). */
const QUEUE_WAIT_CAP_MS = 15_000;

/**
 * How a contributor passes the time (the CLI and the browser alike): woken by the feed when something that moves
 * its lot is published, and never waiting, queued or not, longer than a third of the heartbeat timeout (a queued
 * participant may be drawn into a round at any moment, from when on its silence counts). Queued, the feed wakes it
 * when a round starts; without the feed (reconnecting) it checks in as often as in a round. `keepAliveMs` is the
 * check-in period while it works on a chunk.
 */
export function liveWaits(live: LiveFollower, pollMs: number, heartbeatTimeoutMs: number): { pause: (ins: Instruction | null) => Promise<void>; keepAliveMs: number } {
  const heartbeatCap = Math.max(pollMs, Math.floor(heartbeatTimeoutMs / 3));
  const inRoundCap = Math.min(10_000, heartbeatCap);
  const queueCap = Math.min(QUEUE_WAIT_CAP_MS, heartbeatCap);
  let seen = live.received;
  const pause = async (ins: Instruction | null): Promise<void> => {
    await sleep(pollMs);
    const queued = ins?.kind === "wait" && ins.stage === "queue";
    const cap = queued && live.connected ? queueCap : inRoundCap;
    await live.next(cap - pollMs, queued ? movesTheQueue : (m) => m.kind !== "lobby", seen);
    seen = live.received;
  };
  return { pause, keepAliveMs: heartbeatCap };
}
