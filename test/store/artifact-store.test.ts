import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ArtifactStore } from "../../src/store/artifact-store.ts";
import { readAll, useTempDirs } from "./temp-dirs.ts";

/** Byte equality without vitest's element-by-element diffing, which is slow on large arrays. */
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
const blake2b = (bytes: Uint8Array) => createHash("blake2b512").update(bytes).digest("hex");

/** A web stream handing out `bytes` in pieces of 1 to 97 bytes. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const n = 1 + (at % 97);
      controller.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe("ArtifactStore", () => {
  const tempDir = useTempDirs();
  const newStore = async () => new ArtifactStore(join(await tempDir(), "artifacts"));

  it("stores bytes under their blake2b-512 and hands them back by get, has and open", async () => {
    const store = await newStore();
    const bytes = randomBytes(200_000);
    const hash = blake2b(bytes);
    expect(await store.has(hash)).toBe(false);

    expect(await store.put(bytes, { maxBytes: 1 << 20 })).toEqual({ hash, size: bytes.length });
    expect(store.path(hash)).toBe(join(store.dir, hash.slice(0, 2), hash));
    expect(await store.has(hash)).toBe(true);
    expect(sameBytes(await store.get(hash), bytes)).toBe(true);
    const opened = await store.open(hash);
    expect(opened?.size).toBe(bytes.length);
    expect(sameBytes(await readAll(opened!.stream), bytes)).toBe(true);
    expect(await filesUnder(store.dir)).toEqual([join(hash.slice(0, 2), hash)]);
  });

  it("accepts the same artifact twice", async () => {
    const store = await newStore();
    const bytes = randomBytes(1000);
    const first = await store.put(bytes, { maxBytes: 1000, exactBytes: 1000 });
    expect(await store.put(streamOf(bytes), { maxBytes: 1000 })).toEqual(first);
    expect(await filesUnder(store.dir)).toHaveLength(1);
  });

  it("streams a body of many small pieces, from a web stream or an async iterable", async () => {
    const store = await newStore();
    const bytes = randomBytes(100_003);
    const fromStream = await store.put(streamOf(bytes), { maxBytes: 1 << 20, exactBytes: bytes.length });
    expect(fromStream).toEqual({ hash: blake2b(bytes), size: bytes.length });

    async function* pieces() {
      for (let at = 0; at < bytes.length; at += 1000) yield bytes.subarray(at, at + 1000);
    }
    expect(await store.put(pieces(), { maxBytes: 1 << 20 })).toEqual(fromStream);
    expect(sameBytes(await store.get(fromStream.hash), bytes)).toBe(true);
  });

  it("stores the empty artifact", async () => {
    const store = await newStore();
    const empty = new Uint8Array(0);
    expect(await store.put(empty, { maxBytes: 0 })).toEqual({ hash: blake2b(empty), size: 0 });
    expect(await store.get(blake2b(empty))).toEqual(empty);
  });

  it("refuses a too-large upload as soon as it passes the limit, cancels the body and leaves no file", async () => {
    const store = await newStore();
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(100).fill(7));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(store.put(endless, { maxBytes: 1050 })).rejects.toMatchObject({
      name: "ArtifactTooLarge",
      code: "ARTIFACT_TOO_LARGE",
    });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(20);
    expect(await filesUnder(store.dir)).toEqual([]);
    expect(await readdir(store.dir)).toEqual(["tmp"]);
  });

  it("refuses an upload of the wrong size when exactBytes is given", async () => {
    const store = await newStore();
    const bytes = randomBytes(500);
    await expect(store.put(streamOf(bytes), { maxBytes: 1000, exactBytes: 501 })).rejects.toMatchObject({
      name: "ArtifactIncomplete",
      code: "ARTIFACT_INCOMPLETE",
    });
    await expect(store.put(streamOf(bytes), { maxBytes: 1000, exactBytes: 499 })).rejects.toMatchObject({
      code: "ARTIFACT_TOO_LARGE",
    });
    await expect(store.put(bytes, { maxBytes: 499 })).rejects.toMatchObject({ code: "ARTIFACT_TOO_LARGE" });
    expect(await filesUnder(store.dir)).toEqual([]);
    expect(await store.put(bytes, { maxBytes: 1000, exactBytes: 500 })).toMatchObject({ size: 500 });
  });

  it("refuses nonsensical limits", async () => {
    const store = await newStore();
    const bytes = new Uint8Array(1);
    await expect(store.put(bytes, { maxBytes: -1 })).rejects.toThrow(RangeError);
    await expect(store.put(bytes, { maxBytes: 1.5 })).rejects.toThrow(RangeError);
    await expect(store.put(bytes, { maxBytes: 10, exactBytes: 11 })).rejects.toThrow(RangeError);
  });

  it("removes the temp file when the body fails or yields something that is not bytes", async () => {
    const store = await newStore();
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(10));
        controller.error(new Error("connection reset"));
      },
    });
    await expect(store.put(failing, { maxBytes: 100 })).rejects.toThrow("connection reset");
    async function* strings() {
      yield new Uint8Array(3);
      yield "text" as unknown as Uint8Array;
    }
    await expect(store.put(strings(), { maxBytes: 100 })).rejects.toThrow(TypeError);
    expect(await filesUnder(store.dir)).toEqual([]);
  });

  it("detects an artifact tampered with on disk, in get and at the end of open's stream", async () => {
    const store = await newStore();
    const bytes = randomBytes(300_000);
    const { hash } = await store.put(bytes, { maxBytes: bytes.length });
    const onDisk = await readFile(store.path(hash));
    onDisk[123_456] = (onDisk[123_456] ?? 0) ^ 0x80;
    await writeFile(store.path(hash), onDisk);

    await expect(store.get(hash)).rejects.toMatchObject({ name: "ArtifactCorrupt", code: "ARTIFACT_CORRUPT" });
    const opened = await store.open(hash);
    await expect(readAll(opened!.stream)).rejects.toMatchObject({ code: "ARTIFACT_CORRUPT" });

    await writeFile(store.path(hash), bytes.subarray(0, 1000)); // truncated
    await expect(store.get(hash)).rejects.toMatchObject({ code: "ARTIFACT_CORRUPT" });

    // Uploading the genuine bytes again repairs the stored copy.
    await store.put(bytes, { maxBytes: bytes.length });
    expect(sameBytes(await store.get(hash), bytes)).toBe(true);
  });

  it("reports a missing artifact: has false, open null, get ARTIFACT_NOT_FOUND", async () => {
    const store = await newStore();
    const hash = blake2b(new Uint8Array([1, 2, 3]));
    expect(await store.has(hash)).toBe(false);
    expect(await store.open(hash)).toBeNull();
    await expect(store.get(hash)).rejects.toMatchObject({ code: "ARTIFACT_NOT_FOUND" });
  });

  it("lets a reader cancel open's stream part-way", async () => {
    const store = await newStore();
    const { hash } = await store.put(randomBytes(500_000), { maxBytes: 1 << 20 });
    const opened = await store.open(hash);
    const reader = opened!.stream.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel();
  });

  it("refuses invalid hash strings everywhere, so no path can escape the store", async () => {
    const store = await newStore();
    const valid = blake2b(new Uint8Array(0));
    const invalid = [
      "",
      "../../etc/passwd",
      `../${valid.slice(3)}`,
      valid.toUpperCase(),
      valid.slice(1),
      `${valid}0`,
      `${valid.slice(0, 127)}g`,
      `${valid.slice(0, 64)}/${valid.slice(65)}`,
      `${valid}\n`,
    ];
    for (const hash of invalid) {
      expect(() => store.path(hash)).toThrow(expect.objectContaining({ code: "INVALID_HASH" }));
      await expect(store.has(hash)).rejects.toMatchObject({ code: "INVALID_HASH" });
      await expect(store.get(hash)).rejects.toMatchObject({ code: "INVALID_HASH" });
      await expect(store.open(hash)).rejects.toMatchObject({ code: "INVALID_HASH" });
    }
  });
});
