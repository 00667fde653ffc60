/**
 * Benchmark of our chunked contribution and verification against the snarkjs CLI, in one run on this machine.
 *
 *   bun scripts/bench-crypto.ts [--powers 12,16] [--chunk-size 4096] [--json results.json]
 *
 * For each power p (chunk size min(--chunk-size, 2^p)):
 *  - ours: the generator-filled chunks of round 0 (initialChunk, not timed), then, timed on the wall clock,
 *    (a) one contributor's full contribution: createContributorKey + contributeChunk on every chunk in order, with a
 *        WorkerPool over every core; (b) the coordinator's full verification of that contribution: verifyContribution
 *        (chunk 0 against the genesis record and the first challenge hash, then the other chunks several at a time
 *        against chunk 0's record and their neighbour's boundary point). Any rejected verdict exits 1.
 *  - snarkjs (the installed CLI under Node, in a temp dir): `powersoftau new bn128 p a.ptau` (not timed), then timed
 *    `powersoftau contribute a.ptau b.ptau -e=…` and `powersoftau verify b.ptau`, each a child process.
 *
 * Memory. Ours: the process RSS (the pool's workers are threads of this process, so it covers them) polled every
 * 50 ms during each phase, and the kernel's exact peak (VmHWM of /proc/self/status, reset through
 * /proc/self/clear_refs before each phase): the main thread blocks during verification's pairings, which polling
 * cannot see, so the table shows the larger of the two. snarkjs: the child's peak RSS as reported by
 * `/usr/bin/time -v` (its ffjavascript threads are worker threads of that one process), or, without GNU time,
 * the child's VmHWM polled from /proc/<pid>/status every 50 ms.
 *
 * Cores: the nominal number of threads each side uses (our pool size; ffjavascript's os.cpus().length) and the
 * effective number, CPU time / wall time.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import type { Curve } from "ffjavascript";
import { chunkHash } from "../src/crypto/chunk.ts";
import { contributeChunk } from "../src/crypto/contribute.ts";
import { closeCurve, getCurve } from "../src/crypto/curve.ts";
import { generators, repeat } from "../src/crypto/encoding.ts";
import { toHex } from "../src/crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../src/crypto/initial.ts";
import { createContributorKey, destroyKey } from "../src/crypto/keys.ts";
import { initMcl } from "../src/crypto/mcl.ts";
import { numChunks, parseParams, type CeremonyParams } from "../src/crypto/params.ts";
import { genesisRecord } from "../src/crypto/pipeline.ts";
import { WorkerPool } from "../src/crypto/pool.ts";
import { verifyContribution } from "../src/crypto/verify-contribution.ts";

const SAMPLE_MS = 50;
const MIB = 1024 * 1024;
const ENTROPY = "bench-crypto entropy";

// --- options ---------------------------------------------------------------------------------------------------

interface Options {
  powers: number[];
  chunkSize: number;
  json: string | null;
}

function usage(message: string): never {
  console.error(`bench-crypto: ${message}`);
  console.error("usage: bun scripts/bench-crypto.ts [--powers 12,16] [--chunk-size 4096] [--json FILE]");
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { powers: [12, 16], chunkSize: 4096, json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq >= 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) usage(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case "--powers": {
        const list = value().split(",").map((s) => Number(s.trim()));
        if (list.length === 0 || list.some((p) => !Number.isInteger(p) || p < 1 || p > 28)) usage("--powers takes integers in 1..28, comma-separated");
        opts.powers = list;
        break;
      }
      case "--chunk-size": {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 2 || (n & (n - 1)) !== 0) usage("--chunk-size takes a power of two ≥ 2");
        opts.chunkSize = n;
        break;
      }
      case "--json":
        opts.json = value();
        break;
      case "--help":
      case "-h":
        usage("help");
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return opts;
}

// --- memory of this process ------------------------------------------------------------------------------------

function readStatusKiB(path: string, field: "VmHWM" | "VmRSS"): number | null {
  try {
    const m = readFileSync(path, "utf8").match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m"));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Resets the kernel's peak-RSS counter of this process; false where /proc/self/clear_refs is not writable. */
function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

interface MemoryPeak {
  /** Largest process.memoryUsage().rss sampled every 50 ms. */
  polledBytes: number;
  samples: number;
  /** VmHWM after a reset at the start of the phase; null where unavailable. */
  kernelBytes: number | null;
  /** The figure reported: the larger of the two. */
  peakBytes: number;
}

