// Admission limits through the HTTP API in-process: one address joining as fast as it can, one key flooding signed
// requests, and the queue cap, each refused with 429, Retry-After and a stable code, while others still get in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { signRequest } from "../../src/auth/sign.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { Coordinator } from "../../src/server/coordinator.ts";

let dir: string;
let coord: Coordinator;
let app: ReturnType<typeof createApp>;
const admin = generateKeyPair();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-limits-"));
  coord = await Coordinator.open({
    dataDir: dir,
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 0, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 3_600_000,
    verifiers: 0,
    coordinatorKey: generateKeyPair(),
    ops: await LocalOps.create(),
    queueCap: 12,
  });
  app = createApp(coord.service, {
    replay: new ReplayGuard(),
    limits: { joinsPerAddress: { perSecond: 1, burst: 5 }, requestsPerAddress: { perSecond: 1000, burst: 1000 }, requestsPerKey: { perSecond: 1, burst: 10 } },
    clientAddress: (c) => c.req.header("x-test-address") ?? "here",
  });
});
afterAll(async () => {
  await coord.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

function request(key: ParticipantKey, method: string, path: string, address = "here"): Request {
  const body = method === "GET" ? new Uint8Array(0) : new TextEncoder().encode("{}");
  const headers = { "content-type": "application/json", "x-test-address": address, ...signRequest(key, { ceremony: coord.service.info().ceremonyId, method, path, body }) };
  return new Request(`http://local${path}`, { method, headers, ...(method === "GET" ? {} : { body }) });
}

describe("admission limits", () => {
  it("one address joining as fast as it can gets its burst, then 429 RATE_LIMITED with Retry-After; another address still joins", async () => {
    const codes: number[] = [];
    let limited: Response | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await app.request(request(generateKeyPair(), "POST", "/v1/queue/join", "flood"));
      codes.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(codes.filter((c) => c === 200)).toHaveLength(5);
    expect(limited?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await limited?.json()) as { error: { code: string } }).error.code).toBe("RATE_LIMITED");
    expect((await app.request(request(generateKeyPair(), "POST", "/v1/queue/join", "honest"))).status).toBe(200);
  });
  it("one key flooding signed requests is limited; another key is not", async () => {
    const [noisy, quiet] = [generateKeyPair(), generateKeyPair()];
    for (const k of [noisy, quiet]) expect((await app.request(request(k, "POST", "/v1/queue/join", `addr-${k.publicKey}`))).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await app.request(request(noisy, "POST", "/v1/heartbeat", "x"))).status);
    expect(statuses).toContain(429);
    expect((await app.request(request(quiet, "POST", "/v1/heartbeat", "y"))).status).toBe(200);
  });
  it("refuses joins beyond the queue cap with QUEUE_FULL", async () => {
    let last: Response | null = null;
    for (let i = 0; i < 20 && last?.status !== 429; i++) last = await app.request(request(generateKeyPair(), "POST", "/v1/queue/join", `cap-${i}`));
    expect(last?.status).toBe(429);
    expect(((await last?.json()) as { error: { code: string } }).error.code).toBe("QUEUE_FULL");
    expect(coord.service.status().queue.length).toBe(12);
  });
});
