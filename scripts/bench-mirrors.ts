// bench:mirrors: certificate latency (a head committed to the transcript → a certificate covering it committed
// too) with 3 and with 20 mirrors, each a separate `ceremony mirror` process (the compiled binary, checking in its
// own thread), beside the compiled coordinator (test preset, power 5) through one round of three contributors. The
// coordinator measures the latency of every signable head; this prints its distribution, the run's length, the
// machine's load and the mirrors' memory.
//
//   npm run bench:mirrors [-- --mirrors 3,20 --power 5]
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { mirrors: { type: "string", default: "3,20" }, power: { type: "string", default: "5" } } });
const counts = (values.mirrors ?? "3,20").split(",").map(Number);
const root = new URL("..", import.meta.url).pathname;
const bin = join(root, "dist", "ceremony");

interface Proc {
  child: ChildProcess;
  out: () => string;
}

function start(args: string[], cwd: string): Proc {
  const child = spawn(bin, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr?.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  return { child, out: () => out };
}

async function until(what: string, ok: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function listening(p: Proc): Promise<string> {
  let url = "";
  await until("listening", async () => {
    url = /listening on (http:\/\/[^\s;]+)/.exec(p.out())?.[1] ?? "";
    if (p.child.exitCode !== null) throw new Error(`exited:\n${p.out()}`);
    return url !== "";
  }, 60_000);
  return url;
}

type Mirrors = { members: unknown[]; certified: { commit: string } | null; head: { commit: string } | null; latency: { samples: number; p50Ms: number | null; p90Ms: number | null; maxMs: number | null } };

async function json<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const status = execFileSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" });
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function run(n: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `bench-mirrors-${n}-`));
  const procs: Proc[] = [];
  try {
    const serve = start(["serve", "--preset", "test", "--port", "0", "--data", join(dir, "data"), "--power", values.power ?? "5", "--round-start-wait-ms", "3000", "--heartbeat-timeout-ms", "120000", "--lock-timeout-ms", "600000", "--turn-timeout-ms", "600000"], dir);
    procs.push(serve);
    const url = await listening(serve);
    const mirrors: Proc[] = [];
    for (let i = 0; i < n; i++) {
      execFileSync(bin, ["keygen", "--bls", "--out", join(dir, `m${i}.key`)], { cwd: dir, stdio: "ignore" });
      const m = start(["mirror", "--coordinator", url, "--data", join(dir, `m${i}`), "--key", join(dir, `m${i}.key`), "--port", "0", "--poll-ms", "2000"], dir);
      mirrors.push(m);
      procs.push(m);
    }
    await until(`${n} members`, async () => (await json<{ mirrors: Mirrors }>(`${url}/v1/status`)).mirrors.members.length === n);
    const started = Date.now();
    const load0 = loadavg()[0] ?? 0;
    const contributors = [1, 2, 3].map((i) => {
      execFileSync(bin, ["keygen", "--out", join(dir, `c${i}.key`)], { cwd: dir, stdio: "ignore" });
      return start(["contribute", "--coordinator", url, "--key", join(dir, `c${i}.key`), "--poll-ms", "100"], dir);
    });
    procs.push(...contributors);
    await Promise.all(contributors.map((c) => new Promise((r) => c.child.on("exit", r))));
    await until("round aggregated", async () => (await json<{ lastRound: number }>(`${url}/v1/status`)).lastRound >= 1);
    await until("the head certified", async () => {
      const m = (await json<{ mirrors: Mirrors }>(`${url}/v1/status`)).mirrors;
      return m.certified !== null && m.certified.commit === m.head?.commit;
    });
    const seconds = (Date.now() - started) / 1000;
    const m = (await json<{ mirrors: Mirrors }>(`${url}/v1/status`)).mirrors;
    const rss = mirrors.map((x) => rssMiB(x.child.pid));
    const meanRss = rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length);
    const certificates = (await json<{ transcript: { committedSeq: number } }>(`${url}/v1/status`)).transcript.committedSeq;
    const l = m.latency;
    return `| ${n} | ${l.samples} | ${l.p50Ms} | ${l.p90Ms} | ${l.maxMs} | ${seconds.toFixed(1)} | ${load0.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)} | ${meanRss.toFixed(0)} | ${certificates} |`;
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 1000));
    for (const p of procs) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
}

execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
console.log(`bench:mirrors on ${cpus().length} cores; power ${values.power}, one round of 3 contributors; latency = head committed → covered by a committed certificate`);
console.log("| mirrors | heads | p50 (ms) | p90 (ms) | max (ms) | round (s) | load avg (1 min) | RSS per mirror (MiB) | events |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const n of counts) console.log(await run(n));
