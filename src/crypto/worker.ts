/**
 * Entry point of a pool worker: loads its curve engine (engine.ts: native under Bun, else wasm), then answers
 * TaskRequests from the parent thread, one at a time.
 */
import * as threads from "node:worker_threads";
import { initEngine, isEnginePreference, type EnginePreference } from "./engine.ts";
import { runTask, type TaskRequest } from "./tasks.ts";

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
