/** `ceremony serve`: the coordinator, its own verifiers and the HTTP API, until SIGINT/SIGTERM. */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureKeyFile } from "../auth/keys.ts";
import { ReplayGuard } from "../auth/replay.ts";
import { bunClientAddress, bunWebSockets, serveHttp } from "../adapters/bun/http.ts";
import type { ServeSettings } from "../config/presets.ts";
import { loadServeSettings, serveHelp, SERVE_OPTIONS, ConfigError } from "../config/serve.ts";
import { FolderLocked, lockFolder } from "../store/folder-lock.ts";
import { closeCurve } from "../crypto/curve.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { createApp } from "../api/app.ts";
import { createAdmission } from "../server/admission.ts";
import { Coordinator } from "../server/coordinator.ts";
import { restoreFromTranscript, RestoreError } from "../transcript/restore.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { parseFlags } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = serveHelp();

export async function serve(argv: string[]): Promise<void> {
  const options: Record<string, { type: "string"; multiple?: boolean }> = { preset: { type: "string" }, config: { type: "string" }, "restore-from": { type: "string" } };
  for (const o of Object.values(SERVE_OPTIONS)) options[o.flag.slice(2)] = { type: "string", ...(o.repeatable ? { multiple: true } : {}) };
  const { values } = parseFlags("serve", argv, options);
  let settings;
  try {
    settings = await loadServeSettings({ flags: values, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`serve: ${err.message}`);
    throw err;
  }
  const data = resolve(settings.data);
  await mkdir(data, { recursive: true });
  // Before anything else is created or read: one coordinator per data folder.
  let lock;
  try {
    lock = await lockFolder(data);
  } catch (err) {
    if (err instanceof FolderLocked) throw new CliError(`serve: ${err.message}`);
    throw err;
  }
  try {
    await serveLocked(settings, data, values["restore-from"]);
  } finally {
    await lock.release();
  }
}

async function serveLocked(settings: ServeSettings, data: string, restoreFrom: unknown): Promise<void> {
  const log: Logger = createLogger({ format: settings.logFormat });
  log.info(`data folder ${data} (preset ${settings.preset})`, { data, preset: settings.preset });

  const admins = [...settings.admins];
  if (admins.length === 0) {
    if (settings.preset === "production") throw new CliError("serve: the production preset needs at least one --admin key");
    const { key, created } = await ensureKeyFile(join(data, "admin.key"));
    admins.push(key.publicKey);
    log.info(`admin key ${created ? "created at" : "read from"} ${join(data, "admin.key")}`);
  }
  if (typeof restoreFrom === "string") {
    try {
      await restoreFromTranscript(restoreFrom, data, (line) => log.info(line));
    } catch (err) {
      if (err instanceof RestoreError) throw new CliError(`serve: ${err.message}`);
      throw err;
    }
  }
  const coordinatorKey = (await ensureKeyFile(join(data, "coordinator.key"))).key;
  let listening = `http://${settings.host}:${settings.port}`;

  const pool = new WorkerPool(settings.threads || undefined);
  const coordinator = await Coordinator.open({
    dataDir: data,
    settings: {
      power: settings.power,
      chunkSize: settings.chunkSize,
      contributorsPerRound: settings.contributorsPerRound,
      lockLimit: settings.lockLimit,
      roundStartWaitMs: settings.roundStartWaitMs,
      heartbeatTimeoutMs: settings.heartbeatTimeoutMs,
      lockTimeoutMs: settings.lockTimeoutMs,
      maxVerificationFailures: settings.maxVerificationFailures,
      dropsBeforeBan: settings.dropsBeforeBan,
      turnTimeoutMs: settings.turnTimeoutMs,
      admins,
      identity: settings.identity,
      contributionsPerIdentity: settings.contributionsPerIdentity,
    },
    verifierKeys: settings.verifierKeys,
    queueCap: settings.queueCap,
    admission: createAdmission({
      kind: settings.identity,
      publicUrl: () => settings.publicUrl || listening,
      chainId: settings.ethChainId,
      rpcUrl: settings.ethRpcUrl,
      minTransactions: settings.ethMinTransactions,
    }),
    tickMs: settings.tickMs,
    verifiers: settings.verifiers,
    replacements: settings.replacementContributors,
    coordinatorKey,
    transcript: {
      externalThresholdBytes: settings.externalThresholdBytes,
      publicUrl: () => settings.publicUrl || listening,
      remotes: settings.backupRemotes,
      backupCron: settings.backupCron,
      fsync: settings.transcriptFsync,
    },
    ops: pool,
    log,
    processMetrics: true,
  });
  coordinator.start();
  const ws = bunWebSockets();
  const app = createApp(coordinator.service, {
    replay: new ReplayGuard({ windowMs: settings.signatureWindowMs }),
    transcriptRepo: join(data, "transcript"),
    limits: {
      joinsPerAddress: { perSecond: settings.joinRate, burst: settings.joinBurst },
      requestsPerAddress: { perSecond: settings.requestRate, burst: settings.requestBurst },
      requestsPerKey: { perSecond: settings.keyRate, burst: settings.keyBurst },
    },
    clientAddress: bunClientAddress(settings.trustProxy),
    git: {
      maxUploadPacks: settings.gitMaxUploadPacks,
      maxUploadPacksPerClient: settings.gitMaxUploadPacksPerClient,
      packCacheBytes: settings.gitPackCacheMb * 2 ** 20,
      retryAfterSeconds: settings.gitRetryAfterS,
      log: (line) => console.log(`ceremony: ${line}`),
    },
    upgradeWebSocket: ws.upgradeWebSocket,
    operations: { readiness: () => coordinator.readiness(), metrics: coordinator.metrics, metricsToken: settings.metricsToken },
    log,
  });
  const server = serveHttp(app.fetch, settings.host, settings.port, ws.websocket);
  listening = server.url;
  log.info(`listening on ${server.url}; transcript: git clone ${settings.publicUrl || server.url}/transcript.git`, { url: server.url });
  if (settings.preset === "production" && !settings.metricsToken) log.warn("GET /metrics is public: set --metrics-token (or CEREMONY_METRICS_TOKEN), or block /metrics at the reverse proxy");

  const fatal = await new Promise<{ what: string; error: unknown } | null>((resolveStop) => {
    const stop = (signal: string): void => {
      log.info(`${signal}: stopping (no new requests; in-flight work finishes; the state stays valid)`, { signal });
      resolveStop(null);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    void coordinator.failed.then(resolveStop);
  });
  await server.stop();
  await coordinator.close();
  await pool.close();
  await closeCurve();
  if (!fatal) log.info("stopped");
  if (fatal) {
    const why = fatal.error instanceof Error ? fatal.error.message : String(fatal.error);
    throw new CliError(`serve: stopped: ${fatal.what} failed: ${why} (restart to resume from the log)`, 1);
  }
}
