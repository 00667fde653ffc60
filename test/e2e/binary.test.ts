// The whole ceremony through the compiled binary, as operators and participants run it: serve on the dev preset,
// three contributors at once, round 1 aggregated; the transcript cloned with the git CLI, fsck-clean and verified;
// the coordinator killed and restored from that clone into an empty folder; round 2 opened there by a fourth
// contributor, admin finalize with a beacon while it runs, the published .ptau checked by snarkjs, the final
// transcript verified and a receipt proven.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { snarkjsVerifies } from "../helpers/snarkjs.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
let dir: string;
let bin: string;
let server: ChildProcess | null = null;
let url = "";
const BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    p.on("exit", (code) => resolve({ code, out }));
  });
}

async function status(): Promise<{ phase: string; lastRound: number; round: null | { number: number } }> {
  return (await (await fetch(`${url}/v1/status`)).json()) as { phase: string; lastRound: number; round: null | { number: number } };
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "ignore" });
  dir = await mkdtemp(join(tmpdir(), "ceremony-e2e-"));
  bin = join(dir, "ceremony");
  await copyFile(join(root, "dist", "ceremony"), bin);
  execFileSync("chmod", ["+x", bin]);
  url = await startServer(["--data", join(dir, "data")]);
}, 180_000);

function git(...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir, GIT_TERMINAL_PROMPT: "0" }, encoding: "utf8" });
}

async function stopServer(): Promise<void> {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.on("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
}

async function startServer(args: string[]): Promise<string> {
  server = spawn(bin, ["serve", "--preset", "dev", "--port", "0", ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 60_000);
    server?.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /listening on (http:\/\/[^\s;]+)/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server?.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  });
}

afterAll(async () => {
  await stopServer();
  await rm(dir, { recursive: true, force: true });
});

describe("compiled binary, dev preset", () => {
  it("runs from a folder without node_modules and prints its commands", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/contribute --coordinator URL/);
  });

  it("three contributors complete round 1; transcript cloned, verified, restored; round 2; finalize; snarkjs verifies", async () => {
    const three = await Promise.all([1, 2, 3].map((i) => run(["contribute", "--coordinator", url, "--entropy", `contributor ${i}`, "--poll-ms", "100"])));
    for (const r of three) {
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/signed receipt\(s\) saved/);
    }
    await until("round 1 aggregated", async () => (await status()).lastRound === 1);

    // The transcript, cloned with the git CLI over HTTP, is fsck-clean and verifies.
    git("clone", "-q", `${url}/transcript.git`, "round1");
    git("-C", "round1", "fsck", "--full");
    const v1 = await run(["verify-transcript", join(dir, "round1")]);
    expect(v1.code, v1.out).toBe(0);

    // Kill the coordinator; restore it from the clone into an empty folder (with its key) and carry on.
    await stopServer();
    await mkdir(join(dir, "restored"));
    await copyFile(join(dir, "data", "coordinator.key"), join(dir, "restored", "coordinator.key"));
    const admin = JSON.parse(await readFile(join(dir, "data", "admin.key"), "utf8")) as { publicKey: string };
    url = await startServer(["--data", join(dir, "restored"), "--restore-from", join(dir, "round1"), "--admin", admin.publicKey]);
    expect((await status()).lastRound).toBe(1);

    await run(["keygen", "--out", join(dir, "fourth.key")]);
    const fourth = run(["contribute", "--coordinator", url, "--key", join(dir, "fourth.key"), "--poll-ms", "100", "--receipt", join(dir, "fourth-receipt.json")]);
    await until("round 2 open", async () => (await status()).round?.number === 2);

    const fin = await run(["admin", "finalize", "--beacon", BEACON, "--coordinator", url, "--key", join(dir, "data", "admin.key")]);
    expect(fin.code, fin.out).toBe(0);
    expect((await fourth).code).toBe(0);
    await until("finalized", async () => (await status()).phase === "finalized", 180_000);

    const res = await fetch(`${url}/v1/ceremony/final.ptau`);
    expect(res.status).toBe(200);
    const file = join(dir, "final.ptau");
    await writeFile(file, new Uint8Array(await res.arrayBuffer()));
    const v = await snarkjsVerifies(file);
    expect(v.ok, v.output).toBe(true);
    expect(v.output).toMatch(/Contribution #5/);

    git("clone", "-q", `${url}/transcript.git`, "final");
    git("-C", "final", "fsck", "--full");
    const vt = await run(["verify-transcript", join(dir, "final")]);
    expect(vt.code, vt.out).toBe(0);
    expect(vt.out).toMatch(/2 rounds aggregated/);
    const receipts = JSON.parse(await readFile(join(dir, "fourth-receipt.json"), "utf8")) as unknown[];
    expect(receipts.length).toBe(8);
    await writeFile(join(dir, "one-receipt.json"), JSON.stringify(receipts[3]));
    const vr = await run(["verify-receipt", join(dir, "one-receipt.json"), "--transcript", join(dir, "final")]);
    expect(vr.code, vr.out).toBe(0);

    const bad = await run(["admin", "finalize", "--beacon", BEACON, "--coordinator", url, "--key", join(dir, "fourth.key")]);
    expect(bad.code).not.toBe(0);
    expect(bad.out.trim().split("\n")).toHaveLength(1);
  }, 300_000);
});
