/** Async work over a sequence, a few items in flight at once, results in the sequence's order. */

/**
 * `work` applied to each item of `items`, started in order with at most `width` unfinished, the results yielded in
 * order. Stops with the signal's reason once it aborts; work already started finishes unused.
 */
export async function* mapAhead<T, R>(items: AsyncIterable<T> | Iterable<T>, width: number, work: (item: T) => Promise<R>, signal?: AbortSignal): AsyncGenerator<R> {
  const source = each(items);
  const pending: Promise<R>[] = [];
  let exhausted = false;
  const fill = async (): Promise<void> => {
    while (!exhausted && pending.length < width) {
      const next = await source.next();
      if (next.done === true) exhausted = true;
      else {
        const result = work(next.value);
        // Awaited in order below; this only keeps a failure that happens while an earlier result is awaited (or after
        // an abort) from counting as unhandled.
        result.catch(() => undefined);
        pending.push(result);
      }
    }
  };
  try {
    await fill();
    for (let result = pending.shift(); result !== undefined; result = pending.shift()) {
      const value = await result;
      signal?.throwIfAborted();
      await fill();
      yield value;
    }
  } finally {
    await source.return(undefined);
  }
}

async function* each<T>(items: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
