/** `ceremony serve`: the coordinator, its own verifiers and the HTTP API, until SIGINT/SIGTERM. */
import { access, mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureKeyFile, readKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { ReplayGuard } from "../auth/replay.ts";
import { bunClientAddress, bunWebSockets, listen, ListenError, type BoundServer } from "../adapters/bun/http.ts";
import { bunWebAssets } from "../adapters/bun/web-assets.ts";
import type { ServeSettings } from "../config/presets.ts";
import { loadServeConfig, serveHelp, SERVE_OPTIONS, ConfigError } from "../config/serve.ts";
import { FolderLocked, lockFolder } from "../store/folder-lock.ts";
import { closeCurve } from "../crypto/curve.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { createApp } from "../api/app.ts";
import { readOnly, starting } from "../api/gates.ts";
import { parseMoment } from "../lib/moment.ts";
import { createAdmission } from "../server/admission.ts";
import { Coordinator } from "../server/coordinator.ts";
import { StartupRefusal } from "../server/startup.ts";
import { restoreFromTranscript, RestoreError } from "../transcript/restore.ts";
import { offsetWallClock, steadyClock } from "../lib/clock.ts";
import { createLogger, type Logger } from "../lib/log.ts";
import { parseFlags } from "./args.ts";
import { CliError } from "./errors.ts";
import { checkConfiguration, existingCeremonyCheck, productionWarnings, readTls } from "./serve-checks.ts";

export const usage = serveHelp();

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

export async function serve(argv: string[]): Promise<void> {
  const options: Record<string, { type: "string"; multiple?: boolean }> = { preset: { type: "string" }, config: { type: "string" }, "restore-from": { type: "string" } };
  for (const o of Object.values(SERVE_OPTIONS)) options[o.flag.slice(2)] = { type: "string", ...(o.repeatable ? { multiple: true } : {}) };
  const { values } = parseFlags("serve", argv, options);
  let config;
  try {
    config = await loadServeConfig({ flags: values, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`serve: ${err.message}`);
    throw err;
  }
  const { settings, explicit } = config;
  const restoreFrom = typeof values["restore-from"] === "string" ? values["restore-from"] : undefined;
  await checkConfiguration(settings, restoreFrom);
  const tls = await readTls(settings);

  // The socket first: a busy port (or a certificate Bun cannot use) fails here, before any folder or key exists.
  const ws = bunWebSockets();
  let server: BoundServer;
  try {
    server = listen({ host: settings.host, port: settings.port, ...(tls ? { tls } : {}), websocket: ws.websocket, starting });
  } catch (err) {
    if (err instanceof ListenError) throw new CliError(`serve: ${err.message}`);
    throw err;
  }
  try {
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
      await serveLocked({ settings, explicit, data, restoreFrom, server, ws });
    } finally {
      await lock.release();
    }
  } finally {
    await server.stop();
  }
}

interface Serving {
  settings: ServeSettings;
  explicit: ReadonlySet<string>;
  data: string;
  restoreFrom: string | undefined;
  server: BoundServer;
  ws: ReturnType<typeof bunWebSockets>;
}

/** The coordinator's key: read; created for a new ceremony; absent (null) for an existing one served read-only. */
async function coordinatorKey(data: string): Promise<ParticipantKey | null> {
  const path = join(data, "coordinator.key");
  if (await exists(path)) return readKeyFile(path);
  if (await exists(join(data, "events.jsonl"))) return null;
  return (await ensureKeyFile(path)).key;
}

async function serveLocked({ settings, explicit, data, restoreFrom, server, ws }: Serving): Promise<void> {
  const log: Logger = createLogger({ format: settings.logFormat });
  const say = (line: string): void => log.info(line);
  log.info(`data folder ${data} (preset ${settings.preset})`, { data, preset: settings.preset });
  for (const w of productionWarnings(settings)) log.warn(w);

  const admins = [...settings.admins];
  if (admins.length === 0) {
    const { key, created } = await ensureKeyFile(join(data, "admin.key"));
    admins.push(key.publicKey);
    say(`admin key ${created ? "created at" : "read from"} ${join(data, "admin.key")}`);
  }
  if (restoreFrom !== undefined) {
    try {
      const { finalized } = await restoreFromTranscript(restoreFrom, data, say);
      if (finalized) say("the restored ceremony is finalized: serving it read-only");
    } catch (err) {
      if (err instanceof RestoreError) throw new CliError(`serve: ${err.message}`);
      throw err;
    }
  }
  let listening = server.url;
  const schedule = {
    ...(settings.opensAt !== "" ? { opensAt: parseMoment(settings.opensAt) } : {}),
    ...(settings.closesAt !== "" ? { closesAt: parseMoment(settings.closesAt) } : {}),
    ...(settings.finalizeAt !== "" ? { finalizeAt: parseMoment(settings.finalizeAt), beaconFile: settings.beaconFile } : {}),
  };

  // Durations are measured on a steady clock (lib/clock.ts); the offset file is the soak's hook to step the wall clock.
  const offsetFile = process.env.CEREMONY_CLOCK_OFFSET_FILE;
  const clock = steadyClock(offsetFile ? { wall: offsetWallClock(offsetFile) } : {});
  if (offsetFile) log.warn(`test hook: the wall clock is shifted by the milliseconds in ${offsetFile} (CEREMONY_CLOCK_OFFSET_FILE)`);

  const pool = new WorkerPool(settings.threads || undefined);
  let coordinator: Coordinator;
  try {
    coordinator = await Coordinator.open({
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
      checkExisting: existingCeremonyCheck(settings, explicit, say),
      ...(settings.importPtau !== "" ? { importPtau: settings.importPtau } : {}),
      schedule,
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
      coordinatorKey: await coordinatorKey(data),
      transcript: {
        externalThresholdBytes: settings.externalThresholdBytes,
        publicUrl: () => settings.publicUrl || listening,
        remotes: settings.backupRemotes,
        backupCron: settings.backupCron,
        fsync: settings.transcriptFsync,
        releaseUrl: settings.releaseUrl,
      },
      ops: pool,
      now: clock.now,
      clock,
      log,
      processMetrics: true,
      mirrors: { admitOnRegistration: settings.mirrorAdmission === "open", threshold: settings.mirrorThreshold },
    });
  } catch (err) {
    await pool.close();
    await closeCurve();
    if (err instanceof StartupRefusal) throw new CliError(`serve: ${err.message}`);
    throw err;
  }
  coordinator.start();
  const app = createApp(coordinator.service, {
    // The signature window (participants' clocks against this machine's) and the rate limits read the steady
    // clock's external time: a step of the system clock (NTP, `date -s`) neither refuses every honest request
    // while it lasts nor leaves a rate-limited client a debt of the step's length.
    now: clock.external,
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
      log: say,
    },
    upgradeWebSocket: ws.upgradeWebSocket,
    web: bunWebAssets(),
    operations: { readiness: () => coordinator.readiness(), metrics: coordinator.metrics, metricsToken: settings.metricsToken },
    log,
  });
  server.handle(coordinator.readOnly ? readOnly(app.fetch) : app.fetch);
  listening = server.url;
  log.info(`listening on ${server.url}; transcript: git clone ${settings.publicUrl || server.url}/transcript.git${coordinator.readOnly ? " (read-only: finalized)" : ""}`, { url: server.url });

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
