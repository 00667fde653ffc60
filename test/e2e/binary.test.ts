// The whole ceremony through the compiled binary, as operators and participants run it: serve on the dev preset,
// three contributors at once, round 1 aggregated, round 2 opened by a fourth, admin finalize with a beacon while it
// runs, then the published .ptau checked by snarkjs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
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
  server = spawn(bin, ["serve", "--preset", "dev", "--data", join(dir, "data"), "--port", "0"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${log}`)), 60_000);
    server?.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server?.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  });
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.on("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  await rm(dir, { recursive: true, force: true });
});

describe("compiled binary, dev preset", () => {
  it("runs from a folder without node_modules and prints its commands", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/contribute --coordinator URL/);
  });

  it("three contributors at once complete round 1; a fourth opens round 2; finalize publishes a .ptau snarkjs verifies", async () => {
    const three = await Promise.all([1, 2, 3].map((i) => run(["contribute", "--coordinator", url, "--entropy", `contributor ${i}`, "--poll-ms", "100"])));
    for (const r of three) {
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/"receipt"/);
    }
    await until("round 1 aggregated", async () => (await status()).lastRound === 1);

    await run(["keygen", "--out", join(dir, "fourth.key")]);
    const fourth = run(["contribute", "--coordinator", url, "--key", join(dir, "fourth.key"), "--poll-ms", "100"]);
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

    const bad = await run(["admin", "finalize", "--beacon", BEACON, "--coordinator", url, "--key", join(dir, "fourth.key")]);
    expect(bad.code).not.toBe(0);
    expect(bad.out.trim().split("\n")).toHaveLength(1);
  }, 300_000);
});
