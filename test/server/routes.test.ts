// The HTTP API in-process (app.request, no port): JSON errors with stable codes, signatures, replays, size caps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { bodyHash, signRequest } from "../../src/auth/sign.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { createApp } from "../../src/api/app.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";

let dir: string;
let coord: Coordinator;
let app: ReturnType<typeof createApp>;
const admin = generateKeyPair();
const alice = generateKeyPair();
const verifierKey = generateKeyPair();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-routes-"));
  coord = await Coordinator.open({
    dataDir: dir,
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 0, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 1000,
    verifiers: 1,
    coordinatorKey: verifierKey,
    ops: await LocalOps.create(),
  });
  app = createApp(coord.service, { replay: new ReplayGuard() });
});
afterAll(async () => {
  await coord.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

const ceremonyId = (): string => coord.service.info().ceremonyId;

function signed(key: ParticipantKey, method: string, path: string, json?: unknown, extra: Record<string, string> = {}): Request {
  const body = json === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(json));
  const headers = { "content-type": "application/json", ...signRequest(key, { ceremony: ceremonyId(), method, path, body }), ...extra };
  return new Request(`http://local${path}`, { method, headers, ...(method === "GET" ? {} : { body }) });
}

async function error(res: Response): Promise<{ status: number; code: string }> {
  const json = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof json.error.message).toBe("string");
  return { status: res.status, code: json.error.code };
}

describe("public routes", () => {
  it("serves the parameters and the status", async () => {
    const info = (await (await app.request("/v1/ceremony")).json()) as { power: number; numChunks: number; coordinatorKey: string };
    expect(info).toMatchObject({ power: 3, numChunks: 4, coordinatorKey: verifierKey.publicKey });
    const status = (await (await app.request("/v1/status")).json()) as { phase: string; verifiers: number };
    expect(status).toMatchObject({ phase: "waiting", verifiers: 1 });
  });
  it("answers unknown routes, artifacts and a missing final file with JSON errors", async () => {
    expect(await error(await app.request("/v1/nope"))).toEqual({ status: 404, code: "NOT_FOUND" });
    expect(await error(await app.request(`/v1/artifacts/${"0".repeat(128)}`))).toEqual({ status: 404, code: "NOT_FOUND" });
    expect(await error(await app.request("/v1/artifacts/..%2F..%2Fetc%2Fpasswd"))).toEqual({ status: 404, code: "NOT_FOUND" });
    expect(await error(await app.request("/v1/ceremony/final.ptau"))).toEqual({ status: 409, code: "NOT_READY" });
  });
});

