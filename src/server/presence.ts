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

  /** A copy, as the Tick command carries it. */
  snapshot(): Record<ParticipantId, number> {
    return Object.fromEntries(this.lastSeen);
  }
}
