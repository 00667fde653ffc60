// The live feed: Server-Sent Events in-process (joins summarised, ceremony events one by one, resume after the last
// id), and its bounds (a slow subscriber is dropped, the number of subscribers is capped).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import type { LiveMessage } from "../../src/api/schemas.ts";
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { signRequest } from "../../src/auth/sign.ts";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION } from "../../src/core/model.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { Coordinator } from "../../src/server/coordinator.ts";
import { LiveFeed } from "../../src/server/live.ts";

let dir: string;
let coord: Coordinator;
let app: ReturnType<typeof createApp>;
const admin = generateKeyPair();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ceremony-live-"));
  coord = await Coordinator.open({
    dataDir: dir,
    settings: { power: 3, chunkSize: 4, contributorsPerRound: 2, lockLimit: 1, roundStartWaitMs: 0, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [admin.publicKey] },
    tickMs: 3_600_000,
    verifiers: 1,
    coordinatorKey: generateKeyPair(),
    ops: await LocalOps.create(),
  });
  app = createApp(coord.service, { replay: new ReplayGuard() });
});
afterAll(async () => {
  await coord.close();
  await closeCurve();
  await rm(dir, { recursive: true, force: true });
});

function join_(key: ParticipantKey): Promise<Response> {
  const body = new TextEncoder().encode("{}");
  const headers = { "content-type": "application/json", ...signRequest(key, { ceremony: coord.service.info().ceremonyId, method: "POST", path: "/v1/queue/join", body }) };
  return Promise.resolve(app.request(new Request("http://local/v1/queue/join", { method: "POST", headers, body })));
}

/** Reads SSE messages from a response until `done` says so (or 5 s pass); cancels the stream after. */
async function read(res: Response, done: (ms: LiveMessage[]) => boolean): Promise<LiveMessage[]> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const messages: LiveMessage[] = [];
  let text = "";
  const deadline = Date.now() + 5_000;
  while (!done(messages) && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), 500))]);
    if (chunk === null || chunk.done) continue;
    text += new TextDecoder().decode(chunk.value);
    for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      if (data && /^event: (event|lobby|reset)$/m.test(block)) messages.push(JSON.parse(data.slice(6)) as LiveMessage);
    }
  }
  await reader.cancel();
  return messages;
}

describe("live feed over Server-Sent Events", () => {
  it("sends the lobby's length as people join, then resumes after the last id it saw", async () => {
    const res = await app.request("/v1/events");
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const [a, b] = [generateKeyPair(), generateKeyPair()];
    await join_(a);
    await join_(b);
    const seen = await read(res, (ms) => ms.some((m) => m.kind === "lobby" && m.queued === 2));
    const lobby = seen.find((m) => m.kind === "lobby" && m.queued === 2);
    expect(lobby).toBeDefined();
    // A ceremony event after that: the round starts.
    await coord.tick();
    const resumed = await read(await app.request("/v1/events", { headers: { "last-event-id": String(lobby?.id) } }), (ms) => ms.some((m) => m.kind === "event"));
    const started = resumed.find((m) => m.kind === "event");
    expect(started?.kind === "event" && started.event.type).toBe("RoundStarted");
    expect(resumed.every((m) => m.id > (lobby?.id ?? 0))).toBe(true);
  });
});

describe("live feed bounds", () => {
  it("drops a subscriber that cannot keep up, and refuses subscribers beyond the cap", () => {
    const feed = new LiveFeed({ kept: 10, perSubscriber: 3, subscribers: 2 });
    try {
      const got: LiveMessage[] = [];
      let dropped = "";
      const slow = { deliver: (m: LiveMessage) => (got.length < 3 ? (got.push(m), true) : false), drop: (r: string) => (dropped = r) };
      expect(feed.subscribe(slow, 0)).not.toBeNull();
      expect(feed.subscribe({ deliver: () => true, drop: () => undefined }, 0)).not.toBeNull();
      expect(feed.subscribe({ deliver: () => true, drop: () => undefined }, 0)).toBeNull();
      for (let seq = 1; seq <= 5; seq++) feed.committed([{ seq, event: { type: "RoundAggregated", round: seq, accumulator: [], challenge: "" } }], 0);
      expect(got).toHaveLength(3);
      expect(dropped).toMatch(/too slow/);
      expect(feed.size).toBe(1);
      // Resuming from before what the feed keeps starts with a reset.
      for (let seq = 6; seq <= 30; seq++) feed.committed([{ seq, event: { type: "RoundAggregated", round: seq, accumulator: [], challenge: "" } }], 0);
      const late: LiveMessage[] = [];
      feed.subscribe({ deliver: (m) => (late.push(m), true), drop: () => undefined }, 2);
      expect(late[0]?.kind).toBe("reset");
      expect(late.slice(1).map((m) => m.id)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    } finally {
      feed.close();
    }
  });
});
