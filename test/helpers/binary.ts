// The compiled binary in a temp folder (no node_modules), and the processes the end-to-end tests run with it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Builds dist/ceremony and copies it into `dir`; returns its path. */
export async function installBinary(dir: string): Promise<string> {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "ignore" });
  const bin = join(dir, "ceremony");
  await copyFile(join(root, "dist", "ceremony"), bin);
  execFileSync("chmod", ["+x", bin]);
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

export interface Running {
  process: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  done: Promise<{ code: number | null; out: string }>;
}

/** Runs the binary; `env` adds to (or, with undefined values, removes from) this process's environment. */
export function runBinary(bin: string, cwd: string, args: string[], env: Record<string, string | undefined> = {}): Running {
  const p = spawn(bin, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  p.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  // "close", not "exit": the output may still be arriving when the process exits.
  return { process: p, output: () => out, done: new Promise((resolve) => p.on("close", (code) => resolve({ code, out }))) };
}

/** Starts `serve` and resolves once it listens; `url` is where (useful with --port 0). */
export async function startServe(bin: string, cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Running & { url: string }> {
  const r = runBinary(bin, cwd, ["serve", ...args], env);
  const end = Date.now() + 60_000;
  for (;;) {
    const m = /listening on (https?:\/\/[^\s;]+)/.exec(r.output());
    if (m?.[1]) return { ...r, url: m[1] };
    if (Date.now() > end || r.process.exitCode !== null) throw new Error(`serve did not start:\n${r.output()}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function kill(r: Running | null, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (!r || r.process.exitCode !== null || r.process.signalCode !== null) return;
  r.process.kill(signal);
  await r.done;
}

export async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
