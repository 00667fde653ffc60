/**
 * The git server under load: a transcript-like repository of many commits served by the git server in a child
 * process (Bun.serve on loopback), driven by the git CLI and curl: full clones cold and warm, a clone after new commits,
 * a fetch, many concurrent clones (with the server's peak RSS), and requests that give up after 0.3 s (with the server's
 * CPU time while and after they run).
 *
 *   bun scripts/bench-git.ts [--commits 10000] [--repo DIR] [--clients 20] [--aborts 10] [--timeout 120]
 *                            [--options JSON] [--phases aborts,clones,concurrent]
 *
 * `--repo DIR` keeps the repository there and reuses it on the next run (building 10,000 commits takes a while).
 * `--options` is passed to createGitServer; the default lifts the per-client cap, since every client here comes from
 * 127.0.0.1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CeremonyEvent } from "../src/core/model.ts";
import { checksumOf } from "../src/store/event-line.ts";
import { TranscriptWriter } from "../src/transcript/writer.ts";

const { values } = parseArgs({
  options: {
    commits: { type: "string" },
    repo: { type: "string" },
    clients: { type: "string" },
    aborts: { type: "string" },
    timeout: { type: "string" },
    options: { type: "string" },
    serve: { type: "string" },
    phases: { type: "string" },
  },
});
const serverOptions = values.options ?? '{"maxUploadPacksPerClient":32}';
const phases = new Set((values.phases ?? "aborts,clones,concurrent").split(","));

/** Child mode: serves `dir` on a loopback port and prints the URL. */
async function serveChild(dir: string, optionsJson: string): Promise<void> {
  const { createGitServer } = await import("../src/git-http/server.ts");
  const { serveHttp } = await import("../src/adapters/bun/http.ts");
  const extra = JSON.parse(optionsJson) as Record<string, unknown>;
  // The Bun wiring `serve` gets: Hono's env is Bun's server (Bun.serve calls fetch(req, server)), whose requestIP()
  // names the socket's peer.
  type BunEnv = { requestIP?(request: Request): { address: string } | null };
  const app = createGitServer({
    repoDir: dir,
    clientAddress: (c) => (c.env as BunEnv).requestIP?.(c.req.raw)?.address ?? "unknown",
    ...extra,
  });
  const server = serveHttp(app.fetch, "127.0.0.1", 0);
  console.log(`listening ${server.url}`);
}

async function drive(): Promise<void> {
  const commits = Number(values.commits ?? 10_000);
  const clients = Number(values.clients ?? 20);
  const aborts = Number(values.aborts ?? 10);
  const timeoutMs = Number(values.timeout ?? 120) * 1000;
  const base = await mkdtemp(join(tmpdir(), "ceremony-bench-git-"));
  const dir = values.repo ?? join(base, "transcript");
  console.error(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);

  const reused = existsSync(join(dir, ".git"));
  const t0 = performance.now();
  const writer = await openWriter(dir);
  while (writer.lastSeq < commits) await commitNext(writer);
  console.error(`${reused ? "reused" : "built"} ${dir}: ${writer.lastSeq} commits in ${seconds(performance.now() - t0)} s`);
  const tip = (await run("git", ["-C", dir, "rev-parse", "main"], base)).stdout.trim();

  const rows: [string, string][] = [];
  if (phases.has("aborts")) rows.push(...(await abortedRequests(dir, tip, aborts)));
  if (phases.has("clones") || phases.has("concurrent")) {
    const server = await startServer(dir);
    const clone = async (name: string): Promise<number> => {
      const t = performance.now();
      await run("git", ["clone", "-q", "--bare", `${server.url}/transcript.git`, join(base, name)], base, timeoutMs);
      return performance.now() - t;
    };
    const timed = (ms: number, cpu: number): string => `${seconds(ms)} (server CPU ${cpu.toFixed(2)} s)`;
    const measured = async (name: string): Promise<string> => {
      const cpu = cpuSeconds(server.pid);
      return timed(await clone(name), cpuSeconds(server.pid) - cpu);
    };
    if (phases.has("clones")) rows.push(...(await sequentialClones(measured, writer, base)));
    if (phases.has("concurrent")) rows.push(...(await concurrentClones(clone, clients, server.pid)));
    server.child.kill("SIGKILL");
  }
  await report(rows, writer.lastSeq);
  await rm(base, { recursive: true, force: true });
  if (values.repo === undefined) await rm(dir, { recursive: true, force: true });
}

