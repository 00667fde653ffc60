// Admission under each identity mode: the proof a join carries, checked, and the identity the core will record.
import * as v from "valibot";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  IdentityProofSchema,
  NonceStore,
  SiweChallengeSchema,
  addressOf,
  admit,
  newToken,
  signMessage,
  siweChallenge,
  siweMessageFor,
  siweOrigin,
  tokenIdentity,
  type AdmissionPolicy,
} from "../../src/identity/index.ts";
import { closedPortUrl, startJsonRpcNode, type JsonRpcNode } from "./json-rpc-node.ts";

const now = Date.UTC(2025, 0, 15, 12);
const ceremonyId = "c".repeat(64);
const participantKey = "a1".repeat(32);
const veteran = generatePrivateKey();
const newcomer = generatePrivateKey();

let node: JsonRpcNode;
beforeAll(async () => {
  node = await startJsonRpcNode({ [addressOf(veteran).toLowerCase()]: "0x2a" });
});
afterAll(() => node.close());

/** The wiring of a coordinator in ethereum mode, and a client that asks it for a challenge and signs in. */
function ethereum(eligibility?: { rpcUrl: string; minTransactions: number }) {
  const nonces = new NonceStore();
  const origin = siweOrigin("http://localhost:8090/");
  const policy: AdmissionPolicy = {
    mode: "ethereum",
    siwe: { ...origin, chainId: 1, ceremonyId, consumeNonce: (n) => nonces.consume(n, now) },
    ...(eligibility ? { eligibility } : {}),
  };
  const proof = (key: string) => {
    // What the client receives over HTTP, checked with the schema the client uses.
    const challenge = v.parse(SiweChallengeSchema, JSON.parse(JSON.stringify(siweChallenge(origin, 1, nonces.issue(now)))));
    const message = siweMessageFor({ ...challenge, ceremonyId, participantKey, address: addressOf(key), issuedAt: now });
    return { kind: "ethereum" as const, message, signature: signMessage(key, message) };
  };
  return { policy, proof };
}

describe("admit", () => {
  it("open: admits anyone and records no identity", async () => {
    expect(await admit({ mode: "open" }, undefined, participantKey, now)).toEqual({ ok: true, identity: null });
  });

  it("token: admits the holder of a minted token under the token's identity", async () => {
    const token = newToken();
    const policy: AdmissionPolicy = { mode: "token", isMinted: (id) => id === tokenIdentity(token) };
    expect(await admit(policy, { kind: "token", token }, participantKey, now)).toEqual({ ok: true, identity: tokenIdentity(token) });
    expect(await admit(policy, { kind: "token", token: newToken() }, participantKey, now)).toMatchObject({ ok: false, code: "TOKEN_UNKNOWN" });
    expect(await admit(policy, undefined, participantKey, now)).toMatchObject({ ok: false, code: "IDENTITY_REQUIRED" });
    expect(await admit(policy, ethereum().proof(veteran), participantKey, now)).toMatchObject({ ok: false, code: "IDENTITY_REQUIRED" });
  });

  it("ethereum: admits a signed-in address, under that address", async () => {
    const { policy, proof } = ethereum();
    expect(await admit(policy, proof(newcomer), participantKey, now)).toEqual({ ok: true, identity: addressOf(newcomer) });
    expect(await admit(policy, proof(newcomer), "b2".repeat(32), now)).toMatchObject({ ok: false, code: "SIWE_WRONG_KEY" });
    expect(await admit(policy, { kind: "token", token: newToken() }, participantKey, now)).toMatchObject({ ok: false, code: "IDENTITY_REQUIRED" });
  });

  it("ethereum with a minimum history: asks the node, and tells ineligible from unavailable", async () => {
    const { policy, proof } = ethereum({ rpcUrl: node.url, minTransactions: 10 });
    expect(await admit(policy, proof(veteran), participantKey, now)).toEqual({ ok: true, identity: addressOf(veteran) });
    expect(await admit(policy, proof(newcomer), participantKey, now)).toMatchObject({ ok: false, code: "NOT_ELIGIBLE" });
    const offline = ethereum({ rpcUrl: await closedPortUrl(), minTransactions: 10 });
    expect(await admit(offline.policy, offline.proof(veteran), participantKey, now)).toMatchObject({ ok: false, code: "ELIGIBILITY_UNAVAILABLE" });
  });
});

describe("siweOrigin", () => {
  it("takes the domain, scheme and URI from the public URL", () => {
    expect(siweOrigin("https://ceremony.example.org:443/v1/")).toEqual({ domain: "ceremony.example.org", scheme: "https", uri: "https://ceremony.example.org" });
    expect(siweOrigin("http://127.0.0.1:8090")).toEqual({ domain: "127.0.0.1:8090", scheme: "http", uri: "http://127.0.0.1:8090" });
    for (const url of ["ceremony.example.org", "ftp://ceremony.example.org", "file:///tmp/x"]) expect(() => siweOrigin(url), url).toThrow(TypeError);
  });
});

describe("IdentityProofSchema", () => {
  it("takes a token or a SIWE proof, and nothing else", () => {
    const { proof } = ethereum();
    expect(v.is(IdentityProofSchema, { kind: "token", token: newToken() })).toBe(true);
    expect(v.is(IdentityProofSchema, proof(veteran))).toBe(true);
    for (const junk of [
      { kind: "token", token: "hello" },
      { kind: "token", token: newToken(), extra: 1 },
      { kind: "ethereum", message: "x", signature: "0x12" },
      { kind: "ethereum", message: "x".repeat(9000), signature: proof(veteran).signature },
      { kind: "open" },
      null,
    ]) {
      expect(v.is(IdentityProofSchema, junk)).toBe(false);
    }
  });
});
