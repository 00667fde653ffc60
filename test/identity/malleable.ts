// The malleable twin of an Ethereum signature, for tests that check it is refused.
import { secp256k1 } from "@noble/curves/secp256k1.js";

const N = secp256k1.Point.CURVE().n;

/** (r, n - s) with the recovery bit flipped: a valid signature of the same message by the same key, with a high s. */
export function highS(signature: string): string {
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = signature.slice(130) === "1b" ? "1c" : "1b";
  return `${signature.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${v}`;
}