type Rows = [string, string][];
/** How long the aborted requests' aftermath is watched. */
const IDLE_WAIT_S = 180;
type Clone = (name: string) => Promise<number>;

/**
 * Requests that give up after 0.3 s, and what they leave the server doing. The server has walked the history once
 * (a fetch that has everything), as one that has served anything has.
 */
async function abortedRequests(dir: string, tip: string, count: number): Promise<Rows> {
  const server = await startServer(dir);
  await curlUploadPack(server.url, tip, tip, 60);
  const before = cpuSeconds(server.pid);
  const results = await Promise.all(Array.from({ length: count }, () => curlUploadPack(server.url, tip, null, 0.3)));
  const atEnd = cpuSeconds(server.pid);
  // Idle: two seconds in a row under 0.05 CPU s each; given up after IDLE_WAIT_S.
  let busyFor = 0;
  for (let quiet = 0, last = atEnd; quiet < 2 && busyFor < IDLE_WAIT_S; busyFor++) {
    await sleep(1_000);
    const now = cpuSeconds(server.pid);
    quiet = now - last < 0.05 ? quiet + 1 : 0;
    last = now;
  }
  const after = cpuSeconds(server.pid);
  server.child.kill("SIGKILL");
  return [
    [`${count} curl --max-time 0.3 (HTTP codes)`, summarize(results)],
    ["  server CPU s while they ran", (atEnd - before).toFixed(2)],
    ["  server CPU s after they left, until idle", (after - atEnd).toFixed(2)],
    ["  server idle again after (s)", busyFor >= IDLE_WAIT_S ? `> ${IDLE_WAIT_S}` : String(busyFor)],
  ];
}

async function sequentialClones(clone: (name: string) => Promise<string>, writer: TranscriptWriter, base: string): Promise<Rows> {
  const rows: Rows = [["full clone, cold server (s)", await clone("cold")]];
  rows.push(["full clone, warm (s)", await clone("warm")]);
  for (let i = 0; i < 10; i++) await commitNext(writer);
  rows.push(["full clone after 10 new commits (s)", await clone("after-commits")]);
  const t = performance.now();
  await run("git", ["-C", join(base, "cold"), "fetch", "-q", "origin", "+refs/heads/*:refs/heads/*"], base);
  rows.push(["fetch of those 10 commits (s)", seconds(performance.now() - t)]);
  await run("git", ["-C", join(base, "after-commits"), "fsck", "--full", "--strict"], base);
  return rows;
}

async function concurrentClones(clone: Clone, count: number, serverPid: number): Promise<Rows> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(serverPid))), 50);
  const t = performance.now();
  const cpu = cpuSeconds(serverPid);
  const outcomes = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      clone(`concurrent-${i}`).then(
        (ms) => ({ ms, error: null }),
        (error: Error) => ({ ms: NaN, error: error.message.split("\n")[0] ?? "" }),
      ),
    ),
  );
  const wall = performance.now() - t;
  const serverCpu = cpuSeconds(serverPid) - cpu;
  clearInterval(sampler);
  const times = outcomes.filter((o) => o.error === null).map((o) => o.ms).sort((a, b) => a - b);
  for (const failure of outcomes.filter((o) => o.error !== null).slice(0, 3)) console.error(`  a clone failed: ${failure.error}`);
  return [
    [`${count} concurrent full clones: completed`, `${times.length}/${count}`],
    ["  wall time until the last ended (s)", seconds(wall)],
    ["  median clone (s)", times.length > 0 ? seconds(times[Math.floor(times.length / 2)] ?? NaN) : "-"],
    ["  server CPU s, all clones", serverCpu.toFixed(2)],
    ["  server peak RSS (MiB, sampled)", peakRss.toFixed(0)],
  ];
}

