/**
 * Whole packs for clones, kept in memory and shared: the pack of everything reachable from a tip is built once, and a
 * newer tip's pack is the newest one's encoded objects plus those of the commits since, so a clone costs the bytes it
 * is sent, not a walk and a compression of the whole history. Builds are shared by every request that waits for the
 * same tip and abandoned when all of them have gone away.
 */
import { createHash } from "node:crypto";
import type { RepoReader } from "./objects.ts";
import { DeltaPlanner, encodeObjects, packHeader } from "./pack.ts";
import { SharedTask } from "./shared-task.ts";
import type { GitServerStats } from "./stats.ts";
import { commitsToSend, objectsOfCommits, type PackEntry } from "./walk.ts";

export interface CachedPack {
  tip: string;
  objects: number;
  deltas: number;
  /** The whole pack in order: header, encoded objects (shared with the packs built on this one), SHA-1 trailer. */
  pieces: readonly Uint8Array[];
}

/** The newest pack and what extending it needs. */
interface Lineage {
  pack: CachedPack;
  /** The encoded objects, without header and trailer. */
  segments: readonly Uint8Array[];
  segmentBytes: number;
  /** Every object in the pack with its delta depth (0 when whole): the bases an extension may use, and what it skips. */
  depths: Map<string, number>;
}

/** Packs of older tips kept beside the newest (clients that read the refs just before a commit). They share bytes. */
const RECENT_PACKS = 4;
/** Encoded objects are gathered into buffers of this size rather than kept one array each. */
const SEGMENT_BYTES = 1 << 20;
/** What the index of one object (its id and depth in a Map) costs, roughly, counted against the cache's bound. */
const INDEX_BYTES_PER_OBJECT = 120;

export class PackCache {
  private newest: Lineage | null = null;
  private readonly recent = new Map<string, CachedPack>();
  private readonly builds = new Map<string, SharedTask<CachedPack | null>>();
  /** Builds run one at a time, each extending what the one before left. */
  private queue: Promise<unknown> = Promise.resolve();
  private full = false;

