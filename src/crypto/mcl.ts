/**
 * mcl-wasm on curve BN_SNARK1, driven through its raw exports on buffers in its own heap: the pairings, and a second,
 * independent engine for per-point work (scalar multiplications, point and subgroup checks) that the tests hold the
 * C engine (engine.ts) to. Points come and go
 * as .ptau bytes (affine, little-endian Montgomery); mcl's internal Montgomery form for this curve is the same
 * (R = 2^256), so loading a point is a copy plus z = 1. Results are bit-identical to ffjavascript's (tested).
 * Everything here is synchronous and per thread: each worker initialises its own instance.
 */
import * as mcl from "mcl-wasm";
// The default import is the live CommonJS exports object: `mod` is set on it only once init() has run.
import mclInternals from "mcl-wasm/dist/mcl.js";
import type { Group, PointCheck } from "./msm/engine-types.ts";
import { G1_SIZE, G2_SIZE, N8 } from "./sizes.ts";

export type { Group, PointCheck, PointFault } from "./msm/engine-types.ts";

type Ptr = number;
interface McRaw {
  HEAP8: Int8Array;
  _malloc(n: number): Ptr;
  _free(p: Ptr): void;
  _mclBn_verifyOrderG1(v: number): void;
  _mclBn_verifyOrderG2(v: number): void;
  _mclBnFr_setLittleEndian(fr: Ptr, buf: Ptr, len: number): number;
  _mclBnFr_mul(z: Ptr, x: Ptr, y: Ptr): void;
  _mclBnG1_mul(z: Ptr, x: Ptr, y: Ptr): void;
  _mclBnG2_mul(z: Ptr, x: Ptr, y: Ptr): void;
  _mclBnG1_normalizeVec(y: Ptr, x: Ptr, n: number): void;
  _mclBnG2_normalizeVec(y: Ptr, x: Ptr, n: number): void;
  _mclBnG1_isValid(x: Ptr): number;
  _mclBnG2_isValid(x: Ptr): number;
  _mclBnG2_isValidOrder(x: Ptr): number;
  _mclBn_millerLoop(z: Ptr, x: Ptr, y: Ptr): void;
  _mclBn_finalExp(y: Ptr, x: Ptr): void;
  _mclBnGT_mul(z: Ptr, x: Ptr, y: Ptr): void;
  _mclBnGT_isOne(x: Ptr): number;
}

const FP = 48; // mcl reserves 384 bits per base-field element; BN254 uses the first 256.
const FR = 32;
const GT = 12 * FP;
const STRIDE: Record<Group, number> = { G1: 3 * FP, G2: 6 * FP };
const COORDS: Record<Group, number> = { G1: 2, G2: 4 };
const SIZE: Record<Group, number> = { G1: G1_SIZE, G2: G2_SIZE };
/** Montgomery form of 1 (R mod q), little-endian. */
const MONT_ONE = new Uint8Array(Buffer.from("9d0d8fc58d435dd33d0bc7f528eb780a2c4679786fa36e662fdf079ac1770a0e", "hex"));
/** BN254 base-field modulus q as eight little-endian u32 words. */
const Q_WORDS = (() => {
  const q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
  return Array.from({ length: 8 }, (_, i) => Number((q >> BigInt(32 * i)) & 0xffffffffn));
})();

let raw: McRaw | null = null;
let initPromise: Promise<void> | null = null;

export function initMcl(): Promise<void> {
  if (!initPromise) {
    initPromise = (async () => {
      await mcl.init(mcl.BN_SNARK1);
      const mod = (mclInternals as unknown as { mod: McRaw }).mod;
      mod._mclBn_verifyOrderG1(0);
      mod._mclBn_verifyOrderG2(0); // isValid = on-curve only; subgroup checks are explicit and batched.
      raw = mod;
    })();
  }
  return initPromise;
}

function m(): McRaw {
  if (!raw) throw new Error("mcl engine used before initMcl() resolved");
  return raw;
}
function heap(): Uint8Array {
  return new Uint8Array(m().HEAP8.buffer);
}

/** A block of wasm memory freed by `release`. Every allocation below goes through `withAlloc`. */
function withAlloc<T>(bytes: number, fn: (ptr: Ptr) => T): T {
  const ptr = m()._malloc(Math.max(bytes, 8));
  if (!ptr) throw new Error(`mcl: out of memory allocating ${bytes} bytes`);
  try {
    return fn(ptr);
  } finally {
    m()._free(ptr);
  }
}

function isZeroBytes(b: Uint8Array, off: number, len: number): boolean {
  for (let i = off; i < off + len; i++) if (b[i] !== 0) return false;
  return true;
}

/** Copies n points from .ptau bytes into mcl's Jacobian layout at ptr (z = 1, or the point at infinity for zero bytes). */
function loadPoints(g: Group, src: Uint8Array, n: number, ptr: Ptr): void {
  const h = heap();
  const stride = STRIDE[g];
  const coords = COORDS[g];
  const size = SIZE[g];
  h.fill(0, ptr, ptr + stride * n);
  const zOff = coords * FP;
  for (let i = 0; i < n; i++) {
    const o = ptr + stride * i;
    const s = size * i;
    if (isZeroBytes(src, s, size)) continue; // z = 0 is infinity
    for (let c = 0; c < coords; c++) h.set(src.subarray(s + N8 * c, s + N8 * (c + 1)), o + FP * c);
    h.set(MONT_ONE, o + zOff);
  }
}

