/**
 * The update tick: on a cron schedule (whole seconds) or a timer (shorter periods, tests), it tells the core the
 * time and who was heard from when; the core opens and closes the queue on its schedule, starts rounds and drops
 * silent or slow contributors. The scheduled finalization runs after it.
 */
import { CronJob } from "cron";
import type { CeremonyEvent, CeremonyState, Command } from "../../core/model.ts";
import { isDiskFull } from "../../store/disk-full.ts";
import type { Presence } from "../presence.ts";

export interface TickPort {
  state(): CeremonyState;
  execute(command: Command): Promise<CeremonyEvent[]>;
  now(): number;
  presence: Presence;
  /** A tick that fails is a storage failure or a bug: the coordinator stops. */
  fatal(what: string, err: unknown): void;
  /** A tick that meets a full disk is skipped (the degraded mode): the next one tries again. */
  diskFull(err: unknown): void;
  /** What else runs on the tick's schedule (the scheduled finalization), after the Tick command. */
  afterTick?(): Promise<unknown>;
}

export class Ticker {
  private timer: ReturnType<typeof setInterval> | null = null;
  private cron: CronJob | null = null;
  private running: Promise<unknown> = Promise.resolve();

  /** When this coordinator process started: its downtime before never counts against a participant. */
  private upSince: number;

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

  /** Writes resume after a full disk: nobody could lock or upload meanwhile, so lock and turn timeouts count from now. */
  restartGrace(): void {
    this.upSince = this.port.now();
  }

  /**
   * The process could not run for a while (stopped, starved, its machine paused): the monotonic clock moved on but
   * nobody could be heard from meanwhile, so, as after a restart, the round's contributors get a fresh grace period.
   */
  private resumedAfterPause(): void {
    const s = this.port.state();
    const contributors = s.phase === "running" || s.phase === "finalizing" ? (s.round?.contributors ?? []) : [];
    const now = this.port.now();
    for (const p of contributors) this.port.presence.seen(p, now);
    this.upSince = now;
  }

  start(): void {
    // A tick this much later than due means the process itself did not run (the timer is monotonic).
    const pauseMs = Math.max(10 * this.periodMs, 2_000);
    let last = performance.now();
    const onTick = (): void => {
      const at = performance.now();
      if (at - last > pauseMs) this.resumedAfterPause();
      last = at;
      this.running = this.tick().catch((err: unknown) => (isDiskFull(err) ? this.port.diskFull(err) : this.port.fatal("tick", err)));
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
