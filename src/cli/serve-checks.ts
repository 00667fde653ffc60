/**
 * What `serve` checks of its configuration before it starts: files it needs, the warnings a production set-up
 * deserves (one line each), and, on a restart, that nothing recorded when the ceremony was initialized is set to
 * another value (the log's settings rule the ceremony; a changed one would be silently ignored otherwise).
 */
import { access, readFile } from "node:fs/promises";
import type { ServeSettings } from "../config/presets.ts";
import { SERVE_OPTIONS } from "../config/serve.ts";
import type { Settings } from "../core/model.ts";
import type { Open } from "../core/state.ts";
import { fileHash } from "../lib/file-hash.ts";
import { StartupRefusal } from "../server/startup.ts";
import type { TlsFiles } from "../adapters/bun/http.ts";
import { CliError } from "./errors.ts";

/** The settings a ceremony records in its first event, which serve also takes as options (admins are added, never replaced). */
const RECORDED = [
  "power",
  "chunkSize",
  "contributorsPerRound",
  "lockLimit",
  "roundStartWaitMs",
  "heartbeatTimeoutMs",
  "lockTimeoutMs",
  "turnTimeoutMs",
  "maxVerificationFailures",
  "dropsBeforeBan",
  "identity",
  "contributionsPerIdentity",
] as const satisfies ReadonlyArray<keyof Settings & keyof ServeSettings>;
type Recorded = (typeof RECORDED)[number];

/** The PEM files of --tls-cert and --tls-key, read before anything starts; null for plain HTTP. */
export async function readTls(settings: ServeSettings): Promise<TlsFiles | null> {
  if (settings.tlsCert === "") return null;
  const read = async (path: string, flag: string): Promise<string> => {
    try {
      return await readFile(path, "utf8");
    } catch (err) {
      throw new CliError(`serve: cannot read ${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return { cert: await read(settings.tlsCert, "--tls-cert"), key: await read(settings.tlsKey, "--tls-key") };
}

/** Refusals that need no state: missing files, options that exclude each other, a production preset without an admin. */
export async function checkConfiguration(settings: ServeSettings, restoreFrom: string | undefined): Promise<void> {
  if (settings.preset === "production" && settings.admins.length === 0) {
    throw new CliError("serve: the production preset needs at least one --admin key (make one with `ceremony keygen --out admin.key` and give its publicKey)");
  }
  if (settings.importPtau !== "") {
    if (restoreFrom !== undefined) throw new CliError("serve: --import starts a new ceremony and --restore-from resumes one; give one of them");
    await access(settings.importPtau).catch(() => {
      throw new CliError(`serve: --import ${settings.importPtau}: no such file`);
    });
  }
}

/** One warning line each for what a production ceremony should not run without. */
export function productionWarnings(settings: ServeSettings): string[] {
  if (settings.preset !== "production") return [];
  const warnings: string[] = [];
  if (settings.publicUrl === "") warnings.push("no --public-url: transcript refs, Sign-In with Ethereum and the transcript's README will name the listening address");
  if (settings.backupRemotes.length === 0) warnings.push("no --backup-remote: the transcript, the ceremony's only backup, lives on this disk alone");
  if (settings.tlsCert === "" && !settings.trustProxy) {
    warnings.push("plain HTTP: give --tls-cert and --tls-key, or run behind a TLS reverse proxy with --trust-proxy true");
  }
  if (settings.metricsToken === "") warnings.push("GET /metrics is public: set --metrics-token (or CEREMONY_METRICS_TOKEN), or block /metrics at the reverse proxy");
  return warnings;
}

const flagOf = (key: Recorded): string => SERVE_OPTIONS[key].flag;

/**
 * For an existing ceremony: refuses, in one line, any recorded setting the operator set (flag, env or config file)
 * to another value, and an --import of another file than the one the ceremony started from. Settings only the
 * preset implied stay as recorded; they are listed in `kept` for the log.
 */
export function existingCeremonyCheck(settings: ServeSettings, explicit: ReadonlySet<string>, kept: (line: string) => void): (state: Open) => Promise<void> {
  return async (state) => {
    const recorded = state.settings;
    const changed = RECORDED.filter((k) => settings[k] !== recorded[k]);
    const refused = changed.filter((k) => explicit.has(k));
    if (refused.length > 0) {
      const was = refused.map((k) => `${flagOf(k)} ${String(recorded[k])}`).join(", ");
      const given = refused.map((k) => `${flagOf(k)} ${String(settings[k])}`).join(", ");
      throw new StartupRefusal(`this ceremony was initialized with ${was}; settings recorded in its log cannot change (given ${given}): drop the flag or give the recorded value`);
    }
    const implied = changed.filter((k) => !explicit.has(k));
    if (implied.length > 0) kept(`settings from the ceremony's log (the preset's differ): ${implied.map((k) => `${flagOf(k)} ${String(recorded[k])}`).join(", ")}`);
    if (settings.importPtau === "") return;
    if (!state.imported) throw new StartupRefusal("--import: this ceremony did not start from a .ptau; a .ptau can only start a new ceremony (an empty --data folder)");
    if ((await fileHash(settings.importPtau)) !== state.imported.file) {
      throw new StartupRefusal(`--import ${settings.importPtau} is not the .ptau this ceremony started from (blake2b ${state.imported.file.slice(0, 16)}…)`);
    }
  };
}
