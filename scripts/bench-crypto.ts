/**
 * Benchmark of our chunked contribution and verification against the snarkjs CLI, in one run on this machine.
 *
 *   bun scripts/bench-crypto.ts [--powers 12,16,18] [--chunk-size 4096] [--runs 1] [--engine auto|native|wasm]
 *                               [--contend] [--ours-only] [--json results.json]
 *
 * For each run and power p (chunk size min(--chunk-size, 2^p)):
 *  - ours: the generator-filled chunks of round 0 written to a temp dir (initialChunk, not timed), then, timed on
 *    the wall clock, (a) one contributor's full contribution: createContributorKey, then for every chunk in order
 *    read its parent, contributeChunk with a WorkerPool over every core, write the result; (b) the coordinator's
 *    verification of that contribution: verifyContribution reading the chunks from disk (chunk 0 against the
 *    genesis record and the first challenge hash, every other chunk against chunk 0's record and its
 *    neighbour's boundary point, with every check: on-curve, subgroup, 64-bit scalars, boundary links). Any
 *    rejected verdict exits 1.
 *  - snarkjs (the installed CLI under Node, in a temp dir): `powersoftau new bn128 p a.ptau` (not timed), then timed
 *    `powersoftau contribute a.ptau b.ptau -e=…` and `powersoftau verify b.ptau`, each a child process.
 * --contend runs a busy loop in another process (one core's worth) through every timed phase of both sides, to
 * show how the ratios hold when the cores are contended. --runs repeats everything and ends with the medians.
 * --ours-only skips snarkjs (our times and memory alone, e.g. at powers where snarkjs takes long).
 *
 * Memory: see bench/measure.ts (ours) and bench/snarkjs.ts (snarkjs). Cores: the nominal number of threads each
 * side uses (our pool size; ffjavascript's os.cpus().length) and the effective number, CPU time / wall time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import type { Curve } from "ffjavascript";
import { chunkHash } from "../src/crypto/chunk.ts";
import { contributeChunk } from "../src/crypto/contribute.ts";
import { closeCurve, getCurve } from "../src/crypto/curve.ts";
import { generators, repeat } from "../src/crypto/encoding.ts";
import { initEngine, isEnginePreference, type EnginePreference } from "../src/crypto/engine.ts";
import { toHex } from "../src/crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../src/crypto/initial.ts";
import { createContributorKey, destroyKey } from "../src/crypto/keys.ts";
import { initMcl } from "../src/crypto/mcl.ts";
import { numChunks, parseParams, type CeremonyParams } from "../src/crypto/params.ts";
import { genesisRecord } from "../src/crypto/pipeline.ts";
import { WorkerPool } from "../src/crypto/pool.ts";
import { verifyContribution } from "../src/crypto/verify-contribution.ts";
import { measure, SAMPLE_MS } from "./bench/measure.ts";
import { report, reportOurs, summary, type OursResult, type PowerResult } from "./bench/report.ts";
import { benchSnarkjs, hasGnuTime, nodeVersion, snarkjsCli, type MemoryMethod } from "./bench/snarkjs.ts";

const ENTROPY = "bench-crypto entropy";

interface Options {
  powers: number[];
  chunkSize: number;
  runs: number;
  engine: EnginePreference;
  contend: boolean;
  oursOnly: boolean;
  json: string | null;
}

function usage(message: string): never {
  console.error(`bench-crypto: ${message}`);
  console.error("usage: bun scripts/bench-crypto.ts [--powers 12,16,18] [--chunk-size 4096] [--runs N] [--engine auto|native|wasm] [--contend] [--ours-only] [--json FILE]");
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { powers: [12, 16], chunkSize: 4096, runs: 1, engine: "auto", contend: false, oursOnly: false, json: null };
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
    const int = (v: string, ok: (n: number) => boolean, what: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || !ok(n)) usage(what);
      return n;
    };
    switch (name) {
      case "--powers":
        opts.powers = value()
          .split(",")
          .map((s) => int(s.trim(), (p) => p >= 1 && p <= 28, "--powers takes integers in 1..28, comma-separated"));
        break;
      case "--chunk-size":
        opts.chunkSize = int(value(), (n) => n >= 2 && (n & (n - 1)) === 0, "--chunk-size takes a power of two ≥ 2");
        break;
      case "--runs":
        opts.runs = int(value(), (n) => n >= 1, "--runs takes a positive integer");
        break;
      case "--engine": {
        const e = value();
        if (!isEnginePreference(e)) usage("--engine takes auto, native or wasm");
        opts.engine = e;
        break;
      }
      case "--contend":
        opts.contend = true;
        break;
      case "--ours-only":
        opts.oursOnly = true;
        break;
      case "--json":
        opts.json = value();
        break;
      default:
        usage(arg === "--help" || arg === "-h" ? "help" : `unknown argument ${arg}`);
    }
  }
  return opts;
}

class VerificationFailed extends Error {}

async function benchOurs(pool: WorkerPool, curve: Curve, power: number, chunkSizeOpt: number, dir: string): Promise<OursResult> {
  const setup0 = performance.now();
  const params: CeremonyParams = parseParams({ ceremonyId: toHex(randomBytes(32)), power, chunkSize: Math.min(chunkSizeOpt, 2 ** power) });
  const n = numChunks(params);
  const parentPath = (k: number): string => join(dir, `p${power}-parent-${k}`);
  const chunkPath = (k: number): string => join(dir, `p${power}-chunk-${k}`);
  const parentHashes: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    const c = initialChunk(curve, params, k);
    parentHashes.push(chunkHash(c));
    await writeFile(parentPath(k), c);
  }
  const challenge = firstChallengeHash(curve, power);
  const genesis = genesisRecord(curve);
  const setupSeconds = (performance.now() - setup0) / 1000;

  const contributed = await measure(async () => {
    const key = createContributorKey(curve, challenge, ENTROPY);
    try {
      for (let k = 0; k < n; k++) {
        const parent = await readFile(parentPath(k));
        await writeFile(chunkPath(k), await contributeChunk(pool, curve, parent, { params, chunkIndex: k, round: 1, contributor: 0 }, key));
      }
    } finally {
      destroyKey(key);
    }
  });
  const verified = await measure(async () => {
    const files = { count: n, read: (k: number): Promise<Uint8Array> => readFile(chunkPath(k)) };
    const exp = { params, round: 1, contributor: 0, challenge, prevRecord: genesis, knownPublicKeys: new Set<string>() };
    const result = await verifyContribution(pool, curve, files, parentHashes, exp);
    if (!result.ok) throw new VerificationFailed(`power ${power}: chunk ${result.chunkIndex} of ${n} rejected: ${result.code}: ${result.message}`);
  });
  for (let k = 0; k < n; k++) await Promise.all([rm(parentPath(k)), rm(chunkPath(k))]);
  return { chunks: n, chunkSize: params.chunkSize, setupSeconds, contribution: contributed.result, verification: verified.result };
}

/** A busy loop in another process: one core's worth of competing load. */
function startContention(): ChildProcess {
  return spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const gnuTime = hasGnuTime();
  const memoryMethod: MemoryMethod = gnuTime ? "/usr/bin/time -v" : "/proc/<pid>/status VmHWM polled";
  const cli = snarkjsCli();
  const node = nodeVersion();
  const runtime = process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.versions.node}`;
  const snarkjsCores = cpus().length;
  console.log(`bench-crypto: powers ${opts.powers.join(",")}, chunk size ≤ ${opts.chunkSize}, ${opts.runs} run(s); ${availableParallelism()} cores (${cpus()[0]?.model ?? "?"})`);
  console.log(`  ours under ${runtime}; snarkjs ${cli} under node ${node}; snarkjs peak RSS by ${memoryMethod}`);

  const dir = await mkdtemp(join(tmpdir(), "bench-crypto-"));
  const curve = await getCurve();
  await Promise.all([initMcl(), initEngine(opts.engine)]);
  const poolStart0 = performance.now();
  const pool = new WorkerPool(undefined, { engine: opts.engine });
  const contention = opts.contend ? startContention() : null;
  const results: PowerResult[] = [];
  let exitCode = 0;
  try {
    // Start every worker (each loads its own curve engine) before timing anything.
    await pool.checkPoints("G1", repeat(generators(curve).g1, 256 * pool.parallelism));
    const engine = await pool.engineKind();
    console.log(`  worker pool: ${pool.parallelism} workers on the ${engine} curve engine, started in ${((performance.now() - poolStart0) / 1000).toFixed(3)} s (not timed)`);
    if (contention) console.log(`  contention: a busy loop in process ${contention.pid} through every phase of both sides`);
    console.log("");
    for (let run = 1; run <= opts.runs; run++) {
      for (const power of opts.powers) {
        const ours = await benchOurs(pool, curve, power, opts.chunkSize, dir);
        if (opts.oursOnly) {
          console.log(`${reportOurs(power, ours, pool.parallelism)}\n`);
          continue;
        }
        const snarkjs = await benchSnarkjs(cli, dir, power, gnuTime, ENTROPY);
        const r: PowerResult = { power, run, ours, snarkjs };
        results.push(r);
        console.log(`${report(r, pool.parallelism, snarkjsCores)}\n`);
      }
    }
    if (results.length > 0) console.log(summary(results));
    if (opts.json) {
      const json = {
        date: new Date().toISOString(),
        machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? null },
        runtime,
        node,
        engine,
        contended: opts.contend,
        snarkjsMemoryMethod: memoryMethod,
        oursMemoryMethod: `process.memoryUsage().rss polled every ${SAMPLE_MS} ms and VmHWM after /proc/self/clear_refs`,
        poolWorkers: pool.parallelism,
        snarkjsThreads: snarkjsCores,
        results: results.map((r) => ({
          ...r,
          snarkjs: { newSeconds: r.snarkjs.newSeconds, contribute: { ...r.snarkjs.contribute, output: undefined }, verify: { ...r.snarkjs.verify, output: undefined } },
        })),
      };
      await writeFile(opts.json, `${JSON.stringify(json, null, 2)}\n`);
      console.log(`results written to ${opts.json}`);
    }
  } catch (err) {
    console.error(err instanceof VerificationFailed ? `VERIFICATION FAILED: ${err.message}` : err);
    exitCode = 1;
  } finally {
    contention?.kill("SIGKILL");
    await pool.close();
    await closeCurve();
    await rm(dir, { recursive: true, force: true });
  }
  return exitCode;
}

process.exit(await main());
