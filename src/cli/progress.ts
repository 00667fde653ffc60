/**
 * What `contribute` shows while it waits, on standard error, one line whenever it changes: the place in the queue
 * with the rounds ahead and an estimated wait, then the round's progress. Asked of the coordinator at most every
 * few seconds, whatever the polling rate.
 */
import type { QueuePosition, Status } from "../api/schemas.ts";
import type { Instruction } from "../core/views.ts";

export interface ProgressSource {
  queuePosition(): Promise<QueuePosition>;
  status(): Promise<Status>;
}

/** "about 2 h 5 min", "about 40 s", for an estimate in seconds. */
export function duration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function queueLine(p: QueuePosition): string {
  if (p.position === null) return "waiting to be placed in the queue";
  const ahead = p.roundsAhead === null ? "" : p.roundsAhead === 0 ? ", in the next round" : `, ${p.roundsAhead} round(s) ahead`;
  // The estimate is coarse: shown to the minute past 90 s, so the line changes when the wait does, not every poll.
  const eta = p.etaSeconds === null ? "" : `; ${duration(p.etaSeconds)} to wait`;
  return `place ${p.position} of ${p.length} in the queue${ahead}${eta}`;
}

export function roundLine(s: Status, reason: string): string {
  if (!s.round) return reason;
  return `round ${s.round.number}: ${s.round.percentDone}% of all contributions verified; ${reason}`;
}

export class WaitProgress {
  private last = "";
  private nextAsk = 0;

  constructor(
    private readonly source: ProgressSource,
    private readonly show: (line: string) => void,
    private readonly everyMs = 3_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called on every wait; asks and shows at most every `everyMs`, and only what changed. */
  async onWait(ins: Extract<Instruction, { kind: "wait" }>): Promise<void> {
    if (this.now() < this.nextAsk && this.last !== "") return;
    this.nextAsk = this.now() + this.everyMs;
    let line: string;
    if (ins.stage === "queue") line = queueLine(await this.source.queuePosition());
    else if (ins.stage === "round" || ins.stage === "uploaded") line = roundLine(await this.source.status(), ins.reason);
    else line = ins.reason;
    if (line !== this.last) this.show(line);
    this.last = line;
  }
}
