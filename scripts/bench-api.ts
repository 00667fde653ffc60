/**
 * API latency and throughput with 1,000 participants in the queue: the real coordinator and Hono app behind
 * Bun.serve on loopback, driven by signed fetch requests from this process with bounded concurrency.
 *
 *   bun scripts/bench-api.ts [--participants 1000] [--requests 5000] [--concurrency 32]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateKeyPair, type ParticipantKey } from "../src/auth/keys.ts";
import { ReplayGuard } from "../src/auth/replay.ts";
import { serveHttp } from "../src/adapters/bun/http.ts";
import { CeremonyClient } from "../src/client/http.ts";
import { closeCurve } from "../src/crypto/curve.ts";
import { LocalOps } from "../src/crypto/ops.ts";
import { createApp } from "../src/api/app.ts";
import { Coordinator } from "../src/server/coordinator.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../src/core/model.ts";

const { values } = parseArgs({ options: { participants: { type: "string" }, requests: { type: "string" }, concurrency: { type: "string" } } });
const participants = Number(values.participants ?? 1000);
const requests = Number(values.requests ?? 5000);
const concurrency = Number(values.concurrency ?? 32);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(name: string, one: (i: number) => Promise<void>): Promise<void> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests; i = next++) {
        const t = performance.now();
        await one(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `| ${name.padEnd(24)} | ${requests} | ${percentile(latencies, 50).toFixed(2).padStart(7)} | ${percentile(latencies, 99).toFixed(2).padStart(7)} | ${(requests / seconds).toFixed(0).padStart(6)} |`,
  );
}

const dir = await mkdtemp(join(tmpdir(), "ceremony-bench-api-"));
const admin = generateKeyPair();
const coord = await Coordinator.open({
  dataDir: dir,
  settings: { power: 8, chunkSize: 64, contributorsPerRound: 5, lockLimit: 1, roundStartWaitMs: 3_600_000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
  tickMs: 1000,
  verifiers: 0,
  coordinatorKey: admin,
  ops: await LocalOps.create(),
});
const app = createApp(coord.service, { replay: new ReplayGuard({ maxEntries: 10_000_000, maxEntriesPerKey: 100_000 }) });
const server = serveHttp(app.fetch, "127.0.0.1", 0);
try {
  const keys: ParticipantKey[] = Array.from({ length: participants }, () => generateKeyPair());
  const clients = keys.map((k) => new CeremonyClient(server.url, k));
  const tJoin = performance.now();
  for (let i = 0; i < clients.length; i += concurrency) await Promise.all(clients.slice(i, i + concurrency).map((c) => c.join()));
  console.log(`${participants} participants joined the queue in ${((performance.now() - tJoin) / 1000).toFixed(2)} s (each join is an fsynced event)`);
  const publicClient = new CeremonyClient(server.url, null);
  console.log(`concurrency ${concurrency}, loopback, one process for client and server (2 cores)\n`);
  console.log("| endpoint                 | requests | p50 (ms) | p99 (ms) | req/s |");
  console.log("|--------------------------|----------|----------|----------|-------|");
  await measure("GET /v1/status", async () => {
    await publicClient.status();
  });
  await measure("POST /v1/heartbeat (signed)", async (i) => {
    await (clients[i % clients.length] as CeremonyClient).heartbeat();
  });
} finally {
  await server.stop();
  await coord.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
}
