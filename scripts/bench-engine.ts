/**
 * Microseconds per point of every curve operation, single-threaded, for each engine on this machine: the C engine
 * built natively (bun:ffi) and to wasm, mcl-wasm and ffjavascript where they offer the operation. Each figure is the
 * best of --reps calls after a warm-up (the least disturbed by other load), and every engine's bytes are compared
 * with the first's. The last column is the figure the native engines reach (blst, Constantine, arkworks: about 40 µs
 * per BN254 G1 scalar multiplication on a core), where one is stated; the distance to it is ours / that.
 *
 *   bun scripts/bench-engine.ts [--n 4096] [--reps 5]
 */
import { parseArgs } from "node:util";
import type { Curve } from "ffjavascript";
import { closeCurve, getCurve } from "../src/crypto/curve.ts";
import { generators, negate, repeat } from "../src/crypto/encoding.ts";
import { initEngine } from "../src/crypto/engine.ts";
import { applyKey as mclApplyKey, checkPoints as mclCheckPoints, g2InSubgroup as mclInSubgroup, initMcl, pairingProductIsOne } from "../src/crypto/mcl.ts";
import type { CurveEngine, Group } from "../src/crypto/msm/engine-types.ts";
import { initWasmEngine, wasmEngine, wasmPairingIsOne } from "../src/crypto/msm/wasm.ts";
import { encodePoint } from "../src/crypto/ops.ts";
import { FR_ORDER, scalarToLE } from "../src/crypto/scalars.ts";
import { table } from "./bench/report.ts";

const { values } = parseArgs({ options: { n: { type: "string" }, reps: { type: "string" } } });
const N = Number(values.n ?? 4096);
const REPS = Number(values.reps ?? 5);

type Run = () => Uint8Array | boolean | string | Promise<Uint8Array | boolean | string>;
interface Contender {
  name: string;
  run: Run;
}

/** Best time of REPS calls (after one warm-up) in µs per point, and the answer of the last call. */
async function time(run: Run, points: number): Promise<{ us: number; answer: string }> {
  let answer = String(await run());
  let best = Infinity;
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    const out = await run();
    best = Math.min(best, performance.now() - t0);
    answer = out instanceof Uint8Array ? Buffer.from(out).toString("hex") : String(out);
  }
  return { us: (best * 1000) / points, answer };
}

async function points(curve: Curve, g: Group, n: number): Promise<Uint8Array> {
  const gen = g === "G1" ? generators(curve).g1 : generators(curve).g2;
  return curve[g].batchApplyKey(repeat(gen, n), curve.Fr.e(5n), curve.Fr.e(0x1234567890abcdef1234567890abcdefn));
}

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n));
/** Published single-core figures of native libraries (µs per point), where known. */
const NATIVE_REFERENCE: Readonly<Record<string, number>> = { "applyKey G1 (scalar mult.)": 40 };

const randomScalar = (): bigint => BigInt(`0x${Buffer.from(random(32)).toString("hex")}`) % FR_ORDER;

async function main(): Promise<void> {
  const curve = await getCurve();
  await Promise.all([initMcl(), initWasmEngine()]);
  const native = await initEngine("auto");
  const engines: Array<[string, CurveEngine]> = native.kind === "native" ? [["C native", native], ["C wasm", wasmEngine]] : [["C wasm", wasmEngine]];
  const rows: string[][] = [["operation", "n", ...engines.map(([n]) => n), "mcl-wasm", "ffjavascript", "same bytes", "native libraries"]];
  const row = async (op: string, n: number, per: ((e: CurveEngine) => Run) | null, mcl: Run | null, ffj: Run | null): Promise<void> => {
    const cs: Contender[] = per ? engines.map(([name, e]) => ({ name, run: per(e) })) : [];
    const results: Array<{ us: number; answer: string } | null> = [];
    for (const c of cs) results.push(await time(c.run, n));
    while (results.length < engines.length) results.push(null);
    const m = mcl ? await time(mcl, n) : null;
    const f = ffj ? await time(ffj, n) : null;
    const answers = [...results, m, f].filter((r) => r !== null).map((r) => r.answer);
    const fmt = (r: { us: number } | null): string => (r ? r.us.toFixed(r.us < 10 ? 2 : 1) : "—");
    const ref = NATIVE_REFERENCE[op];
    const best = results[0];
    const distance = ref && best ? `${ref} (ours ${(best.us / ref).toFixed(2)}×)` : "—";
    rows.push([op, String(n), ...results.map(fmt), fmt(m), fmt(f), answers.every((a) => a === answers[0]) ? "yes" : "NO", distance]);
    console.error(`  ${op}: done`);
  };

  for (const g of ["G1", "G2"] as const) {
    const pts = await points(curve, g, N);
    const [first, inc] = [randomScalar(), randomScalar()];
    const [f, i] = [scalarToLE(first), scalarToLE(inc)];
    await row(`applyKey ${g} (scalar mult.)`, N, (e) => () => e.applyKey(g, pts, f, i), () => mclApplyKey(g, pts, f, i), () => curve[g].batchApplyKey(pts, curve.Fr.e(first), curve.Fr.e(inc)));
    for (const sb of [8, 2]) {
      const sc = random(N * sb);
      await row(`msm ${g}, ${8 * sb}-bit scalars`, N, (e) => () => e.msm(g, pts, sc, sb), null, async () => encodePoint(curve, g, await curve[g].multiExpAffine(pts, sc)));
    }
    await row(`checkPoints ${g}`, N, (e) => () => JSON.stringify(e.checkPoints(g, pts)), () => JSON.stringify(mclCheckPoints(g, pts)), null);
    if (g === "G2") {
      const one = pts.subarray(0, 128);
      await row("g2InSubgroup (one point)", 1, (e) => () => e.g2InSubgroup(one), () => mclInSubgroup(one), null);
    }
  }
  const { g1, g2 } = generators(curve);
  const g1s = new Uint8Array([...g1, ...negate("G1", g1)]);
  const g2s = new Uint8Array([...g2, ...g2]);
  await row("pairing product of 2 (= 1)", 1, (e) => () => (e.pairingIsOne ? e.pairingIsOne(g1s, g2s, 2) : wasmPairingIsOne(g1s, g2s, 2)), () => pairingProductIsOne([[g1, g2], [negate("G1", g1), g2]]), null);

  console.log(`µs per point, single thread, best of ${REPS} (n = ${N}; ${process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.versions.node}`})`);
  console.log(table(rows));
  await closeCurve();
}

await main();
