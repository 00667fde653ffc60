// Native ed25519 verification gives exactly @noble/curves' strict verdicts: on valid signatures, tampered ones,
// non-canonical scalars and points, small-order keys and mixed-order signature points.
import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { verifyEd25519 } from "../../src/auth/ed25519.ts";
import { toHex } from "../../src/crypto/hash.ts";

const noble = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
  try {
    return ed25519.verify(sig, msg, pk, { zip215: false });
  } catch {
    return false;
  }
};
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const le = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const num = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);

function agree(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  const expected = noble(sig, msg, pk);
  expect(verifyEd25519(toHex(sig), msg, toHex(pk)), `sig ${toHex(sig)} pk ${toHex(pk)}`).toBe(expected);
  return expected;
}

describe("native ed25519 verification", () => {
  it("accepts what noble accepts and refuses what it refuses, on 300 random keys, messages and tamperings", () => {
    let valid = 0;
    for (let i = 0; i < 300; i++) {
      const { secretKey, publicKey } = ed25519.keygen();
      const msg = crypto.getRandomValues(new Uint8Array(1 + (i % 200)));
      const sig = ed25519.sign(msg, secretKey);
      if (agree(sig, msg, publicKey)) valid++;
      const bad = sig.slice();
      bad[i % 64] = (bad[i % 64] ?? 0) ^ (1 << i % 8);
      agree(bad, msg, publicKey);
      const otherMsg = msg.slice();
      otherMsg[0] = (otherMsg[0] ?? 0) ^ 1;
      agree(sig, otherMsg, publicKey);
      // s + L: the same point equation, a non-canonical scalar.
      const s = num(sig.subarray(32));
      if (s + L < 2n ** 256n) {
        const big = sig.slice();
        big.set(le(s + L), 32);
        expect(agree(big, msg, publicKey)).toBe(false);
      }
    }
    expect(valid).toBe(300);
  });
  it("refuses small-order public keys and non-canonical encodings as noble does", () => {
    const msg = new TextEncoder().encode("ceremony");
    const { secretKey } = ed25519.keygen();
    const sig = ed25519.sign(msg, secretKey);
    // The identity, and y = p (a non-canonical encoding of y = 0), and a small-order point of order 8.
    for (const pk of [le(1n), le(P), le(P + 1n), ed25519.Point.ZERO.toBytes(), new Uint8Array(32)]) agree(sig, msg, pk);
    const torsion = ed25519.Point.fromHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa");
    expect(torsion.isSmallOrder()).toBe(true);
    agree(sig, msg, torsion.toBytes());
  });
  it("decides a signature whose R has a small-order part exactly as noble does", () => {
    const msg = new TextEncoder().encode("mixed order");
    const { secretKey, publicKey } = ed25519.keygen();
    const sig = ed25519.sign(msg, secretKey);
    const torsion = ed25519.Point.fromHex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa");
    const R = ed25519.Point.fromBytes(sig.subarray(0, 32)).add(torsion);
    const mixed = sig.slice();
    mixed.set(R.toBytes(), 0);
    agree(mixed, msg, publicKey);
  });
});
