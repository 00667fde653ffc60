/** Entry point of a pool worker: answers TaskRequests from the parent thread, one at a time. */
import { createRequire } from "node:module";
import * as threads from "node:worker_threads";
import type { EnginePreference } from "./engine.ts";
import type { TaskRequest } from "./tasks.ts";

interface Envelope {
  id: number;
  req: TaskRequest;
}

/** What the pool passes as workerData. */
export interface WorkerOptions {
  engine: EnginePreference;
}

const port = threads.parentPort;
if (!port) throw new Error("worker.ts must run as a worker thread");

// ffjavascript imports the `web-worker` package, which, when loaded off the main thread, takes the thread over as
// a web-worker shim (it reads workerData and rewires globals). This worker never uses ffjavascript's own threads,
// so it presents itself as a main thread before that package loads: hence the dynamic import below.
(createRequire(import.meta.url)("node:worker_threads") as { isMainThread: boolean }).isMainThread = true;
const { runTask } = await import("./tasks.ts");
const { initEngine, isEnginePreference } = await import("./engine.ts");
const wanted: unknown = (threads.workerData as Partial<WorkerOptions> | null)?.engine;
const preference: EnginePreference = isEnginePreference(wanted) ? wanted : "auto";
// Ready means the engine is loaded: the first task is not delayed, and an engine that cannot load fails the pool.
await initEngine(preference);

port.on("message", (msg: Envelope) => {
  runTask(msg.req, preference).then(
    (res) => {
      const transfer = res instanceof Uint8Array ? [res.buffer as ArrayBuffer] : [];
      port.postMessage({ id: msg.id, ok: true, res }, transfer);
    },
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
port.postMessage({ ready: true });
