// The git server under load, with the git CLI on a loopback port: clones share a cached pack that new commits extend,
// the work of a client that goes away stops, and upload-packs over the caps are refused with 503 GIT_BUSY.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGitServer, GitServerStats, type GitServerOptions } from "../../src/git-http/server.ts";
import { serveOnLoopback } from "../helpers/node-http.ts";
import { cloneRequest, runGit, type GitResult } from "./helpers.ts";

const COMMITS = 400;
/** Every BIG_EVERY-th commit adds a file of BIG_BYTES random bytes: a pack larger than loopback's socket buffers. */
const BIG_EVERY = 10;
const BIG_BYTES = 400_000;

let root: string;
let home: string;
let repoDir: string;
/** The server's branch tip now. */
let tipNow = "";
let clones = 0;

function git(args: string[], cwd = root, input?: Uint8Array): Promise<GitResult> {
  return runGit(home, args, { cwd, ...(input === undefined ? {} : { input }) });
}

/** COMMITS commits of sharded event files and a few large files, written at once by git fast-import. */
function history(): Buffer {
  const parts: Buffer[] = [];
  const data = (bytes: Buffer): void => {
    parts.push(Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from("\n"));
  };
  for (let i = 1; i <= COMMITS; i++) {
    parts.push(Buffer.from(`commit refs/heads/main\ncommitter ceremony <c@localhost> ${1_700_000_000 + i} +0000\n`));
    data(Buffer.from(`event ${i}\n`));
    parts.push(Buffer.from(`M 100644 inline events/${String(Math.floor(i / 100)).padStart(3, "0")}/${String(i).padStart(6, "0")}.json\n`));
    data(Buffer.from(`${JSON.stringify({ seq: i })}\n`));
    if (i % BIG_EVERY === 0) {
      parts.push(Buffer.from(`M 100644 inline artifacts/${i}.bin\n`));
      data(randomBytes(BIG_BYTES));
    }
    parts.push(Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

async function objectCount(range: string): Promise<number> {
  return (await git(["rev-list", "--objects", range], repoDir)).stdout.trim().split("\n").length;
}

interface TestServer {
  url: string;
  stats: GitServerStats;
}

/** Runs `test` against a git server of its own (on a loopback port), then closes it. */
async function withServer(options: Partial<GitServerOptions>, test: (server: TestServer) => Promise<void>): Promise<void> {
  const stats = new GitServerStats();
  const app = createGitServer({ repoDir, stats, log: () => undefined, ...options });
  const server = await serveOnLoopback((request) => app.fetch(request));
  try {
    await test({ url: `${server.url}/transcript.git`, stats });
  } finally {
    await server.close();
  }
}

/** Every upload-pack has ended, and nothing was encoded after that: fewer objects than the repository holds. */
async function expectWorkStopped(stats: GitServerStats): Promise<void> {
  await until(() => stats.activeUploadPacks === 0, "the upload-packs ended");
  const encoded = stats.objectsEncoded;
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(stats.objectsEncoded).toBe(encoded);
  expect(encoded).toBeLessThan(await objectCount("main"));
}

/** A clone with the CLI: fsck clean, at the server's tip. */
async function cloneAndCheck(url: string): Promise<string> {
  const dir = join(root, `clone-${++clones}`);
  await git(["clone", "-q", "--bare", url, dir]);
  await git(["fsck", "--full", "--strict"], dir);
  const head = (await git(["rev-parse", "HEAD"], dir)).stdout.trim();
  expect(head).toBe((await git(["rev-parse", "main"], repoDir)).stdout.trim());
  return dir;
}

interface Stalled {
  status: number;
  /** Closes the connection, as a client that gives up does. */
  leave(): void;
}

/** A clone's request whose client takes the first bytes of the answer and then reads no more. */
function stalledClone(url: string, headers: Record<string, string> = {}): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/git-upload-pack`, { method: "POST", headers: { "Content-Type": "application/x-git-upload-pack-request", ...headers } });
    req.on("error", reject); // after leave(), which destroys it, this settles nothing
    req.on("response", (res) => {
      res.once("data", () => {
        res.pause();
        resolve({ status: res.statusCode ?? 0, leave: () => req.destroy() });
      });
    });
    req.end(cloneRequest(tipNow));
  });
}

/** Polls until `condition` holds (10 s at the most). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Commits made by the git CLI on the server's repository (loose objects), as the writer adds them while serving. */
async function commitMore(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await mkdir(join(repoDir, "late"), { recursive: true });
    await writeFile(join(repoDir, "late", `${Date.now()}-${i}.json`), `${JSON.stringify({ late: i })}\n`);
    await git(["add", "-A"], repoDir);
    await git(["commit", "-q", "-m", `late ${i}`], repoDir);
  }
  tipNow = (await git(["rev-parse", "main"], repoDir)).stdout.trim();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-git-load-"));
  home = join(root, "home");
  await mkdir(home);
  repoDir = join(root, "transcript");
  await git(["init", "-q", "-b", "main", repoDir]);
  // Loose objects, as the transcript writer leaves them.
  await git(["fast-import", "--quiet"], repoDir, history());
  const packs = join(repoDir, ".git", "objects", "pack");
  for (const name of (await readdir(packs)).filter((n) => n.endsWith(".pack"))) {
    const bytes = await readFile(join(packs, name));
    await rm(join(packs, name));
    await rm(join(packs, name.replace(/\.pack$/, ".idx")));
    await git(["unpack-objects", "-q"], repoDir, bytes);
  }
  await git(["reset", "-q", "--hard"], repoDir);
  tipNow = (await git(["rev-parse", "main"], repoDir)).stdout.trim();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("git server under load: the pack cache", () => {
  it("builds a clone's pack once, serves later clones from it, and extends it with only the new objects", async () => {
    await withServer({}, async (server) => {
      const all = await objectCount("main");
      await cloneAndCheck(server.url);
      expect(server.stats).toMatchObject({ cacheBuilds: 1, objectsEncoded: all, packsPerRequest: 0 });

      await cloneAndCheck(server.url);
      expect(server.stats).toMatchObject({ cacheBuilds: 1, packsFromCache: 1, objectsEncoded: all });

      const before = tipNow;
      await commitMore(2);
      await cloneAndCheck(server.url);
      expect(server.stats).toMatchObject({ cacheBuilds: 1, cacheExtensions: 1, objectsEncoded: all + (await objectCount(`${before}..main`)) });

      // A clone that read the refs before those commits gets the newest pack, which holds its commit too.
      const response = await fetch(`${server.url}/git-upload-pack`, { method: "POST", headers: { "Content-Type": "application/x-git-upload-pack-request" }, body: cloneRequest(before, "") });
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(Buffer.from(bytes.subarray(0, 12)).toString("latin1")).toBe("0008NAK\nPACK");
      const check = join(root, "older-tip");
      await git(["init", "-q", "--bare", check]);
      await git(["index-pack", "--stdin", "--strict"], check, bytes.subarray(8));
      expect((await git(["cat-file", "-t", before], check)).stdout.trim()).toBe("commit");
      expect(server.stats).toMatchObject({ packsFromCache: 2, objectsEncoded: all + (await objectCount(`${before}..main`)) });
    });
  });

  it("gives concurrent clones one shared build, and every clone is whole", async () => {
    await withServer({}, async (server) => {
      const heads = await Promise.all(Array.from({ length: 6 }, () => cloneAndCheck(server.url)));
      expect(heads).toHaveLength(6);
      expect(server.stats).toMatchObject({ cacheBuilds: 1, objectsEncoded: await objectCount("main"), activeUploadPacks: 0 });
    });
  });
});

describe("git server under load: a client that goes away", () => {
  it("stops a cached pack's build when its only client leaves before the pack starts", async () => {
    await withServer({}, async (server) => {
      const stalled = await stalledClone(server.url); // the first bytes are the NAK; the build is under way
      stalled.leave();
      await expectWorkStopped(server.stats);
      expect(server.stats).toMatchObject({ cacheBuilds: 0, abandoned: 1 });
      await cloneAndCheck(server.url); // the next clone builds it afresh
      expect(server.stats.cacheBuilds).toBe(1);
    });
  });

  it("stops a pack made for one request when its client leaves mid-pack", async () => {
    await withServer({ packCacheBytes: 0 }, async (server) => {
      const stalled = await stalledClone(server.url);
      await until(() => server.stats.objectsEncoded > 0, "the pack started");
      stalled.leave();
      await expectWorkStopped(server.stats);
      expect(server.stats).toMatchObject({ packsPerRequest: 1, abandoned: 1 });
    });
  });
});

describe("git server under load: caps", () => {
  async function expectBusy(response: Response, retryAfter: string): Promise<void> {
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe(retryAfter);
    expect(await response.json()).toEqual({ error: { code: "GIT_BUSY", message: expect.any(String) } });
  }

  function post(url: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}/git-upload-pack`, { method: "POST", headers: { "Content-Type": "application/x-git-upload-pack-request", ...headers }, body: cloneRequest(tipNow) });
  }

  it("refuses an upload-pack over the global cap with 503, Retry-After and GIT_BUSY, and serves again once one ends", async () => {
    await withServer({ maxUploadPacks: 2, maxUploadPacksPerClient: 2, retryAfterSeconds: 7 }, async (server) => {
      await cloneAndCheck(server.url);
      const slow = [await stalledClone(server.url), await stalledClone(server.url)];
      expect(slow.map((s) => s.status)).toEqual([200, 200]);
      expect(server.stats.activeUploadPacks).toBe(2);
      await expectBusy(await post(server.url), "7");
      await expect(git(["clone", "-q", "--bare", server.url, join(root, "refused")])).rejects.toThrow(/503/);
      expect(server.stats.refusedBusy).toBe(2);
      for (const s of slow) s.leave();
      await until(() => server.stats.activeUploadPacks === 0, "the slow clones ended");
      await cloneAndCheck(server.url);
    });
  });

  it("refuses a client over its own cap while others are served", async () => {
    const clientAddress: GitServerOptions["clientAddress"] = (c) => c.req.header("x-test-client") ?? "";
    await withServer({ maxUploadPacks: 10, maxUploadPacksPerClient: 1, clientAddress }, async (server) => {
      await cloneAndCheck(server.url);
      const slow = await stalledClone(server.url, { "x-test-client": "a" });
      expect(slow.status).toBe(200);
      await expectBusy(await post(server.url, { "x-test-client": "a" }), "5");
      const other = await post(server.url, { "x-test-client": "b" });
      expect(other.status).toBe(200);
      await other.arrayBuffer();
      slow.leave();
      await until(() => server.stats.activeUploadPacks === 0, "the slow clone ended");
    });
  });
});
