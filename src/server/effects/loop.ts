/**
 * Runs an effect step whenever the state changes (and at least every second); a step that did work runs again at
 * once. Nothing is swallowed: a step that throws stops its loop and goes to `fatal`, which stops the coordinator
 * (a restart replays the log). Steps that race with other actors catch the refusals they expect themselves.
 */
export interface LoopHost {
  /** Resolves at the next committed change, or after `timeoutMs`. */
  changed(timeoutMs: number): Promise<void>;
  stopping(): boolean;
  fatal(what: string, err: unknown): void;
}

export async function runLoop(host: LoopHost, name: string, step: () => Promise<boolean>): Promise<void> {
  while (!host.stopping()) {
    let worked: boolean;
    try {
      worked = await step();
    } catch (err) {
      if (host.stopping()) return;
      host.fatal(name, err);
      return;
    }
    if (!worked && !host.stopping()) await host.changed(1000);
  }
}
