// What an operator runs and watches, through the compiled binary: serve with JSON logs, a metrics token and an
// Ethereum admin; /healthz and /readyz; /metrics read by an independent parser before and after a real contribution;
// `admin --eth-key` accepted for the configured address and refused for another; the log has a line per join,
// round, verdict and restart, with timestamps and levels, as JSON and as text.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { contribute, status, type Ceremony } from "../helpers/actions.ts";
import { installBinary, kill, runBinary, startServe, until, type Running } from "../helpers/binary.ts";
import { scrape } from "../helpers/prometheus.ts";

const TOKEN = "metrics-token-for-the-test";
const ethKey = generatePrivateKey();
const ethAddress = privateKeyToAccount(ethKey).address;

let c: Ceremony;
let server: (Running & { url: string }) | null = null;
const data = () => join(c.dir, "data");
const metrics = (token = TOKEN) => fetch(`${c.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

async function serve(...extra: string[]): Promise<void> {
  server = await startServe(c.bin, c.dir, ["--preset", "test", "--data", data(), "--port", "0", "--contributors-per-round", "1", "--admin", ethAddress, ...extra]);
  c.url = server.url;
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-operations-e2e-"));
  c = { bin: await installBinary(dir), dir, url: "" };
  await writeFile(join(dir, "admin.eth"), `${ethKey}\n`, { mode: 0o600 });
  await writeFile(join(dir, "other.eth"), `${generatePrivateKey()}\n`, { mode: 0o600 });
  await serve("--log-format", "json", "--metrics-token", TOKEN);
}, 180_000);

afterAll(async () => {
  await kill(server, "SIGTERM");
  await rm(c.dir, { recursive: true, force: true });
});

describe("operating the compiled coordinator", () => {
  it("answers /healthz and /readyz; /metrics only with the token", async () => {
    expect(await (await fetch(`${c.url}/healthz`)).json()).toEqual({ ok: true });
    expect((await fetch(`${c.url}/readyz`)).status).toBe(200);
    expect((await metrics("")).status).toBe(401);
    expect((await metrics("wrong")).status).toBe(401);
    const before = await scrape(await metrics());
    expect(before.value("ceremony_upload_bytes_total", "counter")).toBe(0);
    expect(before.value("ceremony_queue_length", "gauge")).toBe(0);
  });

  it("after a real contribution the metrics moved: uploads, verifications, rounds, requests by route", async () => {
    const r = await contribute(c, "--poll-ms", "50").done;
    expect(r.code, r.out).toBe(0);
    await until("round 1 aggregated", async () => (await status(c)).lastRound === 1);
    const s = await scrape(await metrics());
    expect(s.value("ceremony_upload_bytes_total", "counter")).toBeGreaterThan(0);
    // Power 5 in chunks of 8: 8 chunks, each verified once by the coordinator's own verifier.
    expect(s.histogramCount("ceremony_verification_duration_seconds", { result: "verified" })).toBe(8);
    expect(s.value("ceremony_rounds_aggregated", "gauge")).toBe(1);
    expect(s.histogramCount("ceremony_transcript_commit_duration_seconds")).toBeGreaterThan(8);
    expect(s.histogramCount("ceremony_http_request_duration_seconds", { method: "POST", route: "/v1/chunks/:k/contribution", status: "200" })).toBe(8);
    expect(s.histogramCount("ceremony_http_request_duration_seconds", { route: "/v1/queue/join" })).toBe(1);
    expect(s.value("process_resident_memory_bytes", "gauge")).toBeGreaterThan(0);
  });

  it("admin --eth-key signs for the configured Ethereum address; another address is refused with its code", async () => {
    const keygen = await runBinary(c.bin, c.dir, ["keygen", "--out", join(c.dir, "verifier.key")]).done;
    expect(keygen.code, keygen.out).toBe(0);
    const verifier = (/[0-9a-f]{64}/.exec(keygen.out) ?? [""])[0];
    expect(verifier).toHaveLength(64);
    const ok = await runBinary(c.bin, c.dir, ["admin", "add-verifier", verifier, "--coordinator", c.url, "--eth-key", join(c.dir, "admin.eth")]).done;
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain(`"by":"${ethAddress.toLowerCase()}"`);
    const refused = await runBinary(c.bin, c.dir, ["admin", "restart-round", "--coordinator", c.url, "--eth-key", join(c.dir, "other.eth")]).done;
    expect(refused.code).not.toBe(0);
    expect(refused.out.trim()).toMatch(/^ceremony: AUTH_UNKNOWN_KEY: this Ethereum address is not an admin of the ceremony$/);
  });

  it("logs JSON lines with time and level: the join, the round, every verdict, the aggregation; text after a restart", async () => {
    await kill(server, "SIGTERM");
    const json = (server?.output() ?? "")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { time: string; level: string; msg: string });
    for (const l of json) {
      expect(Number.isNaN(Date.parse(l.time)), JSON.stringify(l)).toBe(false);
      expect(["info", "warn", "error"]).toContain(l.level);
    }
    const msgs = json.map((l) => l.msg);
    expect(msgs.filter((m) => m.startsWith("joined the queue: "))).toHaveLength(1);
    expect(msgs).toContain("round 1 started with 1 contributor(s)");
    expect(msgs.filter((m) => /^round 1, chunk \d: contributor 1's contribution verified$/.test(m))).toHaveLength(8);
    expect(msgs).toContain("round 1 aggregated");
    expect(msgs.some((m) => m.startsWith("verifier added: "))).toBe(true);
    expect(msgs.at(-1)).toBe("stopped");

    // Restarted with the default text format: a line says it resumed, each line starts with the time and the level.
    await serve();
    await kill(server, "SIGTERM");
    const text = (server?.output() ?? "").trim().split("\n");
    for (const line of text) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) /);
    expect(text.some((l) => / INFO restarted: resumed from \d+ events \(phase waiting\) events=\d+ phase=waiting$/.test(l))).toBe(true);
  }, 120_000);
});
