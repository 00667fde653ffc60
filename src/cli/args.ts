/** Shared CLI parsing: node:util parseArgs, refusing unknown flags with one clear line and a "did you mean". */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { didYouMean } from "../lib/suggest.ts";
import { CliError } from "./errors.ts";

export function parseFlags<O extends ParseArgsOptionsConfig>(command: string, argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true as const, allowPositionals: positionals });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
    if (unknown) {
      const flag = unknown.split("=")[0] as string;
      throw new CliError(`${command}: unknown option ${flag}${didYouMean(flag, Object.keys(options).map((o) => `--${o}`))}; see \`ceremony ${command} --help\``);
    }
    throw new CliError(`${command}: ${message.split("\n")[0]}`);
  }
}

export function requireString(command: string, value: unknown, flag: string): string {
  if (typeof value !== "string" || value === "") throw new CliError(`${command}: ${flag} is required`);
  return value;
}

export function coordinatorUrl(command: string, value: unknown): string {
  const url = requireString(command, value, "--coordinator");
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new CliError(`${command}: --coordinator must be an http(s) URL, got ${url}`);
  return url;
}

/** An integer flag within bounds, or its default when absent. */
export function intFlag(command: string, value: unknown, flag: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`${command}: ${flag} must be an integer from ${min} to ${max}, got ${String(value)}`);
  return n;
}

/** How long a command waits for a coordinator's first answer (--timeout, seconds) before it fails. */
export const TIMEOUT_FLAG = { timeout: { type: "string" } } as const;
export const DEFAULT_TIMEOUT_S = 5;

export function timeoutMs(command: string, value: unknown): number {
  return intFlag(command, value, "--timeout", DEFAULT_TIMEOUT_S, 1, 3600) * 1000;
}
