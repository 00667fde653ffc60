// The transcript served read-only over HTTP, checked with real clients on a loopback port: the git CLI (smart HTTP
// with protocol v2 requested, v1 and v0; and dumb HTTP) and isomorphic-git clone, fetch and pull, while the writer
// commits; pushes and other services refused. Git runs asynchronously: the server lives in this same process.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";
import { createGitServer } from "../../src/git-http/server.ts";
import { MAX_UPLOAD_PACK_REQUEST } from "../../src/git-http/http.ts";
import { eventPath } from "../../src/transcript/layout.ts";
import { serveOnLoopback, type NodeHttpServer } from "../helpers/node-http.ts";
import { pkt, runGit, type GitResult } from "./helpers.ts";

const execFileAsync = promisify(execFile);
const author = { name: "ceremony", email: "ceremony@localhost" };

let root: string;
let home: string;
let repoDir: string;
let server: NodeHttpServer;
let url: string;
/** What the server's branch holds now, path → bytes. */
const files = new Map<string, Uint8Array>();
/** Every commit on the server's branch, newest first (the tip first). */
const history: string[] = [];
/** The requests the server saw. */
const seen: { method: string; path: string; gitProtocol: string | null; encoding: string | null }[] = [];
let app: ReturnType<typeof createGitServer>;

async function commit(message: string, changes: Record<string, Uint8Array | string | null>): Promise<string> {
  for (const [path, content] of Object.entries(changes)) {
    if (content === null) {
      await rm(join(repoDir, path));
      await git.remove({ fs, dir: repoDir, filepath: path });
      files.delete(path);
      continue;
    }
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    await mkdir(dirname(join(repoDir, path)), { recursive: true });
    await writeFile(join(repoDir, path), bytes);
    files.set(path, bytes);
  }
  const added = Object.entries(changes).filter(([, content]) => content !== null).map(([path]) => path);
  if (added.length > 0) await git.add({ fs, dir: repoDir, filepath: added });
  const oid = await git.commit({ fs, dir: repoDir, message, author });
  history.unshift(oid);
  return oid;
}

function eventFile(seq: number): [string, string] {
  return [eventPath(seq), `${JSON.stringify({ seq, time: 1_700_000_000_000 + seq, event: { type: "ParticipantQueued", n: seq } })}\n`];
}

function artifact(bytes: Uint8Array): [string, Uint8Array] {
  const hash = randomBytes(64).toString("hex");
  return [`artifacts/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}.chunk`, bytes];
}

/** The git CLI with a clean HOME and no prompts, in `root` unless told; rejects with stderr on failure. */
function gitCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<GitResult> {
  return runGit(home, args, { cwd: options.cwd ?? root, ...(options.env === undefined ? {} : { env: options.env }) });
}

async function gitCliFails(args: string[], cwd?: string): Promise<string> {
  const outcome = await gitCli(args, cwd === undefined ? {} : { cwd }).then(
    () => null,
    (error: Error) => error.message,
  );
  if (outcome === null) throw new Error(`git ${args.join(" ")} succeeded`);
  return outcome;
}

async function worktreeFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (entry.name === ".git") continue;
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.set(relative(dir, path).split("\\").join("/"), new Uint8Array(await readFile(path)));
    }
  };
  await walk(dir);
  return out;
}

async function expectSameFiles(dir: string): Promise<void> {
  const cloned = await worktreeFiles(dir);
  expect([...cloned.keys()].sort()).toEqual([...files.keys()].sort());
  for (const [path, bytes] of files) expect(Buffer.compare(Buffer.from(cloned.get(path) ?? []), Buffer.from(bytes)), path).toBe(0);
}

/** A clone made with the CLI: fsck clean, on main, at the server's tip with its whole history. */
async function expectGoodClone(dir: string): Promise<void> {
  await gitCli(["fsck", "--full", "--strict"], { cwd: dir });
  expect((await gitCli(["symbolic-ref", "HEAD"], { cwd: dir })).stdout.trim()).toBe("refs/heads/main");
  const serverLog = await gitCli(["log", "--format=%H %P", "main"], { cwd: repoDir });
  expect((await gitCli(["log", "--format=%H %P"], { cwd: dir })).stdout).toBe(serverLog.stdout);
  expect(serverLog.stdout.trim().split("\n").length).toBe(history.length);
  await expectSameFiles(dir);
}

