/**
 * The chaos soak (npm run soak; a short seeded run in the test suite): live ceremonies through the compiled binary
 * under a seeded fault schedule. After every fault: every acknowledged upload and verdict is in the event log (and,
 * up to what it has committed, in the transcript), `git fsck --full` is clean, and a stall detector watches that
 * the ceremony keeps moving. Certified mirrors follow each ceremony (killed and stopped among the faults; one that
 * stops by itself, refuses a commit or has a statement refused is a problem). At each ceremony's end: the mirrors
 * certify the final head, the transcript holds everything acknowledged, the backup remote has its head,
 * verify-transcript passes on a clone (and finds the final .ptau certified) and on a mirror's copy, and snarkjs
 * verifies the final .ptau.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, installBinary, runBinary } from "../../test/helpers/binary.ts";
import { startGitHttpBackend } from "../../test/helpers/git-http-backend.ts";
import { mountSmallFs } from "../../test/helpers/small-fs.ts";
import { drawFault, inject, killCoordinator, type FaultContext } from "./faults.ts";
import { acknowledgedIn, fsck, git, missing, readEventLog, TranscriptReader } from "./ledger.ts";
import { ChaosProxy } from "./proxy.ts";
import { Rng } from "./rng.ts";
import { certifiedHead, CERTIFIED_LINE, type SoakStatus } from "./mirrors.ts";
import { sleep, World } from "./world.ts";

export interface SoakOptions {
  seed: number;
  /** Coordinator kills to reach (the ceremony under way is finished after that). */
  kills: number;
  /** Stop injecting faults after this long, whatever the kills. */
  minutes: number;
  /** Aggregated rounds per ceremony before it is finalized. */
  rounds: number;
  /** Weight of coordinator kills against the other faults' 7 together (default 6: about half the faults). */
  killWeight?: number;
  /** Certified mirrors per ceremony (default 3: 2 must sign each certificate). */
  mirrors?: number;
  /**
   * No progress (a new event) for this long, with a ceremony unfinished: a stall (three times as long while
   * finalizing: applying the beacon to every chunk and writing the final file logs nothing until it is done).
   */
  stallMs?: number;
  say?: (line: string) => void;
  /** Aborted: no more faults; the ceremony under way is finished and checked, then the soak ends. */
  signal?: AbortSignal;
}

export interface SoakResult {
  seed: number;
  kills: number;
  faults: number;
  acknowledged: number;
  lost: number;
  stalls: number;
  ceremonies: number;
  seconds: number;
  killsAt: Record<string, number>;
  faultsBy: Record<string, number>;
  problems: string[];
}

const BEACON = "ab".repeat(32);
/** Kills a finalization gets at most (it starts over after each); then it is left to finish. */
const FINALIZATION_KILLS = 3;
const snarkjsCli = fileURLToPath(new URL("../../node_modules/snarkjs/build/cli.cjs", import.meta.url));

