// The wasm MSM engine (src/crypto/msm) must give bit-identical results to ffjavascript's multiExpAffine, for every
// size, scalar width and special case: the verifier's verdicts and the .ptau bytes depend on exact bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBn128, ChaCha, type Curve, type Elem } from "ffjavascript";
import { initMsm, MAX_SCALAR_BYTES, msm, type MsmGroup } from "../../src/crypto/msm/index.ts";
import { concat } from "./bytes.ts";
import { twistPoint } from "./parity.ts";

let curve: Curve;
beforeAll(async () => {
  curve = await buildBn128(true);
  await initMsm();
});
afterAll(async () => {
  await curve.terminate();
});

const GROUPS = ["G1", "G2"] as const;
const SIZE: Record<MsmGroup, number> = { G1: 64, G2: 128 };

/** Deterministic pseudo-random bytes (xorshift32), so that a failure can be replayed. */
function bytes(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function encode(g: MsmGroup, p: Elem): Uint8Array {
  const out = new Uint8Array(SIZE[g]);
  curve[g].toRprLEM(out, 0, curve[g].toAffine(p));
  return out;
}

/** n distinct points k·inc^i·G (affine .ptau encoding). */
async function randomPoints(g: MsmGroup, n: number, seed: number): Promise<Uint8Array> {
  if (n === 0) return new Uint8Array(0);
  const G = curve[g];
  const gen = encode(g, G.g);
  const rep = concat(Array.from({ length: n }, () => gen));
  const k = BigInt(`0x${Buffer.from(bytes(31, seed)).toString("hex")}`) + 1n;
  const inc = BigInt(`0x${Buffer.from(bytes(31, seed + 1)).toString("hex")}`) + 2n;
  return G.batchApplyKey(rep, curve.Fr.e(k), curve.Fr.e(inc));
}

function point(points: Uint8Array, g: MsmGroup, i: number): Uint8Array {
  return points.slice(i * SIZE[g], (i + 1) * SIZE[g]);
}

function negate(g: MsmGroup, p: Uint8Array): Uint8Array {
  return encode(g, curve[g].neg(curve[g].fromRprLEM(p, 0)));
}

/** ffjavascript's answer, encoded like ours. */
async function reference(g: MsmGroup, points: Uint8Array, scalars: Uint8Array): Promise<Uint8Array> {
  if (points.length === 0) return new Uint8Array(SIZE[g]);
  return encode(g, await curve[g].multiExpAffine(points, scalars));
}

async function expectSame(g: MsmGroup, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array> {
  const ours = msm(g, points, scalars, scalarBytes);
  const theirs = await reference(g, points, scalars);
  expect(Buffer.from(ours).toString("hex")).toBe(Buffer.from(theirs).toString("hex"));
  return ours;
}

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

describe("wasm msm vs ffjavascript multiExpAffine", () => {
  for (const g of GROUPS) {
    describe(g, () => {
      for (const n of [0, 1, 2, 3, 17, 1000, 5000]) {
        it(`random points and scalars, n = ${n}, widths 1, 2, 8, 32 bytes`, async () => {
          const points = await randomPoints(g, n, n + 7);
          for (const sb of [1, 2, 8, 32]) await expectSame(g, points, bytes(n * sb, n * 100 + sb), sb);
        });
      }

      it("largest scalars of each width (all bits set), including values above the group order", async () => {
        const points = await randomPoints(g, 300, 11);
        for (const sb of [1, 2, 8, 32]) {
          await expectSame(g, points, new Uint8Array(300 * sb).fill(0xff), sb);
          await expectSame(g, points.subarray(0, SIZE[g]), new Uint8Array(sb).fill(0xff), sb);
        }
      });

      it("zero scalars: some, all, and n = 1", async () => {
        for (const n of [1, 3, 17, 1000]) {
          const points = await randomPoints(g, n, 3 * n);
          for (const sb of [1, 2, 8]) {
            const scalars = bytes(n * sb, n + sb);
            for (let i = 0; i < n; i += 3) scalars.fill(0, i * sb, (i + 1) * sb);
            await expectSame(g, points, scalars, sb);
            const allZero = await expectSame(g, points, new Uint8Array(n * sb), sb);
            expect(isZero(allZero)).toBe(true);
          }
        }
      });

      it("repeated identical points (every bucket addition is a doubling)", async () => {
        const p = point(await randomPoints(g, 1, 5), g, 0);
        for (const n of [2, 3, 17, 1000, 5000]) {
          const same = concat(Array.from({ length: n }, () => p));
          for (const sb of [1, 2, 8]) {
            await expectSame(g, same, bytes(n * sb, n + 31 * sb), sb);
            await expectSame(g, same, new Uint8Array(n * sb).fill(7), sb); // identical scalars too
            await expectSame(g, same, new Uint8Array(n * sb).fill(0xff), sb);
          }
        }
      });

      it("P and −P in the same input: cancellation to infinity and partial cancellation", async () => {
        const base = await randomPoints(g, 40, 9);
        const p = point(base, g, 0);
        const minus = negate(g, p);
        for (const n of [2, 3, 17, 1000]) {
          for (const sb of [1, 2, 8]) {
            // pairs (P, s) and (−P, s): the sum is infinity
            const pts = concat(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? p : minus)));
            const scalars = bytes(n * sb, n * 7 + sb);
            for (let i = 1; i < n; i += 2) scalars.copyWithin(i * sb, (i - 1) * sb, i * sb);
            const cancelled = await expectSame(g, pts, scalars, sb);
            if (n % 2 === 0) expect(isZero(cancelled)).toBe(true);
            // P, −P and other points mixed with random scalars
            const mixed = concat(Array.from({ length: n }, (_, i) => (i % 3 === 0 ? p : i % 3 === 1 ? minus : point(base, g, i % 40))));
            await expectSame(g, mixed, bytes(n * sb, n * 13 + sb), sb);
          }
        }
      });

      it("points at infinity (all-zero encodings) among the inputs, and only infinity", async () => {
        const base = await randomPoints(g, 1000, 21);
        const zero = new Uint8Array(SIZE[g]);
        for (const n of [1, 2, 3, 17, 1000]) {
          const pts = concat(Array.from({ length: n }, (_, i) => (i % 4 === 1 ? zero : point(base, g, i))));
          for (const sb of [1, 2, 8]) {
            await expectSame(g, pts, bytes(n * sb, n * 3 + sb), sb);
            const onlyInf = await expectSame(g, new Uint8Array(n * SIZE[g]), bytes(n * sb, n + sb), sb);
            expect(isZero(onlyInf)).toBe(true);
          }
        }
      });

      it("a hostile mix: duplicates, negations, infinities and zero scalars together", async () => {
        const base = await randomPoints(g, 8, 33);
        const zero = new Uint8Array(SIZE[g]);
        const n = 5000;
        const pick = bytes(n, 99);
        const pts = concat(
          Array.from({ length: n }, (_, i) => {
            const k = (pick[i] ?? 0) % 10;
            if (k === 9) return zero;
            const p = point(base, g, k % 8);
            return k === 8 ? negate(g, point(base, g, i % 8)) : p;
          }),
        );
        for (const sb of [1, 2, 8]) {
          const scalars = bytes(n * sb, 1234 + sb);
          for (let i = 0; i < n; i += 7) scalars.fill(0, i * sb, (i + 1) * sb);
          await expectSame(g, pts, scalars, sb);
        }
      });
    });
  }

  it("G2 points on the twist but outside the prime-order subgroup", async () => {
    // The verifier's subgroup check runs an msm over points that may lie outside the subgroup: the sums must still
    // be the exact group sums (scalars are not reduced modulo r).
    const rng = new ChaCha([1, 2, 3, 4, 5, 6, 7, 8]);
    const pts = Array.from({ length: 200 }, () => twistPoint(curve, rng));
    const points = concat(pts);
    const sum = await expectSame("G2", points, bytes(200 * 2, 77), 2);
    expect(isZero(sum)).toBe(false);
    await expectSame("G2", points, bytes(200 * 8, 78), 8);
    await expectSame("G2", points, bytes(200 * 32, 79), 32);
    await expectSame("G2", concat([pts[0] ?? new Uint8Array(128), pts[0] ?? new Uint8Array(128), negate("G2", pts[0] ?? new Uint8Array(128))]), bytes(3 * 8, 80), 8);
  });

  it("consecutive calls of very different sizes reuse the engine correctly", async () => {
    const big = await randomPoints("G2", 5000, 41);
    const small = await randomPoints("G1", 3, 42);
    await expectSame("G2", big, bytes(5000 * 8, 1), 8);
    await expectSame("G1", small, bytes(3 * 2, 2), 2);
    await expectSame("G2", big.subarray(0, 17 * 128), bytes(17 * 8, 3), 8);
  });

  it("rejects unsupported scalar widths and mismatched lengths clearly", () => {
    const pts = new Uint8Array(64 * 2);
    expect(() => msm("G1", pts, new Uint8Array(0), 0)).toThrow(/scalarBytes must be an integer from 1 to 32/);
    expect(() => msm("G1", pts, new Uint8Array(2 * 33), 33)).toThrow(/scalarBytes must be an integer from 1 to 32/);
    expect(() => msm("G1", pts, new Uint8Array(3), 1.5)).toThrow(/scalarBytes/);
    expect(() => msm("G1", pts, new Uint8Array(3), 2)).toThrow(/2 points need 4 bytes/);
    expect(() => msm("G1", new Uint8Array(65), new Uint8Array(1), 1)).toThrow(/not a whole number of G1 points/);
    expect(() => msm("G3" as MsmGroup, pts, new Uint8Array(2), 1)).toThrow(/unknown group/);
    expect(MAX_SCALAR_BYTES).toBe(32);
    expect(msm("G2", new Uint8Array(0), new Uint8Array(0), 8)).toEqual(new Uint8Array(128));
  });
});
