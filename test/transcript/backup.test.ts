// Backups against a real git HTTP server (git http-backend on loopback): pushes land, failures are recorded
// without throwing, and the cron schedule pushes new commits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import git from "isomorphic-git";
import { TranscriptBackup } from "../../src/transcript/backup.ts";
import { startGitHttpBackend, type GitHttpServer } from "../helpers/git-http-backend.ts";

let root: string;
let local: string;
let server: GitHttpServer;
const author = { name: "ceremony", email: "ceremony@localhost" };

async function commit(n: number): Promise<string> {
  await writeFile(join(local, `f${n}.txt`), `file ${n}\n`);
  await git.add({ fs, dir: local, filepath: `f${n}.txt` });
  return git.commit({ fs, dir: local, message: `commit ${n}`, author });
}

function remoteHead(): string {
  return execFileSync("git", ["--git-dir", join(root, "backup.git"), "rev-parse", "main"], { env: { ...process.env, HOME: root } }).toString().trim();
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "ceremony-backup-"));
  execFileSync("git", ["init", "-q", "--bare", "-b", "main", join(root, "backup.git")]);
  local = join(root, "transcript");
  await git.init({ fs, dir: local, defaultBranch: "main" });
  server = await startGitHttpBackend(root);
});
afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

describe("transcript backups", () => {
  it("pushes to every remote; a dead remote is recorded and never throws", async () => {
    const head = await commit(1);
    const lines: string[] = [];
    const backup = new TranscriptBackup({
      dir: local,
      remotes: [`${server.url}/backup.git`, "http://127.0.0.1:9/nothing.git"],
      attempts: 2,
      backoffMs: 10,
      log: (l) => lines.push(l),
    });
    await backup.pushAll("round 1 aggregated");
    expect(remoteHead()).toBe(head);
    const [good, dead] = backup.status();
    expect(good).toMatchObject({ pushedCommit: head, lastError: null, consecutiveFailures: 0 });
    expect(dead?.consecutiveFailures).toBe(2);
    expect(dead?.lastError).toBeTruthy();
    expect(lines.some((l) => l.includes("failed (attempt 2/2)"))).toBe(true);
    execFileSync("git", ["--git-dir", join(root, "backup.git"), "fsck", "--full"], { env: { ...process.env, HOME: root } });
  });

  it("pushes on a schedule", async () => {
    const backup = new TranscriptBackup({ dir: local, remotes: [`${server.url}/backup.git`], backoffMs: 10 });
    backup.schedule("* * * * * *");
    const head = await commit(2);
    const end = Date.now() + 10_000;
    while (Date.now() < end && remoteHead() !== head) await new Promise((r) => setTimeout(r, 200));
    await backup.stop();
    expect(remoteHead()).toBe(head);
  });

  it("hides credentials in status", () => {
    const backup = new TranscriptBackup({ dir: local, remotes: ["https://user:secret@example.invalid/x.git"] });
    expect(backup.status()[0]?.url).toBe("https://***@example.invalid/x.git");
  });
});
