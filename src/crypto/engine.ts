/**
 * Chooses this thread's curve engine: the C engine of src/crypto/msm built natively and loaded through bun:ffi
 * (under Bun, where a library for the platform loads: the server, the CLI, the compiled binary), else its wasm
 * build (Node, the browser, other platforms). Both give the same bytes; mcl-wasm (mcl.ts) still does the pairings.
 * Pool workers load only this (not ffjavascript, not mcl), so they start in a few milliseconds.
 */
import type { CurveEngine, EngineKind, Group, PointCheck } from "./msm/engine-types.ts";
import { initWasmEngine, wasmEngine } from "./msm/wasm.ts";
import { FR_ORDER, scalarToLE } from "./scalars.ts";

export type { CurveEngine, EngineKind, Group, PointCheck };
/** "auto": native where it loads, else wasm; a kind: that one (native where unavailable is an error). */
export type EnginePreference = "auto" | EngineKind;

export function isEnginePreference(v: unknown): v is EnginePreference {
  return v === "auto" || v === "native" || v === "wasm";
}

let current: CurveEngine | null = null;
let nativeUnavailable: string | null = null;
const pending = new Map<EnginePreference, Promise<CurveEngine>>();

async function openNative(): Promise<CurveEngine | string> {
  if (typeof process === "undefined" || !process.versions?.bun) return "bun:ffi needs Bun";
  // Imported only under Bun: the module imports shared libraries as files, which only Bun's loader understands.
  const { openNativeEngine } = await import("./msm/native.ts");
  return openNativeEngine();
}

async function load(pref: EnginePreference): Promise<CurveEngine> {
  if (pref !== "wasm") {
    const native = await openNative();
    if (typeof native !== "string") return native;
    nativeUnavailable = native;
    if (pref === "native") throw new Error(`the native curve engine is unavailable: ${native}`);
  }
  await initWasmEngine();
  return wasmEngine;
}

/**
 * Loads the preferred engine for this thread (once per preference) and makes it the current one; without a
 * preference, the current engine, or "auto" when there is none yet.
 */
export function initEngine(preference?: EnginePreference): Promise<CurveEngine> {
  if (!preference && current) return Promise.resolve(current);
  const pref = preference ?? "auto";
  let p = pending.get(pref);
  if (!p) {
    p = load(pref);
    pending.set(pref, p);
    p.catch(() => pending.delete(pref));
  }
  return p.then((e) => {
    current = e;
    return e;
  });
}

/** This thread's engine; initEngine() must have resolved. */
export function engine(): CurveEngine {
  if (!current) throw new Error("curve engine used before initEngine() resolved");
  return current;
}

/** Why the native engine is not in use in this thread, when it was asked for and is not. */
export function nativeEngineUnavailable(): string | null {
  return nativeUnavailable;
}

/** This thread's engine if one is loaded, else null. */
export function loadedEngine(): CurveEngine | null {
  return current;
}

/** Subgroup check with this thread's engine. */
export function g2InSubgroup(point: Uint8Array): boolean {
  return engine().g2InSubgroup(point);
}

/** Point checks with this thread's engine. */
export function checkPoints(g: Group, points: Uint8Array): PointCheck {
  return engine().checkPoints(g, points);
}

/** Point i times first·inc^(offset + i) (bigint scalars, taken modulo r) with the given engine. */
export function engineApplyKey(e: CurveEngine, g: Group, points: Uint8Array, first: bigint, inc: bigint, offset = 0): Uint8Array {
  return e.applyKey(g, points, scalarToLE(first % FR_ORDER), scalarToLE(inc % FR_ORDER), offset);
}
