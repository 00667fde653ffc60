/**
 * The scheduled finalization (serve --finalize-at, --beacon-file): once its moment has passed, on every tick, the
 * beacon is read from the file and the coordinator asks for finalization with it, as an admin's `finalize` does.
 * A missing or unusable beacon, or a refusal (no round aggregated yet), is an alert in the status and the log, and
 * the next tick tries again: the ceremony never stops for it.
 */
import { readFile } from "node:fs/promises";
import { DomainError } from "../../core/errors.ts";
import type { Beacon, ParticipantId } from "../../core/model.ts";
import type { Alerts } from "../alerts.ts";
import type { EffectPort } from "./port.ts";

const TOPIC = "finalize-at";

/** The beacon file's text: "HEX [E]": the public random value in hex (0x allowed) and the iterations exponent (default 10). */
export function parseBeaconText(text: string): Beacon {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [hex, exp, ...extra] = words;
  if (hex === undefined || extra.length > 0) throw new Error(`expected "HEX [E]", got ${words.length} word(s)`);
  const hash = hex.replace(/^0x/i, "").toLowerCase();
  if (!/^(?:[0-9a-f]{2})+$/.test(hash)) throw new Error("the beacon is not hex");
  const numIterationsExp = exp === undefined ? 10 : Number(exp);
  if (!Number.isInteger(numIterationsExp)) throw new Error(`the iterations exponent "${exp}" is not an integer`);
  return { hash, numIterationsExp };
}

export interface SchedulePort extends EffectPort {
  coordinator: ParticipantId;
  alerts: Alerts;
}

export class FinalizeSchedule {
  constructor(
    private readonly port: SchedulePort,
    /** When to finalize (ms since the epoch), or null: never. */
    readonly at: number | null,
    private readonly beaconFile: string,
  ) {}

  /** Asks for finalization once its time has come and the beacon is there; true when it did. */
  async step(): Promise<boolean> {
    const { port, at } = this;
    const s = port.state();
    if (at === null || port.now() < at) return false;
    if (s.phase !== "waiting" && s.phase !== "running") {
      port.alerts.clear(TOPIC, "finalization is under way");
      return false;
    }
    const when = new Date(at).toISOString();
    let beacon: Beacon;
    try {
      beacon = parseBeaconText(await readFile(this.beaconFile, "utf8"));
    } catch (err) {
      const why = (err as { code?: unknown }).code === "ENOENT" ? "is missing" : `is unusable: ${err instanceof Error ? err.message : String(err)}`;
      port.alerts.raise(TOPIC, `finalization was scheduled for ${when}, but the beacon file ${this.beaconFile} ${why}; retrying on every tick`);
      return false;
    }
    try {
      await port.execute({ type: "Finalize", now: port.now(), actor: this.port.coordinator, beacon });
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      port.alerts.raise(TOPIC, `finalization was scheduled for ${when}, but it was refused: ${err.code}: ${err.message}; retrying on every tick`);
      return false;
    }
    port.alerts.clear(TOPIC, "finalization requested");
    port.say(`finalize-at ${when}: finalization requested with the beacon from ${this.beaconFile} (${beacon.hash.slice(0, 16)}…, 2^${beacon.numIterationsExp} iterations)`);
    return true;
  }
}
