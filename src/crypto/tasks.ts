/** The messages a pool worker understands, and how a worker answers them (with its curve engine on its slice). */
import { initEngine, type EngineKind, type EnginePreference } from "./engine.ts";
import type { Group, PointCheck } from "./msm/engine-types.ts";
import { engineApplyKey, engineMsm } from "./ops.ts";
import { chunkSums, type SumsInput, type SumsResult } from "./verify-sums.ts";

export type TaskRequest =
  | { op: "applyKey"; g: Group; points: Uint8Array; first: bigint; inc: bigint }
  | { op: "checkPoints"; g: Group; points: Uint8Array }
  | { op: "msm"; g: Group; points: Uint8Array; scalars: Uint8Array; scalarBytes: number }
  | { op: "chunkSums"; input: SumsInput }
  | { op: "engineKind" };

export type TaskAnswer = Uint8Array | PointCheck | SumsResult | EngineKind;

export async function runTask(req: TaskRequest, preference: EnginePreference = "auto"): Promise<TaskAnswer> {
  const e = await initEngine(preference);
  switch (req.op) {
    case "applyKey":
      return engineApplyKey(e, req.g, req.points, req.first, req.inc);
    case "checkPoints":
      return e.checkPoints(req.g, req.points);
    case "msm":
      return engineMsm(e, req.g, req.points, req.scalars, req.scalarBytes);
    case "chunkSums":
      return chunkSums(
        { msm: (g, p, s, b) => engineMsm(e, g, p, s, b), checkPoints: async (g, p) => e.checkPoints(g, p) },
        req.input,
      );
    case "engineKind":
      return e.kind;
    default: {
      const never: never = req;
      throw new Error(`unknown task ${JSON.stringify(never)}`);
    }
  }
}
