/** The three presets: dev (a local ceremony in seconds), test (tiny and fast, for the test suites), production. */
import type { IdentityKind } from "../core/model.ts";
import type { LogFormat } from "../lib/log.ts";

export type PresetName = "dev" | "test" | "production";

export interface ServeSettings {
  preset: PresetName;
  /** Folder for the event log, artifacts, keys and the final .ptau. */
  data: string;
  host: string;
  port: number;
  power: number;
  chunkSize: number;
  contributorsPerRound: number;
  lockLimit: number;
  roundStartWaitMs: number;
  /** How often the update tick runs. */
  tickMs: number;
  /** Coordinator-owned verifiers run in-process (0: only external verify-worker processes verify). */
  verifiers: number;
  /** Worker threads for the coordinator's own crypto (0: every core). */
  threads: number;
  /** Admin public keys (hex); on the dev preset with none, serve creates <data>/admin.key. */
  admins: string[];
  /** Trusted external verifiers' public keys (hex); the coordinator's own verifiers are trusted too. */
  verifierKeys: string[];
  /** How participants are admitted. */
  identity: IdentityKind;
  contributionsPerIdentity: number;
  /** Sign-In with Ethereum: the chain id messages must name (the domain and URI are the public URL's). */
  ethChainId: number;
  /** Ethereum JSON-RPC endpoint for eligibility; empty: no check. */
  ethRpcUrl: string;
  ethMinTransactions: number;
  /** Admission limits (0: off): joins and signed requests per client address, signed requests per key, queue cap. */
  joinRate: number;
  joinBurst: number;
  requestRate: number;
  requestBurst: number;
  keyRate: number;
  keyBurst: number;
  queueCap: number;
  /** Client addresses from X-Forwarded-For (behind a trusted reverse proxy). */
  trustProxy: boolean;
  /** Clones and fetches of the transcript served at once, all clients together, and from one address. */
  gitMaxUploadPacks: number;
  gitMaxUploadPacksPerClient: number;
  /** Memory for the cached pack clones are served from (MiB; 0: none). */
  gitPackCacheMb: number;
  /** Retry-After of a clone refused GIT_BUSY (s). */
  gitRetryAfterS: number;
  /** Allowed clock skew for signed requests. */
  signatureWindowMs: number;
  heartbeatTimeoutMs: number;
  lockTimeoutMs: number;
  turnTimeoutMs: number;
  maxVerificationFailures: number;
  dropsBeforeBan: number;
  /** Coordinator-owned contributors run in-process to take over dropped contributors' positions. */
  replacementContributors: number;
  /** Public base URL of the coordinator (written into transcript refs); empty: the address it listens on. */
  publicUrl: string;
  /** Git remotes (smart HTTP) the transcript is pushed to. */
  backupRemotes: string[];
  /** Cron schedule (with seconds) of backup pushes, besides one after every round. */
  backupCron: string;
  /** Artifacts above this size are kept out of git (served, referenced by hash). */
  externalThresholdBytes: number;
  /** fsync every transcript object (power-loss safe; slower commits). */
  transcriptFsync: boolean;
  /** Signatures a mirror certificate needs (0: ⌈2n/3⌉ of the epoch's n mirrors). */
  mirrorThreshold: number;
  /** open: a mirror's registration admits it (dev); admin: an admin admits it (admin admit-mirror). */
  mirrorAdmission: "open" | "admin";
  /** Log lines as text or JSON. */
  logFormat: LogFormat;
  /** Bearer token GET /metrics asks for; empty: public. */
  metricsToken: string;
  /** PEM certificate chain and private key: serve HTTPS itself (empty: plain HTTP, e.g. behind a TLS proxy). */
  tlsCert: string;
  tlsKey: string;
  /** When the queue opens, closes, and the ceremony is finalized: an ISO 8601 date or a cron expression (empty: never). */
  opensAt: string;
  closesAt: string;
  finalizeAt: string;
  /** Where the beacon is read from at --finalize-at: "HEX [E]" (32 to 64 bytes of hex, 2^E hash iterations, default 10). */
  beaconFile: string;
  /** A .ptau (snarkjs, Perpetual Powers of Tau) a new ceremony starts from instead of the generators. */
  importPtau: string;
  /** Where participants download the ceremony binary (named in the transcript's README). */
  releaseUrl: string;
}

