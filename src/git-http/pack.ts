/**
 * Writes a version 2 packfile as a stream: "PACK", version, object count, then each object (a type-and-size header
 * and its zlib-deflated content), then the SHA-1 of all that. Trees go as deltas on their parent's version when that
 * helps (REF_DELTA, which every client reads), which keeps a clone of many small commits small. Objects are read a
 * few ahead of the writer so disk reads and compression overlap, and only that window is in memory.
 */
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { deflate } from "node:zlib";
import { encodeDelta } from "./delta.ts";
import type { RawObject, RepoReader } from "./objects.ts";
import type { PackEntry } from "./walk.ts";

const deflateAsync = promisify(deflate);

const TYPE_CODE = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;
const REF_DELTA = 7;
const READ_AHEAD = 8;
/** Longer chains make every later read of the object slower; git's own default is 50 too. */
const MAX_DELTA_DEPTH = 50;
/** Trees kept for use as delta bases: a base is almost always among the last few trees written. */
const BASE_CACHE_SIZE = 512;
/** Below this a delta saves next to nothing. */
const MIN_DELTA_TARGET = 128;

export interface PackOptions {
  /** The client accepts bases it has but the pack lacks (it asked for "thin-pack"). */
  thin: boolean;
}

/** What the pack holds, for the progress line. */
export interface PackStats {
  objects: number;
  deltas: number;
}

export async function* packfile(repo: RepoReader, entries: readonly PackEntry[], options: PackOptions): AsyncGenerator<Uint8Array, PackStats> {
  const sha1 = createHash("sha1");
  const emit = (bytes: Uint8Array): Uint8Array => {
    sha1.update(bytes);
    return bytes;
  };

  const header = new Uint8Array(12);
  header.set([0x50, 0x41, 0x43, 0x4b]); // "PACK"
  const view = new DataView(header.buffer);
  view.setUint32(4, 2);
  view.setUint32(8, entries.length);
  yield emit(header);

  const bases = planDeltas(entries, options.thin);
  let deltas = 0;
  const trees = new Map<string, Promise<RawObject>>();
  const readEntry = (oid: string): Promise<RawObject> => {
    const cached = trees.get(oid);
    if (cached !== undefined) return cached;
    const read = repo.read(oid);
    trees.set(oid, read);
    for (const old of trees.keys()) {
      if (trees.size <= BASE_CACHE_SIZE) break;
      trees.delete(old);
    }
    return read;
  };
  const encode = async (entry: PackEntry): Promise<Uint8Array> => {
    const object = await (entry.type === "tree" ? readEntry(entry.oid) : repo.read(entry.oid));
    if (object.type !== entry.type) throw new Error(`object ${entry.oid} is a ${object.type}, expected a ${entry.type}`);
    const base = bases.get(entry.oid);
    if (base !== undefined && object.content.length >= MIN_DELTA_TARGET) {
      const delta = encodeDelta((await readEntry(base)).content, object.content);
      if (delta !== null) {
        deltas++;
        return encodeObject(REF_DELTA, delta, Buffer.from(base, "hex"));
      }
    }
    return encodeObject(TYPE_CODE[object.type], object.content);
  };

  const pending: Promise<Uint8Array>[] = [];
  let next = 0;
  const fill = (): void => {
    while (pending.length < READ_AHEAD && next < entries.length) {
      const entry = entries[next++];
      if (entry === undefined) break;
      const encoded = encode(entry);
      // Awaited in order below; this only keeps a failure that happens while an earlier entry is awaited from
      // counting as unhandled.
      encoded.catch(() => undefined);
      pending.push(encoded);
    }
  };
  fill();
  for (let encoded = pending.shift(); encoded !== undefined; encoded = pending.shift()) {
    const bytes = await encoded;
    fill();
    yield emit(bytes);
  }
  yield new Uint8Array(sha1.digest());
  return { objects: entries.length, deltas };
}

/**
 * Which entries go as deltas, and on what. A base must come earlier in the pack (so chains have no cycles and a known
 * depth) or, in a thin pack, be absent from it: then the client has it, since the walk only leaves out what it has.
 */
function planDeltas(entries: readonly PackEntry[], thin: boolean): Map<string, string> {
  const inPack = new Set(entries.map((e) => e.oid));
  const depth = new Map<string, number>();
  const plan = new Map<string, string>();
  for (const entry of entries) {
    const base = entry.deltaBase;
    const baseDepth = base === undefined ? undefined : depth.get(base) ?? (thin && !inPack.has(base) ? 0 : undefined);
    if (base !== undefined && baseDepth !== undefined && baseDepth < MAX_DELTA_DEPTH) {
      plan.set(entry.oid, base);
      depth.set(entry.oid, baseDepth + 1);
    } else {
      depth.set(entry.oid, 0);
    }
  }
  return plan;
}

async function encodeObject(type: number, content: Uint8Array, baseOid?: Uint8Array): Promise<Uint8Array> {
  const header = objectHeader(type, content.length);
  const deflated = await deflateAsync(content);
  const out = new Uint8Array(header.length + (baseOid?.length ?? 0) + deflated.length);
  out.set(header, 0);
  if (baseOid !== undefined) out.set(baseOid, header.length);
  out.set(deflated, header.length + (baseOid?.length ?? 0));
  return out;
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
