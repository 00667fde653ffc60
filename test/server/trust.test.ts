// The attacks of a stranger on the open internet, through the HTTP API in-process: becoming a verifier, sending
// verdicts, uploading what does not decode, filling the replay guard and the heartbeats with fresh keys, replaying
// a request signed for another ceremony, and admission by invitation token and by Sign-In with Ethereum.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/api/app.ts";
import { generateKeyPair, type ParticipantKey } from "../../src/auth/keys.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { bodyHash, signRequest } from "../../src/auth/sign.ts";
import { DEFAULT_FAULT_SETTINGS, type IdentityKind } from "../../src/core/model.ts";
import { Contributor } from "../../src/client/contributor.ts";
import { InProcessParticipant } from "../../src/client/in-process.ts";
import { closeCurve, getCurve } from "../../src/crypto/curve.ts";
import { chunk0Facts } from "../../src/facts/chunk0.ts";
import { LocalOps } from "../../src/crypto/ops.ts";
import { newToken, signMessage, addressOf, siweMessageFor, tokenIdentity } from "../../src/identity/index.ts";
import { createAdmission } from "../../src/server/admission.ts";
import { Coordinator } from "../../src/server/coordinator.ts";

const root = await mkdtemp(join(tmpdir(), "ceremony-trust-"));
const admin = generateKeyPair();
const PUBLIC_URL = "https://ceremony.example";

async function open(name: string, identity: IdentityKind = "open", trust: { verifiers?: number; verifierKeys?: string[] } = {}) {
  const coordinatorKey = generateKeyPair();
  const coord = await Coordinator.open({
    dataDir: join(root, name),
    settings: {
      power: 3,
      chunkSize: 4,
      contributorsPerRound: 2,
      lockLimit: 1,
      roundStartWaitMs: 0,
      ...DEFAULT_FAULT_SETTINGS,
      admins: [admin.publicKey],
      identity,
      contributionsPerIdentity: 1,
    },
    tickMs: 3_600_000,
    verifiers: trust.verifiers ?? 1,
    ...(trust.verifierKeys ? { verifierKeys: trust.verifierKeys } : {}),
    coordinatorKey,
    ops: await LocalOps.create(),
    admission: createAdmission({ kind: identity, publicUrl: () => PUBLIC_URL, chainId: 1 }),
  });
  const replay = new ReplayGuard({ maxEntries: 50 });
  const app = createApp(coord.service, { replay });
  const ceremony = coord.service.info().ceremonyId;
  const request = (key: ParticipantKey, method: string, path: string, json?: unknown, forCeremony = ceremony): Request => {
    const body = json === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(json));
    const headers = { "content-type": "application/json", ...signRequest(key, { ceremony: forCeremony, method, path, body }) };
    return new Request(`http://local${path}`, { method, headers, ...(method === "GET" ? {} : { body }) });
  };
  const call = async (req: Request): Promise<{ status: number; code?: string; json: unknown }> => {
    const res = await app.request(req);
    const json = res.status === 204 ? null : ((await res.json()) as { error?: { code: string } });
    return { status: res.status, ...(json && typeof json === "object" && "error" in json && json.error ? { code: json.error.code } : {}), json };
  };
  return { coord, app, replay, request, call, seq: () => coord.service.status().transcript?.committedSeq ?? coord.state() };
}

afterAll(async () => {
  await closeCurve();
  await rm(root, { recursive: true, force: true });
});

describe("only trusted verifiers decide", () => {
  let w: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    w = await open("verifiers");
  });
  afterAll(() => w.coord.close());

  it("a stranger asking to join as a verifier is refused and nothing changes", async () => {
    const before = w.coord.state();
    const stranger = generateKeyPair();
    expect(await w.call(w.request(stranger, "POST", "/v1/queue/join", { role: "verifier" }))).toMatchObject({ status: 403, code: "NOT_A_VERIFIER" });
    expect(w.coord.state()).toBe(before);
  });
  it("verifier endpoints refuse strangers and contributors; their verdicts change nothing", async () => {
    const stranger = generateKeyPair();
    expect(await w.call(w.request(stranger, "GET", "/v1/verifications/next"))).toMatchObject({ status: 403, code: "AUTH_UNKNOWN_KEY" });
    const alice = generateKeyPair();
    expect((await w.call(w.request(alice, "POST", "/v1/queue/join", {}))).status).toBe(200);
    const before = w.coord.state();
    expect(await w.call(w.request(alice, "GET", "/v1/verifications/next"))).toMatchObject({ status: 403, code: "NOT_A_VERIFIER" });
    const verdict = { round: 1, chunk: 0, position: 0, hash: "ab".repeat(64), ok: false, code: "POWERS_INCONSISTENT" };
    expect(await w.call(w.request(alice, "POST", "/v1/verifications", verdict))).toMatchObject({ status: 403, code: "NOT_A_VERIFIER" });
    expect(await w.call(w.request(alice, "POST", "/v1/verifications", { ...verdict, ok: true, nextChallenge: "cd".repeat(64) }))).toMatchObject({ status: 403 });
    expect(w.coord.state()).toBe(before);
  });
  it("a verdict's code cannot carry control characters into logs", async () => {
    const verdict = { round: 1, chunk: 0, position: 0, hash: "ab".repeat(64), ok: false, code: "BAD\nround 9 aggregated" };
    const v = await w.call(w.request(admin, "POST", "/v1/verifications", verdict));
    expect(v).toMatchObject({ status: 400, code: "INVALID_BODY" });
  });
});