async function freshDir(name: string): Promise<string> {
  return mkdtemp(join(root, `${name}-`));
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-git-server-"));
  home = join(root, "home");
  await mkdir(home);
  repoDir = join(root, "transcript");
  await git.init({ fs, dir: repoDir, defaultBranch: "main" });

  await commit("ceremony initialized", {
    "README.md": "# Ceremony transcript\n",
    "ceremony.json": '{"format":"ceremony-transcript/1","ceremonyId":"test","curve":"bn128","power":4}\n',
    "empty.txt": "",
  });
  // A few hundred small files across sharded folders (events/000000/000 and /001).
  const events = Object.fromEntries(Array.from({ length: 300 }, (_, i) => eventFile(1 + i * 4)));
  await commit("300 events", events);
  await commit("three chunk files", Object.fromEntries([artifact(randomBytes(100_000)), artifact(randomBytes(100_000)), artifact(new Uint8Array(100_000))]));
  await commit("more events, a duplicate blob, an edit and a removal", {
    ...Object.fromEntries([eventFile(2), eventFile(3)]),
    "copy-of-readme.md": "# Ceremony transcript\n",
    "README.md": "# Ceremony transcript\n\nEdited.\n",
    [eventPath(5)]: null,
  });
  // A merge: a commit made on an older parent, then merged, so some commits have two parents.
  await writeFile(join(repoDir, "side.txt"), "side\n");
  await git.add({ fs, dir: repoDir, filepath: "side.txt" });
  files.set("side.txt", new TextEncoder().encode("side\n"));
  const side = await git.commit({ fs, dir: repoDir, message: "side", author, parent: [history[2] ?? ""], noUpdateBranch: true });
  history.unshift(side);
  history.unshift(await git.commit({ fs, dir: repoDir, message: "merge side", author, parent: [history[1] ?? "", side] }));

  app = createGitServer({ repoDir });
  server = await serveOnLoopback(async (request) => {
    const { pathname } = new URL(request.url);
    seen.push({ method: request.method, path: pathname, gitProtocol: request.headers.get("git-protocol"), encoding: request.headers.get("content-encoding") });
    return app.fetch(request);
  });
  url = `${server.url}/transcript.git`;
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe("git server: the git CLI", () => {
  it("clones over smart HTTP; a client asking for protocol v2 gets v0 and falls back", async () => {
    seen.length = 0;
    const dir = join(await freshDir("cli"), "clone");
    await gitCli(["clone", "-q", url, dir]);
    await expectGoodClone(dir);
    expect(seen.find((r) => r.path.endsWith("/info/refs"))?.gitProtocol).toBe("version=2");
    expect(seen.some((r) => r.method === "POST" && r.path === "/transcript.git/git-upload-pack")).toBe(true);
  });

  it.each(["0", "1"])("clones with protocol.version=%s", async (version) => {
    seen.length = 0;
    const dir = join(await freshDir(`cli-v${version}`), "clone");
    await gitCli(["-c", `protocol.version=${version}`, "clone", "-q", url, dir]);
    await expectGoodClone(dir);
    expect(seen.find((r) => r.path.endsWith("/info/refs"))?.gitProtocol).toBe(version === "0" ? null : `version=${version}`);
  });

  it("fetches and pulls later commits, sending only what is new", async () => {
    const dir = join(await freshDir("pull"), "clone");
    await gitCli(["clone", "-q", url, dir]);
    const up = await gitCli(["fetch", "--progress"], { cwd: dir });
    expect(up.stderr).not.toContain("Enumerating");

    await commit("round 1 aggregated", Object.fromEntries([eventFile(1201), eventFile(1202), artifact(randomBytes(100_000))]));
    await commit("round 2 started", Object.fromEntries([eventFile(1203)]));
    const fetched = await gitCli(["fetch", "--progress"], { cwd: dir });
    // Two commits, each with its root, events/, events/000000/, events/000000/001/ and new files (plus artifacts/…),
    // the big trees as deltas on the versions the client has (a thin pack).
    const counted = Number(/Enumerating objects: (\d+)/.exec(fetched.stderr)?.[1]);
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(20);
    expect(Number(/Total \d+ \(delta (\d+)\)/.exec(fetched.stderr)?.[1])).toBeGreaterThan(0);
    await gitCli(["pull", "-q", "--ff-only"], { cwd: dir });
    await expectGoodClone(dir);
  });

  it("fetches into a clone with local commits the server does not have (a gzipped negotiation)", async () => {
    const dir = join(await freshDir("local"), "clone");
    await gitCli(["clone", "-q", url, dir]);
    // Enough that a round of haves passes 1 KiB, which git sends gzipped.
    await writeFile(join(dir, "local.txt"), "local\n");
    await gitCli(["add", "."], { cwd: dir });
    for (let i = 0; i < 80; i++) await gitCli(["commit", "-q", "--allow-empty", "-m", `local ${i}`], { cwd: dir });
    seen.length = 0;
    await commit("round 2 chunk 0 contributed", Object.fromEntries([eventFile(1204)]));
    await gitCli(["fetch", "-q"], { cwd: dir });
    expect((await gitCli(["rev-parse", "origin/main"], { cwd: dir })).stdout.trim()).toBe(history[0]);
    await gitCli(["fsck", "--full"], { cwd: dir });
    expect(seen.some((r) => r.method === "POST" && r.encoding === "gzip")).toBe(true);
  });

  it("clones over dumb HTTP too", async () => {
    const dir = join(await freshDir("dumb"), "clone");
    await gitCli(["clone", "-q", url, dir], { env: { GIT_SMART_HTTP: "0" } });
    await expectGoodClone(dir);
  });

  it("gives every clone a consistent snapshot while the writer commits", async () => {
    const writer = (async () => {
      for (let i = 0; i < 12; i++) await commit(`concurrent ${i}`, Object.fromEntries([eventFile(2000 + i), artifact(randomBytes(20_000))]));
    })();
    const clones = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const dir = join(await freshDir(`race-${i}`), "clone");
        await gitCli(["clone", "-q", url, dir]);
        await gitCli(["fsck", "--full", "--strict"], { cwd: dir });
        return (await gitCli(["rev-parse", "HEAD"], { cwd: dir })).stdout.trim();
      }),
    );
    await writer;
    for (const head of clones) expect(history).toContain(head);
  });

  it("refuses pushes", async () => {
    const dir = join(await freshDir("push"), "clone");
    await gitCli(["clone", "-q", url, dir]);
    await writeFile(join(dir, "forged.txt"), "forged\n");
    await gitCli(["add", "."], { cwd: dir });
    await gitCli(["commit", "-q", "-m", "forged"], { cwd: dir });
    expect(await gitCliFails(["push", "origin", "main"], dir)).toMatch(/403/);
    expect((await git.resolveRef({ fs, dir: repoDir, ref: "main" }))).toBe(history[0]);
  });
});

