/**
 * When each participant was last heard from: any signed request counts. The tick drops round contributors silent
 * past the heartbeat timeout. In memory only: after a restart every round contributor gets a fresh grace period.
 */
import type { ParticipantId } from "../core/model.ts";

export class Presence {
  private readonly lastSeen = new Map<ParticipantId, number>();

  seen(participant: ParticipantId, at: number): void {
    this.lastSeen.set(participant, at);
  }

  /** When each of `participants` was last heard from, as the Tick command carries it (only the round's matter). */
  of(participants: ParticipantId[]): Record<ParticipantId, number> {
    const out: Record<ParticipantId, number> = {};
    for (const p of participants) {
      const at = this.lastSeen.get(p);
      if (at !== undefined) out[p] = at;
    }
    return out;
  }

  /** Forgets someone who left the lobby (left, dropped, or done): the map holds only those still taking part. */
  forget(participant: ParticipantId): void {
    this.lastSeen.delete(participant);
  }

  has(participant: ParticipantId): boolean {
    return this.lastSeen.has(participant);
  }
}
