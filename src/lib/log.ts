/**
 * The service's log: one line per fact, with a timestamp and a level, as text
 * (`2026-12-01T21:00:00.000Z INFO round 3 started contributors=5`) or as JSON (`{"time","level","msg",…fields}`, one
 * object a line). Free text is made printable first, so nothing a participant sends can forge a line.
 */
import { printable } from "./text.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["text", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogValue = string | number | boolean | null;
/** Structured fields of a line; undefined ones are left out. */
export type LogFields = Record<string, LogValue | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** What callers may hand in where a log is wanted: a Logger, or (older callers, tests) a function taking one line. */
export type LogSink = Logger | ((line: string) => void);

export interface LoggerOptions {
  format: LogFormat;
  /** Where each line goes (without its newline); default console.log. */
  write?: (line: string) => void;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Lines below this level are dropped (default info). */
  level?: LogLevel;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A text field's value: bare when it is one plain word, otherwise quoted as JSON would quote it. */
function textValue(value: LogValue): string {
  const s = typeof value === "string" ? value : String(value);
  return typeof value === "string" && (s === "" || /[\s"=\\]/.test(s)) ? JSON.stringify(s) : s;
}

function clean(fields: LogFields | undefined): Array<[string, LogValue]> {
  const out: Array<[string, LogValue]> = [];
  for (const [key, value] of Object.entries(fields ?? {})) {
    if (value === undefined) continue;
    out.push([printable(key).replace(/[\s=]/g, "_"), typeof value === "string" ? printable(value) : value]);
  }
  return out;
}

/** One line: `TIME LEVEL msg key=value…` or the JSON object. */
export function formatLine(format: LogFormat, time: number, level: LogLevel, msg: string, fields?: LogFields): string {
  const iso = new Date(time).toISOString();
  const text = printable(msg);
  const pairs = clean(fields);
  if (format === "json") {
    // The fixed keys come first and win: a field cannot pose as the time, level or message.
    const reserved = new Set(["time", "level", "msg"]);
    return JSON.stringify({ time: iso, level, msg: text, ...Object.fromEntries(pairs.filter(([k]) => !reserved.has(k))) });
  }
  return [iso, level.toUpperCase(), text, ...pairs.map(([k, v]) => `${k}=${textValue(v)}`)].join(" ");
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const min = RANK[options.level ?? "info"];
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (RANK[level] >= min) write(formatLine(options.format, now(), level, msg, fields));
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A Logger that drops everything. */
export const silentLogger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The Logger of a sink: itself, or for a line function, lines without the time (the function's owner adds what it
 * wants), warnings and errors marked by their level: `WARN backup: push … failed attempt=2`.
 */
export function toLogger(sink: LogSink | undefined): Logger {
  if (sink === undefined) return silentLogger;
  if (typeof sink !== "function") return sink;
  const at =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      const line = formatLine("text", 0, level, msg, fields).split(" ").slice(level === "info" || level === "debug" ? 2 : 1).join(" ");
      sink(line);
    };
  return { debug: () => undefined, info: at("info"), warn: at("warn"), error: at("error") };
}
