/** Work that many requests wait on together, run once and abandoned as soon as every one of them has gone away. */
export class SharedTask<T> {
  private readonly controller = new AbortController();
  private waiters = 0;
  readonly result: Promise<T>;

  constructor(work: (signal: AbortSignal) => Promise<T>) {
    this.result = work(this.controller.signal);
    // Each waiter sees the failure through join(); this only keeps one nobody waits for from counting as unhandled.
    this.result.catch(() => undefined);
  }

  /** Every waiter has gone away and the work was told to stop: a newcomer needs a task of its own. */
  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  /** The result, or a rejection with the reason of `signal` when it aborts first (then this waiter counts no more). */
  join(signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    this.waiters++;
    return new Promise<T>((resolve, reject) => {
      const leave = (): void => {
        reject(signal.reason);
        if (--this.waiters === 0) this.controller.abort(signal.reason);
      };
      signal.addEventListener("abort", leave, { once: true });
      this.result.then(
        (value) => {
          signal.removeEventListener("abort", leave);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", leave);
          reject(error);
        },
      );
    });
  }
}
