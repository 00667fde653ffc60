// The plumbing every component shares: retry with backoff, the serial queue, hex schemas, printable text.
import { describe, expect, it } from "vitest";
import * as v from "valibot";
import { HashHex, hexSchema, isKeyHex } from "../../src/lib/hex.ts";
import { retry, RetriesExhausted } from "../../src/lib/retry.ts";
import { SerialQueue } from "../../src/lib/serial.ts";
import { oneLine, printable } from "../../src/lib/text.ts";

describe("retry", () => {
  it("retries until an attempt succeeds, doubling the wait, telling each failure", async () => {
    const waits: number[] = [];
    let n = 0;
    const r = await retry(
      async () => {
        if (++n < 4) throw new Error(`fail ${n}`);
        return n;
      },
      { initialMs: 1, maxMs: 3, onRetry: (_e, _a, w) => waits.push(w) },
    );
    expect(r).toBe(4);
    expect(waits).toEqual([1, 2, 3]);
  });
  it("gives up after its attempts with the last failure as the cause, and rethrows what is not retryable at once", async () => {
    const failing = () => Promise.reject(new Error("down"));
    await expect(retry(failing, { initialMs: 1, maxMs: 1, attempts: 2 })).rejects.toSatisfy((e: unknown) => e instanceof RetriesExhausted && e.attempts === 2 && (e.cause as Error).message === "down");
    let calls = 0;
    const fatal = () => {
      calls++;
      return Promise.reject(new TypeError("bug"));
    };
    await expect(retry(fatal, { initialMs: 1, maxMs: 1, retryable: (e) => !(e instanceof TypeError) })).rejects.toThrow("bug");
    expect(calls).toBe(1);
  });
});

describe("SerialQueue", () => {
  it("runs jobs one at a time in order; a failed job does not stop the next", async () => {
    const q = new SerialQueue();
    const order: string[] = [];
    const slow = q.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push("a");
    });
    const failing = q.run(async () => {
      order.push("b");
      throw new Error("b failed");
    });
    const last = q.run(async () => order.push("c"));
    await slow;
    await expect(failing).rejects.toThrow("b failed");
    await last;
    await q.idle();
    expect(order).toEqual(["a", "b", "c"]);
  });
});

describe("hex and text", () => {
  it("checks fixed-size lowercase hex", () => {
    expect(isKeyHex("ab".repeat(32))).toBe(true);
    expect(isKeyHex("AB".repeat(32))).toBe(false);
    expect(v.is(HashHex, "00".repeat(64))).toBe(true);
    expect(v.is(hexSchema([16, 64]), "00".repeat(15))).toBe(false);
  });
  it("keeps control characters out of one-line text", () => {
    expect(printable("spam\nround 9 aggregated\r\u001b[2J")).toBe("spam round 9 aggregated [2J");
    expect(oneLine(`${"x".repeat(200)}\n`, 10)).toBe(`${"x".repeat(9)}…`);
  });
});