describe("a trusted external verifier", () => {
  it("decides accepted or rejected, but the next challenge is the coordinator's own, whatever it sends", async () => {
    const verifierKey = generateKeyPair();
    const w = await open("external", "open", { verifiers: 0, verifierKeys: [verifierKey.publicKey] });
    try {
      const curve = await getCurve();
      const ops = await LocalOps.create();
      const [alice, bob] = [generateKeyPair(), generateKeyPair()];
      for (const k of [alice, bob]) expect((await w.call(w.request(k, "POST", "/v1/queue/join", {}))).status).toBe(200);
      await w.coord.tick();
      const contributor = new Contributor(new InProcessParticipant(w.coord.service, alice.publicKey), { ops, curve });
      while (contributor.uploads.length === 0) await contributor.step();
      contributor.close();
      const task = (await w.call(w.request(verifierKey, "GET", "/v1/verifications/next"))).json as { task: { round: number; chunk: number; position: number; hash: string; challenge: string } };
      const { round, chunk, position, hash } = task.task;
      const injected = "cd".repeat(64);
      expect((await w.call(w.request(verifierKey, "POST", "/v1/verifications", { round, chunk, position, hash, ok: true, nextChallenge: injected }))).status).toBe(200);
      const s = w.coord.state();
      const facts = chunk0Facts(curve, w.coord.params, await w.coord.artifacts.get(hash), hash, task.task.challenge);
      expect(s.phase === "running" && s.round.challenges[1]).toBe(facts?.nextChallenge);
      expect(facts?.nextChallenge).not.toBe(injected);
    } finally {
      await w.coord.close();
    }
  });
});

describe("uploads that do not decode", () => {
  it("are refused before anything is recorded; the lock stays with the contributor", async () => {
    const w = await open("uploads");
    try {
      const [alice, bob] = [generateKeyPair(), generateKeyPair()];
      for (const k of [alice, bob]) expect((await w.call(w.request(k, "POST", "/v1/queue/join", {}))).status).toBe(200);
      await w.coord.tick();
      expect((await w.call(w.request(alice, "POST", "/v1/chunks/0/lock", {}))).status).toBe(200);
      const path = "/v1/chunks/0/contribution";
      const size = 2304; // a chunk 0 with its key at power 3, chunks of 4
      const garbage = crypto.getRandomValues(new Uint8Array(size));
      const headers = { "content-type": "application/octet-stream", ...signRequest(alice, { ceremony: w.coord.service.info().ceremonyId, method: "POST", path, bodyHash: bodyHash(garbage) }) };
      expect(await w.call(new Request(`http://local${path}`, { method: "POST", headers, body: garbage }))).toMatchObject({ status: 400, code: "MALFORMED_CHUNK" });
      const round = w.coord.service.status().round;
      expect(round?.chunks[0]).toMatchObject({ contributions: 0, lockedBy: alice.publicKey });
    } finally {
      await w.coord.close();
    }
  });
});

describe("keys the coordinator does not know", () => {
  let w: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    w = await open("strangers");
  });
  afterAll(() => w.coord.close());

  it("may only join: their heartbeats are refused and never stored, and their nonces cannot fill the replay guard", async () => {
    const alice = generateKeyPair();
    expect((await w.call(w.request(alice, "POST", "/v1/queue/join", {}))).status).toBe(200);
    // The known participants' guard holds 50 nonces; 200 fresh keys send heartbeats and joins.
    for (let i = 0; i < 100; i++) {
      const k = generateKeyPair();
      expect(await w.call(w.request(k, "POST", "/v1/heartbeat", {}))).toMatchObject({ status: 403, code: "AUTH_UNKNOWN_KEY" });
      expect(w.coord.presence.has(k.publicKey)).toBe(false);
    }
    expect(w.replay.size).toBeLessThan(10);
    for (let i = 0; i < 40; i++) expect((await w.call(w.request(alice, "POST", "/v1/heartbeat", {}))).status).toBe(200);
  });
  it("a request signed for another ceremony is refused", async () => {
    const alice = generateKeyPair();
    expect(await w.call(w.request(alice, "POST", "/v1/queue/join", {}, "ee".repeat(32)))).toMatchObject({ status: 401, code: "AUTH_BAD_SIGNATURE" });
  });
});

