/**
 * The messages a pool worker understands, and how a worker answers them (with its curve engine on its slice).
 * Imports neither ffjavascript nor mcl: a worker loads only the engine.
 */
import { engineApplyKey, initEngine, type EngineKind, type EnginePreference } from "./engine.ts";
import type { Group, PointCheck } from "./msm/engine-types.ts";
import { beaconSeed } from "./beacon-seed.ts";
import { chunkSums, type SumsInput, type SumsResult } from "./verify-sums.ts";

export type TaskRequest =
  /** Point i times first·inc^(offset + i). */
  | { op: "applyKey"; g: Group; points: Uint8Array; first: bigint; inc: bigint; offset: number }
  | { op: "checkPoints"; g: Group; points: Uint8Array }
  /** Scalars of 1 to MAX_SCALAR_BYTES bytes (the pool computes wider ones itself). */
  | { op: "msm"; g: Group; points: Uint8Array; scalars: Uint8Array; scalarBytes: number }
  | { op: "chunkSums"; input: SumsInput }
  | { op: "engineKind" }
  /** The beacon's 2^numIterationsExp SHA-256 iterations (beacon-seed.ts). */
  | { op: "beaconSeed"; hash: Uint8Array; numIterationsExp: number };

export type TaskAnswer = Uint8Array | PointCheck | SumsResult | EngineKind;

export async function runTask(req: TaskRequest, preference: EnginePreference = "auto"): Promise<TaskAnswer> {
  if (req.op === "beaconSeed") return beaconSeed(req.hash, req.numIterationsExp);
  const e = await initEngine(preference);
  switch (req.op) {
    case "applyKey":
      return engineApplyKey(e, req.g, req.points, req.first, req.inc, req.offset);
    case "checkPoints":
      return e.checkPoints(req.g, req.points);
    case "msm":
      return e.msm(req.g, req.points, req.scalars, req.scalarBytes);
    case "chunkSums":
      return chunkSums({ msm: async (g, p, s, b) => e.msm(g, p, s, b), checkPoints: async (g, p) => e.checkPoints(g, p) }, req.input);
    case "engineKind":
      return e.kind;
    default: {
      const never: never = req;
      throw new Error(`unknown task ${JSON.stringify(never)}`);
    }
  }
}
