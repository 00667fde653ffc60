/**
 * The shell around the pure core: load the event log and fold it, then decide, append and fsync, apply, and only
 * then tell the listeners and wake whoever waits on a change. Group commit: the commands that arrive while a write
 * is in flight are decided one after another against the state their predecessors leave, and written together in
 * one write and one fsync; each is answered only once that write is durable. A refusal (DomainError) changes
 * nothing and goes back to its caller alone; a failed append is a storage failure: it is reported to `onFatal`
 * (the coordinator stops, and a restart replays the log to learn what reached the disk) and fails the whole batch,
 * except a full disk, which the log rolled back: the batch is refused with DiskFull and the handler goes on.
 */
import { ApiError } from "../api/errors.ts";
import { decide } from "../core/decide.ts";
import { evolve, fold } from "../core/evolve.ts";
import type { CeremonyEvent, CeremonyState, Command } from "../core/model.ts";
import { parseEvent } from "../core/event-schema.ts";
import { decodeState, encodeState } from "../core/state-codec.ts";
import { initialState } from "../core/state.ts";
import { DiskFull, EventLog, type LogHead, type LoggedEvent } from "../store/event-log.ts";
import { readSnapshot, writeSnapshot } from "../store/snapshot.ts";

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
    from: CeremonyState,
  ) {
    this.stateNow = fold(
      events.map((e) => e.event),
      from,
    );
  }

  /**
   * Opens the log at `path` and folds it. With `snapshot` (a file), starts from the state saved there and replays
   * only the log's tail, when the log still begins with exactly the bytes the snapshot was taken after; any other
   * snapshot is ignored (`snapshotIgnored` says why) and the whole log is replayed.
   */
  static async open(path: string, onFatal: (err: unknown) => void, options: { snapshot?: string } = {}): Promise<OpenedCommands> {
    const saved = options.snapshot === undefined ? null : await loadSnapshot(options.snapshot);
    const after = saved && "head" in saved ? saved.head : undefined;
    const { log, events, repaired, afterRefused } = await EventLog.open<CeremonyEvent>(path, { validate: parseEvent, ...(after ? { after } : {}) });
    const resumed = saved && "head" in saved && afterRefused === null ? saved : null;
    const snapshotIgnored = saved && "ignored" in saved ? saved.ignored : afterRefused && `the log does not begin with what it was taken after: ${afterRefused}`;
    const commands = new CommandHandler(log, events, onFatal, resumed?.state ?? initialState());
    return { commands, repaired, events, resumed: resumed && { seq: resumed.head.seq, state: resumed.state, shell: resumed.shell }, snapshotIgnored };
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
      // A full disk was rolled back by the log, which stays usable: the batch is refused, nothing changed.
      if (!(err instanceof DiskFull)) {
        this.failed = err;
        this.onFatal(err);
      }
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

  /**
   * Refuses new commands, lets pending ones finish, closes the log. Answers what a snapshot taken now would hold:
   * the log's head and the state after it (null when the log failed, so nothing is vouched for).
   */
  async close(): Promise<{ head: LogHead; state: CeremonyState } | null> {
    this.closed = true;
    while (this.writing) await this.writing;
    this.notify();
    const saved = this.failed === null ? { head: this.log.head, state: this.stateNow } : null;
    await this.log.close();
    return saved;
  }
}

export interface OpenedCommands {
  commands: CommandHandler;
  repaired: null | { droppedBytes: number };
  /** The events replayed: after the snapshot's when one was used, else all. */
  events: LoggedEvent<CeremonyEvent>[];
  /** The snapshot used: its seq, the state it held (the one before `events`), and the shell's part. */
  resumed: { seq: number; state: CeremonyState; shell: unknown } | null;
  /** Why a snapshot was there but not used. */
  snapshotIgnored: string | null;
}

/** A snapshot's head and decoded state, or why it is not used (null: there is none). */
async function loadSnapshot(path: string): Promise<{ head: LogHead; state: CeremonyState; shell: unknown } | { ignored: string } | null> {
  const read = await readSnapshot(path);
  if (read === null || "ignored" in read) return read;
  try {
    return { head: read.snapshot.head, state: decodeState(read.snapshot.state), shell: read.snapshot.shell };
  } catch (error) {
    return { ignored: error instanceof Error ? error.message : String(error) };
  }
}

/** Saves what `close` answered (the shell adds its part), atomically. */
export async function saveSnapshot(path: string, saved: { head: LogHead; state: CeremonyState }, shell: unknown): Promise<void> {
  await writeSnapshot(path, { head: saved.head, state: encodeState(saved.state), shell });
}
