// Sign-In with Ethereum for a ceremony: a wallet (viem) signs what siweMessageFor builds, and every attack is
// refused with its code, without spending the nonce of the participant it targets.
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  NonceStore,
  addressOf,
  signMessage,
  siweMessageFor,
  siweStatement,
  verifySiwe,
  type SiweExpectation,
  type SiweRequest,
} from "../../src/identity/index.ts";
import { highS } from "./malleable.ts";

const now = Date.UTC(2025, 0, 15, 12);
const ceremonyId = "c".repeat(64);
const participantKey = "a1".repeat(32);

function setup() {
  const nonces = new NonceStore();
  const key = generatePrivateKey();
  const request: SiweRequest = {
    domain: "ceremony.example.org",
    scheme: "https",
    uri: "https://ceremony.example.org/v1/queue/join",
    chainId: 1,
    nonce: nonces.issue(now).nonce,
    ceremonyId,
    participantKey,
    address: addressOf(key),
    issuedAt: now,
    expiresAt: now + 120_000,
  };
  const expected: SiweExpectation = {
    domain: "ceremony.example.org",
    scheme: "https",
    uri: "https://ceremony.example.org/v1/queue/join",
    chainId: 1,
    ceremonyId,
    participantKey,
    now: now + 1_000,
    consumeNonce: (nonce) => nonces.consume(nonce, now + 1_000),
  };
  /** A validly signed text, built by hand where siweMessageFor would not write it. */
  const signText = (message: string) => ({ message, signature: signMessage(key, message) });
  const signed = (r: SiweRequest = request, signer = key) => {
    const message = siweMessageFor(r);
    return { message, signature: signMessage(signer, message) };
  };
  return { nonces, key, request, expected, signed, signText };
}

