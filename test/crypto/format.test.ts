// Chunk layout, chunk file format and the hash chain's encodings.
import { describe, expect, it } from "vitest";
import { chunkFileSize, decodeChunk, encodeChunk, HEADER_SIZE, type ChunkSections } from "../../src/crypto/chunk.ts";
import { hash, hasherFromPartialHash, partialHashOfPrefix, prefixOfPartialHash } from "../../src/crypto/hash.ts";
import { chunkLayout, numChunks, parseParams, SECTIONS, sectionLengths } from "../../src/crypto/params.ts";

describe("layout", () => {
  it("covers every index of every section exactly once", () => {
    for (const [power, chunkSize] of [[3, 2], [5, 8], [6, 64], [4, 16]] as const) {
      const p = { power, chunkSize };
      const seen = Object.fromEntries(SECTIONS.map((s) => [s, 0]));
      for (let k = 0; k < numChunks(p); k++) {
        const l = chunkLayout(p, k);
        for (const s of SECTIONS) {
          if (l[s].count > 0 && s !== "betaG2") expect(l[s].start).toBe(k * chunkSize);
          seen[s] = (seen[s] ?? 0) + l[s].count;
        }
      }
      expect(seen).toEqual(sectionLengths(power));
    }
  });

  it("rejects bad parameters with a clear message", () => {
    expect(() => parseParams({ ceremonyId: "ab".repeat(32), power: 5, chunkSize: 12 })).toThrow(/power of two/);
    expect(() => parseParams({ ceremonyId: "ab".repeat(32), power: 3, chunkSize: 16 })).toThrow(/must not exceed/);
    expect(() => parseParams({ ceremonyId: "xyz", power: 3, chunkSize: 4 })).toThrow(/ceremonyId/);
    expect(() => parseParams({ ceremonyId: "ab".repeat(32), power: 29, chunkSize: 4 })).toThrow();
    expect(() => chunkLayout({ power: 3, chunkSize: 4 }, 4)).toThrow(/out of range/);
  });
});

describe("chunk files", () => {
  const params = parseParams({ ceremonyId: "cd".repeat(32), power: 3, chunkSize: 4 });
  const layout = chunkLayout(params, 2);
  const sections = Object.fromEntries(SECTIONS.map((s) => [s, new Uint8Array(layout[s].count * (s === "tauG2" || s === "betaG2" ? 128 : 64)).fill(7)])) as ChunkSections;
  const header = { ...params, chunkIndex: 2, round: 3, contributor: 1, parentHash: hash(new Uint8Array([1])) };

  it("round-trips, with and without a public key", () => {
    for (const key of [null, new Uint8Array(768).fill(9)]) {
      const bytes = encodeChunk(header, key, sections);
      expect(bytes.length).toBe(chunkFileSize(layout, key !== null));
      const d = decodeChunk(bytes, params, 2);
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      expect(d.chunk.header).toEqual(header);
      expect(d.chunk.publicKey ? Buffer.from(d.chunk.publicKey) : null).toEqual(key ? Buffer.from(key) : null);
    }
  });

  it("rejects hostile headers without throwing", () => {
    const bytes = encodeChunk(header, null, sections);
    const bad = (b: Uint8Array, k = 2) => decodeChunk(b, params, k);
    expect(bad(bytes.subarray(0, 10))).toMatchObject({ ok: false, code: "CHUNK_TRUNCATED" });
    expect(bad(Uint8Array.from(bytes).fill(0, 0, 4))).toMatchObject({ ok: false, code: "BAD_HEADER" });
    const flags = Uint8Array.from(bytes);
    flags[28] = 0x80;
    expect(bad(flags)).toMatchObject({ ok: false, code: "BAD_HEADER" });
    expect(decodeChunk(bytes, { ...params, ceremonyId: "00".repeat(32) }, 2)).toMatchObject({ ok: false, code: "WRONG_CEREMONY" });
    expect(decodeChunk(bytes, { ...params, chunkSize: 2 }, 2)).toMatchObject({ ok: false, code: "WRONG_PARAMS" });
    expect(bad(bytes, 1)).toMatchObject({ ok: false, code: "WRONG_CHUNK_INDEX" });
    expect(bad(bytes.subarray(0, bytes.length - 1))).toMatchObject({ ok: false, code: "CHUNK_TRUNCATED" });
    expect(bad(new Uint8Array([...bytes, 0]))).toMatchObject({ ok: false, code: "CHUNK_OVERLONG" });
    expect(HEADER_SIZE).toBe(128);
  });
});

describe("partial hashes", () => {
  it("a prefix state finishes like hashing prefix ‖ rest, and decodes back", () => {
    const prefix = crypto.getRandomValues(new Uint8Array(64));
    const rest = crypto.getRandomValues(new Uint8Array(1000));
    const state = partialHashOfPrefix(prefix);
    expect(Buffer.from(hasherFromPartialHash(state).update(rest).digest())).toEqual(Buffer.from(hash(prefix, rest)));
    expect(Buffer.from(prefixOfPartialHash(state) ?? [])).toEqual(Buffer.from(prefix));
  });
});