describe("git server: isomorphic-git", () => {
  it("clones, then fetches later commits", async () => {
    const dir = join(await freshDir("iso"), "clone");
    await git.clone({ fs, http, dir, url });
    await expectSameFiles(dir);
    expect((await git.log({ fs, dir })).map((c) => c.oid)).toEqual((await git.log({ fs, dir: repoDir })).map((c) => c.oid));

    const [path, bytes] = artifact(randomBytes(100_000));
    const tip = await commit("round 2 chunk 1 contributed", Object.fromEntries([eventFile(1205), [path, bytes]]));
    const fetched = await git.fetch({ fs, http, dir, url });
    expect(fetched.fetchHead).toBe(tip);
    const { blob } = await git.readBlob({ fs, dir, oid: tip, filepath: path });
    expect(Buffer.compare(Buffer.from(blob), Buffer.from(bytes))).toBe(0);
    await git.pull({ fs, http, dir, url, author, fastForwardOnly: true });
    await expectSameFiles(dir);
  });
});

describe("git server: a repository restored from a clone", () => {
  it("serves objects that isomorphic-git stored in a pack, over smart and dumb HTTP", async () => {
    const restored = join(await freshDir("restored"), "transcript");
    await git.clone({ fs, http, dir: restored, url, singleBranch: true, ref: "main" });
    expect((await readdir(join(restored, ".git", "objects", "pack"))).some((name) => name.endsWith(".pack"))).toBe(true);
    const restoredApp = createGitServer({ repoDir: restored });
    const restoredServer = await serveOnLoopback((request) => restoredApp.fetch(request));
    try {
      const smartThenDumb: Record<string, string>[] = [{}, { GIT_SMART_HTTP: "0" }];
      for (const env of smartThenDumb) {
        const dir = join(await freshDir("from-restored"), "clone");
        await gitCli(["clone", "-q", `${restoredServer.url}/transcript.git`, dir], { env });
        await expectGoodClone(dir);
      }
    } finally {
      await restoredServer.close();
    }
  });
});