describe("verifySiwe", () => {
  it("admits a message a wallet signed, naming the address", async () => {
    const { key, request, expected } = setup();
    const message = siweMessageFor(request);
    const signature = await privateKeyToAccount(key).signMessage({ message });
    expect(message).toContain(`\n\n${siweStatement(ceremonyId, participantKey)}\n\n`);
    expect(verifySiwe({ message, signature }, expected)).toMatchObject({ ok: true, address: addressOf(key) });
  });

  it("ignores the case of the domain and the scheme, and the scheme when the message has none", () => {
    const { request, expected, signed } = setup();
    const proof = signed({ ...request, domain: "Ceremony.Example.ORG", scheme: "HTTPS" });
    expect(verifySiwe(proof, expected).ok).toBe(true);
    const { request: r2, expected: e2, signed: s2 } = setup();
    const { scheme: _, ...noScheme } = r2;
    expect(verifySiwe(s2(noScheme), e2).ok).toBe(true);
  });

  const attacks: [string, (s: ReturnType<typeof setup>) => { message: string; signature: string }, string][] = [
    ["another participant key", (s) => s.signed({ ...s.request, participantKey: "b2".repeat(32) }), "SIWE_WRONG_KEY"],
    ["another ceremony", (s) => s.signed({ ...s.request, ceremonyId: "d".repeat(64) }), "SIWE_WRONG_CEREMONY"],
    ["another domain", (s) => s.signed({ ...s.request, domain: "evil.example.org" }), "SIWE_WRONG_DOMAIN"],
    ["another port", (s) => s.signed({ ...s.request, domain: "ceremony.example.org:8443" }), "SIWE_WRONG_DOMAIN"],
    ["another scheme", (s) => s.signed({ ...s.request, scheme: "http" }), "SIWE_WRONG_DOMAIN"],
    ["another URI", (s) => s.signed({ ...s.request, uri: "https://evil.example.org/" }), "SIWE_WRONG_URI"],
    ["another chain", (s) => s.signed({ ...s.request, chainId: 10 }), "SIWE_WRONG_CHAIN"],
    ["an unknown nonce", (s) => s.signed({ ...s.request, nonce: "0123456789abcdef0123456789abcdef" }), "SIWE_NONCE"],
    ["an expired message", (s) => s.signed({ ...s.request, expiresAt: now + 1_000 }), "SIWE_EXPIRED"],
    ["a message issued in the future", (s) => s.signed({ ...s.request, issuedAt: now + 120_000, expiresAt: now + 240_000 }), "SIWE_NOT_YET_VALID"],
    ["a signature by another account", (s) => s.signed(s.request, generatePrivateKey()), "SIWE_BAD_SIGNATURE"],
    ["a signature over another message", (s) => ({ ...s.signed(), signature: s.signed({ ...s.request, issuedAt: now + 1 }).signature }), "SIWE_BAD_SIGNATURE"],
    ["a tampered nonce with the original signature", (s) => tamper(s.signed(), (m) => m.replace(s.request.nonce, `${s.request.nonce.slice(0, -1)}x`)), "SIWE_BAD_SIGNATURE"],
    ["a malleable high-s signature", (s) => ({ ...s.signed(), signature: highS(s.signed().signature) }), "SIWE_BAD_SIGNATURE"],
    ["a garbage signature", (s) => ({ ...s.signed(), signature: "0x1234" }), "SIWE_BAD_SIGNATURE"],
    // Signed as they are: the grammar refuses them, not the signature.
    ["an extra line", (s) => s.signText(`${siweMessageFor(s.request)}\nColor: blue`), "SIWE_MALFORMED"],
    ["a missing line", (s) => s.signText(siweMessageFor(s.request).replace(/\nChain ID: 1/, "")), "SIWE_MALFORMED"],
    ["a trailing newline", (s) => s.signText(`${siweMessageFor(s.request)}\n`), "SIWE_MALFORMED"],
    ["no statement", (s) => s.signText(siweMessageFor(s.request).replace(/\n\nContribute[^\n]*\n/, "\n\n")), "SIWE_WRONG_KEY"],
  ];

  it.each(attacks)("refuses %s", (_, attack, code) => {
    const s = setup();
    const proof = attack(s);
    expect(verifySiwe(proof, s.expected)).toMatchObject({ ok: false, code });
    // The refusal spent nothing: the participant's own sign-in still works with the same nonce.
    expect(verifySiwe(s.signed(), s.expected)).toMatchObject({ ok: true });
  });

  it("refuses a message whose Not Before is still ahead", () => {
    const s = setup();
    const message = siweMessageFor(s.request).replace(/(\nExpiration Time: [^\n]*)/, "$1\nNot Before: 2025-01-15T12:00:30.000Z");
    expect(verifySiwe(s.signText(message), s.expected)).toMatchObject({ ok: false, code: "SIWE_NOT_YET_VALID" });
  });

  it("refuses a reused nonce and a nonce past its time to live", () => {
    const s = setup();
    const proof = s.signed();
    expect(verifySiwe(proof, s.expected).ok).toBe(true);
    expect(verifySiwe(proof, s.expected)).toMatchObject({ ok: false, code: "SIWE_NONCE" });
    const late = setup();
    const lateProof = late.signed({ ...late.request, expiresAt: undefined });
    const later = now + late.nonces.ttlMs + 1;
    expect(verifySiwe(lateProof, { ...late.expected, now: later, consumeNonce: (n) => late.nonces.consume(n, later) })).toMatchObject({
      ok: false,
      code: "SIWE_NONCE",
    });
  });

  it("refuses every one-character change of a signed message", () => {
    const s = setup();
    const proof = s.signed();
    for (let i = 0; i < proof.message.length; i++) {
      const c = proof.message.charAt(i);
      const changed = c === "a" ? "b" : c === "A" ? "B" : c === "0" ? "1" : c === "\n" ? " " : "a";
      const message = proof.message.slice(0, i) + changed + proof.message.slice(i + 1);
      expect(verifySiwe({ message, signature: proof.signature }, s.expected).ok, `position ${i}`).toBe(false);
    }
    expect(verifySiwe(proof, s.expected).ok).toBe(true);
  });
});

function tamper(proof: { message: string; signature: string }, edit: (m: string) => string) {
  return { message: edit(proof.message), signature: proof.signature };
}
