/**
 * The options of `ceremony serve`: each is a flag, an environment variable and a config-file key, documented
 * once here (the --help text comes from this table). Parsed once, at the edge: preset < file < env < flags.
 */
import * as v from "valibot";
import { readFile } from "node:fs/promises";
import { PRESETS, type PresetName, type ServeSettings } from "./presets.ts";
import { hexSchema } from "../lib/hex.ts";
import { LOG_FORMATS } from "../lib/log.ts";
import { AdminIdSchema } from "../auth/ethereum.ts";
import { parseMoment } from "../lib/moment.ts";

type Key = Exclude<keyof ServeSettings, "preset">;

const intIn = (min: number, max: number) => v.pipe(v.unknown(), v.transform(Number), v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const floatIn = (min: number, max: number) => v.pipe(v.unknown(), v.transform(Number), v.number(), v.finite(), v.minValue(min), v.maxValue(max));
const booleanText = v.pipe(v.unknown(), v.transform((x) => (x === "true" || x === true ? true : x === "false" || x === false ? false : x)), v.boolean());

/** An ISO 8601 date or a six-field cron expression (lib/moment.ts), or empty: never. */
const momentText = v.pipe(
  v.string(),
  v.check((x) => x === "" || isMoment(x), 'expected an ISO 8601 date with an offset (2026-03-01T12:00:00Z) or a six-field cron expression ("0 0 12 * * 5")'),
);
const httpUrlOrEmpty = (flag: string) => v.pipe(v.string(), v.regex(/^(https?:\/\/\S+)?$/, `${flag} must be an http(s) URL`));

function isMoment(x: string): boolean {
  try {
    parseMoment(x);
    return true;
  } catch {
    return false;
  }
}

/** A comma-separated env var, a repeated flag or a config array: a list. */
const listOf = (item: v.GenericSchema<unknown, unknown>) => v.pipe(v.unknown(), v.transform((x) => (typeof x === "string" ? x.split(",").filter(Boolean) : x)), v.array(item));

export interface ServeOption {
  flag: string;
  env: string;
  help: string;
  /** What the value is, in --help (default: N for numbers, true|false, VALUE). */
  value?: string;
  schema: v.GenericSchema<unknown, unknown>;
  /** The flag may be given several times. */
  repeatable?: boolean;
}

export const SERVE_OPTIONS: Record<Key, ServeOption> = {
  data: { flag: "--data", env: "CEREMONY_DATA", help: "folder for the state (event log, artifacts, keys, final .ptau)", schema: v.pipe(v.string(), v.minLength(1)) },
  host: { flag: "--host", env: "CEREMONY_HOST", help: "address to listen on", schema: v.pipe(v.string(), v.minLength(1)) },
  port: { flag: "--port", env: "CEREMONY_PORT", help: "TCP port (0: any free port)", schema: intIn(0, 65535) },
  power: { flag: "--power", env: "CEREMONY_POWER", help: "the ceremony supports circuits of up to 2^power constraints", schema: intIn(1, 28) },
  chunkSize: { flag: "--chunk-size", env: "CEREMONY_CHUNK_SIZE", help: "points per chunk (a power of two, at most 2^power)", schema: intIn(2, 2 ** 28) },
  contributorsPerRound: { flag: "--contributors-per-round", env: "CEREMONY_CONTRIBUTORS_PER_ROUND", help: "contributors in one round", schema: intIn(1, 1000) },
  lockLimit: { flag: "--lock-limit", env: "CEREMONY_LOCK_LIMIT", help: "chunks one participant may hold at once", schema: intIn(1, 1000) },
  roundStartWaitMs: { flag: "--round-start-wait-ms", env: "CEREMONY_ROUND_START_WAIT_MS", help: "how long a partial round waits for more contributors", schema: intIn(0, 86_400_000) },
  tickMs: { flag: "--tick-ms", env: "CEREMONY_TICK_MS", help: "period of the update tick", schema: intIn(10, 3_600_000) },
  verifiers: { flag: "--verifiers", env: "CEREMONY_VERIFIERS", help: "coordinator-owned verifiers run in-process", schema: intIn(0, 64) },
  threads: { flag: "--threads", env: "CEREMONY_THREADS", help: "worker threads for the coordinator's crypto (0: every core)", schema: intIn(0, 1024) },
  admins: {
    flag: "--admin",
    env: "CEREMONY_ADMINS",
    help: "admin: an ed25519 public key (hex) or an Ethereum address (0x…; signs with admin --eth-key); repeat the flag, or comma-separate in the env var",
    schema: listOf(AdminIdSchema),
    repeatable: true,
  },
  verifierKeys: {
    flag: "--verifier",
    env: "CEREMONY_VERIFIER_KEYS",
    help: "public key (hex) of a trusted external verifier (verify-worker); repeat, or comma-separate in the env var",
    schema: listOf(hexSchema(32, "verifier keys are 64 lowercase hex characters")),
    repeatable: true,
  },
  identity: {
    flag: "--identity",
    env: "CEREMONY_IDENTITY",
    help: "how participants are admitted: open (any key), token (invitations: admin invite), ethereum (Sign-In with Ethereum)",
    schema: v.picklist(["open", "token", "ethereum"]),
  },
  contributionsPerIdentity: {
    flag: "--contributions-per-identity",
    env: "CEREMONY_CONTRIBUTIONS_PER_IDENTITY",
    help: "accepted contributions one identity (token, address or key) may make",
    schema: intIn(1, 1000),
  },
  ethChainId: {
    flag: "--eth-chain-id",
    env: "CEREMONY_ETH_CHAIN_ID",
    help: "the chain id Sign-In with Ethereum messages must name (they name the --public-url as domain and URI)",
    schema: intIn(1, 2 ** 40),
  },
  ethRpcUrl: {
    flag: "--eth-rpc-url",
    env: "CEREMONY_ETH_RPC_URL",
    help: "Ethereum JSON-RPC endpoint for the eligibility check (empty: no check)",
    schema: httpUrlOrEmpty("--eth-rpc-url"),
  },
  ethMinTransactions: {
    flag: "--eth-min-transactions",
    env: "CEREMONY_ETH_MIN_TRANSACTIONS",
    help: "transactions an address must have sent to be eligible (needs --eth-rpc-url)",
    schema: intIn(0, 1_000_000),
  },
  joinRate: { flag: "--join-rate", env: "CEREMONY_JOIN_RATE", help: "joins per second one client address may make (0: no limit)", schema: floatIn(0, 100_000) },
  joinBurst: { flag: "--join-burst", env: "CEREMONY_JOIN_BURST", help: "joins one address may make at once after a quiet spell", schema: intIn(1, 1_000_000) },
  requestRate: { flag: "--request-rate", env: "CEREMONY_REQUEST_RATE", help: "signed requests per second one client address may make (0: no limit)", schema: floatIn(0, 1_000_000) },
  requestBurst: { flag: "--request-burst", env: "CEREMONY_REQUEST_BURST", help: "signed requests one address may make at once", schema: intIn(1, 10_000_000) },
  keyRate: { flag: "--key-rate", env: "CEREMONY_KEY_RATE", help: "signed requests per second one participant key may make (0: no limit)", schema: floatIn(0, 1_000_000) },
  keyBurst: { flag: "--key-burst", env: "CEREMONY_KEY_BURST", help: "signed requests one key may make at once", schema: intIn(1, 10_000_000) },
  queueCap: { flag: "--queue-cap", env: "CEREMONY_QUEUE_CAP", help: "most participants waiting at once; joins beyond it are refused QUEUE_FULL (0: no cap)", schema: intIn(0, 100_000_000) },
  trustProxy: {
    flag: "--trust-proxy",
    env: "CEREMONY_TRUST_PROXY",
    help: "take the client address from X-Forwarded-For (only behind a reverse proxy you run) (true/false)",
    schema: booleanText,
  },
  gitMaxUploadPacks: {
    flag: "--git-max-upload-packs",
    env: "CEREMONY_GIT_MAX_UPLOAD_PACKS",
    help: "clones and fetches of the transcript served at once; more are refused GIT_BUSY (503, Retry-After)",
    schema: intIn(1, 10_000),
  },
  gitMaxUploadPacksPerClient: {
    flag: "--git-max-upload-packs-per-client",
    env: "CEREMONY_GIT_MAX_UPLOAD_PACKS_PER_CLIENT",
    help: "clones and fetches served at once to one client address",
    schema: intIn(1, 10_000),
  },
  gitPackCacheMb: { flag: "--git-pack-cache-mb", env: "CEREMONY_GIT_PACK_CACHE_MB", help: "memory for the cached pack clones are served from (MiB; 0: none)", schema: intIn(0, 65_536) },
  gitRetryAfterS: { flag: "--git-retry-after-s", env: "CEREMONY_GIT_RETRY_AFTER_S", help: "Retry-After of a clone refused GIT_BUSY (seconds)", schema: intIn(0, 3600) },
  signatureWindowMs: { flag: "--signature-window-ms", env: "CEREMONY_SIGNATURE_WINDOW_MS", help: "allowed clock skew of signed requests", schema: intIn(1_000, 3_600_000) },
  heartbeatTimeoutMs: { flag: "--heartbeat-timeout-ms", env: "CEREMONY_HEARTBEAT_TIMEOUT_MS", help: "a silent round contributor is dropped after this long", schema: intIn(1_000, 86_400_000) },
  lockTimeoutMs: { flag: "--lock-timeout-ms", env: "CEREMONY_LOCK_TIMEOUT_MS", help: "a chunk held this long without an upload drops its holder", schema: intIn(1_000, 86_400_000) },
  turnTimeoutMs: {
    flag: "--turn-timeout-ms",
    env: "CEREMONY_TURN_TIMEOUT_MS",
    help: "a round contributor whose next chunk is free and who does not lock it this long is dropped (heartbeats alone do not count)",
    schema: intIn(1_000, 86_400_000),
  },
  maxVerificationFailures: { flag: "--max-verification-failures", env: "CEREMONY_MAX_VERIFICATION_FAILURES", help: "rejected uploads in a round before a contributor is dropped", schema: intIn(1, 1000) },
  dropsBeforeBan: { flag: "--drops-before-ban", env: "CEREMONY_DROPS_BEFORE_BAN", help: "drops after which a participant is banned", schema: intIn(1, 1000) },
  replacementContributors: { flag: "--replacement-contributors", env: "CEREMONY_REPLACEMENT_CONTRIBUTORS", help: "coordinator-owned contributors that take over dropped positions", schema: intIn(0, 16) },
  publicUrl: {
    flag: "--public-url",
    env: "CEREMONY_PUBLIC_URL",
    help: "public base URL, written into transcript refs (default: the listening address)",
    schema: httpUrlOrEmpty("--public-url"),
  },
  backupRemotes: {
    flag: "--backup-remote",
    env: "CEREMONY_BACKUP_REMOTES",
    help: "git remote (smart HTTP URL) to push the transcript to; repeat, or comma-separate in the env var",
    schema: listOf(v.pipe(v.string(), v.regex(/^https?:\/\/\S+$/, "backup remotes are http(s) URLs"))),
    repeatable: true,
  },
  backupCron: { flag: "--backup-cron", env: "CEREMONY_BACKUP_CRON", help: "cron schedule (with seconds) of backup pushes", schema: v.pipe(v.string(), v.minLength(9)) },
  externalThresholdBytes: { flag: "--external-threshold-bytes", env: "CEREMONY_EXTERNAL_THRESHOLD_BYTES", help: "artifacts above this size stay out of git", schema: intIn(1, 2 ** 40) },
  transcriptFsync: {
    flag: "--transcript-fsync",
    env: "CEREMONY_TRANSCRIPT_FSYNC",
    help: "fsync every transcript object (true/false)",
    schema: booleanText,
  },
  mirrorThreshold: {
    flag: "--mirror-threshold",
    env: "CEREMONY_MIRROR_THRESHOLD",
    help: "mirror signatures a certificate needs, at most the epoch's n mirrors (0: ⌈2n/3⌉)",
    schema: intIn(0, 10_000),
  },
  mirrorAdmission: {
    flag: "--mirror-admission",
    env: "CEREMONY_MIRROR_ADMISSION",
    help: "open: a mirror's registration admits it; admin: an admin admits it (admin admit-mirror)",
    schema: v.picklist(["open", "admin"]),
  },
  logFormat: { flag: "--log-format", env: "CEREMONY_LOG_FORMAT", help: "log lines as text (time, level, message, key=value) or json (one object a line)", schema: v.picklist(LOG_FORMATS) },
  metricsToken: {
    flag: "--metrics-token",
    env: "CEREMONY_METRICS_TOKEN",
    help: "GET /metrics asks for Authorization: Bearer TOKEN (empty: /metrics is public; prefer the env var or config file to keep it out of ps)",
    schema: v.string(),
  },
  tlsCert: { flag: "--tls-cert", env: "CEREMONY_TLS_CERT", value: "FILE", help: "PEM certificate (chain) to serve HTTPS with; needs --tls-key", schema: v.string() },
  tlsKey: { flag: "--tls-key", env: "CEREMONY_TLS_KEY", value: "FILE", help: "PEM private key of --tls-cert", schema: v.string() },
  opensAt: { flag: "--opens-at", env: "CEREMONY_OPENS_AT", value: "WHEN", help: "when the queue opens; joins before are refused QUEUE_NOT_OPEN", schema: momentText },
  closesAt: { flag: "--closes-at", env: "CEREMONY_CLOSES_AT", value: "WHEN", help: "when the queue closes (those queued still contribute); joins after are refused QUEUE_CLOSED", schema: momentText },
  finalizeAt: { flag: "--finalize-at", env: "CEREMONY_FINALIZE_AT", value: "WHEN", help: "when to finalize with the beacon read from --beacon-file at that moment", schema: momentText },
  beaconFile: { flag: "--beacon-file", env: "CEREMONY_BEACON_FILE", value: "FILE", help: 'the beacon for --finalize-at: "HEX [E]", 32 to 64 bytes of public randomness, hashed 2^E times (default 10)', schema: v.string() },
  importPtau: { flag: "--import", env: "CEREMONY_IMPORT", value: "FILE.ptau", help: "a new ceremony starts from this .ptau (snarkjs, Perpetual Powers of Tau), checked like an upload; its contributions stay in the final file", schema: v.string() },
  releaseUrl: { flag: "--release-url", env: "CEREMONY_RELEASE_URL", value: "URL", help: "where participants download the ceremony binary (named in the transcript's README)", schema: httpUrlOrEmpty("--release-url") },
};

const PresetSchema = v.picklist(["dev", "test", "production"] as const);

export class ConfigError extends Error {}

function parseValue(key: Key, raw: unknown, origin: string): unknown {
  const r = v.safeParse(SERVE_OPTIONS[key].schema, raw);
  if (!r.success) throw new ConfigError(`${origin}: ${r.issues.map((i) => i.message).join("; ")}`);
  return r.output;
}

export interface ServeInput {
  /** Flag values as parsed by node:util parseArgs (strings; --admin may repeat). */
  flags: Record<string, string | string[] | boolean | undefined>;
  env: Record<string, string | undefined>;
}

export async function loadServeSettings(input: ServeInput): Promise<ServeSettings> {
  return (await loadServeConfig(input)).settings;
}

/** The settings, and which of them the operator set (a flag, an env var or the config file) rather than the preset. */
export async function loadServeConfig(input: ServeInput): Promise<{ settings: ServeSettings; explicit: Set<Key> }> {
  const explicit = new Set<Key>();
  const presetRaw = input.flags.preset ?? input.env.CEREMONY_PRESET ?? "dev";
  const preset = v.safeParse(PresetSchema, presetRaw);
  if (!preset.success) throw new ConfigError(`--preset must be dev, test or production, got ${String(presetRaw)}`);
  const settings: Record<string, unknown> = { ...PRESETS[preset.output as PresetName], preset: preset.output };
  const file = input.flags.config ?? input.env.CEREMONY_CONFIG;
  if (typeof file === "string") {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, "utf8"));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConfigError(`config file ${file}: expected a JSON object`);
    for (const [k, val] of Object.entries(json)) {
      if (!(k in SERVE_OPTIONS)) throw new ConfigError(`config file ${file}: unknown option "${k}"`);
      settings[k] = parseValue(k as Key, val, `config file ${file}, ${k}`);
      explicit.add(k as Key);
    }
  }
  for (const key of Object.keys(SERVE_OPTIONS) as Key[]) {
    const { env, flag } = SERVE_OPTIONS[key];
    const fromEnv = input.env[env];
    if (fromEnv !== undefined && fromEnv !== "") {
      settings[key] = parseValue(key, fromEnv, env);
      explicit.add(key);
    }
    const fromFlag = input.flags[flag.slice(2)];
    const repeatable = SERVE_OPTIONS[key].repeatable === true;
    if (fromFlag !== undefined) {
      settings[key] = parseValue(key, repeatable && typeof fromFlag === "string" ? [fromFlag] : fromFlag, flag);
      explicit.add(key);
    }
  }
  const s = settings as unknown as ServeSettings;
  if ((s.chunkSize & (s.chunkSize - 1)) !== 0 || s.chunkSize > 2 ** s.power) {
    throw new ConfigError(`--chunk-size must be a power of two no larger than 2^power (${2 ** s.power}), got ${s.chunkSize}`);
  }
  if ((s.tlsCert === "") !== (s.tlsKey === "")) throw new ConfigError("--tls-cert and --tls-key go together: give both (HTTPS) or neither (plain HTTP)");
  if (s.finalizeAt !== "" && s.beaconFile === "") throw new ConfigError("--finalize-at needs --beacon-file (the beacon is read from it at that moment)");
  const [opens, closes] = [s.opensAt, s.closesAt].map((x) => (x === "" ? null : parseMoment(x)));
  if (opens?.kind === "date" && closes?.kind === "date" && opens.ms >= closes.ms) throw new ConfigError("--opens-at must come before --closes-at");
  return { settings: s, explicit };
}

