/** The messages a pool worker understands, and how a worker answers them (with its curve engine on its slice). */
import { initEngine, type EnginePreference } from "./engine.ts";
import type { Group, PointCheck } from "./msm/engine-types.ts";
import { engineApplyKey, engineMsm } from "./ops.ts";

export type TaskRequest =
  | { op: "applyKey"; g: Group; points: Uint8Array; first: bigint; inc: bigint }
  | { op: "checkPoints"; g: Group; points: Uint8Array }
  | { op: "msm"; g: Group; points: Uint8Array; scalars: Uint8Array; scalarBytes: number };

export type TaskResult<R extends TaskRequest> = R extends { op: "checkPoints" } ? PointCheck : Uint8Array;

export async function runTask(req: TaskRequest, preference: EnginePreference = "auto"): Promise<Uint8Array | PointCheck> {
  const e = await initEngine(preference);
  switch (req.op) {
    case "applyKey":
      return engineApplyKey(e, req.g, req.points, req.first, req.inc);
    case "checkPoints":
      return e.checkPoints(req.g, req.points);
    case "msm":
      return engineMsm(e, req.g, req.points, req.scalars, req.scalarBytes);
    default: {
      const never: never = req;
      throw new Error(`unknown task ${JSON.stringify(never)}`);
    }
  }
}
