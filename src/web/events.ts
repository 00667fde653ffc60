/** The ceremony event a live-feed message carries, checked against the core's event schema. */
import type { LiveMessage } from "../api/schemas.ts";
import { parseEvent } from "../core/event-schema.ts";
import type { CeremonyEvent } from "../core/model.ts";

/** Null for lobby and reset messages, and for an event type this page does not know (a newer coordinator). */
export function eventOf(m: LiveMessage): CeremonyEvent | null {
  if (m.kind !== "event") return null;
  try {
    return parseEvent(m.event);
  } catch {
    return null;
  }
}