class RssSampler {
  private max = 0;
  private samples = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private hwmReset = false;

  start(): void {
    this.hwmReset = resetPeakRss();
    this.max = 0;
    this.samples = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  private sample(): void {
    this.samples++;
    this.max = Math.max(this.max, process.memoryUsage().rss);
  }

  stop(): MemoryPeak {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const hwm = this.hwmReset ? readStatusKiB("/proc/self/status", "VmHWM") : null;
    const kernelBytes = hwm === null ? null : hwm * 1024;
    return { polledBytes: this.max, samples: this.samples, kernelBytes, peakBytes: Math.max(this.max, kernelBytes ?? 0) };
  }
}

interface PhaseResult {
  seconds: number;
  cpuSeconds: number | null;
  memory: MemoryPeak;
  /** Share of the machine's CPU time stolen by the hypervisor during the phase (percent); null without /proc/stat. */
  stealPercent: number | null;
}

/** Aggregate CPU counters of /proc/stat: total jiffies and steal jiffies. */
function cpuTimes(): { total: number; steal: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user/nice]
    return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

function stealSince(start: { total: number; steal: number } | null): number | null {
  const end = cpuTimes();
  if (!start || !end || end.total <= start.total) return null;
  return (100 * (end.steal - start.steal)) / (end.total - start.total);
}

async function measure<T>(body: () => Promise<T>): Promise<{ value: T; result: PhaseResult }> {
  const sampler = new RssSampler();
  sampler.start();
  const cpu0 = process.cpuUsage();
  const stat0 = cpuTimes();
  const t0 = performance.now();
  try {
    const value = await body();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { value, result: { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, memory: sampler.stop(), stealPercent: stealSince(stat0) } };
  } catch (err) {
    sampler.stop();
    throw err;
  }
}

// --- ours ------------------------------------------------------------------------------------------------------

class VerificationFailed extends Error {}

interface OursResult {
  chunks: number;
  chunkSize: number;
  setupSeconds: number;
  contribution: PhaseResult;
  verification: PhaseResult;
}

async function benchOurs(pool: WorkerPool, curve: Curve, power: number, chunkSizeOpt: number): Promise<OursResult> {
  const setup0 = performance.now();
  const params: CeremonyParams = parseParams({
    ceremonyId: toHex(randomBytes(32)),
    power,
    chunkSize: Math.min(chunkSizeOpt, 2 ** power),
  });
  const n = numChunks(params);
  const initial = Array.from({ length: n }, (_, k) => initialChunk(curve, params, k));
  const parentHashes = initial.map((c) => chunkHash(c));
  const challenge = firstChallengeHash(curve, power);
  const genesis = genesisRecord(curve);
  const setupSeconds = (performance.now() - setup0) / 1000;

  const contributed = await measure(async () => {
    const key = createContributorKey(curve, challenge, ENTROPY);
    const out: Uint8Array[] = [];
    try {
      for (let k = 0; k < n; k++) {
        const parent = initial[k] as Uint8Array;
        out.push(await contributeChunk(pool, curve, parent, { params, chunkIndex: k, round: 1, contributor: 0 }, key));
      }
    } finally {
      destroyKey(key);
    }
    return out;
  });
  const chunks = contributed.value;

  const verified = await measure(async () => {
    // The coordinator's verification of one contribution: every chunk, several at a time (verifyContribution).
    const result = await verifyContribution(pool, curve, chunks, parentHashes, {
      params,
      round: 1,
      contributor: 0,
      challenge,
      prevRecord: genesis,
      knownPublicKeys: new Set<string>(),
    });
    if (!result.ok) throw new VerificationFailed(`power ${power}: chunk ${result.chunkIndex} of ${n} rejected: ${result.code}: ${result.message}`);
    return n;
  });

  return { chunks: n, chunkSize: params.chunkSize, setupSeconds, contribution: contributed.result, verification: verified.result };
}

// --- snarkjs ---------------------------------------------------------------------------------------------------

type MemoryMethod = "/usr/bin/time -v" | "/proc/<pid>/status VmHWM polled";

interface ChildRun {
  seconds: number;
  cpuSeconds: number | null;
  peakRssBytes: number | null;
  code: number | null;
  output: string;
  stealPercent: number | null;
}

interface SnarkjsResult {
  newSeconds: number;
  contribute: ChildRun;
  verify: ChildRun;
}

function hasGnuTime(): boolean {
  if (!existsSync("/usr/bin/time")) return false;
  const r = spawnSync("/usr/bin/time", ["-v", "true"], { encoding: "utf8" });
  return r.status === 0 && /Maximum resident set size/.test(r.stderr ?? "");
}

function snarkjsCli(): string {
  const root = fileURLToPath(new URL("../node_modules/snarkjs/", import.meta.url));
  for (const rel of ["build/cli.cjs", "cli.js"]) {
    const p = join(root, rel);
    if (existsSync(p)) return p;
  }
  throw new Error(`snarkjs CLI not found under ${root}: run npm install`);
}

function nodeVersion(): string {
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

function runSnarkjs(cli: string, args: string[], cwd: string, gnuTime: boolean): Promise<ChildRun> {
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

async function benchSnarkjs(cli: string, dir: string, power: number, gnuTime: boolean): Promise<SnarkjsResult> {
  const a = join(dir, `p${power}-a.ptau`);
  const b = join(dir, `p${power}-b.ptau`);
  const created = await runSnarkjs(cli, ["powersoftau", "new", "bn128", String(power), a], dir, gnuTime);
  ensureOk("powersoftau new", created);
  const contribute = await runSnarkjs(cli, ["powersoftau", "contribute", a, b, `-e=${ENTROPY}`], dir, gnuTime);
  ensureOk("powersoftau contribute", contribute);
  const verify = await runSnarkjs(cli, ["powersoftau", "verify", b], dir, gnuTime);
  ensureOk("powersoftau verify", verify);
  await rm(a, { force: true });
  await rm(b, { force: true });
  return { newSeconds: created.seconds, contribute, verify };
}

// --- report ----------------------------------------------------------------------------------------------------

interface PowerResult {
  power: number;
  ours: OursResult;
  snarkjs: SnarkjsResult;
  targets: { contributionRequired: boolean; verificationRequired: boolean; contributionAim: boolean; verificationAim: boolean };
}

const fmtS = (s: number): string => s.toFixed(3);
const fmtMiB = (b: number | null): string => (b === null ? "n/a" : `${(b / MIB).toFixed(0)} MiB`);
const fmtPct = (p: number | null): string => (p === null ? "n/a" : `${p.toFixed(1)}%`);
const fmtCores = (cpu: number | null, wall: number): string => (cpu === null ? "n/a" : (cpu / wall).toFixed(2));

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`;
  const sep = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(rows[0] ?? []), sep, ...rows.slice(1).map(line)].join("\n");
}

function report(r: PowerResult, oursCores: number, snarkjsCores: number): string {
  const { ours, snarkjs } = r;
  const row = (op: string, o: PhaseResult, s: ChildRun): string[] => [
    op,
    fmtS(o.seconds),
    fmtS(s.seconds),
    `${(o.seconds / s.seconds).toFixed(3)}×`,
    fmtMiB(o.memory.peakBytes),
    fmtMiB(s.peakRssBytes),
    `${oursCores} (eff. ${fmtCores(o.cpuSeconds, o.seconds)})`,
    `${snarkjsCores} (eff. ${fmtCores(s.cpuSeconds, s.seconds)})`,
  ];
  const t = table([
    ["operation", "ours (s)", "snarkjs (s)", "ours/snarkjs", "peak RSS ours", "peak RSS snarkjs", "cores ours", "cores snarkjs"],
    row("contribution", ours.contribution, snarkjs.contribute),
    row("verification", ours.verification, snarkjs.verify),
  ]);
  const mark = (ok: boolean): string => (ok ? "PASS" : "FAIL");
  const yes = (ok: boolean): string => (ok ? "met" : "not met");
  const c = ours.contribution.seconds / snarkjs.contribute.seconds;
  const v = ours.verification.seconds / snarkjs.verify.seconds;
  return [
    `power ${r.power}: ${ours.chunks} chunks of ${ours.chunkSize} points (setup of initial chunks ${fmtS(ours.setupSeconds)} s, not timed; snarkjs new ${fmtS(snarkjs.newSeconds)} s, not timed)`,
    t,
    `  memory ours: polled max ${fmtMiB(ours.contribution.memory.polledBytes)} / ${fmtMiB(ours.verification.memory.polledBytes)} (${ours.contribution.memory.samples} / ${ours.verification.memory.samples} samples), kernel VmHWM ${fmtMiB(ours.contribution.memory.kernelBytes)} / ${fmtMiB(ours.verification.memory.kernelBytes)} (contribution / verification)`,
    `  CPU steal (hypervisor) during the phases: ours ${fmtPct(ours.contribution.stealPercent)} / ${fmtPct(ours.verification.stealPercent)}, snarkjs ${fmtPct(snarkjs.contribute.stealPercent)} / ${fmtPct(snarkjs.verify.stealPercent)} (contribution / verification); figures with high steal are unreliable`,
    `power ${r.power} targets: required contribution ≤ snarkjs contribute: ${mark(r.targets.contributionRequired)} (${c.toFixed(3)}×); ` +
      `required verification ≤ snarkjs verify: ${mark(r.targets.verificationRequired)} (${v.toFixed(3)}×); ` +
      `aim ≤ 0.5×: contribution ${yes(r.targets.contributionAim)}, verification ${yes(r.targets.verificationAim)}`,
  ].join("\n");
}

// --- main ------------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const gnuTime = hasGnuTime();
  const memoryMethod: MemoryMethod = gnuTime ? "/usr/bin/time -v" : "/proc/<pid>/status VmHWM polled";
  const cli = snarkjsCli();
  const node = nodeVersion();
  const runtime = process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.versions.node}`;
  const snarkjsCores = cpus().length;
  console.log(`bench-crypto: powers ${opts.powers.join(",")}, chunk size ≤ ${opts.chunkSize}; ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`);
  console.log(`  ours under ${runtime}; snarkjs ${cli} under node ${node}; snarkjs peak RSS by ${memoryMethod}`);

  const dir = await mkdtemp(join(tmpdir(), "bench-crypto-"));
  const curve = await getCurve();
  await initMcl();
  const poolStart0 = performance.now();
  const pool = new WorkerPool();
  const results: PowerResult[] = [];
  let exitCode = 0;
  try {
    // Start every worker (each loads its own curve engines) before timing anything.
    await pool.checkPoints("G1", repeat(generators(curve).g1, 256 * pool.parallelism));
    const poolStartSeconds = (performance.now() - poolStart0) / 1000;
    console.log(`  worker pool: ${pool.parallelism} workers, started in ${fmtS(poolStartSeconds)} s (not timed)\n`);

    for (const power of opts.powers) {
      const ours = await benchOurs(pool, curve, power, opts.chunkSize);
      const snarkjs = await benchSnarkjs(cli, dir, power, gnuTime);
      const c = ours.contribution.seconds / snarkjs.contribute.seconds;
      const v = ours.verification.seconds / snarkjs.verify.seconds;
      const r: PowerResult = {
        power,
        ours,
        snarkjs,
        targets: { contributionRequired: c <= 1, verificationRequired: v <= 1, contributionAim: c <= 0.5, verificationAim: v <= 0.5 },
      };
      results.push(r);
      console.log(`${report(r, pool.parallelism, snarkjsCores)}\n`);
    }

    if (opts.json) {
      const json = {
        date: new Date().toISOString(),
        machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? null },
        runtime,
        node,
        snarkjsCli: cli,
        snarkjsMemoryMethod: memoryMethod,
        oursMemoryMethod: `process.memoryUsage().rss polled every ${SAMPLE_MS} ms and VmHWM after /proc/self/clear_refs`,
        poolWorkers: pool.parallelism,
        poolStartSeconds,
        snarkjsThreads: snarkjsCores,
        results: results.map((r) => ({
          ...r,
          snarkjs: {
            newSeconds: r.snarkjs.newSeconds,
            contribute: { ...r.snarkjs.contribute, output: undefined },
            verify: { ...r.snarkjs.verify, output: undefined },
          },
          ratios: { contribution: r.ours.contribution.seconds / r.snarkjs.contribute.seconds, verification: r.ours.verification.seconds / r.snarkjs.verify.seconds },
        })),
      };
      await writeFile(opts.json, `${JSON.stringify(json, null, 2)}\n`);
      console.log(`results written to ${opts.json}`);
    }
  } catch (err) {
    console.error(err instanceof VerificationFailed ? `VERIFICATION FAILED: ${err.message}` : err);
    exitCode = 1;
  } finally {
    await pool.close();
    await closeCurve();
    await rm(dir, { recursive: true, force: true });
  }
  return exitCode;
}

process.exit(await main());
