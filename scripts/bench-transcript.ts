/**
 * Transcript commit latency as the history grows: one event per commit, every 10th a contribution carrying a 50 KB
 * chunk file, timing the commits right after the transcript reaches each size, with the repository's size there.
 * Sizes 900 and 9,900 time commits into a nearly full events/<D1>/<D2>/ shard (1,000 entries at most), the costliest
 * tree to rewrite; 1,000 and 10,000 time commits into a fresh one.
 *
 *   bun scripts/bench-transcript.ts [--sizes 100,900,1000,9900,10000] [--window 100] [--artifact-bytes 50000] [--fsync]
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CeremonyEvent } from "../src/core/model.ts";
import { checksumOf } from "../src/store/event-line.ts";
import { TranscriptWriter } from "../src/transcript/writer.ts";

const { values } = parseArgs({
  options: { sizes: { type: "string" }, window: { type: "string" }, "artifact-bytes": { type: "string" }, fsync: { type: "boolean" } },
});
const sizes = (values.sizes ?? "100,900,1000,9900,10000").split(",").map(Number);
const window = Number(values.window ?? 100);
const artifactBytes = Number(values["artifact-bytes"] ?? 50_000);

const participant = (i: number) => createHash("sha256").update(String(i)).digest("hex");
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const env = { PATH: process.env.PATH ?? "", HOME: tmpdir(), GIT_TERMINAL_PROMPT: "0", GIT_CONFIG_NOSYSTEM: "1" };
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env, encoding: "utf8" });

/** Chunk files not yet committed (committed ones are dropped, as they would sit on disk, not in this heap). */
const artifacts = new Map<string, Uint8Array>();
let chunkFiles = 0;
const base = await mkdtemp(join(tmpdir(), "ceremony-bench-transcript-"));
const dir = join(base, "transcript");
const writer = await TranscriptWriter.open({
  dir,
  readme: await readFile(new URL("../transcript/README.md", import.meta.url), "utf8"),
  ceremony: { ceremonyId: "bench", power: 12, chunkSize: 256, numChunks: 16, coordinatorKey: "00".repeat(32) },
  artifacts: { get: async (hash) => artifacts.get(hash) ?? new Uint8Array(), size: async (hash) => artifacts.get(hash)?.length ?? 0 },
  externalThresholdBytes: 1 << 20,
  externalUrl: (hash) => `https://ceremony.example/artifacts/${hash}`,
  fsync: values.fsync ?? false,
});

/** The seq-th event of a plausible run: locks, uploads (every 10th, with a chunk file) and verdicts. */
function eventAt(seq: number): CeremonyEvent {
  const round = 1 + Math.floor(seq / 1000);
  const chunk = Math.floor(seq / 10) % 16;
  const who = participant(seq % 7);
  if (seq % 10 === 0) {
    const bytes = randomBytes(artifactBytes);
    const hash = createHash("blake2b512").update(bytes).digest("hex");
    artifacts.set(hash, bytes);
    chunkFiles++;
    return { type: "ContributionRecorded", round, chunk, position: seq % 5, contributor: who, hash, at: 0 };
  }
  if (seq % 10 === 1) return { type: "ContributionVerified", round, chunk, position: seq % 5, verifier: participant(99), hash: "ab".repeat(64), at: 0 };
  if (seq % 10 === 5) return { type: "ChunkLocked", round, chunk, participant: who, at: seq };
  return { type: "ParticipantQueued", participant: participant(seq), at: seq };
}

async function commitNext(seq: number): Promise<number> {
  const entry = { seq, time: new Date(Date.UTC(2025, 0, 1) + seq * 1000).toISOString(), event: eventAt(seq) };
  const t = performance.now();
  await writer.commitEvents([{ ...entry, checksum: checksumOf(entry) }]);
  const elapsed = performance.now() - t;
  artifacts.clear();
  return elapsed;
}

/** `git count-objects -v` as numbers (sizes in KiB). */
const countObjects = (): Record<string, number> =>
  Object.fromEntries(
    run("git", ["-C", dir, "count-objects", "-v"]).trim().split("\n").map((line) => {
      const [key, value] = line.split(": ");
      return [key ?? "", Number(value)];
    }),
  );
const mib = (kib: number | undefined) => `${((kib ?? NaN) / 1024).toFixed(1)}`;
const du = (...flags: string[]) => run("du", ["-s", "--block-size=1M", ...flags, dir]).split("\t")[0] ?? "";
const cell = (value: string | number, width: number) => String(value).padStart(width);

const rows: string[] = [];
let seq = 0;
const t0 = performance.now();
for (const size of sizes) {
  while (seq < size) await commitNext(++seq);
  const before = countObjects();
  const cpu = process.cpuUsage();
  const latencies: number[] = [];
  for (let i = 0; i < window; i++) latencies.push(await commitNext(++seq));
  const { user, system } = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const after = countObjects();
  const objectsPerCommit = ((after.count ?? 0) - (before.count ?? 0)) / window;
  const kibPerCommit = ((after.size ?? 0) - (before.size ?? 0)) / window;
  rows.push(
    `| ${cell(size, 6)} | ${cell(percentile(latencies, 50).toFixed(2), 6)} | ${cell(percentile(latencies, 99).toFixed(2), 6)} | ${cell(((user + system) / 1000 / window).toFixed(2), 6)} | ${cell(objectsPerCommit.toFixed(1), 7)} | ${cell(kibPerCommit.toFixed(1), 7)} | ${cell(du(), 7)} | ${cell(du("--apparent-size"), 7)} | ${cell(after.count ?? NaN, 7)} | ${cell(mib(after.size), 7)} |`,
  );
  console.error(`  reached ${seq} events after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
run("git", ["-C", dir, "fsck", "--full", "--strict"]);

console.log(`one event per commit, every 10th with a ${artifactBytes}-byte chunk file; fsync ${values.fsync ? "on" : "off"}; ${window} commits timed after each size\n`);
console.log("| events | p50 ms | p99 ms | cpu ms | obj/cmt | KiB/cmt | du MiB  | app MiB | loose   | lo. MiB |");
console.log("|--------|--------|--------|--------|---------|---------|---------|---------|---------|---------|");
for (const row of rows) console.log(row);
const chunkMiB = (chunkFiles * artifactBytes) / 2 ** 20;
console.log(`\n${seq} events, ${chunkFiles} chunk files (${chunkMiB.toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s; git fsck --full --strict clean`);
run("git", ["-C", dir, "gc", "--quiet"]);
console.log(`after git gc: du ${du()} MiB, size-pack ${mib(countObjects()["size-pack"])} MiB`);
await rm(base, { recursive: true, force: true });
