/** Entry point of a pool worker: answers TaskRequests from the parent thread, one at a time. */
import { createRequire } from "node:module";
import * as threads from "node:worker_threads";
import type { TaskRequest } from "./tasks.ts";

interface Envelope {
  id: number;
  req: TaskRequest;
}

const port = threads.parentPort;
if (!port) throw new Error("worker.ts must run as a worker thread");

// ffjavascript imports the `web-worker` package, which, when loaded off the main thread, takes the thread over as
// a web-worker shim (it reads workerData and rewires globals). This worker never uses ffjavascript's own threads,
// so it presents itself as a main thread before that package loads: hence the dynamic import below.
(createRequire(import.meta.url)("node:worker_threads") as { isMainThread: boolean }).isMainThread = true;
const { runTask } = await import("./tasks.ts");

port.on("message", (msg: Envelope) => {
  runTask(msg.req).then(
    (res) => {
      const transfer = res instanceof Uint8Array ? [res.buffer as ArrayBuffer] : [];
      port.postMessage({ id: msg.id, ok: true, res }, transfer);
    },
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
port.postMessage({ ready: true });