/** What every preset shares. */
const COMMON = {
  lockLimit: 2,
  verifiers: 1,
  admins: [],
  verifierKeys: [],
  contributionsPerIdentity: 1,
  ethChainId: 1,
  ethRpcUrl: "",
  ethMinTransactions: 0,
  dropsBeforeBan: 3,
  replacementContributors: 1,
  signatureWindowMs: 60_000,
  publicUrl: "",
  backupRemotes: [],
  backupCron: "0 */10 * * * *",
  externalThresholdBytes: 16 * 1024 * 1024,
  trustProxy: false,
  mirrorThreshold: 0,
  gitMaxUploadPacks: 32,
  gitMaxUploadPacksPerClient: 4,
  gitPackCacheMb: 256,
  gitRetryAfterS: 5,
  logFormat: "text",
  metricsToken: "",
  tlsCert: "",
  tlsKey: "",
  opensAt: "",
  closesAt: "",
  finalizeAt: "",
  beaconFile: "",
  importPtau: "",
  releaseUrl: "",
} satisfies Partial<ServeSettings>;

/** No admission limits: a local load test measures the server, not the limiter. */
const UNLIMITED = { joinRate: 0, joinBurst: 1, requestRate: 0, requestBurst: 1, keyRate: 0, keyBurst: 1, queueCap: 0 } satisfies Partial<ServeSettings>;

/** Limits for a ceremony open to the internet (a participant checks in every few seconds). */
const LIMITED = { joinRate: 2, joinBurst: 20, requestRate: 100, requestBurst: 200, keyRate: 20, keyBurst: 60, queueCap: 200_000 } satisfies Partial<ServeSettings>;

export const PRESETS: Record<PresetName, Omit<ServeSettings, "preset">> = {
  dev: {
    ...COMMON,
    ...UNLIMITED,
    data: ".ceremony/dev",
    host: "127.0.0.1",
    port: 8090,
    power: 8,
    chunkSize: 64,
    contributorsPerRound: 3,
    roundStartWaitMs: 3_000,
    tickMs: 250,
    threads: 0,
    heartbeatTimeoutMs: 30_000,
    lockTimeoutMs: 120_000,
    turnTimeoutMs: 60_000,
    identity: "open",
    maxVerificationFailures: 3,
    transcriptFsync: false,
    mirrorAdmission: "open",
  },
  test: {
    ...COMMON,
    // Limits on, generous enough for test clients that poll every 50 ms from one address.
    joinRate: 20,
    joinBurst: 50,
    requestRate: 500,
    requestBurst: 1000,
    keyRate: 100,
    keyBurst: 200,
    queueCap: 10_000,
    data: ".ceremony/test",
    host: "127.0.0.1",
    port: 0,
    power: 5,
    chunkSize: 8,
    contributorsPerRound: 3,
    roundStartWaitMs: 1_000,
    tickMs: 100,
    threads: 2,
    heartbeatTimeoutMs: 5_000,
    lockTimeoutMs: 20_000,
    turnTimeoutMs: 20_000,
    identity: "open",
    maxVerificationFailures: 2,
    transcriptFsync: false,
    mirrorAdmission: "open",
  },
  production: {
    ...COMMON,
    ...LIMITED,
    data: "ceremony-data",
    host: "0.0.0.0",
    port: 8090,
    power: 20,
    chunkSize: 4096,
    contributorsPerRound: 5,
    roundStartWaitMs: 60_000,
    tickMs: 1_000,
    threads: 0,
    heartbeatTimeoutMs: 120_000,
    lockTimeoutMs: 1_800_000,
    turnTimeoutMs: 600_000,
    identity: "token",
    maxVerificationFailures: 3,
    transcriptFsync: true,
    mirrorAdmission: "admin",
  },
};
