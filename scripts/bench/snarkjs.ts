/**
 * The snarkjs side of the benchmarks: the installed CLI under Node, each command a child process, with its wall
 * time, CPU time and peak RSS (from `/usr/bin/time -v`, its ffjavascript threads being threads of that one
 * process, or, without GNU time, its VmHWM polled from /proc/<pid>/status every 50 ms).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuTimes, readStatusKiB, SAMPLE_MS, stealSince } from "./measure.ts";

export type MemoryMethod = "/usr/bin/time -v" | "/proc/<pid>/status VmHWM polled";

export interface ChildRun {
  seconds: number;
  cpuSeconds: number | null;
  peakRssBytes: number | null;
  code: number | null;
  output: string;
  stealPercent: number | null;
}

export interface SnarkjsResult {
  newSeconds: number;
  contribute: ChildRun;
  verify: ChildRun;
}

export function hasGnuTime(): boolean {
  if (!existsSync("/usr/bin/time")) return false;
  const r = spawnSync("/usr/bin/time", ["-v", "true"], { encoding: "utf8" });
  return r.status === 0 && /Maximum resident set size/.test(r.stderr ?? "");
}

export function snarkjsCli(): string {
  const root = fileURLToPath(new URL("../../node_modules/snarkjs/", import.meta.url));
  for (const rel of ["build/cli.cjs", "cli.js"]) {
    const p = join(root, rel);
    if (existsSync(p)) return p;
  }
  throw new Error(`snarkjs CLI not found under ${root}: run npm install`);
}

export function nodeVersion(): string {
  const r = spawnSync("node", ["--version"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error("`node` is not on PATH; the snarkjs CLI runs under Node");
  return r.stdout.trim();
}

function parseTimeV(stderr: string): { peakRssBytes: number | null; cpuSeconds: number | null } {
  const num = (re: RegExp): number | null => {
    const m = stderr.match(re);
    return m?.[1] ? Number(m[1]) : null;
  };
  const rss = num(/Maximum resident set size \(kbytes\):\s*(\d+)/);
  const user = num(/User time \(seconds\):\s*([\d.]+)/);
  const sys = num(/System time \(seconds\):\s*([\d.]+)/);
  return { peakRssBytes: rss === null ? null : rss * 1024, cpuSeconds: user === null || sys === null ? null : user + sys };
}

export function runSnarkjs(cli: string, args: string[], cwd: string, gnuTime: boolean): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = gnuTime ? ["/usr/bin/time", ["-v", "node", cli, ...args]] : ["node", [cli, ...args]];
    const stat0 = cpuTimes();
    const t0 = performance.now();
    const child = spawn(cmd, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    let polledKiB = 0;
    const poll = gnuTime
      ? null
      : setInterval(() => {
          if (child.pid !== undefined) polledKiB = Math.max(polledKiB, readStatusKiB(`/proc/${child.pid}/status`, "VmHWM") ?? 0);
        }, SAMPLE_MS);
    child.on("error", (err) => {
      if (poll) clearInterval(poll);
      reject(err);
    });
    child.on("close", (code) => {
      const seconds = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      const timed = gnuTime ? parseTimeV(stderr) : { peakRssBytes: polledKiB > 0 ? polledKiB * 1024 : null, cpuSeconds: null };
      resolve({ seconds, ...timed, code, output: `${stdout}${stderr}`, stealPercent: stealSince(stat0) });
    });
  });
}

function ensureOk(what: string, run: ChildRun): void {
  if (run.code === 0) return;
  const tail = run.output.split("\n").slice(-30).join("\n");
  throw new Error(`snarkjs ${what} exited with ${run.code}:\n${tail}`);
}

export async function benchSnarkjs(cli: string, dir: string, power: number, gnuTime: boolean, entropy: string): Promise<SnarkjsResult> {
  const a = join(dir, `p${power}-a.ptau`);
  const b = join(dir, `p${power}-b.ptau`);
  const created = await runSnarkjs(cli, ["powersoftau", "new", "bn128", String(power), a], dir, gnuTime);
  ensureOk("powersoftau new", created);
  const contribute = await runSnarkjs(cli, ["powersoftau", "contribute", a, b, `-e=${entropy}`], dir, gnuTime);
  ensureOk("powersoftau contribute", contribute);
  const verify = await runSnarkjs(cli, ["powersoftau", "verify", b], dir, gnuTime);
  ensureOk("powersoftau verify", verify);
  await rm(a, { force: true });
  await rm(b, { force: true });
  return { newSeconds: created.seconds, contribute, verify };
}

