/**
 * A pool of worker threads, each with its own single-threaded curve engines, that splits a chunk's work
 * (contiguous slices of points) and combines the answers. Works under Bun (the .ts worker directly, or the
 * compiled binary's embedded worker) and under Node (a bundle built by `npm run build:worker`).
 */
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getCurve } from "./curve.ts";
import { copyBytes } from "./encoding.ts";
import type { EngineKind, EnginePreference } from "./engine.ts";
import { MAX_SCALAR_BYTES } from "./msm/engine-types.ts";
import { localMsm, pointBytes, sumPoints, type CurveOps, type Group, type PointCheck } from "./ops.ts";
import type { TaskAnswer, TaskRequest } from "./tasks.ts";
import { packSumsInput, type SumsInput, type SumsResult } from "./verify-sums.ts";
import type { WorkerOptions } from "./worker.ts";

type Reply = { id: number; ok: true; res: TaskAnswer } | { id: number; ok: false; error: string };

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** Tasks posted to this worker and not yet answered. */
  inFlight: number;
}

/**
 * Tasks a worker may hold at once: the next one waits in its own queue, so it starts as soon as the previous ends
 * instead of after a round trip through this thread (which, with the cores contended, may wait a time slice).
 */
const DEPTH = 2;

/** Fewer points than this per worker are not worth a message round trip. */
const MIN_SLICE = 256;
/**
 * Per-point work (applyKey, checkPoints) is cut into this many slices per worker, taken from one queue: when another
 * process slows one core, the other workers take more slices instead of waiting for the slow one at the end.
 */
const SLICES_PER_WORKER = 4;

export interface PoolOptions {
  /** The curve engine of every worker (engine.ts); "auto" by default. */
  engine?: EnginePreference;
}

export function workerEntry(): string | URL {
  if (process.versions.bun) {
    // In a `bun build --compile` binary (npm run build) every module is bundled into main, and the worker, an
    // extra entry point, is embedded under its path relative to src/.
    if (import.meta.url.includes("$bunfs")) return "./crypto/worker.ts";
    return new URL("./worker.ts", import.meta.url);
  }
  const bundled = fileURLToPath(new URL("../../dist/node/worker.mjs", import.meta.url));
  if (!existsSync(bundled)) throw new Error(`worker bundle ${bundled} is missing: run \`npm run build:worker\``);
  return bundled;
}

export class WorkerPool implements CurveOps {
  readonly parallelism: number;
  private readonly slots: Slot[];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private readonly pending = new Map<number, { resolve: (r: TaskAnswer) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(size = availableParallelism(), options: PoolOptions = {}) {
    this.parallelism = Math.max(1, size);
    const entry = workerEntry();
    const workerData: WorkerOptions = { engine: options.engine ?? "auto" };
    this.slots = Array.from({ length: this.parallelism }, () => {
      const worker = new Worker(entry, { workerData });
      const ready = new Promise<void>((resolve, reject) => {
        const onReady = (msg: unknown): void => {
          if (typeof msg === "object" && msg !== null && "ready" in msg) {
            worker.off("message", onReady);
            resolve();
          }
        };
        worker.on("message", onReady);
        worker.once("error", (err: unknown) => reject(err));
      });
      worker.on("message", (msg: Reply | { ready: true }) => this.onReply(msg));
      worker.on("error", (err: unknown) => this.failAll(err instanceof Error ? err : new Error(String(err))));
      return { worker, ready, inFlight: 0 };
    });
  }

  private onReply(msg: Reply | { ready: true }): void {
    if ("ready" in msg) return;
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.res);
    else p.reject(new Error(`worker task failed: ${msg.error}`));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** The least loaded worker with room for another task, waiting for one when every worker has DEPTH. */
  private async acquire(): Promise<Slot> {
    if (this.closed) throw new Error("worker pool is closed");
    let free: Slot | null = null;
    for (const s of this.slots) if (s.inFlight < DEPTH && (!free || s.inFlight < free.inFlight)) free = s;
    const slot = free ?? (await new Promise<Slot>((resolve) => this.waiting.push(resolve)));
    slot.inFlight++;
    await slot.ready;
    return slot;
  }

  private release(slot: Slot): void {
    slot.inFlight--;
    const next = this.waiting.shift();
    if (next) next(slot);
  }

  private async run(req: TaskRequest, transfer: ArrayBuffer[]): Promise<TaskAnswer> {
    const slot = await this.acquire();
    try {
      const id = this.nextId++;
      const answer = new Promise<TaskAnswer>((resolve, reject) => this.pending.set(id, { resolve, reject }));
      slot.worker.postMessage({ id, req }, transfer);
      return await answer;
    } finally {
      this.release(slot);
    }
  }

  /** Contiguous [start, end) point ranges, `perWorker` per worker, none below MIN_SLICE points. */
  private slices(n: number, perWorker = 1): Array<[number, number]> {
    const parts = Math.max(1, Math.min(this.parallelism * perWorker, Math.floor(n / MIN_SLICE)));
    const out: Array<[number, number]> = [];
    for (let i = 0; i < parts; i++) out.push([Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)]);
    return out;
  }

