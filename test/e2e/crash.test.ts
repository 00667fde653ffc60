// kill -9 the coordinator (the compiled binary) again and again while contributors upload and the transcript is
// committed; restart it each time. At the end: every acknowledged upload is in the transcript, the round completed,
// git fsck and verify-transcript pass, and the final .ptau verifies with snarkjs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";
import { snarkjsVerifies } from "../helpers/snarkjs.ts";

const KILLS = 12;
let dir: string;
let bin: string;
let port = 0;
let server: Running | null = null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const url = () => `http://127.0.0.1:${port}`;
const start = async (): Promise<void> => {
  server = await startServe(bin, dir, ["--preset", "test", "--data", join(dir, "data"), "--port", String(port), "--contributors-per-round", "3", "--power", "7", "--chunk-size", "8"]);
};

async function status(): Promise<{ phase: string; lastRound: number }> {
  for (;;) {
    try {
      return (await (await fetch(`${url()}/v1/status`)).json()) as { phase: string; lastRound: number };
    } catch {
      await sleep(200);
    }
  }
}

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
  dir = await mkdtemp(join(tmpdir(), "ceremony-crash-"));
  bin = await installBinary(dir);
  port = await freePort();
  await start();
}, 120_000);

afterAll(async () => {
  await kill(server);
  await rm(dir, { recursive: true, force: true });
});

describe("crash safety", () => {
  it(`survives ${KILLS} kill -9 of the coordinator with uploads and commits in flight`, async () => {
    const contributors = [1, 2, 3].map((i) =>
      runBinary(bin, dir, ["contribute", "--coordinator", url(), "--entropy", `c${i}`, "--poll-ms", "50", "--give-up-after-ms", "120000", "--receipt", join(dir, `receipt-${i}.json`)]),
    );
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
    const acknowledged = results.flatMap((r) => [...r.out.matchAll(/uploaded \d+ ms \(([0-9a-f]{16})…\)/g)].map((m) => m[1] as string));
    expect(acknowledged.length).toBeGreaterThanOrEqual(3 * 32);

    const fin = await runBinary(bin, dir, ["admin", "finalize", "--beacon", "ab".repeat(32), "--coordinator", url(), "--key", join(dir, "data", "admin.key")]).done;
    expect(fin.code, fin.out).toBe(0);
    await until("finalized", async () => (await status()).phase === "finalized");

    const final = join(dir, "final.ptau");
    await writeFile(final, new Uint8Array(await (await fetch(`${url()}/v1/ceremony/final.ptau`)).arrayBuffer()));
    const v = await snarkjsVerifies(final);
    expect(v.ok, v.output).toBe(true);

    const env = { PATH: process.env.PATH ?? "", HOME: dir, GIT_TERMINAL_PROMPT: "0" };
    execFileSync("git", ["clone", "-q", `${url()}/transcript.git`, "clone"], { cwd: dir, env });
    execFileSync("git", ["-C", "clone", "fsck", "--full"], { cwd: dir, env });
    const vt = await runBinary(bin, dir, ["verify-transcript", join(dir, "clone")]).done;
    expect(vt.code, vt.out).toBe(0);

    const recorded = await recordedHashes(join(dir, "clone", "events"));
    expect(acknowledged.filter((h) => !recorded.has(h))).toEqual([]);
    console.log(`crash test: ${KILLS} kill -9 (${duringUploads} while contributors were uploading), ${acknowledged.length} acknowledged uploads, all in the transcript; verify-transcript and snarkjs pass`);
  }, 600_000);
});
