/**
 * Runs an effect step whenever the state changes (and at least every second); a step that did work runs again at
 * once. Nothing is swallowed: a step that throws stops its loop and goes to `fatal`, which stops the coordinator
 * (a restart replays the log). Steps that race with other actors catch the refusals they expect themselves. A full
 * disk alone is ridden out: it goes to `diskFull` (the degraded mode) and the step is tried again a second later.
 */
import { isDiskFull } from "../../store/disk-full.ts";

export interface LoopHost {
  /** Resolves at the next committed change, or after `timeoutMs`. */
  changed(timeoutMs: number): Promise<void>;
  stopping(): boolean;
  fatal(what: string, err: unknown): void;
  diskFull(err: unknown): void;
}

export async function runLoop(host: LoopHost, name: string, step: () => Promise<boolean>): Promise<void> {
  while (!host.stopping()) {
    let worked: boolean;
    try {
      worked = await step();
    } catch (err) {
      if (host.stopping()) return;
      if (isDiskFull(err)) {
        host.diskFull(err);
        await host.changed(1000);
        continue;
      }
      host.fatal(name, err);
      return;
    }
    if (!worked && !host.stopping()) await host.changed(1000);
  }
}