describe("signed routes", () => {
  it("joins the queue and answers with an instruction", async () => {
    const res = await app.request(signed(alice, "POST", "/v1/queue/join", { role: "contributor" }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { instruction: { kind: string } }).instruction.kind).toBe("wait");
    expect(await error(await app.request(signed(alice, "POST", "/v1/queue/join", {})))).toEqual({ status: 409, code: "ALREADY_QUEUED" });
    const current = ((await (await app.request(signed(alice, "GET", "/v1/instructions"))).json()) as { instruction: { id: string } }).instruction;
    expect((await app.request(signed(alice, "POST", "/v1/instructions/ack", { id: current.id }))).status).toBe(200);
    expect(await error(await app.request(signed(alice, "POST", "/v1/instructions/ack", { id: "1:lock:0" })))).toEqual({ status: 409, code: "STALE_INSTRUCTION" });
  });
  it("refuses unsigned, badly signed, stale and replayed requests", async () => {
    const unsigned = new Request("http://local/v1/queue/join", { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect(await error(await app.request(unsigned))).toEqual({ status: 401, code: "AUTH_MISSING" });
    const forged = signed(alice, "POST", "/v1/heartbeat", {}, { "x-ceremony-key": generateKeyPair().publicKey });
    expect(await error(await app.request(forged))).toEqual({ status: 401, code: "AUTH_BAD_SIGNATURE" });
    const headers = signRequest(alice, { ceremony: ceremonyId(), method: "POST", path: "/v1/heartbeat", body: new TextEncoder().encode("{}"), now: Date.now() - 10 * 60_000 });
    const stale = new Request("http://local/v1/heartbeat", { method: "POST", body: "{}", headers });
    expect(await error(await app.request(stale))).toEqual({ status: 401, code: "AUTH_STALE" });
    const replayHeaders = { "content-type": "application/json", ...signRequest(alice, { ceremony: ceremonyId(), method: "POST", path: "/v1/heartbeat", body: new TextEncoder().encode("{}") }) };
    const once = new Request("http://local/v1/heartbeat", { method: "POST", headers: replayHeaders, body: "{}" });
    const again = new Request("http://local/v1/heartbeat", { method: "POST", headers: replayHeaders, body: "{}" });
    expect((await app.request(once)).status).toBe(200);
    expect(await error(await app.request(again))).toEqual({ status: 401, code: "AUTH_REPLAYED" });
  });
  it("refuses malformed and invalid bodies", async () => {
    const bytes = new TextEncoder().encode("{not json");
    const bad = new Request("http://local/v1/queue/join", { method: "POST", body: bytes, headers: { "content-type": "application/json", ...signRequest(alice, { ceremony: ceremonyId(), method: "POST", path: "/v1/queue/join", body: bytes }) } });
    expect((await error(await app.request(bad))).status).toBe(400);
    expect(await error(await app.request(signed(alice, "POST", "/v1/queue/join", { role: "king" })))).toEqual({ status: 400, code: "INVALID_BODY" });
    expect(await error(await app.request(signed(admin, "POST", "/v1/admin/finalize", { beacon: "xyz" })))).toEqual({ status: 400, code: "INVALID_BODY" });
  });
  it("refuses an upload without the lock before reading it, and an oversized body", async () => {
    const body = new Uint8Array(100);
    const path = "/v1/chunks/0/contribution";
    const headers = { "content-type": "application/octet-stream", ...signRequest(alice, { ceremony: ceremonyId(), method: "POST", path, bodyHash: bodyHash(body) }) };
    expect(await error(await app.request(new Request(`http://local${path}`, { method: "POST", headers, body })))).toEqual({ status: 409, code: "LOCK_NOT_HELD" });
    const big = { ...signRequest(alice, { ceremony: ceremonyId(), method: "POST", path: "/v1/heartbeat", body: new Uint8Array(70_000) }), "content-type": "application/json" };
    expect(await error(await app.request(new Request("http://local/v1/heartbeat", { method: "POST", headers: big, body: new Uint8Array(70_000) })))).toEqual({
      status: 413,
      code: "BODY_TOO_LARGE",
    });
    expect(await error(await app.request(signed(alice, "POST", "/v1/chunks/99/lock", {})))).toEqual({ status: 404, code: "NOT_FOUND" });
  });
  it("admin routes need an admin key", async () => {
    expect(await error(await app.request(signed(alice, "POST", "/v1/admin/restart-round", {})))).toEqual({ status: 403, code: "NOT_AN_ADMIN" });
    expect(await error(await app.request(signed(admin, "POST", "/v1/admin/restart-round", {})))).toEqual({ status: 409, code: "NO_ACTIVE_ROUND" });
    expect(await error(await app.request(signed(admin, "POST", "/v1/admin/unban", { participant: alice.publicKey })))).toEqual({ status: 409, code: "NOT_BANNED" });
  });
  it("after a tick, the contributor locks chunk 0 and uploads; a wrong declared hash or size is refused", async () => {
    await coord.execute({ type: "Tick", now: Date.now() });
    const lock = await app.request(signed(alice, "POST", "/v1/chunks/0/lock", {}));
    expect(lock.status).toBe(200);
    const path = "/v1/chunks/0/contribution";
    const body = new Uint8Array(100);
    const headers = { "content-type": "application/octet-stream", ...signRequest(alice, { ceremony: ceremonyId(), method: "POST", path, bodyHash: bodyHash(new Uint8Array(5)) }) };
    expect((await app.request(new Request(`http://local${path}`, { method: "POST", headers, body }))).status).toBe(400);
    const status = (await (await app.request("/v1/status")).json()) as { round: { chunks: Array<{ contributions: number }> } };
    expect(status.round.chunks[0]?.contributions).toBe(0);
  });
});

describe("the lobby at a glance", () => {
  it("answers the status with an entity tag, and 304 when nothing changed", async () => {
    const first = await app.request("/v1/status");
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await app.request("/v1/status", { headers: { "if-none-match": etag ?? "" } })).status).toBe(304);
    const bob = generateKeyPair();
    expect((await app.request(signed(bob, "POST", "/v1/queue/join", {}))).status).toBe(200);
    const changed = await app.request("/v1/status", { headers: { "if-none-match": etag ?? "" } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(((await changed.json()) as { queue: { length: number; head: string[] } }).queue).toMatchObject({ length: 1, head: [bob.publicKey] });
  });
  it("pages the queue and tells a queued participant its place", async () => {
    const page = (await (await app.request("/v1/queue?offset=0&limit=10")).json()) as { length: number; participants: string[] };
    expect(page.participants).toHaveLength(page.length);
    const last = page.participants.at(-1) as string;
    const carol = generateKeyPair();
    expect((await app.request(signed(carol, "POST", "/v1/queue/join", {}))).status).toBe(200);
    const where = (await (await app.request(signed(carol, "GET", "/v1/queue/position"))).json()) as { position: number; length: number };
    expect(where).toMatchObject({ position: page.length + 1, length: page.length + 1 });
    expect(last).not.toBe(carol.publicKey);
    expect(await error(await app.request("/v1/queue?limit=5000"))).toEqual({ status: 400, code: "BAD_REQUEST" });
  });
});
