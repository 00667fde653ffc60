// kill -9 the coordinator (the compiled binary) again and again while contributors upload and the transcript is
// committed; restart it each time. At the end: every acknowledged upload is in the transcript, the round completed,
// git fsck and verify-transcript pass, and the final .ptau verifies with snarkjs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { snarkjsVerifies } from "../helpers/snarkjs.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const KILLS = 8;
let dir: string;
let bin: string;
let port = 0;
let server: ChildProcess | null = null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

function start(): Promise<void> {
  server = spawn(bin, ["serve", "--preset", "test", "--data", join(dir, "data"), "--port", String(port), "--contributors-per-round", "3"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 30_000);
    server?.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    server?.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  });
}

async function kill9(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server?.on("exit", r));
  server.kill("SIGKILL");
  await exited;
}

function participant(args: string[]): { done: Promise<{ code: number | null; out: string }> } {
  const p = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  return { done: new Promise((resolve) => p.on("exit", (code) => resolve({ code, out }))) };
}

const url = () => `http://127.0.0.1:${port}`;

async function status(): Promise<{ phase: string; lastRound: number }> {
  for (;;) {
    try {
      return (await (await fetch(`${url()}/v1/status`)).json()) as { phase: string; lastRound: number };
    } catch {
      await sleep(200);
    }
  }
}

beforeAll(async () => {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "ignore" });
  dir = await mkdtemp(join(tmpdir(), "ceremony-crash-"));
  bin = join(dir, "ceremony");
  await copyFile(join(root, "dist", "ceremony"), bin);
  execFileSync("chmod", ["+x", bin]);
  port = await freePort();
  await start();
}, 120_000);

afterAll(async () => {
  await kill9();
  await rm(dir, { recursive: true, force: true });
});

describe("crash safety", () => {
  it(`survives ${KILLS} kill -9 of the coordinator with uploads and commits in flight`, async () => {
    const contributors = [1, 2, 3].map((i) =>
      participant(["contribute", "--coordinator", url(), "--entropy", `c${i}`, "--poll-ms", "50", "--give-up-after-ms", "120000", "--receipt", join(dir, `receipt-${i}.json`)]),
    );
    let kills = 0;
    for (let i = 0; i < KILLS; i++) {
      await sleep(300 + Math.floor(Math.random() * 900));
      await kill9();
      kills++;
      await start();
    }
    const results = await Promise.all(contributors.map((c) => c.done));
    for (const r of results) expect(r.code, r.out).toBe(0);
    const acknowledged = results.flatMap((r) => [...r.out.matchAll(/uploaded \d+ ms \(([0-9a-f]{16})…\)/g)].map((m) => m[1] as string));
    expect(acknowledged.length).toBeGreaterThanOrEqual(3 * 4);

    const admin = join(dir, "data", "admin.key");
    const fin = await participant(["admin", "finalize", "--beacon", "ab".repeat(32), "--coordinator", url(), "--key", admin]).done;
    expect(fin.code, fin.out).toBe(0);
    for (let t = 0; t < 600 && (await status()).phase !== "finalized"; t++) await sleep(200);
    expect((await status()).phase).toBe("finalized");

    const final = join(dir, "final.ptau");
    await writeFile(final, new Uint8Array(await (await fetch(`${url()}/v1/ceremony/final.ptau`)).arrayBuffer()));
    const v = await snarkjsVerifies(final);
    expect(v.ok, v.output).toBe(true);

    const env = { PATH: process.env.PATH ?? "", HOME: dir, GIT_TERMINAL_PROMPT: "0" };
    execFileSync("git", ["clone", "-q", `${url()}/transcript.git`, "clone"], { cwd: dir, env });
    execFileSync("git", ["-C", "clone", "fsck", "--full"], { cwd: dir, env });
    const vt = await participant(["verify-transcript", join(dir, "clone")]).done;
    expect(vt.code, vt.out).toBe(0);

    // Every acknowledged upload is recorded in the transcript's events.
    const recorded = new Set<string>();
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else {
          const line = JSON.parse(await readFile(join(d, e.name), "utf8")) as { event: { type: string; hash?: string } };
          if (line.event.type === "ContributionRecorded" && line.event.hash) recorded.add(line.event.hash.slice(0, 16));
        }
      }
    };
    await walk(join(dir, "clone", "events"));
    const lost = acknowledged.filter((h) => !recorded.has(h));
    expect(lost).toEqual([]);
    console.log(`crash test: ${kills} kill -9, ${acknowledged.length} acknowledged uploads, all in the transcript; verify-transcript and snarkjs pass`);
  }, 600_000);
});