export function resultLine(r: SoakResult): string {
  return `soak: ${r.kills} kills, ${r.faults} faults, ${r.acknowledged} acknowledged, ${r.lost} lost, ${r.stalls} stalls`;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const say = o.say ?? ((line: string) => console.error(`soak: ${line}`));
  const started = performance.now();
  const deadline = started + o.minutes * 60_000;
  const rng = new Rng(o.seed);
  const r: SoakResult = { seed: o.seed, kills: 0, faults: 0, acknowledged: 0, lost: 0, stalls: 0, ceremonies: 0, seconds: 0, killsAt: {}, faultsBy: {}, problems: [] };
  const lostIds = new Set<string>();
  const problem = (what: string): void => {
    say(`PROBLEM: ${what}`);
    r.problems.push(what);
  };

  const dir = await mkdtemp(join(tmpdir(), "ceremony-soak-"));
  const bin = await installBinary(dir);
  const small = await mountSmallFs(256);
  const disk = "skip" in small ? null : small;
  if (!disk) say(`no disk-full faults: ${"skip" in small ? small.skip : ""}`);
  const dataRoot = disk ? disk.dir : join(dir, "data");
  const backups = join(dir, "backups");
  await mkdir(backups, { recursive: true });
  const gitServer = await startGitHttpBackend(backups);
  const port = await freePort();
  const proxy = new ChaosProxy(() => port);
  const proxyUrl = `http://127.0.0.1:${await proxy.listen()}`;
  const offsetFile = join(dir, "clock-offset");
  try {
    for (let n = 1; r.ceremonies === 0 || (r.kills < o.kills && performance.now() < deadline && !o.signal?.aborted); n++) {
      const data = join(dataRoot, `ceremony-${n}`);
      const remote = `ceremony-${n}.git`;
      execFileSync("git", ["init", "-q", "--bare", "-b", "main", join(backups, remote)]);
      execFileSync("git", ["-C", join(backups, remote), "config", "http.receivepack", "true"]);
      const world = new World({ bin, dir, data, port, proxyUrl, backupRemote: `${gitServer.url}/${remote}`, offsetFile, contributors: 4, mirrors: o.mirrors ?? 3, say });
      say(`ceremony ${n}: seed ${o.seed}, ${r.kills} kills so far`);
      try {
        await ceremony(world, n);
      } finally {
        await world.close();
        for (const e of world.unexpectedExits) problem(`ceremony ${n}: the coordinator stopped by itself: ${e}`);
        for (const e of world.mirrors.unexpectedExits) problem(`ceremony ${n}: a mirror stopped by itself: ${e}`);
        for (const a of world.mirrors.alarms()) problem(`ceremony ${n}: a mirror said: ${a}`);
        await rm(data, { recursive: true, force: true });
        for (const m of world.mirrors.all) await rm(m.data, { recursive: true, force: true });
      }
      r.ceremonies++;
    }
  } finally {
    await proxy.close();
    await gitServer.close();
    if (disk) await disk.unmount();
    await rm(dir, { recursive: true, force: true });
  }
  r.seconds = Math.round((performance.now() - started) / 1000);
  return r;

  async function ceremony(world: World, n: number): Promise<void> {
    const data = world.o.data;
    const status = async (): Promise<SoakStatus> => {
      const res = await fetch(`${world.url}/v1/status`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      return (await res.json()) as SoakStatus;
    };
    const settled = async (): Promise<Awaited<ReturnType<typeof status>>> => {
      for (let i = 0; ; i++) {
        try {
          return await status();
        } catch (err) {
          // A coordinator that stopped by itself (a problem, counted at the end) is restarted so the soak goes on.
          if (world.coordinator === null || world.coordinator.process.exitCode !== null) {
            say(`the coordinator stopped by itself; restarting it`);
            await world.startCoordinator();
          }
          if (i > 600) throw err;
          await sleep(100);
        }
      }
    };
    await world.startCoordinator();
    await world.registerVerifier();
    await world.mirrors.start(world.o.mirrors);
    world.tend();
    const transcript = new TranscriptReader(join(data, "transcript"), world.verifierKey);
    const ctx: FaultContext = {
      world,
      proxy,
      rng,
      offsetFile,
      disk,
      phase: async () => (await status()).phase,
      alerts: async () => (await status()).alerts,
      problem: (w) => problem(`ceremony ${n}: ${w}`),
      // git fsck on a repository being written and repacked would see objects come and go: it runs while the
      // coordinator is down, on exactly what the kill left.
      whileDown: () => {
        const broken = fsck(join(data, "transcript"));
        if (broken) problem(`ceremony ${n}: git fsck --full after a kill: ${broken.slice(0, 400)}`);
      },
      say,
    };

    // The stall detector: the log must grow while the ceremony is unfinished.
    let phase = "waiting";
    let lastSize = -1;
    let lastProgress = performance.now();
    let done = false;
    const watch = (async () => {
      while (!done) {
        await sleep(1000);
        world.tend();
        const size = await stat(join(data, "events.jsonl")).then((s) => s.size, () => 0);
        if (size !== lastSize) {
          lastSize = size;
          lastProgress = performance.now();
        } else if (phase !== "finalized" && performance.now() - lastProgress > (o.stallMs ?? 90_000) * (phase === "finalizing" ? 3 : 1)) {
          r.stalls++;
          problem(`ceremony ${n}: stall: no new event for ${Math.round((performance.now() - lastProgress) / 1000)} s (phase ${phase})`);
          lastProgress = performance.now();
        }
      }
    })();

    const check = (withTranscript: boolean): void => {
      const ack = acknowledgedIn(world.outputs());
      const log = readEventLog(data, world.verifierKey);
      if (withTranscript) transcript.refresh();
      const m = missing(ack, log, withTranscript ? transcript.recorded : null);
      for (const id of [...m.fromLog.map((x) => `log: ${x}`), ...m.fromTranscript.map((x) => `transcript: ${x}`)]) {
        const key = `${n}:${id}`;
        if (!lostIds.has(key)) {
          lostIds.add(key);
          problem(`ceremony ${n}: acknowledged but missing from the ${id}`);
        }
      }
      r.lost = lostIds.size;
    };

    let finalizeAsked = false;
    let finalizationKills = 0;
    const budgetLeft = (): boolean => r.kills < o.kills && performance.now() < deadline && !o.signal?.aborted;
    try {
      for (let i = 0; ; i++) {
        const s = await settled();
        phase = s.phase;
        if (s.phase === "finalized") break;
        if (!finalizeAsked && s.lastRound >= o.rounds) {
          world.spawning = false;
          const fin = await runBinary(world.o.bin, world.o.dir, ["admin", "finalize", "--yes", "--beacon", BEACON, "--coordinator", world.url, "--key", join(data, "admin.key"), "--timeout", "30"]).done;
          if (fin.code === 0 || /FINALIZ/.test(fin.out)) finalizeAsked = true;
          else say(`finalize refused, retrying: ${fin.out.trim().split("\n").at(-1)}`);
        }
        if (!budgetLeft()) {
          await sleep(500);
          continue;
        }
        await sleep(rng.int(200, 1200));
        const finalizing = s.phase === "finalizing";
        const kind = drawFault(ctx, finalizing && finalizationKills >= FINALIZATION_KILLS ? 0 : (o.killWeight ?? 6) * (finalizing ? 1.5 : 1));
        let what: string;
        if (kind === "kill-coordinator") {
          const moment = await killCoordinator(ctx, finalizing);
          if (finalizing) finalizationKills++;
          r.kills++;
          r.killsAt[moment] = (r.killsAt[moment] ?? 0) + 1;
          what = `kill -9 of the coordinator (${moment})`;
        } else what = await inject(ctx, kind);
        r.faults++;
        r.faultsBy[kind] = (r.faultsBy[kind] ?? 0) + 1;
        await settled();
        check(r.faults % 10 === 0);
        if (r.faults % 25 === 0) say(`${r.kills} kills, ${r.faults} faults, ${acknowledgedIn(world.outputs()).uploads.size} uploads acknowledged in ceremony ${n}; last: ${what}`);
      }
      await finalChecks(world, n, ctx, transcript, settled, check);
    } finally {
      done = true;
      await watch;
    }
  }

  async function finalChecks(world: World, n: number, ctx: FaultContext, transcript: TranscriptReader, settled: () => Promise<SoakStatus>, check: (t: boolean) => void): Promise<void> {
    const data = world.o.data;
    const lastSeq = readEventLog(data, world.verifierKey).lastSeq;
    const end = performance.now() + 120_000;
    while ((await settled()).transcript?.committedSeq !== lastSeq) {
      if (performance.now() > end) {
        problem(`ceremony ${n}: the transcript did not catch up with seq ${lastSeq}`);
        break;
      }
      await sleep(200);
    }
    check(true);
    // The mirrors certify the final head (a finalized coordinator, restarted read-only, still takes their statements).
    const certified = await certifiedHead(world.mirrors, settled);
    if (certified) problem(`ceremony ${n}: the final head was not certified: ${certified}`);
    await world.killCoordinator("SIGTERM");
    ctx.whileDown();
    await world.startCoordinator();
    const ack = acknowledgedIn(world.outputs());
    r.acknowledged += ack.uploads.size + ack.verdicts.size;
    if (transcript.recorded.lastSeq !== lastSeq) problem(`ceremony ${n}: the transcript holds seq ${transcript.recorded.lastSeq}, the log ${lastSeq}`);

    const head = git(join(data, "transcript"), "rev-parse", "refs/heads/main").trim();
    const remote = join(dir, "backups", `ceremony-${n}.git`);
    const backedUp = async (): Promise<boolean> => {
      try {
        return git(remote, "rev-parse", "refs/heads/main").trim() === head;
      } catch {
        return false;
      }
    };
    const until = performance.now() + 30_000;
    while (!(await backedUp()) && performance.now() < until) await sleep(500);
    const faulty = (await settled()).mirrors?.members.filter((x) => x.faulty) ?? [];
    if (faulty.length > 0) problem(`ceremony ${n}: mirrors recorded faulty: ${faulty.map((x) => x.key.slice(0, 16)).join(", ")}`);
    if (!(await backedUp())) problem(`ceremony ${n}: the backup remote does not have the transcript's head ${head.slice(0, 12)}`);
    const broken = fsck(remote);
    if (broken) problem(`ceremony ${n}: git fsck --full of the backup: ${broken.slice(0, 400)}`);

    const clone = join(dir, `clone-${n}`);
    execFileSync("git", ["clone", "-q", join(data, "transcript"), clone]);
    const vt = await runBinary(world.o.bin, dir, ["verify-transcript", clone]).done;
    if (vt.code !== 0) problem(`ceremony ${n}: verify-transcript: ${vt.out.slice(-600)}`);
    else if (!CERTIFIED_LINE.test(vt.out)) problem(`ceremony ${n}: verify-transcript did not find the final .ptau certified: ${vt.out.slice(-600)}`);
    await rm(clone, { recursive: true, force: true });
    // A mirror's copy, served over git's smart HTTP, passes too.
    const m = world.mirrors.live()[0];
    if (m) {
      const vm = await runBinary(world.o.bin, dir, ["verify-transcript", `${world.mirrors.url(m)}/transcript.git`]).done;
      if (vm.code !== 0) problem(`ceremony ${n}: verify-transcript of ${m.name}'s copy: ${vm.out.slice(-600)}`);
    }
    try {
      const out = execFileSync("node", [snarkjsCli, "powersoftau", "verify", join(data, "final.ptau")], { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"] });
      if (!out.includes("Powers of Tau Ok!")) problem(`ceremony ${n}: snarkjs did not say "Powers of Tau Ok!"`);
    } catch (err) {
      problem(`ceremony ${n}: snarkjs: ${String((err as { stdout?: string }).stdout ?? err).slice(-400)}`);
    }
    say(`ceremony ${n} finalized and checked: ${ack.uploads.size} uploads and ${ack.verdicts.size} verdicts acknowledged, all in the log and the transcript; verify-transcript (the final head certified, on a clone and a mirror's copy) and snarkjs pass`);
  }
}