  constructor(
    private readonly repo: RepoReader,
    private readonly maxBytes: number,
    private readonly stats: GitServerStats,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * A pack of everything reachable from `tip`, or null when this cache is off or full; rejects with the signal's reason
   * once it aborts.
   */
  async packFor(tip: string, signal: AbortSignal): Promise<CachedPack | null> {
    // Before any build starts: a build nobody waits for would never be told to stop.
    signal.throwIfAborted();
    if (this.full || this.maxBytes <= 0) return null;
    // A tip whose commit the newest pack holds is older (its client read the refs just before a commit): the newest
    // pack serves it too, with the objects of the commits since, which git keeps unreferenced.
    const cached = this.recent.get(tip) ?? (this.newest?.depths.has(tip) === true ? this.newest.pack : undefined);
    if (cached !== undefined) {
      this.stats.packsFromCache++;
      return cached;
    }
    let build = this.builds.get(tip);
    if (build === undefined || build.abandoned) {
      const task = new SharedTask((buildSignal) => this.serialized(() => this.build(tip, buildSignal)));
      this.builds.set(tip, task);
      const forget = (): void => {
        if (this.builds.get(tip) === task) this.builds.delete(tip);
      };
      task.result.then(forget, forget);
      build = task;
    }
    return build.join(signal);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async build(tip: string, signal: AbortSignal): Promise<CachedPack | null> {
    signal.throwIfAborted();
    let base = this.newest;
    const known = this.recent.get(tip) ?? (base?.depths.has(tip) === true ? base.pack : undefined);
    if (known !== undefined) return known;
    let commits = base === null ? null : await commitsToSend(this.repo, [tip], [base.pack.tip], signal);
    // Extend only a pack of an ancestor: a branch that was rewritten starts over (never in a transcript).
    if (base !== null && commits !== null && !(await hasParent(this.repo, commits, base.pack.tip))) {
      base = null;
      commits = null;
    }
    commits ??= await commitsToSend(this.repo, [tip], [], signal);
    const encoded = await this.encode(without(objectsOfCommits(this.repo, commits, signal), base?.depths), base, signal);
    if (encoded === null) return null;

    const depths = base?.depths ?? new Map<string, number>();
    const objects = depths.size + encoded.objects;
    const segments = [...(base?.segments ?? []), ...encoded.segments];
    const header = packHeader(objects);
    const sha1 = createHash("sha1").update(header);
    for (const segment of segments) sha1.update(segment);
    const pack: CachedPack = { tip, objects, deltas: (base?.pack.deltas ?? 0) + encoded.deltas, pieces: [header, ...segments, new Uint8Array(sha1.digest())] };
    // Nothing above changed the shared state; from here on nothing awaits, so no other request sees it half done.
    for (const [oid, depth] of encoded.depths) depths.set(oid, depth);
    this.newest = { pack, segments, segmentBytes: (base?.segmentBytes ?? 0) + encoded.bytes, depths };
    if (base === null) {
      this.recent.clear();
      this.stats.cacheBuilds++;
    } else this.stats.cacheExtensions++;
    this.recent.set(tip, pack);
    for (const old of this.recent.keys()) {
      if (this.recent.size <= RECENT_PACKS) break;
      this.recent.delete(old);
    }
    return pack;
  }

  /** The entries encoded into segments, or null (and the cache given up) when they would pass the bound. */
  private async encode(entries: AsyncIterable<PackEntry>, base: Lineage | null, signal: AbortSignal): Promise<EncodedObjects | null> {
    const planner = new DeltaPlanner((oid) => base?.depths.get(oid));
    const baseBytes = (base?.segmentBytes ?? 0) + (base?.depths.size ?? 0) * INDEX_BYTES_PER_OBJECT;
    const segments: Uint8Array[] = [];
    const current = new Uint8Array(SEGMENT_BYTES);
    let filled = 0;
    let bytes = 0;
    // A copy of what is filled, so the buffer is reused and no segment holds unused room.
    const flush = (): void => {
      if (filled > 0) segments.push(current.slice(0, filled));
      filled = 0;
    };
    const objects = encodeObjects(this.repo, entries, planner, { signal, stats: this.stats });
    for (let next = await objects.next(); ; next = await objects.next()) {
      if (next.done === true) {
        flush();
        return { segments, bytes, ...next.value, depths: planner.depths };
      }
      const piece = next.value;
      bytes += piece.length;
      if (baseBytes + bytes + planner.depths.size * INDEX_BYTES_PER_OBJECT > this.maxBytes) {
        await objects.return({ objects: 0, deltas: 0 });
        this.giveUp();
        return null;
      }
      if (filled + piece.length > SEGMENT_BYTES) flush();
      if (piece.length >= SEGMENT_BYTES) segments.push(piece);
      else {
        current.set(piece, filled);
        filled += piece.length;
      }
    }
  }

  private giveUp(): void {
    this.full = true;
    this.newest = null;
    this.recent.clear();
    this.log(`ceremony: git server: the transcript's pack passed the cache's ${this.maxBytes} bytes; clones are now packed per request`);
  }
}

interface EncodedObjects {
  segments: Uint8Array[];
  bytes: number;
  objects: number;
  deltas: number;
  depths: Map<string, number>;
}

/** The entries the pack being extended does not hold already (a blob or tree may come back under another path). */
async function* without(entries: AsyncIterable<PackEntry>, held: ReadonlyMap<string, number> | undefined): AsyncGenerator<PackEntry> {
  for await (const entry of entries) if (held?.has(entry.oid) !== true) yield entry;
}

/** Whether one of `commits` has `parent` as a parent. */
async function hasParent(repo: RepoReader, commits: readonly string[], parent: string): Promise<boolean> {
  for (const oid of commits) if ((await repo.commit(oid)).parents.includes(parent)) return true;
  return false;
}
