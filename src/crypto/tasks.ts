/** The messages a pool worker understands, and how a worker answers them (with LocalOps on its slice). */
import { LocalOps } from "./ops.ts";
import type { Group, PointCheck } from "./mcl.ts";

export type TaskRequest =
  | { op: "applyKey"; g: Group; points: Uint8Array; first: bigint; inc: bigint }
  | { op: "checkPoints"; g: Group; points: Uint8Array }
  | { op: "msm"; g: Group; points: Uint8Array; scalars: Uint8Array; scalarBytes: number };

export type TaskResult<R extends TaskRequest> = R extends { op: "checkPoints" } ? PointCheck : Uint8Array;

let local: Promise<LocalOps> | null = null;

export async function runTask(req: TaskRequest): Promise<Uint8Array | PointCheck> {
  local ??= LocalOps.create();
  const ops = await local;
  switch (req.op) {
    case "applyKey":
      return ops.applyKey(req.g, req.points, req.first, req.inc);
    case "checkPoints":
      return ops.checkPoints(req.g, req.points);
    case "msm":
      return ops.msm(req.g, req.points, req.scalars, req.scalarBytes);
    default: {
      const never: never = req;
      throw new Error(`unknown task ${JSON.stringify(never)}`);
    }
  }
}
