/**
 * Micro-benchmark of the wasm MSM engine (src/crypto/msm) against ffjavascript's multiExpAffine (single-threaded
 * buildBn128(true)), per point, on the same random points and scalars, checking that both give the same bytes.
 *
 *   npx bun scripts/bench-msm.ts [--groups G1,G2] [--n 4096,65536] [--bytes 2,8] [--reps 5] [--json FILE]
 *
 * Each case runs both engines alternately `reps` times (after one warm-up call each) and keeps each one's best
 * time, as wall-clock and as this process's CPU time (user + system; both engines run in this thread), the
 * latter being less sensitive to other load on the machine.
 */
import { writeFileSync } from "node:fs";
import { buildBn128, type Curve } from "ffjavascript";
import { initMsm, msm, type MsmGroup } from "../src/crypto/msm/index.ts";

interface Options {
  groups: MsmGroup[];
  ns: number[];
  widths: number[];
  reps: number;
  json: string | null;
}

function usage(message: string): never {
  console.error(`bench-msm: ${message}`);
  console.error("usage: bun scripts/bench-msm.ts [--groups G1,G2] [--n 4096,65536] [--bytes 2,8] [--reps 5] [--json FILE]");
  process.exit(2);
}

function parseList(v: string | undefined, flag: string): number[] {
  if (!v) usage(`${flag} needs a value`);
  const out = v.split(",").map(Number);
  if (out.some((x) => !Number.isInteger(x) || x < 1)) usage(`${flag}: positive integers, comma-separated`);
  return out;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { groups: ["G1", "G2"], ns: [4096, 65536], widths: [2, 8], reps: 5, json: null };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const v = argv[i + 1];
    i++;
    switch (flag) {
      case "--groups": {
        const gs = (v ?? "").split(",");
        if (!gs.every((g): g is MsmGroup => g === "G1" || g === "G2")) usage("--groups: G1 and/or G2");
        o.groups = gs;
        break;
      }
      case "--n":
        o.ns = parseList(v, flag);
        break;
      case "--bytes":
        o.widths = parseList(v, flag);
        break;
      case "--reps":
        o.reps = parseList(v, flag)[0] ?? 5;
        break;
      case "--json":
        if (!v) usage("--json needs a file");
        o.json = v;
        break;
      default:
        usage(`unknown option ${flag}`);
    }
  }
  return o;
}

const SIZE: Record<MsmGroup, number> = { G1: 64, G2: 128 };

function randomBytes(len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let o = 0; o < len; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(len, o + 65536)));
  return out;
}

async function randomPoints(curve: Curve, g: MsmGroup, n: number): Promise<Uint8Array> {
  const G = curve[g];
  const gen = new Uint8Array(SIZE[g]);
  G.toRprLEM(gen, 0, G.toAffine(G.g));
  const rep = new Uint8Array(SIZE[g] * n);
  for (let i = 0; i < n; i++) rep.set(gen, i * SIZE[g]);
  const k = BigInt(`0x${Buffer.from(randomBytes(31)).toString("hex")}`) + 1n;
  const inc = BigInt(`0x${Buffer.from(randomBytes(31)).toString("hex")}`) + 2n;
  return G.batchApplyKey(rep, curve.Fr.e(k), curve.Fr.e(inc));
}

interface Timing {
  wall: number;
  cpu: number;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

interface Row {
  group: MsmGroup;
  n: number;
  scalarBits: number;
  oursUsPerPoint: Timing;
  ffjsUsPerPoint: Timing;
  speedup: Timing;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const curve = await buildBn128(true);
  await initMsm();
  const rows: Row[] = [];
  const fmt = (x: number): string => x.toFixed(3).padStart(8);
  console.log(`runtime: ${typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`}; best of ${opts.reps}; µs per point (wall / cpu)`);
  console.log("group        n  bits |     ours wall      cpu |     ffjs wall      cpu | speedup wall   cpu");
  try {
    for (const g of opts.groups) {
      for (const n of opts.ns) {
        const points = await randomPoints(curve, g, n);
        for (const sb of opts.widths) {
          const scalars = randomBytes(n * sb);
          const ours = msm(g, points, scalars, sb);
          const ref = new Uint8Array(SIZE[g]);
          curve[g].toRprLEM(ref, 0, curve[g].toAffine(await curve[g].multiExpAffine(points, scalars)));
          if (!Buffer.from(ours).equals(Buffer.from(ref))) throw new Error(`${g} n=${n} ${sb * 8}-bit: results differ`);
          let a: Timing = { wall: Infinity, cpu: Infinity };
          let b: Timing = { wall: Infinity, cpu: Infinity };
          for (let r = 0; r < opts.reps; r++) {
            const ta = await time(() => msm(g, points, scalars, sb));
            const tb = await time(() => curve[g].multiExpAffine(points, scalars));
            a = { wall: Math.min(a.wall, ta.wall), cpu: Math.min(a.cpu, ta.cpu) };
            b = { wall: Math.min(b.wall, tb.wall), cpu: Math.min(b.cpu, tb.cpu) };
          }
          const per = (t: Timing): Timing => ({ wall: (t.wall * 1000) / n, cpu: (t.cpu * 1000) / n });
          const row: Row = {
            group: g,
            n,
            scalarBits: sb * 8,
            oursUsPerPoint: per(a),
            ffjsUsPerPoint: per(b),
            speedup: { wall: b.wall / a.wall, cpu: b.cpu / a.cpu },
          };
          rows.push(row);
          console.log(
            `${g}  ${String(n).padStart(9)}  ${String(sb * 8).padStart(4)} | ${fmt(row.oursUsPerPoint.wall)} ${fmt(row.oursUsPerPoint.cpu)} | ` +
              `${fmt(row.ffjsUsPerPoint.wall)} ${fmt(row.ffjsUsPerPoint.cpu)} | ${row.speedup.wall.toFixed(2).padStart(7)}× ${row.speedup.cpu.toFixed(2).padStart(5)}×`,
          );
        }
      }
    }
  } finally {
    await curve.terminate();
  }
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(rows, null, 2)}\n`);
}

await main();
