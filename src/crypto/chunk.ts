/**
 * The one chunk file format, used on disk, over HTTP and in the transcript: a 128-byte header binding the chunk to
 * its ceremony, parameters, round, chunk index, contributor position and the hash of the state it builds on; the
 * contributor's public key (contributions only); then the chunk's points of each section in .ptau encoding.
 */
import { HASH_SIZE, PUBKEY_SIZE, pointSize } from "./sizes.ts";
import { SECTIONS, SECTION_GROUP, chunkLayout, type CeremonyParams, type ChunkLayout, type SectionName } from "./params.ts";
import { fromHex, hash, toHex } from "./hash.ts";

export const CHUNK_MAGIC = "PTCH";
export const CHUNK_VERSION = 1;
export const HEADER_SIZE = 128;
/** Contributor position of a chunk that no contributor made (round 0's generators, or an imported .ptau). */
export const NO_CONTRIBUTOR = 0xffffffff;
const FLAG_PUBLIC_KEY = 1;

export interface ChunkHeader {
  ceremonyId: string;
  power: number;
  chunkSize: number;
  chunkIndex: number;
  round: number;
  contributor: number;
  /** blake2b-512 of the chunk file this one builds on (zeros for round 0). */
  parentHash: Uint8Array;
}

export type ChunkSections = Record<SectionName, Uint8Array>;

export interface Chunk {
  header: ChunkHeader;
  publicKey: Uint8Array | null;
  layout: ChunkLayout;
  sections: ChunkSections;
}

export type ChunkFault =
  | "CHUNK_TRUNCATED"
  | "CHUNK_OVERLONG"
  | "BAD_HEADER"
  | "WRONG_CEREMONY"
  | "WRONG_PARAMS"
  | "WRONG_CHUNK_INDEX";
export type ChunkDecode = { ok: true; chunk: Chunk } | { ok: false; code: ChunkFault; message: string };

/** Size of a chunk file for this layout. */
export function chunkFileSize(layout: ChunkLayout, withKey: boolean): number {
  let n = HEADER_SIZE + (withKey ? PUBKEY_SIZE : 0);
  for (const s of SECTIONS) n += layout[s].count * pointSize(SECTION_GROUP[s]);
  return n;
}

export function encodeChunk(header: ChunkHeader, publicKey: Uint8Array | null, sections: ChunkSections): Uint8Array {
  const layout = chunkLayout(header, header.chunkIndex);
  for (const s of SECTIONS) {
    const want = layout[s].count * pointSize(SECTION_GROUP[s]);
    if (sections[s].length !== want) throw new RangeError(`section ${s} of chunk ${header.chunkIndex} must be ${want} bytes, got ${sections[s].length}`);
  }
  if (publicKey && publicKey.length !== PUBKEY_SIZE) throw new RangeError("public key must be 768 bytes");
  if (header.parentHash.length !== HASH_SIZE) throw new RangeError("parent hash must be 64 bytes");
  const out = new Uint8Array(chunkFileSize(layout, publicKey !== null));
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(CHUNK_MAGIC), 0);
  const words = [CHUNK_VERSION, header.power, header.chunkSize, header.chunkIndex, header.round, header.contributor, publicKey ? FLAG_PUBLIC_KEY : 0];
  words.forEach((w, i) => dv.setUint32(4 + 4 * i, w, true));
  out.set(fromHex(header.ceremonyId), 32);
  out.set(header.parentHash, 64);
  let pos = HEADER_SIZE;
  if (publicKey) {
    out.set(publicKey, pos);
    pos += PUBKEY_SIZE;
  }
  for (const s of SECTIONS) {
    out.set(sections[s], pos);
    pos += sections[s].length;
  }
  return out;
}

/** Reads only the header; null when the bytes are too short or not a chunk file. */
export function decodeChunkHeader(bytes: Uint8Array): (ChunkHeader & { hasKey: boolean }) | null {
  if (bytes.length < HEADER_SIZE) return null;
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== CHUNK_MAGIC) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE);
  const w = (i: number): number => dv.getUint32(4 + 4 * i, true);
  if (w(0) !== CHUNK_VERSION) return null;
  if (w(6) & ~FLAG_PUBLIC_KEY) return null;
  return {
    power: w(1),
    chunkSize: w(2),
    chunkIndex: w(3),
    round: w(4),
    contributor: w(5),
    hasKey: (w(6) & FLAG_PUBLIC_KEY) !== 0,
    ceremonyId: toHex(bytes.subarray(32, 64)),
    parentHash: new Uint8Array(bytes.subarray(64, 128)),
  };
}

/** Parses a chunk file for the given parameters and expected chunk index; never throws on hostile bytes. */
export function decodeChunk(bytes: Uint8Array, params: CeremonyParams, chunkIndex: number): ChunkDecode {
  const header = decodeChunkHeader(bytes);
  if (!header) {
    if (bytes.length < HEADER_SIZE) return { ok: false, code: "CHUNK_TRUNCATED", message: `chunk file of ${bytes.length} bytes is shorter than its header` };
    return { ok: false, code: "BAD_HEADER", message: "not a version-1 chunk file (bad magic, version or flags)" };
  }
  if (header.ceremonyId !== params.ceremonyId) return { ok: false, code: "WRONG_CEREMONY", message: `chunk belongs to ceremony ${header.ceremonyId}` };
  if (header.power !== params.power || header.chunkSize !== params.chunkSize) {
    return { ok: false, code: "WRONG_PARAMS", message: `chunk is for power ${header.power} / chunk size ${header.chunkSize}` };
  }
  if (header.chunkIndex !== chunkIndex) return { ok: false, code: "WRONG_CHUNK_INDEX", message: `expected chunk ${chunkIndex}, file is chunk ${header.chunkIndex}` };
  const layout = chunkLayout(params, chunkIndex);
  const size = chunkFileSize(layout, header.hasKey);
  if (bytes.length < size) return { ok: false, code: "CHUNK_TRUNCATED", message: `chunk file is ${bytes.length} bytes, expected ${size}` };
  if (bytes.length > size) return { ok: false, code: "CHUNK_OVERLONG", message: `chunk file is ${bytes.length} bytes, expected ${size}` };
  let pos = HEADER_SIZE;
  let publicKey: Uint8Array | null = null;
  if (header.hasKey) {
    publicKey = bytes.subarray(pos, pos + PUBKEY_SIZE);
    pos += PUBKEY_SIZE;
  }
  const sections = {} as ChunkSections;
  for (const s of SECTIONS) {
    const len = layout[s].count * pointSize(SECTION_GROUP[s]);
    sections[s] = bytes.subarray(pos, pos + len);
    pos += len;
  }
  const { hasKey: _, ...h } = header;
  return { ok: true, chunk: { header: h, publicKey, layout, sections } };
}

/** The hash that names a chunk file: blake2b-512 of all its bytes. */
export function chunkHash(bytes: Uint8Array): Uint8Array {
  return hash(bytes);
}
