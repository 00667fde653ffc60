/**
 * How long rounds take, from the committed events' times: the average of the last rounds' durations (start to
 * aggregation), which turns a place in the queue into an estimated wait.
 */
import type { CeremonyEvent } from "../core/model.ts";

const KEPT = 10;

export class RoundPace {
  private startedAt: number | null = null;
  private readonly durations: number[] = [];

  /** Follows one committed event and the time it was logged (ms since the epoch). */
  apply(event: CeremonyEvent, loggedAt: number): void {
    if (event.type === "RoundStarted") this.startedAt = event.startedAt;
    if (event.type === "RoundRestarted") this.startedAt = null;
    if (event.type === "RoundAggregated" && this.startedAt !== null) {
      this.durations.push(Math.max(0, loggedAt - this.startedAt));
      if (this.durations.length > KEPT) this.durations.shift();
      this.startedAt = null;
    }
  }

  /** The average round's duration (ms), or null before any round finished. */
  get roundMs(): number | null {
    return this.durations.length === 0 ? null : this.durations.reduce((a, b) => a + b, 0) / this.durations.length;
  }

  /** Estimated wait (ms) for the participant at `place` when rounds take `perRound` contributors; null when unknown. */
  eta(place: number, perRound: number, roundRunning: boolean): number | null {
    const ms = this.roundMs;
    if (ms === null) return null;
    return (Math.ceil(place / perRound) - 1 + (roundRunning ? 1 : 0)) * ms;
  }
}
