// BLS against an independent implementation: supranational's blst (C, through @chainsafe/blst, the library
// Ethereum consensus clients use). Signatures, aggregates and the ciphersuite must agree byte for byte; proofs of
// possession must live in their own domain and stop the rogue-key attack that plain aggregation allows.
import * as blst from "@chainsafe/blst";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  aggregateSignatures,
  blsPublicKeyOf,
  blsSign,
  blsVerify,
  fastAggregateVerify,
  generateBlsKey,
  isValidBlsPublicKey,
  popProve,
  popVerify,
  SIGNATURE_DST,
} from "../../src/bls/bls.ts";
import { BatchVerifier, verifyAllSameMessage } from "../../src/bls/batch.ts";
import { createBlsKeyFile, readBlsKeyFile } from "../../src/bls/key-file.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("BLS12-381, minimal-pubkey-size, proof-of-possession ciphersuite", () => {
  it("signs as blst does: ours verify under blst and blst's under ours, byte for byte", () => {
    for (let i = 0; i < 4; i++) {
      const ikm = crypto.getRandomValues(new Uint8Array(32));
      const theirs = blst.SecretKey.fromKeygen(ikm);
      const secret = bytesToHex(theirs.toBytes());
      expect(blsPublicKeyOf(secret)).toBe(bytesToHex(theirs.toPublicKey().toBytes()));
      const message = text(`statement ${i}`);
      const ours = blsSign(secret, message);
      expect(ours).toBe(bytesToHex(theirs.sign(message).toBytes()));
      expect(blst.verify(message, theirs.toPublicKey(), blst.Signature.fromBytes(hexToBytes(ours)))).toBe(true);
      expect(blsVerify(blsPublicKeyOf(secret), message, bytesToHex(theirs.sign(message).toBytes()))).toBe(true);
      expect(blsVerify(blsPublicKeyOf(secret), text("another statement"), ours)).toBe(false);
    }
  });

  it("aggregates as blst does, and the aggregate verifies under blst's fastAggregateVerify", () => {
    const keys = Array.from({ length: 5 }, () => generateBlsKey());
    const message = text("ceremony-mirror/1 the same statement");
    const signatures = keys.map((k) => blsSign(k.secretKey, message));
    const aggregate = aggregateSignatures(signatures);
    const theirs = blst.aggregateSignatures(signatures.map((s) => blst.Signature.fromBytes(hexToBytes(s))));
    expect(aggregate).toBe(bytesToHex(theirs.toBytes()));
    const publicKeys = keys.map((k) => k.publicKey);
    expect(fastAggregateVerify(publicKeys, message, aggregate)).toBe(true);
    expect(blst.fastAggregateVerify(message, publicKeys.map((p) => blst.PublicKey.fromBytes(hexToBytes(p))), theirs)).toBe(true);
    // One signer short, one key too many, or another message: no.
    expect(fastAggregateVerify(publicKeys.slice(1), message, aggregate)).toBe(false);
    expect(fastAggregateVerify([...publicKeys, generateBlsKey().publicKey], message, aggregate)).toBe(false);
    expect(fastAggregateVerify(publicKeys, text("ceremony-mirror/1 another statement"), aggregate)).toBe(false);
  });

  it("keeps proofs of possession in their own domain", () => {
    const k = generateBlsKey();
    const proof = popProve(k.secretKey);
    expect(popVerify(k.publicKey, proof)).toBe(true);
    expect(popVerify(generateBlsKey().publicKey, proof)).toBe(false);
    // A proof is not a signature over the key's bytes, under ours or under blst (whose only domain is SIGNATURE_DST)…
    const keyBytes = hexToBytes(k.publicKey);
    expect(blsVerify(k.publicKey, keyBytes, proof)).toBe(false);
    expect(blst.verify(keyBytes, blst.PublicKey.fromBytes(keyBytes), blst.Signature.fromBytes(hexToBytes(proof)))).toBe(false);
    // …and such a signature is no proof.
    expect(popVerify(k.publicKey, blsSign(k.secretKey, keyBytes))).toBe(false);
    expect(SIGNATURE_DST).toBe("BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_");
  });

  it("refuses the rogue key that forges an aggregate: it has no proof of possession", () => {
    const sigs = bls12_381.longSignatures;
    const G1 = bls12_381.G1.Point;
    const honest = generateBlsKey();
    // The attacker knows x and announces R = x·G − H: the aggregate key H + R is x·G, whose signatures it can make.
    const x = BigInt(`0x${bytesToHex(bls12_381.utils.randomSecretKey())}`) % bls12_381.fields.Fr.ORDER;
    const rogue = bytesToHex(G1.BASE.multiply(x).subtract(G1.fromBytes(hexToBytes(honest.publicKey))).toBytes());
    const message = text("a head the honest mirror never signed");
    const forged = bytesToHex(sigs.Signature.toBytes(sigs.hash(message, SIGNATURE_DST).multiply(x)));
    const both = [honest.publicKey, rogue];
    // Without proofs of possession the forgery verifies, under blst as under ours: the attack is real.
    expect(blst.fastAggregateVerify(message, both.map((p) => blst.PublicKey.fromBytes(hexToBytes(p))), blst.Signature.fromBytes(hexToBytes(forged)))).toBe(true);
    expect(fastAggregateVerify(both, message, forged)).toBe(true);
    // The rogue key is a valid point, but the attacker cannot prove possession of it (the best it has: x's proof).
    expect(isValidBlsPublicKey(rogue)).toBe(true);
    const attempt = bytesToHex(sigs.Signature.toBytes(sigs.hash(hexToBytes(rogue), "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_").multiply(x)));
    expect(popVerify(rogue, attempt)).toBe(false);
  });

  it("says no, without throwing, to keys and signatures that do not decode or are the identity", () => {
    const k = generateBlsKey();
    const message = text("m");
    const signature = blsSign(k.secretKey, message);
    const identityKey = `c0${"00".repeat(47)}`;
    const identitySig = `c0${"00".repeat(95)}`;
    for (const bad of [identityKey, "00".repeat(48), "ff".repeat(48), k.publicKey.slice(2), k.publicKey.toUpperCase()]) {
      expect(isValidBlsPublicKey(bad)).toBe(false);
      expect(blsVerify(bad, message, signature)).toBe(false);
      expect(popVerify(bad, popProve(k.secretKey))).toBe(false);
    }
    for (const bad of [identitySig, "00".repeat(96), signature.slice(2), "zz".repeat(96)]) expect(blsVerify(k.publicKey, message, bad)).toBe(false);
    expect(() => aggregateSignatures([])).toThrow();
    expect(fastAggregateVerify([], message, signature)).toBe(false);
  });

  it("verifies many signatures of one message at once, and still names the bad one", async () => {
    const message = text("ceremony-mirror-statement/1 one head");
    const keys = Array.from({ length: 6 }, () => generateBlsKey());
    const items = keys.map((k) => ({ publicKey: k.publicKey, signature: blsSign(k.secretKey, message) }));
    expect(verifyAllSameMessage(message, items)).toBe(true);
    // Two signatures swapped between keys sum to the same aggregate: plain aggregation accepts them, the random weights do not.
    const swapped = items.map((x, i) => (i === 0 ? { ...x, signature: items[1]?.signature ?? "" } : i === 1 ? { ...x, signature: items[0]?.signature ?? "" } : x));
    expect(fastAggregateVerify(swapped.map((x) => x.publicKey), message, aggregateSignatures(swapped.map((x) => x.signature)))).toBe(true);
    expect(verifyAllSameMessage(message, swapped)).toBe(false);
    const verifier = new BatchVerifier(5);
    const forged = blsSign(generateBlsKey().secretKey, message);
    const verdicts = await Promise.all(items.map((x, i) => verifier.verify(x.publicKey, message, i === 3 ? forged : x.signature)));
    expect(verdicts).toEqual([true, true, true, false, true, true]);
    expect(await Promise.all(items.map((x) => verifier.verify(x.publicKey, message, x.signature)))).toEqual(items.map(() => true));
  });

  it("keeps its key in a 0600 file and refuses one whose halves do not match", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bls-key-"));
    dirs.push(dir);
    const path = join(dir, "mirror.key");
    const key = await createBlsKeyFile(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readBlsKeyFile(path)).toEqual(key);
    await expect(createBlsKeyFile(path)).rejects.toThrow(/refusing to overwrite/);
    const other = join(dir, "other.key");
    const json = JSON.parse(await readFile(path, "utf8")) as Record<string, string>;
    await writeFile(other, JSON.stringify({ ...json, publicKey: generateBlsKey().publicKey }));
    await expect(readBlsKeyFile(other)).rejects.toThrow(/does not match/);
    await writeFile(other, JSON.stringify({ ...json, type: "ceremony-ed25519" }));
    await expect(readBlsKeyFile(other)).rejects.toThrow(/type must be/);
  });
});
