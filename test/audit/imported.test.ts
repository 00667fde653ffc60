// The check the coordinator runs on `serve --import` and the public verifier runs again on the transcript: the
// imported chunks must follow the imported records, and their data must hash to the last record's next challenge.
// A snarkjs .ptau passes; records that do not belong to the chunks, or chunks that do not belong to the records, fail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Curve } from "ffjavascript";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { bytesEqual } from "../../src/crypto/hash.ts";
import { initialChunk } from "../../src/crypto/initial.ts";
import { initMcl } from "../../src/crypto/mcl.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { parseParams } from "../../src/crypto/params.ts";
import { ChunkStore, checkImportedAccumulator, chunkReader, importState, type AccumulatorState } from "../../src/crypto/rounds.ts";
import { snarkjs } from "../helpers/snarkjs.ts";

const params = parseParams({ ceremonyId: "33".repeat(32), power: 4, chunkSize: 4 });
let dir: string;
let ops: LocalOps;
let curve: Curve;
let store: ChunkStore;
let imported: AccumulatorState;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-imported-"));
  expect((await snarkjs("powersoftau", "new", "bn128", "4", join(dir, "p0.ptau"))).ok).toBe(true);
  expect((await snarkjs("powersoftau", "contribute", join(dir, "p0.ptau"), join(dir, "p1.ptau"), "--name=first", "-e=entropy")).ok).toBe(true);
  await initMcl();
  curve = await getCurve();
  ops = await LocalOps.create();
  store = new ChunkStore(join(dir, "chunks"));
  imported = await importState(ops, curve, store, params, join(dir, "p1.ptau"));
}, 120_000);

afterAll(async () => {
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

describe("checkImportedAccumulator", () => {
  it("accepts the chunks of a snarkjs .ptau with its records and returns its next challenge", async () => {
    const challenge = await checkImportedAccumulator(ops, curve, params, imported.records, chunkReader(store, imported.chunks));
    expect(bytesEqual(challenge, imported.challenge)).toBe(true);
    expect(imported.records).toHaveLength(1);
  });

  it("refuses records whose last next challenge is not the hash of the data", async () => {
    const [last] = imported.records;
    if (!last) throw new Error("no record");
    const forged = [{ ...last, nextChallenge: new Uint8Array(last.nextChallenge).map((b, i) => (i === 0 ? b ^ 1 : b)) }];
    await expect(checkImportedAccumulator(ops, curve, params, forged, chunkReader(store, imported.chunks))).rejects.toThrow(/does not match its last record's next challenge/);
  });

  it("refuses chunks that do not follow the records: the contribution's records dropped, or a chunk put back to the generators", async () => {
    await expect(checkImportedAccumulator(ops, curve, params, [], chunkReader(store, imported.chunks))).rejects.toThrow(/fails verification at chunk 0/);
    const genesis2 = await store.put(initialChunk(curve, params, 2));
    const mixed = imported.chunks.map((h, k) => (k === 2 ? genesis2 : h));
    await expect(checkImportedAccumulator(ops, curve, params, imported.records, chunkReader(store, mixed))).rejects.toThrow(/fails verification at chunk 2/);
  });
});