async function report(rows: Rows, commits: number): Promise<void> {
  console.log(`\n${commits} commits; options ${serverOptions}; load average now ${loadavg().map((l) => l.toFixed(2)).join(" ")}\n`);
  console.log("| measure | value |\n|---|---|");
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`);
}

/** Chunk files waiting to be committed. */
const artifacts = new Map<string, Uint8Array>();
const participant = (i: number): string => createHash("sha256").update(`p${i}`).digest("hex");

function openWriter(dir: string): Promise<TranscriptWriter> {
  return readFile(new URL("../transcript/README.md", import.meta.url), "utf8").then((readme) =>
    TranscriptWriter.open({
      dir,
      readme,
      ceremony: { ceremonyId: "bench-git", power: 12, chunkSize: 256, numChunks: 16, coordinatorKey: "00".repeat(32) },
      artifacts: { get: async (hash) => artifacts.get(hash) ?? new Uint8Array() },
      externalThresholdBytes: 1 << 20,
      externalUrl: (hash) => `https://ceremony.example/artifacts/${hash}`,
    }),
  );
}

/** One event a commit; every 10th records a contribution and commits its 50 KB chunk file. */
async function commitNext(writer: TranscriptWriter): Promise<void> {
  const seq = writer.lastSeq + 1;
  let event: CeremonyEvent = { type: "ParticipantQueued", participant: participant(seq), at: seq };
  if (seq % 10 === 0) {
    const bytes = randomBytes(50_000);
    const hash = createHash("blake2b512").update(bytes).digest("hex");
    artifacts.set(hash, bytes);
    event = { type: "ContributionRecorded", round: 1 + Math.floor(seq / 1000), chunk: (seq / 10) % 16, position: 0, contributor: participant(seq % 7), hash, at: seq };
  }
  const entry = { seq, time: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(), event };
  await writer.commitEvents([{ ...entry, checksum: checksumOf(entry) }]);
  artifacts.clear();
}

type Server = { child: ChildProcess; pid: number; url: string };

async function startServer(dir: string): Promise<Server> {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, "--serve", dir, "--options", serverOptions], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
    child.stdout?.on("data", (data: Buffer) => {
      const match = /listening (\S+)/.exec(data.toString());
      if (match?.[1] !== undefined) resolve(match[1]);
    });
  });
  if (child.pid === undefined) throw new Error("no server pid");
  return { child, pid: child.pid, url };
}

/** An upload-pack request (want the tip, maybe a have, done), given up after `maxTime` s; resolves to the HTTP code. */
function curlUploadPack(url: string, tip: string, have: string | null, maxTime: number): Promise<string> {
  const pkt = (line: string) => (line.length + 4).toString(16).padStart(4, "0") + line;
  const haves = have === null ? "" : pkt(`have ${have}\n`);
  const body = `${pkt(`want ${tip} multi_ack_detailed side-band-64k thin-pack ofs-delta agent=git/2.39\n`)}0000${haves}${pkt("done\n")}`;
  const args = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", String(maxTime), "-H", "Content-Type: application/x-git-upload-pack-request", "--data-binary", body, `${url}/transcript.git/git-upload-pack`];
  return run("curl", args, tmpdir()).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? "error",
  );
}

function run(cmd: string, args: string[], cwd: string, timeoutMs = 600_000): Promise<{ stdout: string }> {
  const env = { PATH: process.env.PATH ?? "", HOME: tmpdir(), GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1", LANG: "C" };
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout });
      else reject(Object.assign(new Error(`${cmd} ${args[0]}: ${signal ?? code}: ${stderr.trim()}`), { stdout }));
    });
  });
}

/** utime + stime of a process, from /proc/<pid>/stat (in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

function summarize(codes: string[]): string {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts].map(([code, n]) => `${n}× ${code}`).join(", ");
}

const seconds = (ms: number): string => (ms / 1000).toFixed(2);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Last, so that every constant above is initialized.
if (values.serve !== undefined) await serveChild(values.serve, serverOptions);
else await drive();
