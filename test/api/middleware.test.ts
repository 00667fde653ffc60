// The signature middleware on a Hono app, in process: who gets through, what the others are told, and body limits.
import { Hono } from "hono";
import { validator } from "hono/validator";
import { describe, expect, it } from "vitest";
import { BodyError, checkedBodyStream } from "../../src/auth/body.ts";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { requireSignature, requireSignatureStreaming } from "../../src/api/middleware.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { bodyHash, signRequest } from "../../src/auth/sign.ts";

const alice = generateKeyPair();
const mallory = generateKeyPair();
const NOW = 1_750_000_000_000;
const MAX = 1_024;
const PATH = "/rounds/3/chunks/7?attempt=2";
const CEREMONY = "c3".repeat(32);

function buildApp(replay = new ReplayGuard()) {
  const auth = requireSignature({ ceremony: () => CEREMONY, replay, now: () => NOW, maxBodyBytes: MAX });
  const streamingAuth = requireSignatureStreaming({ ceremony: () => CEREMONY, replay, now: () => NOW, maxBodyBytes: MAX });
  return new Hono()
    .post("/rounds/:round/chunks/:chunk", auth, (c) =>
      c.json({ participant: c.get("participant"), body: new TextDecoder().decode(c.get("rawBody")), chunk: c.req.param("chunk") }),
    )
    .get("/status", auth, (c) => c.json({ participant: c.get("participant"), bodyBytes: c.get("rawBody").byteLength }))
    .post(
      "/json",
      auth,
      validator("json", (value) => value as { x: number }),
      async (c) => c.json({ validated: c.req.valid("json"), again: await c.req.json<{ x: number }>() }),
    )
    .put("/uploads/:name", streamingAuth, async (c) => {
      const chunks = checkedBodyStream(c.req.raw.body, c.get("declaredBodyHash"), MAX);
      try {
        const bytes = new Uint8Array(await new Response(chunks).arrayBuffer());
        return c.json({ participant: c.get("participant"), bytes: bytes.byteLength });
      } catch (error) {
        if (error instanceof BodyError) return c.json({ error: { code: error.code, message: error.message } }, 422);
        throw error;
      }
    });
}

function post(app: ReturnType<typeof buildApp>, body: string, headers: Record<string, string>, path = PATH) {
  return app.request(path, { method: "POST", body, headers });
}

function signedPost(body: string, key = alice, overrides: { now?: number; path?: string } = {}) {
  return signRequest(key, { ceremony: CEREMONY, method: "POST", path: overrides.path ?? PATH, body, now: overrides.now ?? NOW });
}

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const json = (await response.json()) as { error: { code: string; message: string } };
  expect(Object.keys(json)).toEqual(["error"]);
  expect(Object.keys(json.error).sort()).toEqual(["code", "message"]);
  expect(json.error.code).toBe(code);
  expect(json.error.message.length).toBeGreaterThan(0);
  return json.error.message;
}

