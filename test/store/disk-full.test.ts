// A full disk in the store: an append that meets ENOSPC is rolled back (no torn line for the next start to repair)
// and refused with DiskFull while the log stays usable; an artifact that does not fit leaves no temp file. Tested on
// a real 4 MiB tmpfs where the machine allows mounting one, and always with ENOSPC injected part-way through a write.
import { open, readdir, readFile, stat, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ArtifactStore } from "../../src/store/artifact-store.ts";
import { DiskFull, EventLog } from "../../src/store/event-log.ts";
import { mountSmallFs, type SmallFs } from "../helpers/small-fs.ts";
import { useTempDirs } from "./temp-dirs.ts";

type Ev = { type: "Note"; text: string };
const note = (text: string): Ev => ({ type: "Note", text });
const T0 = new Date("2026-01-02T03:04:05.678Z");

async function reopened(path: string): Promise<{ texts: string[]; repaired: unknown }> {
  const { log, events, repaired } = await EventLog.open<Ev>(path);
  await log.close();
  return { texts: events.map((e) => e.event.text), repaired };
}

describe("a full disk, injected part-way through the write", () => {
  const tempDir = useTempDirs();
  afterEach(() => vi.restoreAllMocks());

  it("rolls the append back, refuses it with DiskFull, and keeps the log usable; the next start finds no torn tail", async () => {
    const path = join(await tempDir(), "events.jsonl");
    const { log } = await EventLog.open<Ev>(path);
    await log.append([note("kept")], 0, T0);
    const before = (await stat(path)).size;

    // The seam: FileHandle.write writes the first half of the bytes, then the next call fails with ENOSPC.
    const handle: FileHandle = await open(path, "r");
    const proto = Object.getPrototypeOf(handle) as { write: FileHandle["write"] };
    await handle.close();
    type Write = (bytes: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>;
    const real = proto.write as unknown as Write;
    let calls = 0;
    const failing: Write = function (this: FileHandle, bytes, offset, length, position) {
      calls++;
      if (calls === 1) return real.call(this, bytes, offset, Math.floor(length / 2), position);
      return Promise.reject(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }));
    };
    vi.spyOn(proto, "write").mockImplementation(failing as unknown as FileHandle["write"]);
    const refused = await log.append([note("x".repeat(5000)), note("y")], 1, T0).catch((e: unknown) => e);
    vi.restoreAllMocks();
    expect(calls).toBe(2);
    expect(refused).toBeInstanceOf(DiskFull);
    expect((refused as DiskFull).code).toBe("DISK_FULL");
    expect((await stat(path)).size).toBe(before);
    expect(log.lastSeq).toBe(1);

    await log.append([note("after")], 1, T0);
    await log.close();
    expect(await reopened(path)).toEqual({ texts: ["kept", "after"], repaired: null });
  });
});

describe("a full disk on a real small filesystem", () => {
  let fs: SmallFs | { skip: string };
  beforeAll(async () => {
    fs = await mountSmallFs(4);
    if ("skip" in fs) console.warn(`skipped: ${fs.skip}; the injected-fault test above covers the rollback`);
  });
  afterAll(async () => {
    if (!("skip" in fs)) await fs.unmount();
  });

  it("refuses an append and an artifact that do not fit, leaves nothing torn or temporary, and takes writes again once space returns", async (ctx) => {
    if ("skip" in fs) return ctx.skip();
    const path = join(fs.dir, "events.jsonl");
    const { log } = await EventLog.open<Ev>(path);
    await log.append([note("kept")], 0, T0);
    const store = new ArtifactStore(join(fs.dir, "artifacts"));
    const small = await store.put(new Uint8Array(1000).fill(1), { maxBytes: 1000 });
    await fs.fill();
    const before = await readFile(path);

    const refused = await log.append([note("z".repeat(64 * 1024))], 1, T0).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DiskFull);
    expect(await readFile(path)).toEqual(before);
    const big = new Uint8Array(256 * 1024).fill(7);
    const refusedPut = await store.put(big, { maxBytes: big.length }).catch((e: unknown) => e);
    expect(refusedPut).toBeInstanceOf(DiskFull);
    expect(await readdir(join(fs.dir, "artifacts", "tmp"))).toEqual([]);
    // Reads go on.
    expect((await store.get(small.hash)).length).toBe(1000);

    await fs.free();
    await log.append([note("after")], 1, T0);
    await store.put(big, { maxBytes: big.length });
    await log.close();
    expect(await reopened(path)).toEqual({ texts: ["kept", "after"], repaired: null });
  });
});
