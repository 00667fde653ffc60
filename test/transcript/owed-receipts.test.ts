// What a kill -9 between a commit and its follow-up used to lose for good (TranscriptService.commitEntries commits,
// then signs the verification's receipt; commits the aggregation, then the round's receipt files): the restarted
// coordinator found the events committed and had nothing to catch up. A contributor then waited for a receipt that
// never came (the crash test saw 31 of 32), and the transcript lacked a round's receipts. Each crash is reproduced
// exactly on a real coordinator and transcript: the coordinator stopped, its snapshot removed (a kill leaves
// none), and the store or the branch put back to what the kill left.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateKeyPair } from "../../src/auth/keys.ts";
import { closeCurve } from "../../src/crypto/curve.ts";
import type { CoordinatorOptions } from "../../src/server/coordinator.ts";
import { checkReceipt, type Receipt } from "../../src/transcript/receipt.ts";
import { openSim, Participant, type Sim } from "../sim/harness.ts";

const roots: string[] = [];
afterAll(async () => {
  await closeCurve();
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

const transcript: CoordinatorOptions["transcript"] = { externalThresholdBytes: 1 << 30, publicUrl: () => "http://local", remotes: [], backupCron: "0 0 0 1 1 *", fsync: false };
const lastRound = (sim: Sim): number => {
  const s = sim.coord.state();
  return s.phase === "setup" ? -1 : s.lastRound;
};
const git = (repo: string, ...args: string[]): string => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" });

/**
 * A coordinator with a transcript and two contributors joined (alice honest; bob honest, or silent to keep the
 * round open), run until `done`; then stopped as a kill leaves it.
 */
async function runThenCrash(done: (sim: Sim, alice: Participant) => Promise<boolean>, bobIs: "honest" | "silent" = "honest") {
  const root = await mkdtemp(join(tmpdir(), "ceremony-owed-receipts-"));
  roots.push(root);
  const data = join(root, "data");
  const coordinatorKey = generateKeyPair();
  const sim = await openSim(data, 2, { options: { transcript, coordinatorKey } });
  const [alice, bob] = [new Participant("honest"), new Participant(bobIs)];
  await sim.coord.service.join(alice.id, "contributor");
  await sim.coord.service.join(bob.id, "contributor");
  for (let i = 0; i < 600 && !(await done(sim, alice)); i++) {
    let moved = false;
    for (const p of [alice, bob]) if (!(await done(sim, alice))) moved = (await sim.step(p)) || moved;
    sim.clock.advance(100);
    await sim.coord.tick();
    if (!moved) await new Promise((r) => setTimeout(r, 20));
  }
  if (!(await done(sim, alice))) throw new Error("the ceremony did not get there");
  await sim.coord.close();
  await rm(join(data, "snapshot.json"), { force: true });
  const reopen = () => openSim(data, 2, { options: { transcript, coordinatorKey }, clock: sim.clock, admin: sim.admin });
  return { data, alice, reopen, repo: join(data, "transcript") };
}

describe("what a crash between a commit and its follow-up left owed", () => {
  it("a verification committed but not yet receipted gets its receipt at the restart, on a commit holding it", async () => {
    const { data, alice, reopen, repo } = await runThenCrash(async (sim, a) => lastRound(sim) === 0 && (await sim.coord.service.receipts(a.id)).length >= 1, "silent");
    const dir = join(data, "receipts");
    const round = 1;
    const file = join(dir, String(round), `${alice.id}.json`);
    const stored = JSON.parse(await readFile(file, "utf8")) as Receipt[];
    const lost = stored.at(-1) as Receipt;
    await writeFile(file, JSON.stringify(stored.slice(0, -1)));

    const sim = await reopen();
    try {
      const back = (await sim.coord.service.receipts(alice.id)).find((r) => r.chunk === lost.chunk && r.position === lost.position);
      expect(back, "the owed receipt was not signed at the restart").toBeDefined();
      if (!back) return;
      expect([back.hash, back.parentHash, back.round]).toEqual([lost.hash, lost.parentHash, lost.round]);
      expect(checkReceipt(back, sim.coord.service.info().coordinatorKey).ok).toBe(true);
      git(repo, "merge-base", "--is-ancestor", back.commit, "HEAD");
      // The commit holds the verification's event: the one the lost receipt pointed at is it or its ancestor.
      git(repo, "merge-base", "--is-ancestor", lost.commit, back.commit);
    } finally {
      await sim.coord.close();
    }
  }, 300_000);

  it("an aggregation committed without its round's receipt files gets them at the restart", async () => {
    const { reopen, repo, alice } = await runThenCrash(async (sim) => lastRound(sim) >= 1);
    expect(git(repo, "log", "-1", "--format=%s")).toMatch(/round 1: receipts/);
    const path = `receipts/1/${alice.id}.json`;
    const committed = git(repo, "show", `HEAD:${path}`);
    git(repo, "update-ref", "refs/heads/main", "HEAD~1"); // the kill came before the receipts' commit
    expect(() => git(repo, "show", `HEAD:${path}`)).toThrow();

    const sim = await reopen();
    await sim.coord.close();
    expect(git(repo, "show", `HEAD:${path}`)).toBe(committed);
    execFileSync("git", ["-C", repo, "fsck", "--full"], { stdio: "ignore" });
  }, 300_000);
});