/** A body stream that counts what is pulled from it and whether it was cancelled. */
function countingStream(chunkSize: number, chunks: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled++;
      controller.enqueue(new Uint8Array(chunkSize).fill(7));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

describe("requireSignature", () => {
  it("passes a signed request to the handler with the participant and the raw body", async () => {
    const body = '{"x":1}';
    const response = await post(buildApp(), body, signedPost(body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ participant: alice.publicKey, body, chunk: "7" });
  });

  it("gives a request without a body an empty rawBody", async () => {
    const headers = signRequest(alice, { ceremony: CEREMONY, method: "GET", path: "/status", now: NOW });
    const response = await buildApp().request("/status", { headers });
    expect(await response.json()).toEqual({ participant: alice.publicKey, bodyBytes: 0 });
  });

  it("still serves c.req.json() and Hono's json validator from the body it read", async () => {
    const body = '{"x":5}';
    const headers = { ...signRequest(alice, { ceremony: CEREMONY, method: "POST", path: "/json", body, now: NOW }), "content-type": "application/json" };
    const response = await post(buildApp(), body, headers, "/json");
    expect(await response.json()).toEqual({ validated: { x: 5 }, again: { x: 5 } });
  });

  it("answers 401 with a JSON error for each authentication failure", async () => {
    const body = '{"x":1}';
    const app = buildApp();
    expect(await expectError(await post(app, body, {}), 401, "AUTH_MISSING")).toMatch(/x-ceremony-key/);
    await expectError(await post(app, body, { ...signedPost(body), "x-ceremony-nonce": "xyz" }), 401, "AUTH_MALFORMED");
    await expectError(await post(app, body, signedPost(body, alice, { now: NOW - 61_000 })), 401, "AUTH_STALE");
    await expectError(await post(app, body, signedPost(body, alice, { now: NOW + 61_000 })), 401, "AUTH_STALE");
    await expectError(await post(app, body, { ...signedPost(body, mallory), "x-ceremony-key": alice.publicKey }), 401, "AUTH_BAD_SIGNATURE");
    await expectError(await post(app, '{"x":2}', signedPost(body)), 401, "AUTH_BAD_SIGNATURE");
    await expectError(await post(app, body, signedPost(body), "/rounds/3/chunks/8?attempt=2"), 401, "AUTH_BAD_SIGNATURE");
    const once = signedPost(body);
    expect((await post(app, body, once)).status).toBe(200);
    await expectError(await post(app, body, once), 401, "AUTH_REPLAYED");
  });

  it("answers 503 when the replay guard is full and 429 when one key is over its quota, with Retry-After", async () => {
    const full = buildApp(new ReplayGuard({ maxEntries: 1 }));
    expect((await post(full, "a", signedPost("a"))).status).toBe(200);
    const refused = await post(full, "a", signedPost("a", mallory));
    expect(refused.headers.get("retry-after")).toBe("1");
    await expectError(refused, 503, "AUTH_REPLAY_FULL");
    const quota = buildApp(new ReplayGuard({ maxEntriesPerKey: 1 }));
    expect((await post(quota, "a", signedPost("a"))).status).toBe(200);
    await expectError(await post(quota, "a", signedPost("a")), 429, "AUTH_RATE_LIMITED");
  });

  it("answers 413 BODY_TOO_LARGE when Content-Length is over the limit, without reading the body", async () => {
    const { stream, state } = countingStream(100, 50);
    const headers = { ...signedPost("irrelevant"), "content-length": "5000" };
    const response = await buildApp().request(PATH, { method: "POST", body: stream, headers, duplex: "half" } as RequestInit);
    expect(await expectError(response, 413, "BODY_TOO_LARGE")).toMatch(/1024 bytes/);
    expect(state.pulled).toBeLessThanOrEqual(1);
  });

  it("answers 413 BODY_TOO_LARGE when the body itself runs over, stopping early", async () => {
    const { stream, state } = countingStream(100, 1_000);
    const response = await buildApp().request(PATH, { method: "POST", body: stream, headers: signedPost("irrelevant"), duplex: "half" } as RequestInit);
    await expectError(response, 413, "BODY_TOO_LARGE");
    expect(state.pulled).toBeLessThan(20);
    expect(state.cancelled).toBe(true);
  });

  it("accepts a body of exactly the limit", async () => {
    const body = "x".repeat(MAX);
    expect((await post(buildApp(), body, signedPost(body))).status).toBe(200);
    const over = body + "x";
    await expectError(await post(buildApp(), over, signedPost(over)), 413, "BODY_TOO_LARGE");
  });

  it("does not read the body of a request whose headers already fail", async () => {
    const { stream, state } = countingStream(100, 5);
    const response = await buildApp().request(PATH, { method: "POST", body: stream, headers: {}, duplex: "half" } as RequestInit);
    await expectError(response, 401, "AUTH_MISSING");
    expect(state.pulled).toBeLessThanOrEqual(1);
  });
});

describe("requireSignatureStreaming", () => {
  const upload = new Uint8Array(700).map((_, i) => i % 251);
  const declared = bodyHash(upload);
  const streamed = (name: string, key = alice, hash = declared) =>
    signRequest(key, { ceremony: CEREMONY, method: "PUT", path: `/uploads/${name}`, bodyHash: hash, now: NOW });

  it("verifies the declared hash before the body is read, and the handler checks the body against it", async () => {
    const headers = streamed("c7");
    expect(headers["x-ceremony-body-hash"]).toBe(declared);
    const response = await buildApp().request("/uploads/c7", { method: "PUT", body: upload, headers });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ participant: alice.publicKey, bytes: 700 });
  });

  it("lets the handler detect a body that differs from the signed hash", async () => {
    const other = upload.slice();
    other[0] = 255;
    const response = await buildApp().request("/uploads/c7", { method: "PUT", body: other, headers: streamed("c7") });
    expect(await expectError(response, 422, "BODY_HASH_MISMATCH")).toContain(declared);
  });

  it("lets the handler stop a streamed body that grows past the limit", async () => {
    const big = new Uint8Array(MAX + 1);
    const response = await buildApp().request("/uploads/big", { method: "PUT", body: big, headers: streamed("big", alice, bodyHash(big)) });
    await expectError(response, 422, "BODY_TOO_LARGE");
  });

  it("refuses before reading anything when the signature or the declared hash is wrong", async () => {
    const app = buildApp();
    for (const [headers, code] of [
      [{ ...streamed("c7"), "x-ceremony-body-hash": bodyHash("something else") }, "AUTH_BAD_SIGNATURE"],
      [{ ...streamed("c7", mallory), "x-ceremony-key": alice.publicKey }, "AUTH_BAD_SIGNATURE"],
      [{ ...streamed("c7"), "x-ceremony-body-hash": "ABC" }, "AUTH_MALFORMED"],
      [signRequest(alice, { ceremony: CEREMONY, method: "PUT", path: "/uploads/c7", body: upload, now: NOW }), "AUTH_MISSING"],
      [{}, "AUTH_MISSING"],
    ] as const) {
      const { stream, state } = countingStream(100, 7);
      const response = await app.request("/uploads/c7", { method: "PUT", body: stream, headers, duplex: "half" } as RequestInit);
      await expectError(response, 401, code);
      expect(state.pulled).toBeLessThanOrEqual(1);
    }
  });

  it("answers 413 when Content-Length is over the limit, and refuses a replayed upload", async () => {
    const app = buildApp();
    const tooLong = await app.request("/uploads/c7", { method: "PUT", body: upload, headers: { ...streamed("c7"), "content-length": String(MAX + 1) } });
    await expectError(tooLong, 413, "BODY_TOO_LARGE");
    const headers = streamed("c7");
    expect((await app.request("/uploads/c7", { method: "PUT", body: upload, headers })).status).toBe(200);
    await expectError(await app.request("/uploads/c7", { method: "PUT", body: upload, headers }), 401, "AUTH_REPLAYED");
  });
});
