/** One single-threaded ffjavascript BN254 instance per thread (its threaded mode hangs under Bun), terminated on close. */
import { buildBn128, type Curve } from "ffjavascript";

let curvePromise: Promise<Curve> | null = null;

export function getCurve(): Promise<Curve> {
  curvePromise ??= buildBn128(true);
  return curvePromise;
}

/** Terminates the curve so the process can exit; a later getCurve() builds a new one. */
export async function closeCurve(): Promise<void> {
  const p = curvePromise;
  curvePromise = null;
  if (p) await (await p).terminate();
}
