// The pipelined protocol end to end, judged by snarkjs: our .ptau verifies, prepares for phase 2, and a snarkjs
// .ptau imported into our pipeline continues and still verifies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { fromHex } from "../../src/crypto/hash.ts";
import { initMcl } from "../../src/crypto/mcl.ts";
import { parseParams } from "../../src/crypto/params.ts";
import { WorkerPool } from "../../src/crypto/pool.ts";
import { openPtau } from "../../src/crypto/ptau.ts";
import { ChunkStore, applyBeacon, importState, genesisAccumulator, newTimings, runRound, writeStatePtau, type AccumulatorState } from "../../src/crypto/rounds.ts";
import type { Curve } from "ffjavascript";
import { writeMultiplierCircuit } from "../helpers/circuit.ts";
import { snarkjs, snarkjsVerifies } from "../helpers/snarkjs.ts";

const BEACON = { hash: fromHex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"), numIterationsExp: 10 };
const participants = (n: number) => Array.from({ length: n }, (_, j) => ({ name: `c${j}`, entropy: `entropy ${j}` }));

let dir: string;
let pool: WorkerPool;
let curve: Curve;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-pipeline-"));
  pool = new WorkerPool(2);
  await initMcl();
  curve = await getCurve();
});
afterAll(async () => {
  await pool.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

describe("power 8, chunk size 64, 2 rounds × 3 contributors, beacon", () => {
  const params = parseParams({ ceremonyId: "11".repeat(32), power: 8, chunkSize: 64 });
  let state: AccumulatorState;
  let store: ChunkStore;

  it("runs the pipeline; every round's aggregate is a .ptau that snarkjs verifies", async () => {
    store = new ChunkStore(join(dir, "chunks"));
    state = await genesisAccumulator(curve, store, params);
    for (let r = 1; r <= 2; r++) {
      state = await runRound(pool, curve, store, state, participants(3), newTimings());
      expect(state.round).toBe(r);
      expect(state.records).toHaveLength(3 * r);
      const file = join(dir, `round${r}.ptau`);
      await writeStatePtau(file, store, state);
      const v = await snarkjsVerifies(file);
      expect(v.ok, v.output).toBe(true);
    }
  });

  it("applies the beacon; snarkjs verifies the final file and prepares phase 2 from it", async () => {
    state = await applyBeacon(pool, curve, store, state, BEACON, newTimings());
    const final = join(dir, "final.ptau");
    await writeStatePtau(final, store, state);
    const reader = await openPtau(final);
    expect(reader.records.map((r) => r.type)).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(reader.records[6]?.numIterationsExp).toBe(10);
    await reader.close();
    const v = await snarkjsVerifies(final);
    expect(v.ok, v.output).toBe(true);
    const prepared = join(dir, "final_prepared.ptau");
    const p = await snarkjs("powersoftau", "prepare", "phase2", final, prepared);
    expect(p.ok, p.output).toBe(true);
    const pv = await snarkjsVerifies(prepared);
    expect(pv.ok, pv.output).toBe(true);

    // The prepared file sets up a Groth16 circuit whose proofs verify.
    const f = (name: string) => join(dir, name);
    await writeMultiplierCircuit(f("mul.r1cs"), f("mul.wtns"), 3n, 11n);
    for (const args of [
      ["groth16", "setup", f("mul.r1cs"), prepared, f("mul.zkey")],
      ["zkey", "verify", f("mul.r1cs"), prepared, f("mul.zkey")],
      ["zkey", "export", "verificationkey", f("mul.zkey"), f("vk.json")],
      ["groth16", "prove", f("mul.zkey"), f("mul.wtns"), f("proof.json"), f("public.json")],
    ]) {
      const r = await snarkjs(...args);
      expect(r.ok, `${args.join(" ")}: ${r.output}`).toBe(true);
    }
    const verified = await snarkjs("groth16", "verify", f("vk.json"), f("public.json"), f("proof.json"));
    expect(verified.output, verified.output).toMatch(/OK!/);
  });

  it("the beacon key and points are the ones snarkjs computes for the same beacon", async () => {
    // snarkjs applies the same beacon to our round-2 aggregate; its beacon record's key must equal ours.
    const round2 = join(dir, "round2.ptau");
    const theirs = join(dir, "snarkjs_beacon.ptau");
    const b = await snarkjs("powersoftau", "beacon", round2, theirs, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", "10");
    expect(b.ok, b.output).toBe(true);
    const r = await openPtau(theirs);
    const theirBeacon = r.records[6];
    await r.close();
    const ours = state.records[6];
    expect(Buffer.from(theirBeacon?.publicKey ?? [])).toEqual(Buffer.from(ours?.publicKey ?? []));
    // Same key on the same data gives the same points. (nextChallenge differs by design: snarkjs's response hash
    // also absorbs the compressed output, ours only the challenge and key; see src/crypto/pipeline.ts.)
    for (const name of ["tauG1", "tauG2", "alphaG1", "betaG1", "betaG2"] as const) {
      expect(Buffer.from(theirBeacon?.[name] ?? [])).toEqual(Buffer.from(ours?.[name] ?? []));
    }
  });
});

describe("import", () => {
  const params = parseParams({ ceremonyId: "22".repeat(32), power: 6, chunkSize: 16 });

  it("continues a snarkjs new + contribute .ptau through our pipeline; the result verifies", async () => {
    const p0 = join(dir, "imp0.ptau");
    const p1 = join(dir, "imp1.ptau");
    expect((await snarkjs("powersoftau", "new", "bn128", "6", p0)).ok).toBe(true);
    expect((await snarkjs("powersoftau", "contribute", p0, p1, "--name=snarkjs contributor", "-e=some entropy")).ok).toBe(true);
    const store = new ChunkStore(join(dir, "import-chunks"));
    let state = await importState(pool, curve, store, params, p1);
    expect(state.records).toHaveLength(1);
    state = await runRound(pool, curve, store, state, participants(2), newTimings());
    state = await applyBeacon(pool, curve, store, state, BEACON, newTimings());
    const out = join(dir, "imported_final.ptau");
    await writeStatePtau(out, store, state);
    const reader = await openPtau(out);
    expect(reader.records.map((r) => r.name ?? "")).toEqual(["snarkjs contributor", "c0", "c1", ""]);
    await reader.close();
    const v = await snarkjsVerifies(out);
    expect(v.ok, v.output).toBe(true);
  });

  it("imports a fresh snarkjs accumulator (no records: its data must hash to the first challenge)", async () => {
    const p0 = join(dir, "imp0.ptau");
    const state = await importState(pool, curve, new ChunkStore(join(dir, "fresh")), params, p0);
    expect(state.records).toHaveLength(0);
  });

  it("refuses a .ptau of another power", async () => {
    const p0 = join(dir, "imp0.ptau");
    // A fresh accumulator with no records must hold generators; here we import it under a different power.
    await expect(importState(pool, curve, new ChunkStore(join(dir, "bad")), parseParams({ ...params, power: 5 }), p0)).rejects.toThrow(/power 6/);
  });
});
