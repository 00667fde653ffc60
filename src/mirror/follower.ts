/**
 * Following the coordinator: its transcript fetched with isomorphic-git as the branch moves (each object's id is
 * computed from its bytes while the pack is indexed, so nothing arrives under a false name), woken by the live feed
 * (Server-Sent Events at /v1/events) where the coordinator has one, and by a poll otherwise.
 */
import * as fs from "node:fs";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";

export class Follower {
  private fetched: string | null = null;

  constructor(
    private readonly gitdir: string,
    private readonly transcriptUrl: string,
  ) {}

  private remoteSet = false;

  /** The coordinator's branch tip, its objects fetched here; null while it has none. */
  async fetch(): Promise<string | null> {
    if (!this.remoteSet) {
      await git.addRemote({ fs, gitdir: this.gitdir, remote: "origin", url: this.transcriptUrl, force: true });
      this.remoteSet = true;
    }
    const info = await git.getRemoteInfo2({ http, url: this.transcriptUrl, protocolVersion: 1 });
    const tip = info.refs?.find((r) => r.ref === "refs/heads/main")?.oid ?? null;
    if (tip === null || tip === this.fetched) return tip;
    const result = await git.fetch({ fs, http, gitdir: this.gitdir, remote: "origin", ref: "main", singleBranch: true, tags: false });
    this.fetched = result.fetchHead ?? tip;
    return this.fetched;
  }
}

/** Wakes a waiting loop: on every message of the live feed, or when `wait`'s time is up. */
export class Waker {
  private wakeUp: (() => void) | null = null;
  private woken = false;

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Resolves after `ms`, or at once when woken since the last wait; answers whether it was woken. */
  async wait(ms: number): Promise<boolean> {
    if (!this.woken) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.wakeUp = null;
    const was = this.woken;
    this.woken = false;
    return was;
  }

  /**
   * Listens to the coordinator's live feed until `signal` aborts, waking at each message; reconnects after a
   * failure; gives up (polling only) when the coordinator has no feed.
   */
  async listen(eventsUrl: string, signal: AbortSignal, log: (line: string) => void): Promise<void> {
    while (!signal.aborted) {
      try {
        const res = await fetch(eventsUrl, { headers: { accept: "text/event-stream" }, signal });
        if (res.status === 404 || !(res.headers.get("content-type") ?? "").includes("text/event-stream")) {
          await res.body?.cancel();
          log("the coordinator has no live feed; polling");
          return;
        }
        const reader = res.body?.getReader();
        for (;;) {
          const piece = await reader?.read();
          if (!piece || piece.done) break;
          this.wake();
        }
      } catch (err) {
        if (signal.aborted) return;
        log(`live feed: ${err instanceof Error ? err.message : String(err)}; reconnecting`);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}