/** How a default reads in --help. */
function shown(value: unknown): string {
  if (value === "" || (Array.isArray(value) && value.length === 0)) return "none";
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

function placeholder(key: Key): string {
  const o = SERVE_OPTIONS[key];
  if (o.value) return o.value;
  const example = PRESETS.dev[key];
  return typeof example === "number" ? "N" : typeof example === "boolean" ? "true|false" : "VALUE";
}

/** Each option's default on each preset, from the option table and PRESETS (one value when they agree). */
function defaultsLine(key: Key): string {
  const names = Object.keys(PRESETS) as PresetName[];
  const values = names.map((p) => shown(PRESETS[p][key]));
  if (values.every((x) => x === values[0])) return `default ${values[0]}`;
  return `default ${names.map((p, i) => `${p} ${values[i]}`).join(" | ")}`;
}

export function serveHelp(): string {
  const pad = 34;
  const rows = (Object.keys(SERVE_OPTIONS) as Key[]).flatMap((k) => {
    const o = SERVE_OPTIONS[k];
    return [`  ${`${o.flag} ${placeholder(k)}`.padEnd(pad)} ${o.help} [${o.env}]`, `  ${"".padEnd(pad)} ${defaultsLine(k)}`];
  });
  return [
    "ceremony serve [--preset dev|test|production] [--config FILE] [options]",
    "  Runs the coordinator: HTTP API, event log, artifact store and its own verifiers.",
    "  Every option is also an environment variable [in brackets] and a key of the --config file (the option's name in",
    "  camelCase: --chunk-size is chunkSize); flags override env vars, which override the file, which overrides the preset.",
    "  Defaults are per preset: dev (a local ceremony), test (tiny, for test suites), production.",
    "  WHEN is an ISO 8601 date with an offset (2026-03-01T12:00:00Z) or a six-field cron expression (seconds first, UTC),",
    "  which means its first match after the ceremony was initialized.",
    "  Settings recorded when the ceremony was initialized (power, chunk size, round size, timeouts, identity…) cannot",
    "  change: a restart that sets one to another value is refused.",
    "",
    `  ${"--preset NAME".padEnd(pad)} the defaults below (dev, test or production) [CEREMONY_PRESET]`,
    `  ${"--config FILE".padEnd(pad)} JSON object with any of the option names below [CEREMONY_CONFIG]`,
    `  ${"--restore-from PATH|URL".padEnd(pad)} on an empty --data folder: rebuild the state from a transcript clone or a`,
    `  ${"".padEnd(pad)} coordinator's URL, then resume (a finalized ceremony is served read-only)`,
    ...rows,
  ].join("\n");
}
