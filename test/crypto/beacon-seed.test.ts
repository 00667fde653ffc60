// The beacon's hash iterations run on a pool worker: the same seed as the inline computation (and as snarkjs's,
// through the pipeline test's beacon), while the calling thread keeps answering.
import { afterAll, describe, expect, it } from "vitest";
import { sha256 } from "@noble/hashes/sha2.js";
import { beaconSeed } from "../../src/crypto/beacon-seed.ts";
import { WorkerPool } from "../../src/crypto/pool.ts";

const pool = new WorkerPool(1);
afterAll(() => pool.close());

describe("beacon seed", () => {
  it("is the beacon hash iterated 2^e times through SHA-256", () => {
    const h = new Uint8Array(32).fill(7);
    expect(beaconSeed(h, 0)).toEqual(sha256(h));
    expect(beaconSeed(h, 2)).toEqual(sha256(sha256(sha256(sha256(h)))));
    expect(() => beaconSeed(h, 64)).toThrow(RangeError);
  });

  it("runs on a worker with the same result, the calling thread never blocked for long", async () => {
    const h = new Uint8Array(32).fill(9);
    expect(await pool.beaconSeed(h, 10)).toEqual(beaconSeed(h, 10));
    // 2^20 iterations: about a second of hashing on the worker; the event loop here keeps turning.
    let last = performance.now();
    let longest = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 10);
    const t = performance.now();
    const seed = await pool.beaconSeed(h, 20);
    const took = performance.now() - t;
    clearInterval(timer);
    expect(seed).toHaveLength(32);
    expect(took).toBeGreaterThan(200);
    // The longest gap between ticks is a small part of the hashing (inline, it would be all of it).
    expect(longest).toBeLessThan(took / 3);
  }, 120_000);
});
