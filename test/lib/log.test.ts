// The log's two formats: text lines `TIME LEVEL msg key=value` and one JSON object a line; nothing in a message or a
// field can start another line or pose as the time, level or message.
import { describe, expect, it } from "vitest";
import { createLogger, formatLine, toLogger } from "../../src/lib/log.ts";

const AT = Date.UTC(2026, 11, 1, 21, 0, 0);

describe("text lines", () => {
  it("start with the ISO time and the level, then the message and the fields", () => {
    expect(formatLine("text", AT, "info", "round 3 started", { round: 3, contributors: 5 })).toBe("2026-12-01T21:00:00.000Z INFO round 3 started round=3 contributors=5");
    expect(formatLine("text", AT, "warn", "dropped", { reason: "silent for 60 s", by: "ab", ok: false, none: null, gone: undefined })).toBe(
      '2026-12-01T21:00:00.000Z WARN dropped reason="silent for 60 s" by=ab ok=false none=null',
    );
  });
  it("cannot be split or forged by what a participant sends", () => {
    const line = formatLine("text", AT, "error", "bad\nline\u2028x", { "k\ney": "v\r\n2026-12-01T21:00:00.000Z INFO forged", q: 'a"b' });
    expect(line.split("\n")).toHaveLength(1);
    expect(line).toBe('2026-12-01T21:00:00.000Z ERROR bad line x k_ey="v 2026-12-01T21:00:00.000Z INFO forged" q="a\\"b"');
  });
});

describe("JSON lines", () => {
  it("are one object with time, level, msg and the fields", () => {
    const line = formatLine("json", AT, "warn", "backup failed", { remote: "https://***@host/x.git", attempt: 3 });
    expect(JSON.parse(line)).toEqual({ time: "2026-12-01T21:00:00.000Z", level: "warn", msg: "backup failed", remote: "https://***@host/x.git", attempt: 3 });
  });
  it("keep a field from posing as the time, level or message", () => {
    const parsed = JSON.parse(formatLine("json", AT, "info", "m\nn", { level: "error", msg: "x", time: "y", other: "o\u0000" })) as Record<string, unknown>;
    expect(parsed).toEqual({ time: "2026-12-01T21:00:00.000Z", level: "info", msg: "m n", other: "o " });
  });
});

describe("loggers", () => {
  it("write one line per call at or above their level, with the clock given", () => {
    const out: string[] = [];
    const log = createLogger({ format: "text", write: (l) => out.push(l), now: () => AT });
    log.debug("hidden");
    log.info("shown");
    log.error("failed", { what: "tick" });
    expect(out).toEqual(["2026-12-01T21:00:00.000Z INFO shown", "2026-12-01T21:00:00.000Z ERROR failed what=tick"]);
  });
  it("adapt a line callback: no time, warnings and errors marked", () => {
    const out: string[] = [];
    const log = toLogger((l) => out.push(l));
    log.info("round 1 aggregated", { round: 1 });
    log.warn("push failed (attempt 1/3)");
    log.debug("hidden");
    expect(out).toEqual(["round 1 aggregated round=1", "WARN push failed (attempt 1/3)"]);
  });
});
