/**
 * The update tick: on a cron schedule (whole seconds) or a timer (shorter periods, tests), it tells the core the
 * time and who was heard from when; the core opens and closes the queue on its schedule, starts rounds and drops
 * silent or slow contributors. The scheduled finalization runs after it.
 */
import { CronJob } from "cron";
import type { CeremonyEvent, CeremonyState, Command } from "../../core/model.ts";
import type { Presence } from "../presence.ts";

export interface TickPort {
  state(): CeremonyState;
  execute(command: Command): Promise<CeremonyEvent[]>;
  now(): number;
  presence: Presence;
  /** A tick that fails is a storage failure or a bug: the coordinator stops. */
  fatal(what: string, err: unknown): void;
  /** What else runs on the tick's schedule (the scheduled finalization), after the Tick command. */
  afterTick?(): Promise<unknown>;
}

export class Ticker {
  private timer: ReturnType<typeof setInterval> | null = null;
  private cron: CronJob | null = null;
  private running: Promise<unknown> = Promise.resolve();

  /** When this coordinator process started: its downtime before never counts against a participant. */
  private readonly upSince: number;

  constructor(
    private readonly port: TickPort,
    private readonly periodMs: number,
  ) {
    this.upSince = port.now();
  }

  async tick(): Promise<CeremonyEvent[]> {
    const s = this.port.state();
    const contributors = s.phase === "running" || s.phase === "finalizing" ? (s.round?.contributors ?? []) : [];
    const events = await this.port.execute({ type: "Tick", now: this.port.now(), lastSeen: this.port.presence.of(contributors), upSince: this.upSince });
    await this.port.afterTick?.();
    return events;
  }

  start(): void {
    const onTick = (): void => {
      this.running = this.tick().catch((err: unknown) => this.port.fatal("tick", err));
    };
    const ms = this.periodMs;
    if (ms >= 1000 && ms % 1000 === 0 && ms <= 59_000) this.cron = CronJob.from({ cronTime: `*/${ms / 1000} * * * * *`, onTick, start: true });
    else this.timer = setInterval(onTick, ms);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.cron?.stop();
    await this.running;
  }
}
