/**
 * Caps on upload-packs in progress, all clients together and per client address, so that a crowd of clones (or one
 * client opening many) cannot take every core and all the memory: a request over a cap is refused at once, not queued.
 */
import type { GitServerStats } from "./stats.ts";

export class UploadPackLimiter {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerClient: number,
    private readonly stats: GitServerStats,
  ) {}

  /** A release function (calling it again does nothing), or null when a cap is reached. */
  tryAcquire(client: string): (() => void) | null {
    const mine = this.perClient.get(client) ?? 0;
    if (this.total >= this.maxTotal || mine >= this.maxPerClient) return null;
    this.total++;
    this.perClient.set(client, mine + 1);
    this.stats.activeUploadPacks = this.total;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
      this.stats.activeUploadPacks = this.total;
    };
  }
}
