/**
 * The alert of a stepped system clock: the coordinator keeps its steady clock (lib/clock.ts), so nothing breaks,
 * but the operator should know that event times and the system clock disagree (a restart re-reads the clock).
 */
import type { Alerts } from "./alerts.ts";

/** A system clock this far from the steady clock is an alert (NTP slews well within it; a step does not). */
export const CLOCK_DRIFT_ALERT_MS = 60_000;

/** Raises or clears the clock alert for `driftMs`, the system clock minus the steady clock. */
export function checkClockDrift(alerts: Alerts, driftMs: number): void {
  if (Math.abs(driftMs) <= CLOCK_DRIFT_ALERT_MS) return alerts.clear("clock", "the system clock agrees with the coordinator's steady clock again");
  const by = `${Math.round(Math.abs(driftMs) / 1000)} s ${driftMs > 0 ? "ahead of" : "behind"}`;
  alerts.raise("clock", `the system clock was stepped: it is ${by} the coordinator's steady clock; timeouts are unaffected, event times follow the steady clock (restart to re-read the system clock)`);
}
