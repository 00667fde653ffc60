/**
 * `npm run soak [-- --seed N] [--kills N] [--minutes M] [--rounds R] [--kill-weight W] [--stall-s S] [--mirrors N]`: the chaos soak (scripts/soak/run.ts). Prints
 * the seed first (rerun a schedule with --seed), progress on stderr, and ends with one line on stdout:
 * `soak: K kills, F faults, A acknowledged, L lost, S stalls`; exits non-zero when anything was lost, stalled or
 * failed a check. --mirrors: certified mirrors per ceremony (default 3), killed and stopped among the faults.
 */
import { parseArgs } from "node:util";
import { resultLine, runSoak } from "./soak/run.ts";

const { values } = parseArgs({
  options: { seed: { type: "string" }, kills: { type: "string" }, minutes: { type: "string" }, rounds: { type: "string" }, "kill-weight": { type: "string" }, "stall-s": { type: "string" }, mirrors: { type: "string" } },
});
const num = (v: string | undefined, fallback: number): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`not a whole number: ${v}`);
  return n;
};
const seed = num(values.seed, Math.floor(Math.random() * 2 ** 31));
console.error(`soak: seed ${seed}`);
// Ctrl-C or SIGTERM: no more faults; the ceremony under way is finished and checked, and the tmpfs unmounted.
const stop = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
const result = await runSoak({ signal: stop.signal, seed, kills: num(values.kills, 100), minutes: num(values.minutes, 60), rounds: num(values.rounds, 2), killWeight: num(values["kill-weight"], 6), stallMs: num(values["stall-s"], 90) * 1000, mirrors: num(values.mirrors, 3) });
console.error(`soak: seed ${seed}, ${result.ceremonies} ceremonies in ${result.seconds} s; kills at ${JSON.stringify(result.killsAt)}; faults ${JSON.stringify(result.faultsBy)}`);
for (const p of result.problems) console.error(`soak: problem: ${p}`);
console.log(resultLine(result));
process.exit(result.lost > 0 || result.stalls > 0 || result.problems.length > 0 ? 1 : 0);
