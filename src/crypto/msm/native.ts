/**
 * The C curve engine compiled natively for this platform and called through bun:ffi (Bun only; under Node the
 * wasm build serves). The library allocates nothing and keeps no state, so every worker thread calls it at once:
 * inputs and outputs are this thread's buffers, passed by pointer, and the scratch memory a call needs is a
 * buffer of this thread, kept between calls (and dropped when a one-off call made it larger than KEEP_BYTES).
 */
import type { Library } from "bun:ffi";
import { NATIVE_LIBRARIES } from "./native-libs.ts";
import {
  checkOffset,
  checkScalar,
  GROUP_ID,
  msmCount,
  pointCheckOf,
  PAIRING_MAX,
  pointCount,
  POINT_BYTES,
  type CurveEngine,
  type Group,
  type PointCheck,
} from "./engine-types.ts";

const KEEP_BYTES = 64 * 1024 * 1024;

const SYMBOLS = {
  ptau_msm_scratch: { args: ["u32", "u32", "u32"], returns: "u64" },
  ptau_msm: { args: ["u32", "u32", "u32", "ptr", "ptr", "ptr", "ptr", "u64"], returns: "u32" },
  ptau_apply_key_scratch: { args: ["u32"], returns: "u64" },
  ptau_apply_key: { args: ["u32", "u32", "ptr", "ptr", "ptr", "ptr", "u32", "ptr", "u64"], returns: "u32" },
  ptau_check_points: { args: ["u32", "u32", "ptr"], returns: "i64" },
  ptau_g2_in_subgroup: { args: ["ptr"], returns: "u32" },
  ptau_pairing_is_one: { args: ["u32", "ptr", "ptr"], returns: "u32" },
  ptau_to_uncompressed: { args: ["u32", "u32", "ptr", "ptr"], returns: "void" },
} as const;

let scratch = new Uint8Array(64);

function scratchOf(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(bytes);
  return scratch;
}

function release(): void {
  if (scratch.length > KEEP_BYTES) scratch = new Uint8Array(64);
}

/** The native engine, or the reason it is unavailable here (no library for this platform, or it did not load). */
export async function openNativeEngine(): Promise<CurveEngine | string> {
  const path = NATIVE_LIBRARIES[`${process.platform}-${process.arch}`];
  if (!path) return `no native library for ${process.platform}-${process.arch}`;
  let lib: Library<typeof SYMBOLS>["symbols"];
  try {
    const { dlopen } = await import("bun:ffi");
    lib = dlopen(path, SYMBOLS).symbols;
  } catch (err) {
    return `the native library did not load: ${err instanceof Error ? err.message : String(err)}`;
  }
  const fail = (op: string, n: number, g: Group): never => {
    throw new Error(`${op}: the native engine failed on ${n} ${g} points`);
  };
  return {
    kind: "native",
    msm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Uint8Array {
      const n = msmCount(g, points, scalars, scalarBytes);
      const out = new Uint8Array(POINT_BYTES[g]);
      if (n === 0) return out;
      const need = Number(lib.ptau_msm_scratch(GROUP_ID[g], n, scalarBytes));
      const s = scratchOf(need);
      if (lib.ptau_msm(GROUP_ID[g], n, scalarBytes, points, scalars, out, s, s.length) !== 1) fail("msm", n, g);
      release();
      return out;
    },
    applyKey(g: Group, points: Uint8Array, first: Uint8Array, inc: Uint8Array, offset = 0): Uint8Array {
      const n = pointCount(g, points, "applyKey");
      checkScalar(first, "first");
      checkScalar(inc, "inc");
      checkOffset(offset);
      const out = new Uint8Array(points.length);
      if (n === 0) return out;
      const s = scratchOf(Number(lib.ptau_apply_key_scratch(GROUP_ID[g])));
      if (lib.ptau_apply_key(GROUP_ID[g], n, points, out, first, inc, offset, s, s.length) !== 1) fail("applyKey", n, g);
      return out;
    },
    checkPoints(g: Group, points: Uint8Array): PointCheck {
      const n = pointCount(g, points, "checkPoints");
      if (n === 0) return { ok: true };
      return pointCheckOf(lib.ptau_check_points(GROUP_ID[g], n, points));
    },
    g2InSubgroup(point: Uint8Array): boolean {
      if (point.length !== POINT_BYTES.G2) throw new RangeError(`g2InSubgroup: a G2 point is ${POINT_BYTES.G2} bytes, got ${point.length}`);
      return lib.ptau_g2_in_subgroup(point) === 1;
    },
    toUncompressed(g: Group, points: Uint8Array): Uint8Array {
      const n = pointCount(g, points, "toUncompressed");
      const out = new Uint8Array(points.length);
      if (n > 0) lib.ptau_to_uncompressed(GROUP_ID[g], n, points, out);
      return out;
    },
    pairingIsOne(g1: Uint8Array, g2: Uint8Array, n: number): boolean {
      if (!Number.isInteger(n) || n < 0 || n > PAIRING_MAX || g1.length !== n * POINT_BYTES.G1 || g2.length !== n * POINT_BYTES.G2) {
        throw new RangeError(`pairingIsOne: ${n} pairs (at most ${PAIRING_MAX}) need ${n} G1 and ${n} G2 points`);
      }
      if (n === 0) return true;
      return lib.ptau_pairing_is_one(n, g1, g2) === 1;
    },
  };
}