describe("admission by invitation token", () => {
  it("admits a minted token once; refuses none, an unknown one, and a token another key holds", async () => {
    const w = await open("tokens", "token");
    try {
      const tokens = [newToken(), newToken()];
      expect((await w.call(w.request(admin, "POST", "/v1/admin/invitations", { hashes: tokens.map(tokenIdentity) }))).status).toBe(200);
      const [alice, bob] = [generateKeyPair(), generateKeyPair()];
      expect(await w.call(w.request(alice, "POST", "/v1/queue/join", {}))).toMatchObject({ status: 401, code: "IDENTITY_REQUIRED" });
      expect(await w.call(w.request(alice, "POST", "/v1/queue/join", { proof: { kind: "token", token: newToken() } }))).toMatchObject({ status: 403, code: "TOKEN_UNKNOWN" });
      expect((await w.call(w.request(alice, "POST", "/v1/queue/join", { proof: { kind: "token", token: tokens[0] } }))).status).toBe(200);
      expect(await w.call(w.request(bob, "POST", "/v1/queue/join", { proof: { kind: "token", token: tokens[0] } }))).toMatchObject({ status: 409, code: "IDENTITY_IN_USE" });
      const s = w.coord.state();
      expect(s.phase !== "setup" && s.identityOf.get(alice.publicKey)).toBe(`token:${tokenIdentity(tokens[0] as string)}`);
    } finally {
      await w.coord.close();
    }
  });
});

describe("admission by Sign-In with Ethereum", () => {
  it("admits a signed message for this key, domain and a fresh nonce; refuses another key, another domain and a reused nonce", async () => {
    const w = await open("ethereum", "ethereum");
    try {
      const ethKey = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
      const address = addressOf(ethKey);
      const ceremonyId = w.coord.service.info().ceremonyId;
      const [alice, bob] = [generateKeyPair(), generateKeyPair()];
      const challenge = async (k: ParticipantKey) => (await w.call(w.request(k, "POST", "/v1/identity/challenge"))).json as { domain: string; uri: string; chainId: number; nonce: string; scheme?: string };
      const proof = (message: string) => ({ kind: "ethereum", message, signature: signMessage(ethKey, message) });
      const msg = (c: Awaited<ReturnType<typeof challenge>>, key: string, domain = c.domain) =>
        siweMessageFor({ domain, uri: c.uri, chainId: c.chainId, nonce: c.nonce, ceremonyId, participantKey: key, address, issuedAt: Date.now(), ...(c.scheme ? { scheme: c.scheme } : {}) });

      const c1 = await challenge(alice);
      expect(c1.domain).toBe("ceremony.example");
      expect(await w.call(w.request(alice, "POST", "/v1/queue/join", { proof: proof(msg(c1, bob.publicKey)) }))).toMatchObject({ status: 403, code: "SIWE_WRONG_KEY" });
      const c2 = await challenge(alice);
      expect(await w.call(w.request(alice, "POST", "/v1/queue/join", { proof: proof(msg(c2, alice.publicKey, "evil.example")) }))).toMatchObject({ status: 403, code: "SIWE_WRONG_DOMAIN" });
      const c3 = await challenge(alice);
      const good = proof(msg(c3, alice.publicKey));
      expect((await w.call(w.request(alice, "POST", "/v1/queue/join", { proof: good }))).status).toBe(200);
      expect(await w.call(w.request(bob, "POST", "/v1/queue/join", { proof: good }))).toMatchObject({ status: 403, code: "SIWE_WRONG_KEY" });
      expect(await w.call(w.request(bob, "POST", "/v1/queue/join", { proof: proof(msg(c3, bob.publicKey)) }))).toMatchObject({ status: 401, code: "SIWE_NONCE" });
      const s = w.coord.state();
      expect(s.phase !== "setup" && s.identityOf.get(alice.publicKey)).toBe(`eth:${address}`);
    } finally {
      await w.coord.close();
    }
  });
});