  async applyKey(g: Group, points: Uint8Array, first: bigint, inc: bigint): Promise<Uint8Array> {
    const size = pointBytes(g);
    const parts = await Promise.all(
      this.slices(points.length / size, SLICES_PER_WORKER).map(([a, b]) => {
        const slice = copyBytes(points, a * size, b * size);
        // The worker's engine starts the slice at inc^a itself (bigint powers here would cost the main thread).
        return this.run({ op: "applyKey", g, points: slice, first, inc, offset: a }, [slice.buffer]) as Promise<Uint8Array>;
      }),
    );
    const out = new Uint8Array(points.length);
    let pos = 0;
    for (const p of parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }

  async checkPoints(g: Group, points: Uint8Array): Promise<PointCheck> {
    const size = pointBytes(g);
    const ranges = this.slices(points.length / size, SLICES_PER_WORKER);
    const results = await Promise.all(
      ranges.map(([a, b]) => {
        const slice = copyBytes(points, a * size, b * size);
        return this.run({ op: "checkPoints", g, points: slice }, [slice.buffer]) as Promise<PointCheck>;
      }),
    );
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      const range = ranges[i];
      if (r && range && !r.ok) return { ok: false, fault: r.fault, index: r.index + range[0] };
    }
    return { ok: true };
  }

  async msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array> {
    // Wider scalars than the engine takes (nothing here uses them) go to ffjavascript, in this thread.
    if (!(Number.isInteger(scalarBytes) && scalarBytes >= 1 && scalarBytes <= MAX_SCALAR_BYTES)) return localMsm(g, points, scalars, scalarBytes);
    const size = pointBytes(g);
    const parts = await Promise.all(
      this.slices(points.length / size).map(([a, b]) => {
        const p = copyBytes(points, a * size, b * size);
        const s = copyBytes(scalars, a * scalarBytes, b * scalarBytes);
        return this.run({ op: "msm", g, points: p, scalars: s, scalarBytes }, [p.buffer, s.buffer]) as Promise<Uint8Array>;
      }),
    );
    return parts.length === 1 && parts[0] ? parts[0] : sumPoints(await getCurve(), g, parts);
  }

  /** The curve engine the workers run (they all load the same preference). */
  engineKind(): Promise<EngineKind> {
    return this.run({ op: "engineKind" }, []) as Promise<EngineKind>;
  }

  /** The beacon's hash iterations on a worker: the thread that answers requests never runs them. */
  beaconSeed(hash: Uint8Array, numIterationsExp: number): Promise<Uint8Array> {
    return this.run({ op: "beaconSeed", hash: hash.slice(), numIterationsExp }, []) as Promise<Uint8Array>;
  }

  /** One chunk's point checks and combinations on one worker (the sections copied once into a buffer it receives). */
  chunkSums(input: SumsInput): Promise<SumsResult> {
    const packed = packSumsInput(input);
    return this.run({ op: "chunkSums", input: packed.input }, [packed.buffer]) as Promise<SumsResult>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error("worker pool closed"));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
