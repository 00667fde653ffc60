/**
 * The shell around the pure core: load the event log and fold it, then decide, append and fsync, apply, and only
 * then tell the listeners and wake whoever waits on a change. Group commit: the commands that arrive while a write
 * is in flight are decided one after another against the state their predecessors leave, and written together in
 * one write and one fsync; each is answered only once that write is durable. A refusal (DomainError) changes
 * nothing and goes back to its caller alone; a failed append is a storage failure: it is reported to `onFatal`
 * (the coordinator stops, and a restart replays the log to learn what reached the disk) and fails the whole batch.
 */
import { ApiError } from "../api/errors.ts";
import { decide } from "../core/decide.ts";
import { evolve, fold } from "../core/evolve.ts";
import type { CeremonyEvent, CeremonyState, Command } from "../core/model.ts";
import { parseEvent } from "../core/event-schema.ts";
import { EventLog, type LoggedEvent } from "../store/event-log.ts";

/** Called, in order, with the entries of each committed command and the state right after it (after fsync). */
export type CommitListener = (entries: LoggedEvent<CeremonyEvent>[], state: CeremonyState) => void;

/** At most this many commands share one write: bounds the latency a write adds to the first of them. */
const MAX_BATCH = 2048;

interface Pending {
  command: Command;
  resolve: (events: CeremonyEvent[]) => void;
  reject: (err: unknown) => void;
}

export class CommandHandler {
  private stateNow: CeremonyState;
  private readonly listeners: CommitListener[] = [];
  private pending: Pending[] = [];
  private writing: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  private closed = false;
  private failed: unknown = null;

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
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ApiError("SHUTTING_DOWN", "the coordinator is shutting down"));
      this.pending.push({ command, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Writes batches until nothing is pending. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) await this.commitBatch(this.pending.splice(0, MAX_BATCH));
    this.writing = null;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    if (this.failed !== null) {
      for (const p of batch) p.reject(this.failed);
      return;
    }
    // Decide each command against the state the ones before it in the batch leave.
    let tentative = this.stateNow;
    const accepted: Array<{ p: Pending; events: CeremonyEvent[]; after: CeremonyState }> = [];
    for (const p of batch) {
      let events: CeremonyEvent[];
      try {
        events = decide(p.command, tentative);
      } catch (err) {
        p.reject(err);
        continue;
      }
      if (events.length === 0) {
        p.resolve(events);
        continue;
      }
      for (const e of events) tentative = evolve(tentative, e);
      accepted.push({ p, events, after: tentative });
    }
    if (accepted.length === 0) return;
    let groups: LoggedEvent<CeremonyEvent>[][];
    try {
      groups = await this.log.appendGroups(
        accepted.map((a) => ({ events: a.events, now: new Date(a.p.command.now) })),
        this.log.lastSeq,
      );
    } catch (err) {
      this.failed = err;
      this.onFatal(err);
      for (const a of accepted) a.p.reject(err);
      return;
    }
    this.stateNow = tentative;
    accepted.forEach((a, i) => {
      for (const l of this.listeners) l(groups[i] ?? [], a.after);
    });
    this.notify();
    for (const a of accepted) a.p.resolve(a.events);
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

  /** Refuses new commands, lets pending ones finish, closes the log. */
  async close(): Promise<void> {
    this.closed = true;
    await this.writing;
    this.notify();
    await this.log.close();
  }
}
