/**
 * Finalization: once finalization is requested and the last round aggregated, the beacon is applied to the
 * accumulator (every chunk verified like a contribution), the final .ptau is written and stored as an artifact,
 * and its hash is recorded and committed to the transcript.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { exportPtau } from "../../crypto/accumulator.ts";
import type { CurveOps } from "../../crypto/ops.ts";
import type { ChunkStorage } from "../../crypto/rounds.ts";
import { beaconAccumulator } from "../../facts/records.ts";
import type { ArtifactStore } from "../../store/artifact-store.ts";
import type { EffectPort } from "./port.ts";

export interface FinalizationPort extends EffectPort {
  ops: CurveOps;
  storage: ChunkStorage;
  artifacts: ArtifactStore;
  finalPath: string;
  /** Commits the final file to the transcript (when one is kept). */
  published(hash: string): Promise<void>;
}

export async function finalizeIfReady(port: FinalizationPort): Promise<boolean> {
  const s = port.state();
  if (s.phase !== "finalizing" || s.round) return false;
  const params = port.params();
  const final = await beaconAccumulator(port.ops, port.curve, params, s, s.beacon, port.storage);
  await exportPtau(port.finalPath, params, final.records, (k) => port.storage.get(final.chunks[k] ?? ""));
  // The final file also goes to the artifact store: hashed while streamed, served and referenced by hash.
  const size = (await stat(port.finalPath)).size;
  const { hash } = await port.artifacts.put(createReadStream(port.finalPath), { maxBytes: size, exactBytes: size });
  await port.execute({ type: "RecordFinal", now: port.now(), hash });
  await port.published(hash);
  port.say(`final .ptau written to ${port.finalPath} (${hash.slice(0, 16)}…)`);
  return true;
}
