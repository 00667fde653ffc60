/**
 * The C curve engine compiled to wasm32 (the browser's and Node's engine, and the fallback where no native
 * library loads): one instance per thread, inputs copied into its memory, answers copied out. The wasm is
 * embedded as base64 (msm-wasm.generated.ts, built by scripts/build-msm-wasm.sh), so nothing is read from disk at
 * run time. Each call reuses the instance's memory from the start; memory grows to the largest call's need, and
 * an instance whose memory passed RECYCLE_BYTES is replaced after the call so that a one-off large call does not
 * pin that memory.
 */
import { MSM_WASM_BASE64 } from "./msm-wasm.generated.ts";
import {
  checkOffset,
  checkScalar,
  GROUP_ID,
  msmCount,
  pointCheckOf,
  pointCount,
  POINT_BYTES,
  type CurveEngine,
  type Group,
  type PointCheck,
} from "./engine-types.ts";

const RECYCLE_BYTES = 256 * 1024 * 1024;

interface WasmExports {
  memory: WebAssembly.Memory;
  /** Resets the heap and reserves `bytes` for inputs; their address, 0: out of memory. */
  reserve(bytes: number): number;
  /** msm: reserve n points then n scalars; the address of the 64- or 128-byte result, 0: out of memory. */
  msm_input(group: number, n: number, scalarBytes: number): number;
  msm_run(group: number, n: number, scalarBytes: number): number;
  /** n points at `input`, then first and inc (32 bytes each); the address of the n results, 0: out of memory. */
  apply_key_run(group: number, n: number, input: number, offset: number): number;
  /** −1, or index·4 + fault (1 infinity, 2 not canonical, 3 off the curve). */
  check_points_run(group: number, n: number, input: number): bigint;
  g2_in_subgroup_run(input: number): number;
  /** n points at `input`: the address of their uncompressed forms, 0: out of memory. */
  to_uncompressed_run(group: number, n: number, input: number): number;
  /** n G1 points at `input`, then n G2 points: 1 when the product of their pairings is 1. */
  pairing_run(n: number, input: number): number;
}

const EXPORTS = ["reserve", "msm_input", "msm_run", "apply_key_run", "check_points_run", "g2_in_subgroup_run", "pairing_run", "to_uncompressed_run"] as const;

let wasmModule: WebAssembly.Module | null = null;
let instance: WasmExports | null = null;
let initPromise: Promise<void> | null = null;

function instantiate(mod: WebAssembly.Module): WasmExports {
  const ex = new WebAssembly.Instance(mod, {}).exports as Record<string, unknown>;
  if (!(ex.memory instanceof WebAssembly.Memory) || EXPORTS.some((name) => typeof ex[name] !== "function")) {
    throw new Error("msm: the embedded wasm lacks its exports (rebuild with scripts/build-msm-wasm.sh)");
  }
  return ex as unknown as WasmExports;
}

/** Compiles and instantiates the embedded wasm for this thread; later calls return the same promise. */
export function initWasmEngine(): Promise<void> {
  initPromise ??= (async () => {
    wasmModule = await WebAssembly.compile(Buffer.from(MSM_WASM_BASE64, "base64"));
    instance = instantiate(wasmModule);
  })().catch((err: unknown) => {
    initPromise = null;
    throw err;
  });
  return initPromise;
}

function ex(): WasmExports {
  if (!instance) throw new Error("wasm curve engine used before initWasmEngine() resolved");
  return instance;
}

function outOfMemory(op: string, n: number, g: Group): never {
  throw new RangeError(`${op}: out of wasm memory for ${n} ${g} points`);
}

/** Copies `len` bytes out of the instance, then drops an instance that grew past RECYCLE_BYTES. */
function take(at: number, len: number): Uint8Array {
  const e = ex();
  const out = new Uint8Array(e.memory.buffer, at, len).slice();
  if (e.memory.buffer.byteLength > RECYCLE_BYTES && wasmModule) instance = instantiate(wasmModule);
  return out;
}

/** Resets the instance's heap and copies `parts` into it back to back; the address of the first. */
function place(parts: Uint8Array[], op: string, n: number, g: Group): number {
  const e = ex();
  const total = parts.reduce((s, p) => s + p.length, 0);
  const at = e.reserve(total) >>> 0;
  if (at === 0) outOfMemory(op, n, g);
  const heap = new Uint8Array(e.memory.buffer);
  let pos = at;
  for (const p of parts) {
    heap.set(p, pos);
    pos += p.length;
  }
  return at;
}

export function wasmMsm(g: Group, points: Uint8Array, scalars: Uint8Array, scalarBytes: number): Uint8Array {
  const n = msmCount(g, points, scalars, scalarBytes);
  const size = POINT_BYTES[g];
  if (n === 0) return new Uint8Array(size);
  const e = ex();
  const inPtr = e.msm_input(GROUP_ID[g], n, scalarBytes) >>> 0;
  if (inPtr === 0) outOfMemory("msm", n, g);
  const heap = new Uint8Array(e.memory.buffer);
  heap.set(points, inPtr);
  heap.set(scalars, inPtr + points.length);
  const outPtr = e.msm_run(GROUP_ID[g], n, scalarBytes) >>> 0;
  if (outPtr === 0) outOfMemory("msm", n, g);
  return take(outPtr, size);
}

export const wasmEngine: CurveEngine = {
  kind: "wasm",
  msm: wasmMsm,
  applyKey(g: Group, points: Uint8Array, first: Uint8Array, inc: Uint8Array, offset = 0): Uint8Array {
    const n = pointCount(g, points, "applyKey");
    checkScalar(first, "first");
    checkScalar(inc, "inc");
    checkOffset(offset);
    if (n === 0) return new Uint8Array(0);
    const at = place([points, first, inc], "applyKey", n, g);
    const outPtr = ex().apply_key_run(GROUP_ID[g], n, at, offset) >>> 0;
    if (outPtr === 0) outOfMemory("applyKey", n, g);
    return take(outPtr, points.length);
  },
  checkPoints(g: Group, points: Uint8Array): PointCheck {
    const n = pointCount(g, points, "checkPoints");
    if (n === 0) return { ok: true };
    const at = place([points], "checkPoints", n, g);
    return pointCheckOf(ex().check_points_run(GROUP_ID[g], n, at));
  },
  g2InSubgroup(point: Uint8Array): boolean {
    if (point.length !== POINT_BYTES.G2) throw new RangeError(`g2InSubgroup: a G2 point is ${POINT_BYTES.G2} bytes, got ${point.length}`);
    return ex().g2_in_subgroup_run(place([point], "g2InSubgroup", 1, "G2")) === 1;
  },
  toUncompressed(g: Group, points: Uint8Array): Uint8Array {
    const n = pointCount(g, points, "toUncompressed");
    if (n === 0) return new Uint8Array(0);
    const outPtr = ex().to_uncompressed_run(GROUP_ID[g], n, place([points], "toUncompressed", n, g)) >>> 0;
    if (outPtr === 0) outOfMemory("toUncompressed", n, g);
    return take(outPtr, points.length);
  },
};

/**
 * The C pairing check in wasm: not the engine's (mcl-wasm's pairing is faster in wasm), but the same code as the
 * native build's, so that the tests under Node hold it to mcl.
 */
export function wasmPairingIsOne(g1: Uint8Array, g2: Uint8Array, n: number): boolean {
  if (n === 0) return true;
  return ex().pairing_run(n, place([g1, g2], "pairing", n, "G2")) === 1;
}
