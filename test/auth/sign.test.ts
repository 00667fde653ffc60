// Request signatures: the canonical message, signing, and every way verification refuses a request.
import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { parseEthKeyFile } from "../../src/identity/eth-key-file.ts";
import { ReplayGuard } from "../../src/auth/replay.ts";
import { type AuthResult, bodyHash, type HeaderSource, canonicalMessage, canonicalPath, signRequest, verifyRequest, type VerifyInput } from "../../src/auth/sign.ts";

const alice = generateKeyPair();
const mallory = generateKeyPair();
const NOW = 1_750_000_000_000;
const CEREMONY = "c3".repeat(32);
const request = { ceremony: CEREMONY, method: "POST", path: "/rounds/3/chunks/7?attempt=2", body: new TextEncoder().encode('{"x":1}') };

function signed(overrides: Partial<Parameters<typeof signRequest>[1]> = {}, key = alice) {
  return signRequest(key, { ...request, now: NOW, ...overrides });
}

function verify(headers: HeaderSource, overrides: Partial<VerifyInput> = {}, replay = new ReplayGuard()): AuthResult {
  return verifyRequest({ ...request, headers, now: NOW, ...overrides } as VerifyInput, replay);
}

function expectFailure(result: AuthResult, code: string, message?: RegExp): void {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  if (message) expect(result.message).toMatch(message);
}

describe("canonical message", () => {
  it("is the seven documented lines, the ceremony's id among them", () => {
    const message = canonicalMessage({ ceremony: CEREMONY, method: "post", path: "/a b?q=1", bodyHash: bodyHash(""), timestamp: 42, nonce: "00".repeat(16) });
    expect(new TextDecoder().decode(message)).toBe(
      ["ceremony-request-v2", CEREMONY, "POST", "/a%20b?q=1", bodyHash(new Uint8Array(0)), "42", "00".repeat(16)].join("\n"),
    );
  });
  it("binds a request to its ceremony: signed for one, refused at another", () => {
    const headers = signed();
    expect(verify(headers).ok).toBe(true);
    expectFailure(verify(headers, { ceremony: "d4".repeat(32) }), "AUTH_BAD_SIGNATURE");
  });

  it("hashes bodies with blake2b-512 (empty body: the hash of the empty string)", () => {
    expect(bodyHash()).toBe(
      "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce",
    );
    expect(bodyHash("abc")).toBe(bodyHash(new TextEncoder().encode("abc")));
  });

  it("signs the path and query as the server sees them, whether given a path or a URL", () => {
    expect(canonicalPath("http://coordinator.example:8080/x/../y?z=1#frag")).toBe("/y?z=1");
    expect(canonicalPath("/y?")).toBe("/y");
    expect(canonicalPath("y")).toBe("/y");
    // A path that looks protocol-relative is still a path, so "/x" and "//evil.example/x" are signed differently.
    expect(canonicalPath("//evil.example/x")).toBe("//evil.example/x");
    expect(canonicalPath(canonicalPath("/a/./b/../c d?e f"))).toBe(canonicalPath("/a/./b/../c d?e f"));
  });
});

