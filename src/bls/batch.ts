/**
 * Many signatures over one message, verified at once: with random 64-bit rᵢ, Σ rᵢ·σᵢ must be the signature of
 * Σ rᵢ·pkᵢ, which holds for all when each holds, and for a bad one only with probability 2^-64. One pairing check
 * instead of one per signature: twenty mirrors signing a head cost the coordinator about one verification. When the
 * batch fails, each signature is verified alone, so every caller still gets its own verdict.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { randomBytes } from "node:crypto";
import { BLS_PUBLIC_KEY_HEX, BLS_SIGNATURE_HEX, blsVerify, SIGNATURE_DST } from "./bls.ts";

const sigs = bls12_381.longSignatures;
const G1 = bls12_381.G1.Point;

interface Item {
  publicKey: string;
  signature: string;
  resolve: (ok: boolean) => void;
}

function random64(): bigint {
  return randomBytes(8).reduce((n, b) => (n << 8n) | BigInt(b), 0n) | 1n;
}

/** Whether every signature is its key's over `message` (one pairing check); false names nobody. */
export function verifyAllSameMessage(message: Uint8Array, items: ReadonlyArray<{ publicKey: string; signature: string }>): boolean {
  if (items.length === 0) return true;
  try {
    let pk = G1.ZERO;
    let sig: ReturnType<typeof sigs.Signature.fromBytes> | null = null;
    for (const { publicKey, signature } of items) {
      if (!BLS_PUBLIC_KEY_HEX.test(publicKey) || !BLS_SIGNATURE_HEX.test(signature)) return false;
      const p = G1.fromBytes(hexToBytes(publicKey));
      const s = sigs.Signature.fromBytes(hexToBytes(signature));
      p.assertValidity();
      s.assertValidity();
      if (p.is0() || s.is0() || !p.isTorsionFree() || !s.isTorsionFree()) return false;
      const r = random64();
      pk = pk.add(p.multiplyUnsafe(r));
      sig = sig === null ? s.multiplyUnsafe(r) : sig.add(s.multiplyUnsafe(r));
    }
    return sig !== null && !pk.is0() && sigs.verify(sig, sigs.hash(message, SIGNATURE_DST), pk);
  } catch {
    return false;
  }
}

/** Collects verifications for a moment, then checks each message's signatures together. */
export class BatchVerifier {
  private readonly queued = new Map<string, { message: Uint8Array; items: Item[] }>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly windowMs = 20) {}

  /** Resolves with whether `signature` is `publicKey`'s over `message`. */
  verify(publicKey: string, message: Uint8Array, signature: string): Promise<boolean> {
    return new Promise((resolve) => {
      const key = Buffer.from(message).toString("hex");
      const group = this.queued.get(key) ?? { message, items: [] };
      group.items.push({ publicKey, signature, resolve });
      this.queued.set(key, group);
      this.timer ??= setTimeout(() => this.flush(), this.windowMs);
    });
  }

  private flush(): void {
    this.timer = null;
    const groups = [...this.queued.values()];
    this.queued.clear();
    for (const { message, items } of groups) {
      if (items.length > 1 && verifyAllSameMessage(message, items)) {
        for (const item of items) item.resolve(true);
        continue;
      }
      for (const item of items) item.resolve(blsVerify(item.publicKey, message, item.signature));
    }
  }
}
