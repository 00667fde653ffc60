/** Runs async jobs one at a time, in the order they were queued: the one serial queue of the log, the ceremony and the transcript. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Queues `job`; resolves or rejects with it. A failed job does not stop the ones queued after it. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has run. */
  async idle(): Promise<void> {
    await this.tail;
  }
}
