/** Shared CLI parsing: node:util parseArgs, refusing unknown flags with one clear line. */
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { CliError } from "./errors.ts";

export function parseFlags<O extends ParseArgsOptionsConfig>(command: string, argv: string[], options: O, positionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true as const, allowPositionals: positionals });
  } catch (err) {
    throw new CliError(`${command}: ${err instanceof Error ? err.message : String(err)}`);
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
