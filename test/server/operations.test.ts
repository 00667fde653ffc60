// What an operator's tooling sees, in-process: after a real contribution over the HTTP API, /metrics read by an
// independent parser has moved (queue, round progress, upload bytes, verification and commit histograms, requests by
// route pattern), a backup remote that refuses shows as an ERROR line and a counted failure, /readyz turns 503 when
// the coordinator fails, and /metrics asks for the operator's token when one is set.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { signRequest } from "../../src/auth/sign.ts";
import { Contributor } from "../../src/client/contributor.ts";
import { CeremonyClient } from "../../src/client/http.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { currentRound } from "../../src/core/state.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { createLogger } from "../../src/lib/log.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { scrape } from "../helpers/prometheus.ts";

const REFUSING_REMOTE = "http://127.0.0.1:1/backup.git";

let dir: string;
let coord: Coordinator;
let app: ReturnType<typeof createApp>;
const lines: Array<{ level: string; msg: string; [k: string]: unknown }> = [];
const admin = generateKeyPair();

const fetchFrom =
  (a: { request: (input: string | Request, init?: RequestInit) => Response | Promise<Response> }): typeof fetch =>
  ((input, init) =>
    Promise.resolve(a.request(input instanceof Request ? input : String(input), init))) as typeof fetch;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-operations-"));
  coord = await Coordinator.open({
    dataDir: dir,
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 1, lockLimit: 1, roundStartWaitMs: 0, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 50,
    verifiers: 1,
    coordinatorKey: generateKeyPair(),
    ops: await LocalOps.create(),
    transcript: { externalThresholdBytes: 1 << 24, publicUrl: () => "http://local", remotes: [REFUSING_REMOTE], backupCron: "0 0 0 1 1 *", fsync: false },
    log: createLogger({ format: "json", write: (l) => lines.push(JSON.parse(l) as (typeof lines)[number]) }),
    processMetrics: true,
  });
  coord.start();
  app = createApp(coord.service, { replay: new ReplayGuard(), operations: { readiness: () => coord.readiness(), metrics: coord.metrics } });
});
afterAll(async () => {
  await coord.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

describe("health and readiness", () => {
  it("/healthz answers 200 and /readyz 200 once started", async () => {
    expect(await (await app.request("/healthz")).json()).toEqual({ ok: true });
    const ready = await app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
  });
});

describe("metrics after a real contribution", () => {
  it("the independent parser reads every figure moved, with route patterns as labels", async () => {
    const before = await scrape(await app.request("/metrics"));
    expect(before.value("ceremony_upload_bytes_total", "counter")).toBe(0);
    expect(before.value("ceremony_phase", "gauge", { phase: "waiting" })).toBe(1);

    // One contributor makes round 1; two more wait behind it: one is put in round 2, the other stays queued.
    const client = new CeremonyClient("http://local", generateKeyPair(), { giveUpAfterMs: 10_000, backoffMs: 20, maxBackoffMs: 100 }, fetchFrom(app));
    const contributor = new Contributor(client, { ops: await LocalOps.create(), curve: await getCurve() });
    await contributor.join();
    for (const waiting of [generateKeyPair(), generateKeyPair()]) {
      const headers = { "content-type": "application/json", ...signRequest(waiting, { ceremony: coord.service.info().ceremonyId, method: "POST", path: "/v1/queue/join", body: "{}" }) };
      expect((await app.request("/v1/queue/join", { method: "POST", headers, body: "{}" })).status).toBe(200);
    }
    await contributor.run(20);
    while (currentRound(coord.state())?.number !== 2) await coord.changed(200);
    await coord.transcript?.flush();

    const after = await scrape(await app.request("/metrics"));
    expect(after.value("ceremony_queue_length", "gauge")).toBe(1);
    expect(after.value("ceremony_upload_bytes_total", "counter")).toBeGreaterThan(0);
    expect(after.histogramCount("ceremony_verification_duration_seconds", { result: "verified" })).toBe(4);
    expect(after.histogramCount("ceremony_transcript_commit_duration_seconds")).toBeGreaterThanOrEqual(10);
    expect(after.value("ceremony_transcript_lag_events", "gauge")).toBe(0);
    expect(after.value("ceremony_phase", "gauge", { phase: "running" })).toBe(1);
    expect(after.value("ceremony_rounds_aggregated", "gauge")).toBe(1);
    expect(after.value("ceremony_round", "gauge")).toBe(2);
    expect(after.value("ceremony_round_contributions_total", "gauge")).toBe(4);
    expect(after.value("ceremony_round_contributions_verified", "gauge")).toBe(0);

    // Requests by route pattern and status, never by raw path (the chunk index stays out of the labels).
    expect(after.histogramCount("ceremony_http_request_duration_seconds", { method: "POST", route: "/v1/chunks/:k/contribution", status: "200" })).toBe(4);
    expect(after.histogramCount("ceremony_http_request_duration_seconds", { route: "/v1/queue/join" })).toBeGreaterThanOrEqual(2);
    const routes = new Set(after.histograms("ceremony_http_request_duration_seconds").map((m) => m.labels.route));
    for (const r of routes) expect(r).not.toMatch(/\/v1\/chunks\/\d/);
    // The default process metrics come along.
    expect(after.value("process_resident_memory_bytes", "gauge")).toBeGreaterThan(0);
  });

  it("an unknown path is counted as unmatched, not by its path", async () => {
    for (const p of ["/nope/1", "/nope/2"]) expect((await app.request(p)).status).toBe(404);
    const s = await scrape(await app.request("/metrics"));
    expect(s.histogramCount("ceremony_http_request_duration_seconds", { route: "unmatched", status: "404" })).toBeGreaterThanOrEqual(2);
    expect(s.text).not.toMatch(/\/nope\//);
  });

  it("the log has a line for the join, the round, each verdict and the aggregation", () => {
    const msgs = lines.map((l) => l.msg);
    expect(msgs.filter((m) => m.startsWith("joined the queue"))).toHaveLength(3);
    expect(msgs).toContain("round 1 started with 1 contributor(s)");
    expect(msgs.filter((m) => /^round 1, chunk \d: contributor 1's contribution verified$/.test(m))).toHaveLength(4);
    expect(msgs).toContain("round 1 aggregated");
    for (const l of lines) expect(typeof l.time === "string" && !Number.isNaN(Date.parse(l.time))).toBe(true);
  });

  it("a backup remote that refuses: an ERROR line, a counted failure, and the status says so", async () => {
    // The push after the round: three attempts, 1 s then 2 s apart.
    const deadline = Date.now() + 20_000;
    while (!lines.some((l) => l.level === "error" && l.msg.startsWith("backup:")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const error = lines.find((l) => l.level === "error" && l.msg.startsWith("backup:"));
    expect(error?.msg).toMatch(/backup: push to http:\/\/127\.0\.0\.1:1\/backup\.git failed \(attempt 3\/3\)/);
    expect(lines.filter((l) => l.level === "warn" && l.msg.startsWith("backup:"))).toHaveLength(2);
    const s = await scrape(await app.request("/metrics"));
    expect(s.value("ceremony_backup_failures_total", "counter", { remote: REFUSING_REMOTE })).toBe(1);
    const status = (await (await app.request("/v1/status")).json()) as { transcript: { backups: Array<{ consecutiveFailures: number; lastError: string | null }> } };
    expect(status.transcript.backups[0]?.consecutiveFailures).toBe(3);
  });
});

describe("metrics token", () => {
  it("without the token /metrics is refused 401 METRICS_UNAUTHORIZED; with it, served", async () => {
    const guarded = createApp(coord.service, { replay: new ReplayGuard(), operations: { readiness: () => coord.readiness(), metrics: coord.metrics, metricsToken: "s3cret-token" } });
    const none = await guarded.request("/metrics");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("METRICS_UNAUTHORIZED");
    const wrong = await guarded.request("/metrics", { headers: { authorization: "Bearer s3cret-tokeN" } });
    expect(wrong.status).toBe(401);
    const right = await guarded.request("/metrics", { headers: { authorization: "Bearer s3cret-token" } });
    expect(right.status).toBe(200);
    expect(right.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await scrape(right)).value("ceremony_queue_length", "gauge")).toBe(1);
    // Health and readiness stay public.
    expect((await guarded.request("/healthz")).status).toBe(200);
  });
});

describe("readiness after a failure", () => {
  it("/readyz answers 503 UNREADY with the reason once the coordinator failed; /healthz still 200", async () => {
    coord.fatal("test", new Error("disk on fire"));
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: "UNREADY", message: "test failed: disk on fire" } });
    expect((await app.request("/healthz")).status).toBe(200);
    expect(lines.some((l) => l.level === "error" && l.msg.startsWith("fatal: test failed: disk on fire"))).toBe(true);
  });
});
