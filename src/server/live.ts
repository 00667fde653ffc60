/**
 * The live feed: one stream of what happens (the ceremony's events as they are committed; the lobby's joins and
 * leaves summarised as its length, at most four times a second), each numbered by the event log's sequence number
 * (stable across restarts), so a client can resume from the last message it saw. Bounded everywhere: the feed keeps the last messages for resuming, each subscriber a short queue
 * (a slow one is dropped, not waited for), and the number of subscribers is capped.
 */
import type { LiveMessage } from "../api/schemas.ts";
import type { LiveSource, Subscriber, Subscription } from "../api/service.ts";
import type { CeremonyEvent } from "../core/model.ts";


export interface LiveLimits {
  /** Messages kept for resuming. */
  kept: number;
  /** Messages a subscriber may have waiting before it is dropped as too slow. */
  perSubscriber: number;
  /** Subscribers at once. */
  subscribers: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = { kept: 10_000, perSubscriber: 1_000, subscribers: 5_000 };

/** Events about who waits: summarised, not sent one by one. */
const LOBBY_EVENTS: ReadonlySet<CeremonyEvent["type"]> = new Set(["ParticipantQueued", "ParticipantLeftQueue"]);
const LOBBY_EVERY_MS = 250;

export class LiveFeed implements LiveSource {
  private readonly kept: LiveMessage[] = [];
  private readonly subscribers = new Set<Subscriber>();
  private lobby: { seq: number; queued: number } | null = null;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly limits: LiveLimits = DEFAULT_LIVE_LIMITS) {
    this.timer = setInterval(() => this.flushLobby(), LOBBY_EVERY_MS);
    this.timer.unref?.();
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Follows the committed entries of one command; `queued` is the lobby's length right after them. */
  committed(entries: Array<{ seq: number; event: CeremonyEvent }>, queued: number): void {
    for (const e of entries) {
      if (LOBBY_EVENTS.has(e.event.type)) this.lobby = { seq: e.seq, queued };
      else {
        this.flushLobby();
        this.publish({ id: e.seq, kind: "event", seq: e.seq, event: e.event });
      }
    }
  }

  private flushLobby(): void {
    if (!this.lobby) return;
    const { seq, queued } = this.lobby;
    this.lobby = null;
    this.publish({ id: seq, kind: "lobby", seq, queued });
  }

  private publish(message: LiveMessage): void {
    this.kept.push(message);
    if (this.kept.length > this.limits.kept) this.kept.splice(0, this.kept.length - this.limits.kept);
    for (const s of [...this.subscribers]) this.send(s, message);
  }

  /** A subscriber that cannot take a message (its queue is full: it reads too slowly) is dropped. */
  private send(s: Subscriber, message: LiveMessage): void {
    if (!this.subscribers.has(s) || s.deliver(message)) return;
    this.subscribers.delete(s);
    s.drop("too slow: the live feed moved on without it");
  }

  /** How many messages a subscriber may hold undelivered. */
  get perSubscriber(): number {
    return this.limits.perSubscriber;
  }

  /** Joins the feed after message `since` (0: from now); null when the feed is full. */
  subscribe(s: Subscriber, since: number): Subscription | null {
    if (this.subscribers.size >= this.limits.subscribers) return null;
    this.subscribers.add(s);
    const first = this.kept[0];
    if (since > 0 && first && since < first.id - 1) this.send(s, { id: first.id - 1, kind: "reset", seq: first.id - 1 });
    if (since > 0) for (const m of this.kept) if (m.id > since) this.send(s, m);
    return { close: () => void this.subscribers.delete(s) };
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of this.subscribers) s.drop("the coordinator is stopping");
    this.subscribers.clear();
  }
}
