// The fast engine (mcl-wasm) must give bit-identical results to ffjavascript, and the worker pool to the
// in-thread engine, since the .ptau format and snarkjs depend on exact bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Curve } from "ffjavascript";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { generators, negate, repeat } from "../../src/crypto/encoding.ts";
import { applyKey, checkPoints, g2InSubgroup, initMcl, pairingProductIsOne, scalarToLE } from "../../src/crypto/mcl.ts";
import { FR_ORDER, LocalOps, localMsm } from "../../src/crypto/ops.ts";
import { WorkerPool } from "../../src/crypto/pool.ts";

let curve: Curve;
let pool: WorkerPool;
beforeAll(async () => {
  await initMcl();
  curve = await getCurve();
  pool = new WorkerPool(2);
});
afterAll(async () => {
  await pool.close();
  await closeCurve();
});

const randomScalar = (): bigint => BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}`) % FR_ORDER;
const frElem = (x: bigint) => curve.Fr.e(x);

describe("mcl engine vs ffjavascript", () => {
  for (const g of ["G1", "G2"] as const) {
    it(`applyKey on ${g} equals ffjavascript's batchApplyKey`, async () => {
      const gen = g === "G1" ? generators(curve).g1 : generators(curve).g2;
      const base = await curve[g].batchApplyKey(repeat(gen, 300), curve.Fr.one, frElem(randomScalar()));
      const first = randomScalar();
      const inc = randomScalar();
      const ours = applyKey(g, base, scalarToLE(first), scalarToLE(inc));
      const theirs = await curve[g].batchApplyKey(base, frElem(first), frElem(inc));
      expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      const pooled = await pool.applyKey(g, base, first, inc);
      expect(Buffer.from(pooled).equals(Buffer.from(theirs))).toBe(true);
    });

    it(`pool msm on ${g} equals the in-thread msm`, async () => {
      const gen = g === "G1" ? generators(curve).g1 : generators(curve).g2;
      const base = await curve[g].batchApplyKey(repeat(gen, 1000), curve.Fr.one, frElem(randomScalar()));
      const scalars = crypto.getRandomValues(new Uint8Array(8 * 1000));
      expect(Buffer.from(await pool.msm(g, base, scalars, 8))).toEqual(Buffer.from(await localMsm(g, base, scalars, 8)));
    });
  }

  it("pool applyKey over many slices (each worker starts its slice at inc^offset) equals ffjavascript's", async () => {
    const { g1 } = generators(curve);
    const base = await curve.G1.batchApplyKey(repeat(g1, 2100), curve.Fr.one, frElem(randomScalar()));
    const first = randomScalar();
    const inc = randomScalar();
    const theirs = await curve.G1.batchApplyKey(base, frElem(first), frElem(inc));
    expect(Buffer.from(await pool.applyKey("G1", base, first, inc)).equals(Buffer.from(theirs))).toBe(true);
  });

  it("pairing products, negation and subgroup membership", async () => {
    const { g1, g2 } = generators(curve);
    const a = randomScalar();
    const aG1 = applyKey("G1", g1, scalarToLE(a), scalarToLE(1n));
    const aG2 = applyKey("G2", g2, scalarToLE(a), scalarToLE(1n));
    expect(pairingProductIsOne([[aG1, g2], [negate("G1", g1), aG2]])).toBe(true);
    expect(pairingProductIsOne([[aG1, g2], [g1, aG2]])).toBe(false);
    expect(g2InSubgroup(aG2)).toBe(true);
    expect((await LocalOps.create()).parallelism).toBe(1);
  });

  it("point checks report the first fault with its index", async () => {
    const { g1 } = generators(curve);
    const pts = repeat(g1, 4);
    expect(checkPoints("G1", pts)).toEqual({ ok: true });
    pts.fill(0, 128, 192);
    expect(checkPoints("G1", pts)).toEqual({ ok: false, fault: "POINT_AT_INFINITY", index: 2 });
    const pooled = await pool.checkPoints("G1", repeat(g1, 600).fill(0xff, 64 * 500, 64 * 501));
    expect(pooled).toEqual({ ok: false, fault: "POINT_NOT_CANONICAL", index: 500 });
  });
});
