/**
 * Entropy the page mixes into the round's secret beside the system's: optional typed text, pointer movements
 * (position and timing, hashed as they come) and crypto.getRandomValues. Kept only in this tab's memory.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../../crypto/hash.ts";

export class EntropyPool {
  private readonly hasher = sha256.create();
  samples = 0;

  constructor() {
    this.hasher.update(crypto.getRandomValues(new Uint8Array(32)));
  }

  /** Follows the pointer over `target`; `onSample` is told the running count. */
  listen(target: EventTarget, onSample: (n: number) => void): () => void {
    const onMove = (e: Event): void => {
      const p = e as PointerEvent;
      const v = new Float64Array([p.clientX, p.clientY, p.timeStamp, performance.now()]);
      this.hasher.update(new Uint8Array(v.buffer));
      onSample(++this.samples);
    };
    target.addEventListener("pointermove", onMove, { passive: true });
    return () => target.removeEventListener("pointermove", onMove);
  }

  /** The mix as one string for the key generator (which adds 64 more bytes of system randomness itself). */
  take(typed: string): string {
    const h = this.hasher.clone();
    h.update(new TextEncoder().encode(typed));
    h.update(crypto.getRandomValues(new Uint8Array(32)));
    const out = toHex(h.digest());
    return out;
  }
}
