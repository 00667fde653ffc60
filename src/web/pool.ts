/**
 * The curve operations of the browser contributor, in Web Workers (worker.ts): a chunk's points are split in
 * contiguous slices across the workers, as the CLI's WorkerPool splits them across threads. Only applyKey is split
 * (a contributor's only heavy operation); the checks go whole to one worker.
 */
import { pointBytes, type CurveOps, type Group, type PointCheck } from "../crypto/ops.ts";
import type { TaskRequest } from "../crypto/tasks.ts";

type Reply = { id: number; ok: true; res: Uint8Array | PointCheck } | { id: number; ok: false; error: string } | { ready: true };

/** Fewer points than this per worker are not worth a message. */
const MIN_SLICE = 32;

export class BrowserPool implements CurveOps {
  readonly parallelism: number;
  private readonly workers: Worker[];
  private readonly ready: Promise<void>[];
  private readonly pending = new Map<number, { resolve: (r: Uint8Array | PointCheck) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private turn = 0;

  constructor(url: string, size = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 2))) {
    this.parallelism = size;
    this.workers = Array.from({ length: size }, () => new Worker(url, { type: "module", name: "ceremony-crypto" }));
    this.ready = this.workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.addEventListener("message", (e: MessageEvent<Reply>) => ("ready" in e.data ? resolve() : this.onReply(e.data)));
          w.addEventListener("error", (e) => {
            const err = new Error(`crypto worker failed: ${e.message}`);
            reject(err);
            for (const p of this.pending.values()) p.reject(err);
            this.pending.clear();
          });
        }),
    );
  }

  /** Resolves once every worker has loaded its engine. */
  async started(): Promise<void> {
    await Promise.all(this.ready);
  }

  private onReply(msg: Exclude<Reply, { ready: true }>): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.res);
    else p.reject(new Error(`crypto worker: ${msg.error}`));
  }

  private async run(req: TaskRequest, transfer: ArrayBuffer[]): Promise<Uint8Array | PointCheck> {
    const i = this.turn++ % this.workers.length;
    await this.ready[i];
    const id = this.nextId++;
    const answer = new Promise<Uint8Array | PointCheck>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.workers[i]?.postMessage({ id, req }, transfer);
    return answer;
  }

  async applyKey(g: Group, points: Uint8Array, first: bigint, inc: bigint): Promise<Uint8Array> {
    const size = pointBytes(g);
    const n = points.length / size;
    const parts = Math.max(1, Math.min(this.parallelism, Math.floor(n / MIN_SLICE)));
    const answers = await Promise.all(
      Array.from({ length: parts }, (_, i) => {
        const [a, b] = [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)];
        const slice = points.slice(a * size, b * size);
        return this.run({ op: "applyKey", g, points: slice, first, inc, offset: a }, [slice.buffer]) as Promise<Uint8Array>; // first·inc^(a+i), by the engine
      }),
    );
    const out = new Uint8Array(points.length);
    let pos = 0;
    for (const p of answers) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }

  checkPoints(g: Group, points: Uint8Array): Promise<PointCheck> {
    return this.run({ op: "checkPoints", g, points: points.slice() }, []) as Promise<PointCheck>;
  }

  msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Promise<Uint8Array> {
    return this.run({ op: "msm", g, points: points.slice(), scalars: scalars.slice(), scalarBytes }, []) as Promise<Uint8Array>;
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.terminate();
    for (const p of this.pending.values()) p.reject(new Error("crypto workers closed"));
    this.pending.clear();
  }
}
