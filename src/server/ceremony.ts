/**
 * The shell around the pure core: load the event log and fold it, then for each command decide, append and fsync,
 * apply, and only then wake whoever waits on a change. Commands run one at a time, so the log's expected
 * sequence number always matches.
 */
import { decide } from "../core/decide.ts";
import { evolve, fold } from "../core/evolve.ts";
import type { CeremonyEvent, CeremonyState, Command } from "../core/model.ts";
import { EventLog, type LoggedEvent } from "../store/event-log.ts";
import { parseEvent } from "../core/event-schema.ts";

/** Called, in order, with the entries of each committed append (after fsync, before the command resolves). */
export type CommitListener = (entries: LoggedEvent<CeremonyEvent>[]) => void;

export class Ceremony {
  private stateNow: CeremonyState;
  private readonly listeners: CommitListener[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    private readonly log: EventLog<CeremonyEvent>,
    events: LoggedEvent<CeremonyEvent>[],
  ) {
    this.stateNow = fold(events.map((e) => e.event));
  }

  static async open(path: string): Promise<{ ceremony: Ceremony; repaired: null | { droppedBytes: number }; events: LoggedEvent<CeremonyEvent>[] }> {
    const { log, events, repaired } = await EventLog.open<CeremonyEvent>(path, { validate: parseEvent });
    return { ceremony: new Ceremony(log, events), repaired, events };
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  get state(): CeremonyState {
    return this.stateNow;
  }

  get seq(): number {
    return this.log.lastSeq;
  }

  /** Decides and commits one command; resolves once its events are durable. A refusal throws and changes nothing. */
  execute(command: Command): Promise<CeremonyEvent[]> {
    const run = this.tail.then(async () => {
      if (this.closed) throw new Error("the ceremony is shutting down");
      const events = decide(command, this.stateNow);
      if (events.length === 0) return events;
      const entries = await this.log.append(events, this.log.lastSeq, new Date(command.now));
      let s = this.stateNow;
      for (const e of events) s = evolve(s, e);
      this.stateNow = s;
      for (const l of this.listeners) l(entries);
      this.notify();
      return events;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves at the next committed change (or after `timeoutMs`). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.waiters = self.waiters.filter((w) => w !== done);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    this.notify();
    await this.log.close();
  }
}
