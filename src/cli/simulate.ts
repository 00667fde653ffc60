/** `ceremony simulate`: the whole pipelined protocol in one process, to size a ceremony and to produce a test .ptau. */
import * as v from "valibot";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { closeCurve, getCurve } from "../crypto/curve.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import { initPairing } from "../crypto/pairing.ts";
import { numChunks, parseParams } from "../crypto/params.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { ChunkStore, applyBeacon, importState, genesisAccumulator, newTimings, runRound, writeStatePtau } from "../crypto/rounds.ts";
import { CliError } from "./errors.ts";

const int = (min: number, max: number) => v.pipe(v.string(), v.transform(Number), v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const Options = v.object({
  power: int(1, 28),
  "chunk-size": int(2, 2 ** 28),
  contributors: int(1, 10_000),
  rounds: int(1, 10_000),
  beacon: v.pipe(v.string(), v.regex(/^([0-9a-fA-F]{2}){1,64}$/, "--beacon must be hex")),
  "beacon-iterations": v.optional(int(0, 40), "10"),
  out: v.pipe(v.string(), v.minLength(1)),
  import: v.optional(v.string()),
  threads: v.optional(int(1, 1024)),
});

export const usage = `ceremony simulate --power P --chunk-size S --contributors N --rounds R --beacon HEX --out FILE
    [--beacon-iterations E] [--import FILE.ptau] [--threads T]
  Runs R pipelined rounds of N contributors in one process (each chunk contribution verified with the
  coordinator's checks), applies the beacon (its hash iterated 2^E times, default 10) and writes FILE.`;

export async function simulate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.keys(Options.entries).map((k) => [k, { type: "string" as const }])),
    strict: true,
  });
  const parsed = v.safeParse(Options, values);
  if (!parsed.success) throw new CliError(`simulate: ${parsed.issues.map((i) => `${i.path?.map((p) => p.key).join(".") ?? ""} ${i.message}`).join("; ")}\n${usage}`);
  const o = parsed.output;
  const params = parseParams({ ceremonyId: toHex(crypto.getRandomValues(new Uint8Array(32))), power: o.power, chunkSize: o["chunk-size"] });
  const work = await mkdtemp(join(tmpdir(), "ceremony-sim-"));
  const pool = new WorkerPool(o.threads);
  const t = newTimings();
  const wall = performance.now();
  try {
    await initPairing();
    const curve = await getCurve();
    const store = new ChunkStore(work);
    let state = o.import ? await importState(pool, curve, store, params, o.import) : await genesisAccumulator(curve, store, params);
    console.log(`power ${params.power}, ${numChunks(params)} chunks of ${params.chunkSize}, ${o.contributors} contributors × ${o.rounds} rounds, ${pool.parallelism} threads, ${await pool.engineKind()} curve engine`);
    for (let r = 0; r < o.rounds; r++) {
      const participants = Array.from({ length: o.contributors }, (_, j) => ({ name: `round ${state.round + 1} contributor ${j + 1}` }));
      state = await runRound(pool, curve, store, state, participants, t);
      console.log(`round ${state.round} aggregated; next challenge ${toHex(state.challenge).slice(0, 16)}…`);
    }
    state = await applyBeacon(pool, curve, store, state, { hash: fromHex(o.beacon), numIterationsExp: o["beacon-iterations"] }, t);
    await mkdir(dirname(o.out), { recursive: true });
    await writeStatePtau(o.out, store, state);
    const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    console.log(`contributing ${s(t.contributeMs)}, verifying ${s(t.verifyMs)}, aggregating ${s(t.aggregateMs)} (summed over overlapping work); wall ${s(performance.now() - wall)}`);
    console.log(`wrote ${o.out} with ${state.records.length} records`);
  } finally {
    await pool.close();
    await closeCurve();
    await rm(work, { recursive: true, force: true });
  }
}
