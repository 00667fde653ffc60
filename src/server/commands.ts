/**
 * The shell around the pure core: load the event log and fold it, then for each command decide, append and fsync,
 * apply, and only then tell the listeners and wake whoever waits on a change. Commands run one at a time, so the
 * log's expected sequence number always matches. A refusal (DomainError) changes nothing and goes back to the
 * caller; a failed append is a storage failure: it is reported to `onFatal` (the coordinator stops, and a restart
 * replays the log to learn what reached the disk) as well as thrown.
 */
import { decide } from "../core/decide.ts";
import { ApiError } from "../api/errors.ts";
import { evolve, fold } from "../core/evolve.ts";
import type { CeremonyEvent, CeremonyState, Command } from "../core/model.ts";
import { parseEvent } from "../core/event-schema.ts";
import { SerialQueue } from "../lib/serial.ts";
import { EventLog, type LoggedEvent } from "../store/event-log.ts";

/** Called, in order, with the entries of each committed append and the state right after it (after fsync). */
export type CommitListener = (entries: LoggedEvent<CeremonyEvent>[], state: CeremonyState) => void;

export class CommandHandler {
  private stateNow: CeremonyState;
  private readonly listeners: CommitListener[] = [];
  private readonly queue = new SerialQueue();
  private waiters: Array<() => void> = [];
  private closed = false;

  private constructor(
    private readonly log: EventLog<CeremonyEvent>,
    events: LoggedEvent<CeremonyEvent>[],
    private readonly onFatal: (err: unknown) => void,
  ) {
    this.stateNow = fold(events.map((e) => e.event));
  }

  static async open(
    path: string,
    onFatal: (err: unknown) => void,
  ): Promise<{ commands: CommandHandler; repaired: null | { droppedBytes: number }; events: LoggedEvent<CeremonyEvent>[] }> {
    const { log, events, repaired } = await EventLog.open<CeremonyEvent>(path, { validate: parseEvent });
    return { commands: new CommandHandler(log, events, onFatal), repaired, events };
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
    return this.queue.run(async () => {
      if (this.closed) throw new ApiError("SHUTTING_DOWN", "the coordinator is shutting down");
      const events = decide(command, this.stateNow);
      if (events.length === 0) return events;
      let entries: LoggedEvent<CeremonyEvent>[];
      try {
        entries = await this.log.append(events, this.log.lastSeq, new Date(command.now));
      } catch (err) {
        this.onFatal(err);
        throw err;
      }
      let s = this.stateNow;
      for (const e of events) s = evolve(s, e);
      this.stateNow = s;
      for (const l of this.listeners) l(entries, s);
      this.notify();
      return events;
    });
  }

  /** Resolves at the next committed change (or after `timeoutMs`). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.push(done);
    });
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Refuses new commands, lets queued ones finish, closes the log. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
    this.notify();
    await this.log.close();
  }
}