/** Normalises n points at ptr to affine and writes them as .ptau bytes (zeros for infinity). */
function storePoints(g: Group, ptr: Ptr, n: number, dst: Uint8Array, dstOff = 0): void {
  if (g === "G1") m()._mclBnG1_normalizeVec(ptr, ptr, n);
  else m()._mclBnG2_normalizeVec(ptr, ptr, n);
  const h = heap();
  const stride = STRIDE[g];
  const coords = COORDS[g];
  const size = SIZE[g];
  const zOff = coords * FP;
  for (let i = 0; i < n; i++) {
    const o = ptr + stride * i;
    const d = dstOff + size * i;
    if (isZeroBytes(h, o + zOff, N8)) {
      dst.fill(0, d, d + size);
      continue;
    }
    for (let c = 0; c < coords; c++) dst.set(h.subarray(o + FP * c, o + FP * c + N8), d + N8 * c);
  }
}

function setFr(ptr: Ptr, le32: Uint8Array): void {
  withAlloc(FR, (buf) => {
    heap().set(le32, buf);
    if (m()._mclBnFr_setLittleEndian(ptr, buf, FR) !== 0) throw new Error("mcl: scalar out of range");
  });
}

export { scalarToLE } from "./scalars.ts";

/** Multiplies point i of `src` by first·inc^i (the contribution step). Returns new .ptau bytes. */
export function applyKey(g: Group, src: Uint8Array, first: Uint8Array, inc: Uint8Array): Uint8Array {
  const n = src.length / SIZE[g];
  const stride = STRIDE[g];
  const out = new Uint8Array(src.length);
  withAlloc(stride * n + 2 * FR, (ptr) => {
    const cur = ptr + stride * n;
    const step = cur + FR;
    loadPoints(g, src, n, ptr);
    setFr(cur, first);
    setFr(step, inc);
    const mul = g === "G1" ? m()._mclBnG1_mul.bind(m()) : m()._mclBnG2_mul.bind(m());
    for (let i = 0; i < n; i++) {
      const o = ptr + stride * i;
      mul(o, o, cur);
      m()._mclBnFr_mul(cur, cur, step);
    }
    storePoints(g, ptr, n, out);
  });
  return out;
}

function coordinateIsCanonical(b: Uint8Array, off: number): boolean {
  // Compare the little-endian 256-bit value with q, most significant word first.
  for (let w = 7; w >= 0; w--) {
    const o = off + 4 * w;
    const word = ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;
    const qw = Q_WORDS[w] ?? 0;
    if (word < qw) return true;
    if (word > qw) return false;
  }
  return false; // equal to q
}

/** Every point is canonical (coordinates < q), not infinity, and on the curve. Reports the first fault. */
export function checkPoints(g: Group, src: Uint8Array): PointCheck {
  const size = SIZE[g];
  const n = src.length / size;
  const coords = COORDS[g];
  for (let i = 0; i < n; i++) {
    const s = size * i;
    if (isZeroBytes(src, s, size)) return { ok: false, fault: "POINT_AT_INFINITY", index: i };
    for (let c = 0; c < coords; c++) {
      if (!coordinateIsCanonical(src, s + N8 * c)) return { ok: false, fault: "POINT_NOT_CANONICAL", index: i };
    }
  }
  const stride = STRIDE[g];
  return withAlloc(stride * n, (ptr) => {
    loadPoints(g, src, n, ptr);
    const isValid = g === "G1" ? m()._mclBnG1_isValid.bind(m()) : m()._mclBnG2_isValid.bind(m());
    for (let i = 0; i < n; i++) if (isValid(ptr + stride * i) !== 1) return { ok: false, fault: "POINT_NOT_ON_CURVE", index: i };
    return { ok: true };
  });
}

/** Whether a G2 point (already known to be on the curve) lies in the prime-order subgroup. */
export function g2InSubgroup(point: Uint8Array): boolean {
  return withAlloc(STRIDE.G2, (slot) => {
    loadPoints("G2", point, 1, slot);
    return m()._mclBnG2_isValidOrder(slot) === 1;
  });
}

/** Whether Π e(P_i, Q_i) = 1 for .ptau-encoded pairs (P in G1, Q in G2). */
export function pairingProductIsOne(pairs: ReadonlyArray<readonly [Uint8Array, Uint8Array]>): boolean {
  return withAlloc(STRIDE.G1 + STRIDE.G2 + 3 * GT, (ptr) => {
    const p = ptr;
    const q = p + STRIDE.G1;
    const acc = q + STRIDE.G2;
    const ml = acc + GT;
    const fe = ml + GT;
    let first = true;
    for (const [g1, g2] of pairs) {
      loadPoints("G1", g1, 1, p);
      loadPoints("G2", g2, 1, q);
      m()._mclBn_millerLoop(first ? acc : ml, p, q);
      if (!first) m()._mclBnGT_mul(acc, acc, ml);
      first = false;
    }
    if (first) return true;
    m()._mclBn_finalExp(fe, acc);
    return m()._mclBnGT_isOne(fe) === 1;
  });
}
