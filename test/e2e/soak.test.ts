// The chaos soak, short and seeded (scripts/soak/run.ts; npm run soak runs it long): at least 25 kill -9 of the
// coordinator aimed at uploads, commits, aggregation, backups and the finalization, among stopped and killed
// contributors, verifier and certified mirrors (three per ceremony, two must sign), cut and slowed connections,
// wall-clock jumps and (where a tmpfs can be mounted) a full disk. Nothing acknowledged is lost, nothing stalls, no
// mirror stops by itself or refuses what it fetched, and every check passes: git fsck, the final head certified by
// the mirrors, verify-transcript (finding the final .ptau certified, on a clone and on a mirror's copy), snarkjs.
import { describe, expect, it } from "vitest";
import { resultLine, runSoak } from "../../scripts/soak/run.ts";

const SEED = 15;

describe("chaos soak", () => {
  it(`seed ${SEED}: 25 coordinator kills among other faults lose nothing acknowledged and never stall`, async () => {
    const lines: string[] = [];
    const r = await runSoak({ seed: SEED, kills: 25, minutes: 30, rounds: 1, killWeight: 30, say: (l) => lines.push(l) });
    const line = resultLine(r);
    console.log(`${line} (seed ${SEED}, ${r.seconds} s, kills at ${JSON.stringify(r.killsAt)}, faults ${JSON.stringify(r.faultsBy)})`);
    expect(r.problems, lines.join("\n")).toEqual([]);
    expect(r.kills).toBeGreaterThanOrEqual(25);
    expect(r.acknowledged).toBeGreaterThan(0);
    expect(line).toMatch(/^soak: \d+ kills, \d+ faults, \d+ acknowledged, 0 lost, 0 stalls$/);
  }, 600_000);
});
