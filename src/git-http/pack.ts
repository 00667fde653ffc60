/**
 * Writes a version 2 packfile as a stream: "PACK", version, object count, then each object (a type-and-size header
 * and its zlib-deflated content), then the SHA-1 of all that. Trees go as deltas on their parent's version when that
 * helps (REF_DELTA, which every client reads), which keeps a clone of many small commits small. Objects are read a
 * few ahead of the writer so disk reads and compression overlap, and only that window is in memory. The pieces are
 * exported for the pack cache, which keeps encoded objects and writes its own headers.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { deflate, deflateSync } from "node:zlib";
import { mapAhead } from "./ahead.ts";
import { encodeDelta } from "./delta.ts";
import type { RepoReader } from "./objects.ts";
import type { GitServerStats } from "./stats.ts";
import type { PackEntry } from "./walk.ts";

const deflateAsync = promisify(deflate) as (content: Uint8Array, options: { level: number }) => Promise<Uint8Array>;

const TYPE_CODE = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;
const REF_DELTA = 7;
const READ_AHEAD = 8;
/** Longer chains make every later read of the object slower; git's own default is 50 too. */
const MAX_DELTA_DEPTH = 50;
/** Below this a delta saves next to nothing. */
const MIN_DELTA_TARGET = 128;
/** How much of a larger object is test-compressed to see whether compressing it is worth the time. */
const PROBE_BYTES = 4096;
/** Objects up to this size are compressed on the calling thread. */
const DEFLATE_IN_PLACE = 64 * 1024;

export interface PackOptions {
  /** The client accepts bases it has but the pack lacks (it asked for "thin-pack"). */
  thin: boolean;
  signal?: AbortSignal;
  stats?: GitServerStats;
}

/** What the pack holds, for the progress line. */
export interface PackStats {
  objects: number;
  deltas: number;
}

/** A whole pack for one request: header, objects, SHA-1 trailer. Stops with the signal's reason once it aborts. */
export async function* packfile(repo: RepoReader, entries: readonly PackEntry[], options: PackOptions): AsyncGenerator<Uint8Array, PackStats> {
  const sha1 = createHash("sha1");
  const header = packHeader(entries.length);
  sha1.update(header);
  yield header;
  const inPack = new Set(entries.map((e) => e.oid));
  // In a thin pack a base may be one the client has: the walk only leaves out what it has.
  const planner = new DeltaPlanner((oid) => (options.thin && !inPack.has(oid) ? 0 : undefined));
  const objects = encodeObjects(repo, entries, planner, options);
  for (let next = await objects.next(); ; next = await objects.next()) {
    if (next.done === true) {
      yield new Uint8Array(sha1.digest());
      return next.value;
    }
    sha1.update(next.value);
    yield next.value;
  }
}

/** "PACK", version 2, the object count. */
export function packHeader(objects: number): Uint8Array {
  const header = new Uint8Array(12);
  header.set([0x50, 0x41, 0x43, 0x4b]);
  const view = new DataView(header.buffer);
  view.setUint32(4, 2);
  view.setUint32(8, objects);
  return header;
}

/**
 * Which entries go as deltas, and on what, decided in pack order. A base must come earlier in the pack (so chains have
 * no cycles and a known depth) or be one that `depthOutside` gives a depth for: one the client has (a thin pack), or
 * one in the cached pack this one extends.
 */
export class DeltaPlanner {
  /** The delta-chain depth of every entry planned so far (0 when whole). */
  readonly depths = new Map<string, number>();

  constructor(private readonly depthOutside: (oid: string) => number | undefined) {}

  baseOf(entry: PackEntry): string | undefined {
    const base = entry.deltaBase;
    const baseDepth = base === undefined ? undefined : this.depths.get(base) ?? this.depthOutside(base);
    if (base !== undefined && baseDepth !== undefined && baseDepth < MAX_DELTA_DEPTH) {
      this.depths.set(entry.oid, baseDepth + 1);
      return base;
    }
    this.depths.set(entry.oid, 0);
    return undefined;
  }
}

/**
 * Each entry encoded as a pack object, in order, a few read ahead; `entries` may still be being walked. Returns what
 * was encoded; stops with the signal's reason once it aborts.
 */
export async function* encodeObjects(
  repo: RepoReader,
  entries: AsyncIterable<PackEntry> | Iterable<PackEntry>,
  planner: DeltaPlanner,
  options: { signal?: AbortSignal; stats?: GitServerStats },
): AsyncGenerator<Uint8Array, PackStats> {
  const stats: PackStats = { objects: 0, deltas: 0 };
  const encode = async (entry: PackEntry, base: string | undefined): Promise<Uint8Array> => {
    const object = await repo.read(entry.oid);
    // Reads already under way when the client left finish; nothing is compressed after that.
    options.signal?.throwIfAborted();
    if (object.type !== entry.type) throw new Error(`object ${entry.oid} is a ${object.type}, expected a ${entry.type}`);
    if (options.stats !== undefined) options.stats.objectsEncoded++;
    if (base !== undefined && object.content.length >= MIN_DELTA_TARGET) {
      const delta = encodeDelta((await repo.read(base)).content, object.content);
      if (delta !== null) {
        stats.deltas++;
        return encodeObject(REF_DELTA, delta, Buffer.from(base, "hex"));
      }
    }
    return encodeObject(TYPE_CODE[object.type], object.content);
  };

  for await (const bytes of mapAhead(entries, READ_AHEAD, (entry) => encode(entry, planner.baseOf(entry)), options.signal)) {
    stats.objects++;
    yield bytes;
  }
  return stats;
}

async function encodeObject(type: number, content: Uint8Array, baseOid?: Uint8Array): Promise<Uint8Array> {
  const header = objectHeader(type, content.length);
  const deflated = await compress(content);
  const out = new Uint8Array(header.length + (baseOid?.length ?? 0) + deflated.length);
  out.set(header, 0);
  if (baseOid !== undefined) out.set(baseOid, header.length);
  out.set(deflated, header.length + (baseOid?.length ?? 0));
  return out;
}

/**
 * zlib, as git stores objects. Content that a fast pass over its first bytes cannot shrink (chunk files: curve points
 * look random) is stored uncompressed, which costs a copy instead of a full deflate; small objects are deflated in
 * place, since for them a trip to the thread pool costs more than the work.
 */
async function compress(content: Uint8Array): Promise<Uint8Array> {
  let level = 6;
  if (content.length >= PROBE_BYTES * 2 && deflateSync(content.subarray(0, PROBE_BYTES), { level: 1 }).length > PROBE_BYTES * 0.9) level = 0;
  return content.length <= DEFLATE_IN_PLACE ? deflateSync(content, { level }) : deflateAsync(content, { level });
}

/** Type in bits 4-6 of the first byte, size in its low 4 bits and then 7 bits a byte, low bits first. */
function objectHeader(type: number, size: number): Uint8Array {
  const bytes: number[] = [];
  let byte = (type << 4) | (size % 16);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest % 128;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Uint8Array.from(bytes);
}
