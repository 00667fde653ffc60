/**
 * `serve --import FILE.ptau`: a new ceremony starts from an existing .ptau (snarkjs, Perpetual Powers of Tau), checked
 * as `simulate --import` checks it. Its points become the initial accumulator, its contribution records are kept as
 * an artifact (so they stay in the final file, and in the transcript), and the file's hash is recorded.
 */
import type { Curve } from "ffjavascript";
import type { ImportedPtau } from "../core/model.ts";
import { toHex } from "../crypto/hash.ts";
import { fileHash } from "../lib/file-hash.ts";
import type { CurveOps } from "../crypto/ops.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import { encodeContributions } from "../crypto/ptau.ts";
import { importState, type ChunkStorage } from "../crypto/rounds.ts";
import { publicKeyId } from "../crypto/verify.ts";

export async function importPtau(
  ops: CurveOps,
  curve: Curve,
  storage: ChunkStorage,
  params: CeremonyParams,
  path: string,
): Promise<{ accumulator: string[]; challenge: string; imported: ImportedPtau }> {
  const state = await importState(ops, curve, storage, params, path);
  const records = await storage.put(encodeContributions(state.records));
  return {
    accumulator: state.chunks,
    challenge: toHex(state.challenge),
    imported: { file: await fileHash(path), records, contributions: state.records.length, keyIds: state.records.map((r) => publicKeyId(r.publicKey)) },
  };
}
