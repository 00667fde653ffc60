/**
 * The lobby under load: the compiled coordinator (a child process) driven from this process, a separate load
 * generator, at fixed offered rates (open loop: latency counts from when a request was due, so a slow server cannot
 * hide its queueing).
 *
 *   bun scripts/bench-lobby.ts [--participants 10000,100000] [--rate 2000] [--seconds 20] [--join-seconds 120]
 *                              [--concurrency 64] [--flood-seconds 15] [--clones 20] [--json FILE]
 *
 * For each size N: (1) N participants join with `--concurrency` requests in flight (joins per second; stops after
 * --join-seconds); (2) for --seconds, status reads and signed heartbeats of queued participants at --rate requests
 * per second in all (half each): p50/p99 and the achieved rate, response sizes; (3) two floods, each while an honest
 * client reads the status 50 times a second: one address joining with fresh keys as fast as it can, and --clones
 * concurrent full `git clone`s of the transcript. Throughout: the server's peak RSS (VmHWM), the transcript writer's
 * lag, and at the end the transcript's bytes per queued participant and its size after `git gc`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createPrivateKey, sign as nativeSign } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateKeyPair, type ParticipantKey } from "../src/auth/keys.ts";
import { bodyHash, canonicalMessage } from "../src/auth/sign.ts";
import { fromHex, toHex } from "../src/crypto/hash.ts";

const { values } = parseArgs({
  options: {
    participants: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string" },
    "join-seconds": { type: "string" },
    concurrency: { type: "string" },
    "flood-seconds": { type: "string" },
    clones: { type: "string" },
    json: { type: "string" },
  },
});
const sizes = (values.participants ?? "10000,100000").split(",").map(Number);
const rate = Number(values.rate ?? 2000);
const seconds = Number(values.seconds ?? 20);
const joinSeconds = Number(values["join-seconds"] ?? 120);
const concurrency = Number(values.concurrency ?? 64);
const floodSeconds = Number(values["flood-seconds"] ?? 15);
const clones = Number(values.clones ?? 20);
const root = new URL("..", import.meta.url).pathname;

// --- signing (native ed25519: the load generator must not be the bottleneck) ---------------------------------

const PKCS8_PREFIX = fromHex("302e020100300506032b657004220420");
interface Signer {
  key: ParticipantKey;
  sign(message: Uint8Array): string;
}
function signer(key: ParticipantKey): Signer {
  const pk = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, fromHex(key.secretKey)]), format: "der", type: "pkcs8" });
  return { key, sign: (m) => toHex(nativeSign(null, m, pk)) };
}
let ceremonyId = "";
function signedInit(s: Signer, method: string, path: string, json: unknown): RequestInit {
  const body = JSON.stringify(json);
  const nonce = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const timestamp = Date.now();
  const message = canonicalMessage({ ceremony: ceremonyId, method, path, bodyHash: bodyHash(body), timestamp, nonce });
  const headers = {
    "content-type": "application/json",
    "x-ceremony-key": s.key.publicKey,
    "x-ceremony-timestamp": String(timestamp),
    "x-ceremony-nonce": nonce,
    "x-ceremony-signature": s.sign(message),
  };
  return { method, headers, body };
}

// --- measurement -----------------------------------------------------------------------------------------------

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Series {
  latencies: number[];
  bytes: number;
  errors: Map<number, number>;
  sent: number;
}
const newSeries = (): Series => ({ latencies: [], bytes: 0, errors: new Map(), sent: 0 });
function summary(s: Series, elapsed: number) {
  const sorted = [...s.latencies].sort((a, b) => a - b);
  return {
    n: s.latencies.length,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    achieved: s.latencies.length / elapsed,
    bytesPerResponse: s.latencies.length ? s.bytes / s.latencies.length : 0,
    errors: Object.fromEntries(s.errors),
  };
}

/** Sends `make()` `perSecond` times a second for `ms`, open loop; latency from when each request was due. */
async function openLoop(perSecond: number, ms: number, make: (i: number) => { url: string; init?: RequestInit }, series: Series): Promise<void> {
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; ; i++) {
    const due = start + (i * 1000) / perSecond;
    if (due - start > ms) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const { url, init } = make(i);
    series.sent++;
    inflight.push(
      fetch(url, init).then(
        async (res) => {
          const body = await res.arrayBuffer();
          if (res.status >= 400) series.errors.set(res.status, (series.errors.get(res.status) ?? 0) + 1);
          else {
            series.latencies.push(performance.now() - due);
            series.bytes += body.byteLength;
          }
        },
        () => {
          series.errors.set(0, (series.errors.get(0) ?? 0) + 1);
        },
      ),
    );
    if (inflight.length > 20_000) await Promise.all(inflight.splice(0, 10_000));
  }
  await Promise.all(inflight);
}

