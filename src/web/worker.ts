/**
 * The browser contributor's Web Worker: the same curve tasks as the CLI's pool workers (crypto/tasks.ts, mcl-wasm for
 * the per-point work), one at a time. The one place the browser's crypto engine is chosen: a different engine
 * (a wasm build of another library) answers the same TaskRequests here.
 */
import "./buffer-global.ts";
import { LocalOps } from "../crypto/ops.ts";
import { runTask, type TaskRequest } from "../crypto/tasks.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ id: number; req: TaskRequest }>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  const { id, req } = e.data;
  runTask(req).then(
    (res) => scope.postMessage({ id, ok: true, res }, res instanceof Uint8Array ? [res.buffer as ArrayBuffer] : []),
    (err: unknown) => scope.postMessage({ id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
};
// Ready once the engines are loaded, so the first chunk's time is the chunk's, not the engines' start.
await LocalOps.create();
scope.postMessage({ ready: true });
