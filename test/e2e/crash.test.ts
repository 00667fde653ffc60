// kill -9 the coordinator (the compiled binary) again and again while contributors upload and the transcript is
// committed; restart it each time. At the end: every acknowledged upload is in the transcript, the round completed,
// git fsck and verify-transcript pass, and the final .ptau verifies with snarkjs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cloneTranscript, contribute, finalize, finalPtauVerifies, status, verifyTranscript, type Ceremony } from "../helpers/actions.ts";
import { freePort, installBinary, kill, startServe, until, type Running } from "../helpers/binary.ts";

const KILLS = 12;
let c: Ceremony;
let port = 0;
let server: Running | null = null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The coordinator always restarts on the same port, so contributors find it again. */
const start = async (): Promise<void> => {
  server = await startServe(c.bin, c.dir, ["--preset", "test", "--data", join(c.dir, "data"), "--port", String(port), "--contributors-per-round", "3", "--power", "7", "--chunk-size", "8"]);
};

/** The 16-hex prefixes of every ContributionRecorded hash in a transcript clone's event files. */
async function recordedHashes(eventsDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else {
        const line = JSON.parse(await readFile(join(d, e.name), "utf8")) as { event: { type: string; hash?: string } };
        if (line.event.type === "ContributionRecorded" && line.event.hash) out.add(line.event.hash.slice(0, 16));
      }
    }
  };
  await walk(eventsDir);
  return out;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-crash-"));
  port = await freePort();
  c = { bin: await installBinary(dir), dir, url: `http://127.0.0.1:${port}` };
  await start();
}, 120_000);

afterAll(async () => {
  await kill(server);
  await rm(c.dir, { recursive: true, force: true });
});

describe("crash safety", () => {
  it(`survives ${KILLS} kill -9 of the coordinator with uploads and commits in flight`, async () => {
    const contributors = [1, 2, 3].map((i) => contribute(c, "--poll-ms", "50", "--timeout", "120", "--give-up-after-ms", "120000", "--receipt", join(c.dir, `receipt-${i}.json`)));
    let duringUploads = 0;
    for (let i = 0; i < KILLS; i++) {
      await sleep(200 + Math.floor(Math.random() * 500));
      if (contributors.some((c) => c.process.exitCode === null)) duringUploads++;
      await kill(server);
      await start();
    }
    expect(duringUploads).toBeGreaterThanOrEqual(KILLS / 2);
    const results = await Promise.all(contributors.map((c) => c.done));
    for (const r of results) expect(r.code, r.out).toBe(0);
    // Every contributor holds a receipt for each chunk; an upload whose answer died with the coordinator is recorded
    // but not acknowledged (the client follows the next instruction instead of resending), so at most one per kill
    // and contributor goes unacknowledged.
    for (const i of [1, 2, 3]) expect(JSON.parse(await readFile(join(c.dir, `receipt-${i}.json`), "utf8"))).toHaveLength(32);
    const acknowledged = results.flatMap((r) => [...r.out.matchAll(/uploaded \d+ ms \(([0-9a-f]{16})…\)/g)].map((m) => m[1] as string));
    expect(acknowledged.length).toBeGreaterThanOrEqual(3 * 32 - 3 * KILLS);

    const fin = await finalize(c, join(c.dir, "data", "admin.key"), "ab".repeat(32));
    expect(fin.code, fin.out).toBe(0);
    await until("finalized", async () => (await status(c)).phase === "finalized");

    const v = await finalPtauVerifies(c);
    expect(v.ok, v.output).toBe(true);

    const clone = cloneTranscript(c, "clone");
    const vt = await verifyTranscript(c, clone);
    expect(vt.code, vt.out).toBe(0);

    const recorded = await recordedHashes(join(clone, "events"));
    expect(acknowledged.filter((h) => !recorded.has(h))).toEqual([]);
    console.log(`crash test: ${KILLS} kill -9 (${duringUploads} while contributors were uploading), ${acknowledged.length} acknowledged uploads, all in the transcript; verify-transcript and snarkjs pass`);
  }, 600_000);
});
