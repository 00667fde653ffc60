// What an operator meets first, through the compiled binary: --help with every default per preset, a busy port
// refused before anything is created, the production warnings, a changed recorded setting refused in one line on
// restart (and nothing written), and a queue that opens at a scheduled time refusing joins before it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installBinary, kill, runBinary, startServe, type Running } from "../helpers/binary.ts";

let dir: string;
let bin: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-operator-"));
  bin = await installBinary(dir);
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const small = ["--power", "4", "--chunk-size", "8"];

describe("serve, as an operator meets it", () => {
  it("--help shows each option's default on each preset", async () => {
    const r = await runBinary(bin, dir, ["serve", "--help"]).done;
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    const after = (flag: string): string => lines[lines.findIndex((l) => l.trimStart().startsWith(`${flag} `)) + 1]?.trim() ?? "";
    expect(after("--power")).toBe("default dev 8 | test 5 | production 20");
    expect(after("--identity")).toBe("default dev open | test open | production token");
    expect(after("--lock-limit")).toBe("default 2");
    expect(after("--tls-cert")).toBe("default none");
    expect(r.out).toMatch(/--finalize-at WHEN/);
  });

  it("refuses a busy port in one line before creating the data folder or a key", async () => {
    const busy: Server = createServer();
    const port = await new Promise<number>((res) => busy.listen(0, "127.0.0.1", () => res((busy.address() as { port: number }).port)));
    try {
      const r = await runBinary(bin, dir, ["serve", "--preset", "test", "--port", String(port), "--data", join(dir, "busy")]).done;
      expect(r.code).not.toBe(0);
      expect(r.out.trim().split("\n")).toEqual([`ceremony: serve: cannot listen on 127.0.0.1:${port}: the port is in use (another coordinator?); choose another with --port`]);
      await expect(stat(join(dir, "busy"))).rejects.toThrow(/ENOENT/);
    } finally {
      busy.close();
    }
  });

  it("warns about a production set-up without a public URL, backups or TLS, one line each", async () => {
    const key = await runBinary(bin, dir, ["keygen", "--out", join(dir, "admin.key")]).done;
    const admin = /public key ([0-9a-f]{64})/.exec(key.out)?.[1] ?? "";
    let s: Running | null = null;
    try {
      s = await startServe(bin, dir, ["--preset", "production", "--admin", admin, "--host", "127.0.0.1", "--port", "0", ...small, "--data", join(dir, "prod")]);
      const warnings = s.output().split("\n").filter((l) => / WARN /.test(l));
      expect(warnings).toHaveLength(4);
      expect(warnings.join("\n")).toMatch(/--public-url[\s\S]*--backup-remote[\s\S]*--tls-cert[\s\S]*--metrics-token/);
    } finally {
      await kill(s, "SIGTERM");
    }
    // With them, none.
    try {
      const args = ["--public-url", "https://ceremony.example", "--backup-remote", "https://backup.example/t.git", "--trust-proxy", "true", "--metrics-token", "a-token"];
      s = await startServe(bin, dir, ["--preset", "production", "--admin", admin, "--host", "127.0.0.1", "--port", "0", ...small, ...args, "--data", join(dir, "prod")]);
      expect(s.output()).not.toMatch(/ WARN /);
    } finally {
      await kill(s, "SIGTERM");
    }
  }, 120_000);

  it("refuses, in one line, a restart that changes a recorded setting; the preset's defaults alone do not count", async () => {
    const data = join(dir, "recorded");
    await kill(await startServe(bin, dir, ["--preset", "test", ...small, "--data", data]), "SIGTERM");
    const log = await readFile(join(data, "events.jsonl"), "utf8");
    for (const [flag, value] of [["--power", "5"], ["--chunk-size", "4"], ["--contributors-per-round", "7"]] as const) {
      const r = await runBinary(bin, dir, ["serve", "--preset", "test", ...small, "--data", data, flag, value]).done;
      expect(r.code, r.out).not.toBe(0);
      const errors = r.out.split("\n").filter((l) => l.startsWith("ceremony: serve:"));
      expect(errors, r.out).toHaveLength(1);
      expect(errors[0]).toMatch(new RegExp(`initialized with ${flag} \\d+; settings recorded in its log cannot change \\(given ${flag} ${value}\\)`));
    }
    expect(await readFile(join(data, "events.jsonl"), "utf8")).toBe(log);
    // The dev preset's defaults differ (power 8), but nothing was asked: the log's settings stand, and it says so.
    const s = await startServe(bin, dir, ["--preset", "dev", "--port", "0", "--data", data]);
    try {
      expect(s.output()).toMatch(/settings from the ceremony's log \(the preset's differ\): --power 4, --chunk-size 8/);
      const status = (await (await fetch(`${s.url}/v1/status`)).json()) as { power: number };
      expect(status.power).toBe(4);
    } finally {
      await kill(s, "SIGTERM");
    }
  }, 120_000);

  it("a queue scheduled to open later refuses joins with QUEUE_NOT_OPEN and says when it opens", async () => {
    const s = await startServe(bin, dir, ["--preset", "test", ...small, "--data", join(dir, "scheduled"), "--opens-at", "2099-01-01T00:00:00Z"]);
    try {
      const status = (await (await fetch(`${s.url}/v1/status`)).json()) as { queue: { status: string; opensAt: string } };
      expect(status.queue).toMatchObject({ status: "scheduled", opensAt: "2099-01-01T00:00:00.000Z" });
      const r = await runBinary(bin, dir, ["contribute", "--coordinator", s.url, "--key", join(dir, "admin.key")]).done;
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/QUEUE_NOT_OPEN.*2099-01-01T00:00:00\.000Z/);
      expect(await readdir(join(dir, "scheduled"))).toContain("events.jsonl");
    } finally {
      await kill(s, "SIGTERM");
    }
  }, 60_000);
});