describe("git server: protocol edges", () => {
  async function uploadPack(body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
    return app.request("/transcript.git/git-upload-pack", {
      method: "POST",
      headers: { "Content-Type": "application/x-git-upload-pack-request", ...headers },
      body,
    });
  }

  it("answers a gzipped request without side-band with NAK and a pack git accepts", async () => {
    const tip = history[0] ?? "";
    const response = await uploadPack(gzipSync(`${pkt(`want ${tip} agent=test\n`)}0000${pkt("done\n")}`), { "Content-Encoding": "gzip" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-git-upload-pack-result");
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 12).toString("latin1")).toBe("0008NAK\nPACK");
    const check = join(await freshDir("index-pack"), "repo");
    await gitCli(["init", "-q", check]);
    const indexed = execFileAsync("git", ["index-pack", "--stdin", "--strict"], { cwd: check, env: { PATH: process.env.PATH ?? "", HOME: home } });
    indexed.child.stdin?.end(bytes.subarray(8));
    expect((await indexed).stdout.trim()).toMatch(/^pack\s+[0-9a-f]{40}$/);
  });

  it("negotiates as git's upload-pack does in stateless mode", async () => {
    const [tip, older] = [history[0] ?? "", history[1] ?? ""];
    const unknown = "2".repeat(40);
    const request = (caps: string, haves: string[], done: boolean): Uint8Array =>
      new TextEncoder().encode(`${pkt(`want ${tip}${caps}\n`)}0000${haves.map((h) => pkt(`have ${h}\n`)).join("")}${done ? pkt("done\n") : "0000"}`);

    // multi_ack_detailed: "ACK common" for each have the server knows, "NAK" to end a round, "ACK" once done.
    const round = await uploadPack(request(" multi_ack_detailed side-band-64k", [unknown, older], false));
    expect(await round.text()).toBe(pkt(`ACK ${older} common\n`) + pkt("NAK\n"));
    const final = Buffer.from(await (await uploadPack(request(" multi_ack_detailed side-band-64k no-progress", [unknown, older], true))).arrayBuffer());
    const acks = pkt(`ACK ${older} common\n`) + pkt(`ACK ${older}\n`);
    expect(final.subarray(0, acks.length + 9).toString("latin1")).toMatch(new RegExp(`^${acks}[0-9a-f]{4}\x01PACK$`));
    expect(final.subarray(-4).toString("latin1")).toBe("0000");

    // Without multi_ack: one "ACK" for the first common have, then the pack, here without side-band.
    const plain = Buffer.from(await (await uploadPack(request("", [older, tip], true))).arrayBuffer());
    const ack = pkt(`ACK ${older}\n`);
    expect(plain.subarray(0, ack.length + 4).toString("latin1")).toBe(`${ack}PACK`);
  });

  it("refuses wants outside the branch with an ERR line", async () => {
    const response = await uploadPack(new TextEncoder().encode(`${pkt(`want ${"1".repeat(40)}\n`)}0000${pkt("done\n")}`));
    expect(await response.text()).toBe(pkt(`ERR upload-pack: not our ref ${"1".repeat(40)}\n`));
  });

  it("rejects malformed and oversized requests", async () => {
    expect((await uploadPack(new TextEncoder().encode("zzzz"))).status).toBe(400);
    expect((await uploadPack(new TextEncoder().encode(`${pkt("shallow 1234\n")}0000`))).status).toBe(400);
    expect((await uploadPack(new Uint8Array(MAX_UPLOAD_PACK_REQUEST + 1))).status).toBe(413);
    const bomb = gzipSync(new Uint8Array(16 * MAX_UPLOAD_PACK_REQUEST));
    expect((await uploadPack(bomb, { "Content-Encoding": "gzip" })).status).toBe(413);
    expect((await uploadPack(new Uint8Array(10), { "Content-Encoding": "gzip" })).status).toBe(400);
    const wrongType = await app.request("/transcript.git/git-upload-pack", { method: "POST", body: "0000" });
    expect(wrongType.status).toBe(415);
  });

  it("refuses receive-pack and unknown services with JSON errors", async () => {
    const advertise = await app.request("/transcript.git/info/refs?service=git-receive-pack");
    expect(advertise.status).toBe(403);
    expect(await advertise.json()).toEqual({ error: { code: "READ_ONLY", message: expect.any(String) } });
    const post = await app.request("/transcript.git/git-receive-pack", { method: "POST", headers: { "Content-Type": "application/x-git-receive-pack-request" }, body: "0000" });
    expect(post.status).toBe(403);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe("READ_ONLY");
    expect((await app.request("/transcript.git/info/refs?service=git-upload-archive")).status).toBe(403);
  });

  it("answers 404 to unknown paths and to anything that tries to leave the objects folder", async () => {
    // URLs normalise "%2e%2e" segments: this one leaves the prefix and is the enclosing app's 404.
    expect((await app.request("/transcript.git/objects/%2e%2e/%2e%2e/config")).status).toBe(404);
    for (const path of [
      "/transcript.git",
      "/transcript.git/config",
      "/transcript.git/objects/info/alternates",
      "/transcript.git/objects/ab/..%2F..%2Fconfig",
      "/transcript.git/objects/%2e%2e/config",
      "/transcript.git/objects/ab/%2e%2e%2fconfig",
      "/transcript.git/objects/pack/pack-..%2F..%2Fconfig",
      "/transcript.git/..%2F.git%2Fconfig",
      `/transcript.git/objects/${"0".repeat(2)}/${"0".repeat(38)}`,
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code, path).toBe("NOT_FOUND");
    }
    const traversal = await fetch(`${server.url}/transcript.git/objects/../../../etc/passwd`);
    expect(traversal.status).toBe(404);
  });

  it("advertises HEAD and main with their capabilities", async () => {
    const response = await app.request("/transcript.git/info/refs?service=git-upload-pack");
    expect(response.headers.get("content-type")).toBe("application/x-git-upload-pack-advertisement");
    const text = await response.text();
    expect(text.startsWith(`${pkt("# service=git-upload-pack\n")}0000`)).toBe(true);
    expect(text).toContain(`${history[0]} HEAD\0`);
    expect(text).toContain("symref=HEAD:refs/heads/main");
    expect(text).toContain(`${history[0]} refs/heads/main\n`);
    expect(text.endsWith("0000")).toBe(true);
  });

  it("serves an empty repository", async () => {
    const emptyDir = join(await freshDir("empty"), "transcript");
    await git.init({ fs, dir: emptyDir, defaultBranch: "main" });
    const emptyApp = createGitServer({ repoDir: emptyDir, prefix: "/empty.git" });
    const text = await (await emptyApp.request("/empty.git/info/refs?service=git-upload-pack")).text();
    expect(text).toContain(`${"0".repeat(40)} capabilities^{}\0`);
    const emptyServer = await serveOnLoopback((request) => emptyApp.fetch(request));
    try {
      const dir = join(await freshDir("empty-clone"), "clone");
      const cloned = await gitCli(["clone", `${emptyServer.url}/empty.git`, dir]);
      expect(cloned.stderr).toContain("empty repository");
    } finally {
      await emptyServer.close();
    }
  });
});