// --- the server ------------------------------------------------------------------------------------------------

interface Server {
  proc: ChildProcess;
  url: string;
  peakRss(): Promise<number>;
  stop(): Promise<void>;
}

async function startServer(data: string): Promise<Server> {
  const bin = join(root, "dist", "ceremony");
  const proc = spawn(bin, ["serve", "--preset", "dev", "--data", data, "--port", "0", "--verifiers", "0", "--replacement-contributors", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /listening on (http:\/\/[^\s;]+)/.exec(log);
      if (m?.[1]) {
        clearInterval(t);
        resolve(m[1]);
      } else if (proc.exitCode !== null) {
        clearInterval(t);
        reject(new Error(log));
      }
    }, 50);
  });
  return {
    proc,
    url,
    peakRss: async () => {
      const status = await readFile(`/proc/${proc.pid}/status`, "utf8").catch(() => "");
      return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    },
    stop: async () => {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    },
  };
}

async function status(url: string): Promise<{ transcript: { lag: number } | null; queue: unknown }> {
  return (await (await fetch(`${url}/v1/status`)).json()) as { transcript: { lag: number } | null; queue: unknown };
}

function queueLength(s: { queue: unknown }): number {
  const q = s.queue as unknown[] | { length: number };
  return Array.isArray(q) ? q.length : q.length;
}

// --- phases ----------------------------------------------------------------------------------------------------

async function joinAll(url: string, signers: Signer[]): Promise<{ joined: number; perSecond: number; errors: number }> {
  let next = 0;
  let joined = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + joinSeconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < signers.length && performance.now() < deadline; i = next++) {
        const res = await fetch(`${url}/v1/queue/join`, signedInit(signers[i] as Signer, "POST", "/v1/queue/join", {})).catch(() => null);
        if (res?.ok) joined++;
        else errors++;
        await res?.arrayBuffer();
      }
    }),
  );
  return { joined, perSecond: joined / ((performance.now() - t0) / 1000), errors };
}

async function honestDuring(url: string, ms: number, flood: () => Promise<unknown>): Promise<ReturnType<typeof summary>> {
  const s = newSeries();
  const t0 = performance.now();
  await Promise.all([openLoop(50, ms, () => ({ url: `${url}/v1/status` }), s), flood()]);
  return summary(s, (performance.now() - t0) / 1000);
}

async function joinFlood(url: string, ms: number): Promise<number> {
  let sent = 0;
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < end) {
        const s = signer(generateKeyPair());
        const res = await fetch(`${url}/v1/queue/join`, signedInit(s, "POST", "/v1/queue/join", {})).catch(() => null);
        await res?.arrayBuffer();
        sent++;
      }
    }),
  );
  return sent;
}

async function cloneFlood(url: string, dir: string): Promise<{ finished: number; seconds: number }> {
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: clones }, (_, i) =>
      new Promise<boolean>((resolve) => {
        const p = spawn("git", ["clone", "-q", "--bare", `${url}/transcript.git`, join(dir, `clone-${i}`)], { stdio: "ignore", env: { PATH: process.env.PATH ?? "", GIT_TERMINAL_PROMPT: "0", HOME: dir } });
        const timer = setTimeout(() => p.kill("SIGKILL"), floodSeconds * 4000);
        p.on("exit", (code) => {
          clearTimeout(timer);
          resolve(code === 0);
        });
      }),
    ),
  );
  return { finished: results.filter(Boolean).length, seconds: (performance.now() - t0) / 1000 };
}

function du(path: string): number {
  const r = spawnSync("du", ["-sb", path], { encoding: "utf8" });
  return Number(r.stdout.split(/\s/)[0] ?? 0);
}

