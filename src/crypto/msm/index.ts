/**
 * Multi-scalar multiplication Σ s_i·P_i on BN254 G1 and G2 in WebAssembly, the interface the tests and
 * scripts/bench-msm.ts use (the engine itself: wasm.ts; the C sources: this folder). Pippenger's bucket method with
 * batch-affine bucket sums (one field inversion per round of pairwise additions, Montgomery's trick).
 *
 * Formats are the .ptau ones: points affine, little-endian Montgomery (R = 2^256), x then y (G2: x.c0, x.c1, y.c0,
 * y.c1), 64 bytes per G1 point and 128 per G2 point, all zeros for the point at infinity. Scalars are little-endian
 * unsigned integers of `scalarBytes` bytes each, used as they are (not reduced modulo r), as ffjavascript's
 * multiExpAffine does; results are bit-identical to it (affine, toRprLEM) for points on the curve. Coordinates
 * must be canonical and points on the curve (the verifier checks both before any msm); for other input the result
 * is unspecified (but computed without error).
 *
 * Per thread: initMsm() once (idempotent), then msm() synchronously.
 */
import { MAX_SCALAR_BYTES, type Group } from "./engine-types.ts";
import { initWasmEngine, wasmMsm } from "./wasm.ts";

export type MsmGroup = Group;
export { MAX_SCALAR_BYTES };

/** Compiles and instantiates the embedded wasm for this thread; later calls return the same promise. */
export function initMsm(): Promise<void> {
  return initWasmEngine();
}

/**
 * Σ scalar_i·point_i for n = points.length / pointBytes points and n little-endian scalars of `scalarBytes` bytes
 * (1..MAX_SCALAR_BYTES). Returns the affine .ptau encoding of the sum (all zeros for infinity). Needs initMsm().
 */
export function msm(g: MsmGroup, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Uint8Array {
  return wasmMsm(g, points, scalars, scalarBytes);
}