describe("signRequest and verifyRequest", () => {
  it("accepts a signed request and names its signer", () => {
    const headers = signed();
    expect(Object.keys(headers).sort()).toEqual(["x-ceremony-key", "x-ceremony-nonce", "x-ceremony-signature", "x-ceremony-timestamp"]);
    expect(headers["x-ceremony-nonce"]).toMatch(/^[0-9a-f]{32}$/);
    expect(verify(headers)).toEqual({ ok: true, participant: alice.publicKey });
  });

  it("accepts a body given as a string, a precomputed body hash, no body, and Headers", () => {
    expect(verify(signed({ body: '{"x":1}' }))).toEqual({ ok: true, participant: alice.publicKey });
    expect(verify(signed(), { bodyHash: bodyHash(request.body) } as Partial<VerifyInput>).ok).toBe(true);
    const get = signRequest(alice, { ceremony: CEREMONY, method: "GET", path: "/status", now: NOW });
    expect(verify(get, { method: "GET", path: "/status", body: new Uint8Array(0) }).ok).toBe(true);
    expect(verify(new Headers(signed())).ok).toBe(true);
    expect(verify(Object.fromEntries(Object.entries(signed()).map(([name, value]) => [name.toUpperCase(), value]))).ok).toBe(true);
  });

  it("produces standard ed25519 signatures (checked with node:crypto)", () => {
    const headers = signed({ nonce: "ab".repeat(16) });
    const x = Buffer.from(alice.publicKey, "hex").toString("base64url");
    const publicKey = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    const message = canonicalMessage({ ...request, bodyHash: bodyHash(request.body), timestamp: NOW, nonce: "ab".repeat(16) });
    expect(nodeVerify(null, message, publicKey, Buffer.from(headers["x-ceremony-signature"] ?? "", "hex"))).toBe(true);
  });

  it("refuses a request without the authentication headers: AUTH_MISSING", () => {
    expectFailure(verify({}), "AUTH_MISSING", /x-ceremony-key, x-ceremony-timestamp, x-ceremony-nonce, x-ceremony-signature/);
    for (const name of ["x-ceremony-key", "x-ceremony-timestamp", "x-ceremony-nonce", "x-ceremony-signature"]) {
      const headers = signed();
      delete headers[name];
      expectFailure(verify(headers), "AUTH_MISSING", new RegExp(`missing header: ${name}$`));
    }
  });

  it("refuses malformed headers: AUTH_MALFORMED", () => {
    const cases: [string, string, RegExp][] = [
      ["x-ceremony-key", alice.publicKey.toUpperCase(), /x-ceremony-key: must be an ed25519 public key \(64 lowercase hex digits\) or an Ethereum address/],
      ["x-ceremony-key", alice.publicKey.slice(2), /x-ceremony-key/],
      ["x-ceremony-signature", "zz".repeat(64), /x-ceremony-signature: must be an ed25519 signature \(128 lowercase hex digits\) or an Ethereum one/],
      ["x-ceremony-nonce", "ab".repeat(15), /x-ceremony-nonce: must be 16 to 64 bytes/],
      ["x-ceremony-nonce", "ab".repeat(65), /x-ceremony-nonce/],
      ["x-ceremony-nonce", "ab".repeat(16) + "a", /x-ceremony-nonce/],
      ["x-ceremony-timestamp", "0" + String(NOW), /x-ceremony-timestamp: must be milliseconds/],
      ["x-ceremony-timestamp", "1.5e12", /x-ceremony-timestamp/],
      ["x-ceremony-timestamp", "-1", /x-ceremony-timestamp/],
      ["x-ceremony-timestamp", "9999999999999999", /x-ceremony-timestamp: must be a safe integer/],
    ];
    for (const [name, value, message] of cases) expectFailure(verify({ ...signed(), [name]: value }), "AUTH_MALFORMED", message);
    expectFailure(verify(signed(), { bodyHash: "00" } as Partial<VerifyInput>), "AUTH_MALFORMED", /x-ceremony-body-hash/);
  });

  it("refuses timestamps outside the window either way: AUTH_STALE", () => {
    expectFailure(verify(signed({ now: NOW - 60_001 })), "AUTH_STALE", /60001 ms old; at most 60000 ms/);
    expectFailure(verify(signed({ now: NOW + 60_001 })), "AUTH_STALE", /60001 ms in the future/);
    expect(verify(signed({ now: NOW - 60_000 })).ok).toBe(true);
    expect(verify(signed({ now: NOW + 60_000 })).ok).toBe(true);
    const strict = new ReplayGuard({ windowMs: 5_000 });
    expectFailure(verify(signed({ now: NOW - 5_001 }), {}, strict), "AUTH_STALE");
    expect(verify(signed({ now: NOW - 5_000 }), {}, strict).ok).toBe(true);
  });

  it("refuses a replayed request: AUTH_REPLAYED", () => {
    const replay = new ReplayGuard();
    const headers = signed();
    expect(verify(headers, {}, replay).ok).toBe(true);
    expectFailure(verify(headers, { now: NOW + 30_000 }, replay), "AUTH_REPLAYED", /nonce was already used/);
    // The same nonce from another key is that key's own business.
    expect(verify(signed({ nonce: headers["x-ceremony-nonce"] }, mallory), {}, replay).ok).toBe(true);
  });

  it("refuses a signature by another key: AUTH_BAD_SIGNATURE", () => {
    const forged = { ...signed({}, mallory), "x-ceremony-key": alice.publicKey };
    expectFailure(verify(forged), "AUTH_BAD_SIGNATURE", /does not match this request and key/);
    const wrongPublicKey = signRequest({ publicKey: alice.publicKey, secretKey: mallory.secretKey }, { ...request, now: NOW });
    expectFailure(verify(wrongPublicKey), "AUTH_BAD_SIGNATURE");
  });

  it("refuses any tampering with the signed fields: AUTH_BAD_SIGNATURE", () => {
    const headers = signed();
    expectFailure(verify(headers, { method: "PUT" }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify(headers, { path: "/rounds/3/chunks/8?attempt=2" }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify(headers, { path: "/rounds/3/chunks/7?attempt=3" }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify(headers, { path: "/rounds/3/chunks/7" }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify(headers, { path: "//evil.example/rounds/3/chunks/7?attempt=2" }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify(headers, { body: new TextEncoder().encode('{"x":2}') }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify(headers, { body: new Uint8Array(0) }), "AUTH_BAD_SIGNATURE");
    expectFailure(verify({ ...headers, "x-ceremony-timestamp": String(NOW + 1) }), "AUTH_BAD_SIGNATURE");
    const nonce = headers["x-ceremony-nonce"] ?? "";
    expectFailure(verify({ ...headers, "x-ceremony-nonce": (nonce[0] === "0" ? "1" : "0") + nonce.slice(1) }), "AUTH_BAD_SIGNATURE");
    const signature = headers["x-ceremony-signature"] ?? "";
    expectFailure(verify({ ...headers, "x-ceremony-signature": signature.slice(0, -1) + (signature.endsWith("0") ? "1" : "0") }), "AUTH_BAD_SIGNATURE");
  });

  it("refuses a small-order public key, which would otherwise 'sign' anything", () => {
    // A = identity, R = identity, S = 0 satisfies [S]B = R + [k]A for every message under lax (ZIP-215) rules.
    const identity = "01" + "00".repeat(31);
    const headers = { ...signed(), "x-ceremony-key": identity, "x-ceremony-signature": identity + "00".repeat(32) };
    expectFailure(verify(headers), "AUTH_BAD_SIGNATURE");
  });

  it("checks the replay guard only after the signature, so forgeries cannot burn a real nonce", () => {
    const replay = new ReplayGuard();
    const genuine = signed();
    const forged = { ...genuine, "x-ceremony-signature": signed({}, mallory)["x-ceremony-signature"] ?? "" };
    expectFailure(verify(forged, {}, replay), "AUTH_BAD_SIGNATURE");
    expect(replay.size).toBe(0);
    expect(verify(genuine, {}, replay).ok).toBe(true);
  });

  it("reports a full replay guard and a key over its quota with their own codes", () => {
    const full = new ReplayGuard({ maxEntries: 1 });
    expect(verify(signed(), {}, full).ok).toBe(true);
    expectFailure(verify(signed({}, mallory), {}, full), "AUTH_REPLAY_FULL", /retry shortly/);
    const quota = new ReplayGuard({ maxEntriesPerKey: 1 });
    expect(verify(signed(), {}, quota).ok).toBe(true);
    expectFailure(verify(signed(), {}, quota), "AUTH_RATE_LIMITED", /more than 1 requests from this key/);
    expect(verify(signed({}, mallory), {}, quota).ok).toBe(true);
  });
});

describe("Ethereum admins' signatures", () => {
  const eth = parseEthKeyFile("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "test key");
  const admins = (guard = new ReplayGuard()) => ({ windowMs: guard.windowMs, ethereum: true, guardFor: () => guard });

  it("verify where the policy takes them, under the lowercase address; nowhere else", () => {
    const headers = signRequest(eth, { ...request, now: NOW });
    expect(headers["x-ceremony-key"]).toBe(eth.address.toLowerCase());
    expect(headers["x-ceremony-signature"]).toMatch(/^0x[0-9a-f]{130}$/);
    expect(verifyRequest({ ...request, headers, now: NOW }, admins())).toEqual({ ok: true, participant: eth.address.toLowerCase() });
    expectFailure(verify(headers), "AUTH_MALFORMED", /Ethereum addresses may sign admin requests only/);
  });
  it("pair a key with a signature of its own kind", () => {
    const ethHeaders = signRequest(eth, { ...request, now: NOW });
    const mixed = { ...signed(), "x-ceremony-signature": ethHeaders["x-ceremony-signature"] ?? "" };
    expectFailure(verifyRequest({ ...request, headers: mixed, now: NOW }, admins()), "AUTH_MALFORMED", /an ed25519 key goes with an ed25519 signature/);
    const upper = { ...ethHeaders, "x-ceremony-key": eth.address };
    expectFailure(verifyRequest({ ...request, headers: upper, now: NOW }, admins()), "AUTH_MALFORMED", /x-ceremony-key/);
  });
});
