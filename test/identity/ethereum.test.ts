// Ethereum accounts and personal_sign, checked against viem (its own EIP-191, EIP-55 and address code, on noble
// v1) on random keys and messages, and against published vectors.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import fc from "fast-check";
import { getAddress, hashMessage, recoverMessageAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  SignatureError,
  addressOf,
  isChecksumAddress,
  personalMessageHash,
  recoverAddress,
  signMessage,
  toChecksumAddress,
} from "../../src/identity/index.ts";
import { highS } from "./malleable.ts";

const N = secp256k1.Point.CURVE().n;
const RUNS = 60;
const messageArb = fc.oneof(fc.string({ unit: "grapheme", maxLength: 300 }), fc.uint8Array({ maxLength: 300 }));
const viemMessage = (m: string | Uint8Array) => (typeof m === "string" ? m : { raw: m });
/** viem types hex strings as `0x${string}`; ours are plain strings with the same content. */
const hex = (s: string) => s as `0x${string}`;

describe("EIP-55 addresses", () => {
  it("agree with the vectors of EIP-55", () => {
    const vectors = [
      "0x52908400098527886E0F7030069857D2E4169EE7",
      "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
      "0xde709f2102306220921060314715629080e2fb77",
      "0x27b1fdb04752bbc536007a920d24acb045561c26",
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];
    for (const address of vectors) {
      expect(toChecksumAddress(address.toLowerCase())).toBe(address);
      expect(isChecksumAddress(address)).toBe(true);
    }
  });

  it("agree with viem's getAddress on random addresses, whatever their casing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.boolean(), (bytes, upper) => {
        const digits = bytesToHex(bytes);
        const address = `0x${upper ? digits.toUpperCase() : digits}`;
        expect(toChecksumAddress(address)).toBe(getAddress(address));
      }),
      { numRuns: 500 },
    );
  });

  it("are refused in any other casing, and malformed ones are refused outright", () => {
    const good = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    expect(isChecksumAddress(good.toLowerCase())).toBe(false);
    expect(isChecksumAddress(`0x${good.slice(2).toUpperCase()}`)).toBe(false);
    expect(isChecksumAddress(good.replace("aA", "Aa"))).toBe(false);
    for (const junk of ["", "0x", good.slice(2), `${good}00`, good.replace("0x", "0X"), `${good.slice(0, -1)}g`]) {
      expect(isChecksumAddress(junk)).toBe(false);
      expect(() => toChecksumAddress(junk)).toThrow(TypeError);
    }
  });
});

describe("personal_sign", () => {
  it("matches the web3.js documentation vector", () => {
    const key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    const signature =
      "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c";
    expect(addressOf(key)).toBe("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
    expect(signMessage(key, "Some data")).toBe(signature);
    expect(recoverAddress("Some data", signature)).toBe("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
  });

  it("hashes, derives addresses and signs exactly as viem does, and each recovers the other's signatures", async () => {
    await fc.assert(
      fc.asyncProperty(messageArb, async (message) => {
        const key = generatePrivateKey();
        const account = privateKeyToAccount(key);
        expect(bytesToHex(personalMessageHash(message))).toBe(hashMessage(viemMessage(message)).slice(2));
        expect(addressOf(key)).toBe(account.address);
        const ours = signMessage(key, message);
        const theirs = await account.signMessage({ message: viemMessage(message) });
        // Both sign deterministically (RFC 6979) with a low s, so the signatures are equal byte for byte.
        expect(ours).toBe(theirs);
        expect(await recoverMessageAddress({ message: viemMessage(message), signature: hex(ours) })).toBe(account.address);
        expect(recoverAddress(message, theirs)).toBe(account.address);
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts v as 0/1 as well as 27/28, and keys with or without 0x in any case", () => {
    const key = generatePrivateKey();
    const address = addressOf(key);
    expect(addressOf(key.slice(2).toUpperCase())).toBe(address);
    const signature = signMessage(key, "hello");
    const v = Number.parseInt(signature.slice(130), 16) - 27;
    expect(recoverAddress("hello", `${signature.slice(0, 130)}0${v}`)).toBe(address);
    expect(recoverAddress("hello", signature.toUpperCase().replace("0X", "0x"))).toBe(address);
  });

  it("refuses the malleable twin (r, n - s), which viem would recover to the same address", async () => {
    const key = generatePrivateKey();
    const twin = highS(signMessage(key, "hello"));
    expect(await recoverMessageAddress({ message: "hello", signature: hex(twin) })).toBe(addressOf(key));
    expect(() => recoverAddress("hello", twin)).toThrow(expect.objectContaining({ fault: "high-s" }));
  });

  it("refuses malformed signatures with the reason", () => {
    const signature = signMessage(generatePrivateKey(), "hello");
    const body = signature.slice(2, 130);
    const fault = (sig: string) => {
      try {
        recoverAddress("hello", sig);
        return "none";
      } catch (error) {
        expect(error).toBeInstanceOf(SignatureError);
        return (error as SignatureError).fault;
      }
    };
    expect(fault(signature.slice(0, -2))).toBe("syntax");
    expect(fault(signature.slice(2))).toBe("syntax");
    expect(fault(`${signature}00`)).toBe("syntax");
    for (const v of ["02", "1a", "1d", "ff"]) expect(fault(`0x${body}${v}`)).toBe("recovery-byte");
    expect(fault(`0x${"00".repeat(32)}${body.slice(64)}1b`)).toBe("range");
    expect(fault(`0x${body.slice(0, 64)}${"00".repeat(32)}1b`)).toBe("range");
    expect(fault(`0x${N.toString(16)}${body.slice(64)}1b`)).toBe("range");
    // About half of all x are no curve point's x coordinate; a signature with such an r recovers nobody.
    const faults = new Set<string>();
    for (let r = 1n; r < 50n; r++) faults.add(fault(`0x${r.toString(16).padStart(64, "0")}${body.slice(64)}1b`));
    expect(faults).toEqual(new Set(["none", "unrecoverable"]));
  });

  it("refuses private keys outside [1, n-1] and malformed ones", () => {
    for (const key of ["0".repeat(64), N.toString(16), "ff".repeat(32), "12", `0x${"1".repeat(63)}`, `${"1".repeat(64)} `]) {
      expect(() => addressOf(key)).toThrow();
      expect(() => signMessage(key, "x")).toThrow();
    }
  });
});
