/**
 * Multi-scalar multiplication Σ s_i·P_i on BN254 G1 and G2 for short scalars, in WebAssembly: Pippenger's bucket
 * method with batch-affine bucket sums (one field inversion per round of pairwise additions, Montgomery's trick).
 * The C sources are in this folder; scripts/build-msm-wasm.sh compiles them and writes the wasm, base64, into
 * msm-wasm.generated.ts, so nothing is read from disk at run time (Node, Bun, worker threads, bundles, compiled
 * binaries alike).
 *
 * Formats are the .ptau ones: points affine, little-endian Montgomery (R = 2^256), x then y (G2: x.c0, x.c1, y.c0,
 * y.c1), 64 bytes per G1 point and 128 per G2 point, all zeros for the point at infinity. Scalars are little-endian
 * unsigned integers of `scalarBytes` bytes each, used as they are (not reduced modulo r), as ffjavascript's
 * multiExpAffine does; results are bit-identical to it (affine, toRprLEM) for points on the curve. Coordinates
 * must be canonical and points on the curve (the verifier checks both before any msm); for other input the result
 * is unspecified (but computed without error).
 *
 * Per thread: initMsm() once (idempotent), then msm() synchronously. Each call reuses the instance's memory from
 * the start; the memory grows to the largest call's need, and an instance whose memory passed RECYCLE_BYTES is
 * replaced after the call so that a one-off large call does not pin that memory.
 */
import { MSM_WASM_BASE64 } from "./msm-wasm.generated.ts";

export type MsmGroup = "G1" | "G2";

/** Supported scalar widths: 1 to MAX_SCALAR_BYTES bytes (any value up to 2^(8·scalarBytes) − 1). */
export const MAX_SCALAR_BYTES = 32;

const POINT_BYTES: Readonly<Record<MsmGroup, number>> = { G1: 64, G2: 128 };
const GROUP_ID: Readonly<Record<MsmGroup, number>> = { G1: 1, G2: 2 };
const RECYCLE_BYTES = 256 * 1024 * 1024;

interface MsmExports {
  memory: WebAssembly.Memory;
  /** Resets the heap and reserves the inputs: points at the returned address, scalars right after; 0: out of memory. */
  msm_input(group: number, n: number, scalarBytes: number): number;
  /** Runs the msm on the reserved inputs; the address of the 64- or 128-byte result, 0: out of memory. */
  msm_run(group: number, n: number, scalarBytes: number): number;
}

let wasmModule: WebAssembly.Module | null = null;
let engine: MsmExports | null = null;
let initPromise: Promise<void> | null = null;

function instantiate(mod: WebAssembly.Module): MsmExports {
  const ex = new WebAssembly.Instance(mod, {}).exports as Record<string, unknown>;
  if (!(ex.memory instanceof WebAssembly.Memory) || typeof ex.msm_input !== "function" || typeof ex.msm_run !== "function") {
    throw new Error("msm: the embedded wasm lacks its exports (rebuild with scripts/build-msm-wasm.sh)");
  }
  return ex as unknown as MsmExports;
}

/** Compiles and instantiates the embedded wasm for this thread; later calls return the same promise. */
export function initMsm(): Promise<void> {
  initPromise ??= (async () => {
    const bytes = Buffer.from(MSM_WASM_BASE64, "base64");
    wasmModule = await WebAssembly.compile(bytes);
    engine = instantiate(wasmModule);
  })().catch((err: unknown) => {
    initPromise = null;
    throw err;
  });
  return initPromise;
}

function isGroup(g: unknown): g is MsmGroup {
  return g === "G1" || g === "G2";
}

/**
 * Σ scalar_i·point_i for n = points.length / pointBytes points and n little-endian scalars of `scalarBytes` bytes
 * (1..MAX_SCALAR_BYTES). Returns the affine .ptau encoding of the sum (all zeros for infinity). Needs initMsm().
 */
export function msm(g: MsmGroup, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Uint8Array {
  if (!isGroup(g)) throw new TypeError(`msm: unknown group ${String(g)}`);
  if (!Number.isInteger(scalarBytes) || scalarBytes < 1 || scalarBytes > MAX_SCALAR_BYTES) {
    throw new RangeError(`msm: scalarBytes must be an integer from 1 to ${MAX_SCALAR_BYTES}, got ${scalarBytes}`);
  }
  const size = POINT_BYTES[g];
  if (points.length % size !== 0) throw new RangeError(`msm: ${points.length} bytes is not a whole number of ${g} points (${size} bytes each)`);
  const n = points.length / size;
  if (scalars.length !== n * scalarBytes) {
    throw new RangeError(`msm: ${n} points need ${n * scalarBytes} bytes of ${scalarBytes}-byte scalars, got ${scalars.length}`);
  }
  if (n === 0) return new Uint8Array(size);
  const ex = engine;
  if (!ex) throw new Error("msm used before initMsm() resolved");
  const group = GROUP_ID[g];
  const inPtr = ex.msm_input(group, n, scalarBytes) >>> 0;
  if (inPtr === 0) throw new RangeError(`msm: out of wasm memory for ${n} ${g} points`);
  const heap = new Uint8Array(ex.memory.buffer);
  heap.set(points, inPtr);
  heap.set(scalars, inPtr + points.length);
  const outPtr = ex.msm_run(group, n, scalarBytes) >>> 0;
  if (outPtr === 0) throw new RangeError(`msm: out of wasm memory for ${n} ${g} points`);
  const out = new Uint8Array(ex.memory.buffer, outPtr, size).slice();
  if (ex.memory.buffer.byteLength > RECYCLE_BYTES && wasmModule) engine = instantiate(wasmModule);
  return out;
}
