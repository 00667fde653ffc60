/** Bounded concurrency for independent async steps (the beacon's chunks). */

/** Runs body(0..n−1), at most `limit` at a time; after a failure no new index starts, and it is rethrown once all settle. */
export async function inParallel(n: number, limit: number, body: (k: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    for (let k = next++; k < n && !failed; k = next++) {
      await body(k).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, n)) }, lane));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) throw failure.reason;
}
