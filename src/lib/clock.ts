/**
 * The coordinator's clock: the wall clock read once, then advanced by the monotonic clock. Every duration the
 * coordinator measures (heartbeat, lock and turn timeouts, the round-start wait, rate limits, the signature window)
 * is a difference of two readings of this clock, so a step of the system clock (an NTP correction, an operator's
 * `date -s`, a VM resumed) neither drops an honest participant at once nor pushes a timeout hours away. The times
 * written into events are its readings: wall time as of the start, plus the elapsed monotonic time. How far the
 * system clock has moved away from it is reported (`drift`), so an operator can restart to re-read it. Event times
 * never go back across a restart either (the rules compare them: a round may start once its first has waited).
 */
import { readFileSync } from "node:fs";

export interface SteadyClock {
  /**
   * Milliseconds since the epoch for events and durations: the anchor's wall time plus the monotonic time elapsed
   * since, moved forward when a restart finds the log's last event later (`notBefore`).
   */
  now(): number;
  /**
   * The same clock without that move: what other machines' clocks are compared with (the window of signed requests),
   * so a system clock that was once ahead and is right again never locks participants out.
   */
  external(): number;
  /** Moves `now` forward so it is not behind `ms` (never back); returns by how much (ms). */
  notBefore(ms: number): number;
  /** The system clock minus `external` (ms): how far the wall clock was stepped since the anchor. */
  drift(): number;
}

export interface ClockSources {
  /** The system's wall clock (ms since the epoch). */
  wall?: () => number;
  /** A monotonic clock (ms, any origin): never stepped. */
  monotonic?: () => number;
}

export function steadyClock(sources: ClockSources = {}): SteadyClock {
  const wall = sources.wall ?? Date.now;
  const monotonic = sources.monotonic ?? (() => performance.now());
  const anchorWall = wall();
  const anchorMono = monotonic();
  let ahead = 0;
  const external = (): number => Math.floor(anchorWall + (monotonic() - anchorMono));
  const now = (): number => external() + ahead;
  return {
    now,
    external,
    notBefore(ms) {
      const behind = ms - now();
      if (behind > 0) ahead += behind;
      return Math.max(0, behind);
    },
    drift: () => wall() - external(),
  };
}

/**
 * A test and soak hook, never needed in operation: the system wall clock shifted by the number of milliseconds
 * written in `file` (a missing or empty file: no shift). The chaos soak (scripts/soak.ts) writes it to step the
 * coordinator's wall clock hours forward and back without touching the machine's clock. `serve` uses it only when
 * CEREMONY_CLOCK_OFFSET_FILE names a file.
 */
export function offsetWallClock(file: string): () => number {
  return () => Date.now() + readOffset(file);
}

function readOffset(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, "utf8").trim();
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return 0;
    throw err;
  }
  if (text === "") return 0;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms)) throw new RangeError(`clock offset file ${file}: not a whole number of milliseconds: ${text.slice(0, 40)}`);
  return ms;
}
