/**
 * A moment an operator schedules (serve --opens-at, --closes-at, --finalize-at): an ISO 8601 date, or a cron
 * expression (six fields, with seconds, UTC) that stands for its first match after an anchor: the ceremony's
 * initialization, which the log records, so a restart resolves it to the same moment.
 */
import { CronTime, validateCronExpression } from "cron";

/** A date with an explicit offset (or a bare date, which is midnight UTC): never the host's local time. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

export type Moment = { kind: "date"; ms: number } | { kind: "cron"; expression: string };

/** Parses a moment; throws a one-line error naming what is accepted. */
export function parseMoment(text: string): Moment {
  const t = text.trim();
  if (ISO_DATE.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return { kind: "date", ms };
  }
  if (t.split(/\s+/).length === 6 && validateCronExpression(t).valid) return { kind: "cron", expression: t };
  throw new Error(`"${text}" is neither an ISO 8601 date with an offset (2026-03-01T12:00:00Z) nor a six-field cron expression (seconds first, UTC)`);
}

/** The moment in ms since the epoch: the date itself, or the cron expression's first match after `anchorMs`. */
export function resolveMoment(moment: Moment, anchorMs: number): number {
  if (moment.kind === "date") return moment.ms;
  return new CronTime(moment.expression, "UTC").getNextDateFrom(new Date(anchorMs), "UTC").toMillis();
}