// --- main ------------------------------------------------------------------------------------------------------

spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
const results: Record<string, unknown>[] = [];
for (const n of sizes) {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-bench-lobby-"));
  const server = await startServer(join(dir, "data"));
  try {
    ceremonyId = ((await (await fetch(`${server.url}/v1/ceremony`)).json()) as { ceremonyId: string }).ceremonyId;
    console.error(`N=${n}: generating keys`);
    const signers = Array.from({ length: n }, () => signer(generateKeyPair()));
    console.error(`N=${n}: joining`);
    const joins = await joinAll(server.url, signers);
    const queued = queueLength(await status(server.url));
    console.error(`N=${n}: ${joins.joined} joined (${joins.perSecond.toFixed(0)}/s); open-loop load`);
    const statusSeries = newSeries();
    const beatSeries = newSeries();
    const t0 = performance.now();
    await Promise.all([
      openLoop(rate / 2, seconds * 1000, () => ({ url: `${server.url}/v1/status` }), statusSeries),
      openLoop(rate / 2, seconds * 1000, (i) => ({ url: `${server.url}/v1/heartbeat`, init: signedInit(signers[i % Math.max(1, joins.joined)] as Signer, "POST", "/v1/heartbeat", {}) }), beatSeries),
    ]);
    const elapsed = (performance.now() - t0) / 1000;
    const lagAfterLoad = (await status(server.url)).transcript?.lag ?? null;
    console.error(`N=${n}: join flood`);
    const joinFloodResult = await honestDuring(server.url, floodSeconds * 1000, () => joinFlood(server.url, floodSeconds * 1000));
    console.error(`N=${n}: clone flood`);
    let cloneResult: { finished: number; seconds: number } = { finished: 0, seconds: 0 };
    const cloneHonest = await honestDuring(server.url, floodSeconds * 1000, async () => (cloneResult = await cloneFlood(server.url, dir)));
    // Let the writer catch up, then measure the transcript.
    for (let i = 0; i < 600 && ((await status(server.url)).transcript?.lag ?? 0) > 0; i++) await sleep(500);
    const transcriptBytes = du(join(dir, "data", "transcript"));
    const row = {
      participants: n,
      queued,
      joinsPerSecond: Math.round(joins.perSecond),
      status: summary(statusSeries, elapsed),
      heartbeat: summary(beatSeries, elapsed),
      peakRssMiB: Math.round((await server.peakRss()) / 2 ** 20),
      writerLagAfterLoad: lagAfterLoad,
      transcriptBytesPerQueued: Math.round(transcriptBytes / Math.max(1, queued)),
      joinFlood: joinFloodResult,
      cloneFlood: { ...cloneResult, honest: cloneHonest },
    };
    results.push(row);
    console.log(JSON.stringify(row));
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "–");
console.log("\n| queued | joins/s | status p50/p99 ms (achieved/s, bytes) | heartbeat p50/p99 ms (achieved/s) | peak RSS MiB | transcript B/queued | honest status p99 ms: join flood / clone flood (clones done) |");
console.log("|---|---|---|---|---|---|---|");
for (const r of results as Array<{ queued: number; joinsPerSecond: number; status: ReturnType<typeof summary>; heartbeat: ReturnType<typeof summary>; peakRssMiB: number; transcriptBytesPerQueued: number; joinFlood: ReturnType<typeof summary>; cloneFlood: { finished: number; honest: ReturnType<typeof summary> } }>) {
  console.log(
    `| ${r.queued} | ${r.joinsPerSecond} | ${f(r.status.p50)} / ${f(r.status.p99)} (${r.status.achieved.toFixed(0)}/s, ${Math.round(r.status.bytesPerResponse)} B) | ${f(r.heartbeat.p50)} / ${f(r.heartbeat.p99)} (${r.heartbeat.achieved.toFixed(0)}/s) | ${r.peakRssMiB} | ${r.transcriptBytesPerQueued} | ${f(r.joinFlood.p99)} / ${f(r.cloneFlood.honest.p99)} (${r.cloneFlood.finished}/${clones}) |`,
  );
}
if (values.json) await writeFile(values.json, JSON.stringify(results, null, 2));
