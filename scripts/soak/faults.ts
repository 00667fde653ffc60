/**
 * The fault schedule: each fault is drawn from the seeded generator and injected into the live ceremony. Coordinator
 * kills aim at a moment: an upload in flight through the proxy, just after a committed event (its transcript commit
 * under way), the last verification of a round (aggregation), a round's end (its backup push), the finalization.
 * The other faults stop (SIGSTOP, then SIGCONT) or kill -9 contributors, the verifier and mirrors, cut or slow the
 * proxy's connections, step the coordinator's wall clock and fill its disk.
 */
import { writeFileSync } from "node:fs";
import type { ChaosProxy } from "./proxy.ts";
import type { Rng } from "./rng.ts";
import { sleep, type World } from "./world.ts";

export type FaultKind = "kill-coordinator" | "stop-contributor" | "kill-contributor" | "stop-verifier" | "kill-verifier" | "stop-mirror" | "kill-mirror" | "cut" | "slow" | "clock-jump" | "disk-full";
export type KillMoment = "any" | "upload" | "commit" | "aggregation" | "backup" | "finalization";

export interface FaultContext {
  world: World;
  proxy: ChaosProxy;
  rng: Rng;
  offsetFile: string;
  /** The small filesystem the data lives on (null: none could be mounted, no disk faults). */
  disk: { fill(): Promise<void>; free(): Promise<void> } | null;
  phase(): Promise<string>;
  alerts(): Promise<string[]>;
  problem(what: string): void;
  /** Runs between a kill and the restart: the disk as the crash left it (git fsck). */
  whileDown(): void;
  say(line: string): void;
}

const HOUR = 3_600_000;

/**
 * `killWeight` against the other faults' 7 (the CI soak raises it to reach its kills within minutes); 0 while the
 * finalization has had its share of kills (it starts over after each: under kills every few seconds it would never
 * end, a livelock of the schedule, not of the coordinator).
 */
export function drawFault(ctx: FaultContext, killWeight: number): FaultKind {
  return ctx.rng.weighted<FaultKind>({
    "kill-coordinator": killWeight,
    "stop-contributor": 1.2,
    "kill-contributor": 0.8,
    "stop-verifier": 0.6,
    "kill-verifier": 0.4,
    "stop-mirror": ctx.world.mirrors.all.length > 0 ? 0.6 : 0,
    "kill-mirror": ctx.world.mirrors.all.length > 0 ? 0.4 : 0,
    cut: 1,
    slow: 0.6,
    "clock-jump": 0.6,
    "disk-full": ctx.disk ? 0.6 : 0,
  });
}

/** Waits up to `ms` for `sign`; true when it came. */
async function waitFor(sign: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (sign()) return true;
    await sleep(5);
  }
  return false;
}

/** Kills the coordinator at a drawn moment and restarts it; returns the moment it hit. */
export async function killCoordinator(ctx: FaultContext, finalizing: boolean): Promise<KillMoment> {
  const { world, rng } = ctx;
  let moment: KillMoment = finalizing ? "finalization" : rng.pick<KillMoment>(["any", "upload", "upload", "commit", "aggregation", "backup"]);
  const from = world.coordinatorOutput().length;
  const after = (re: RegExp) => (): boolean => re.test(world.coordinatorOutput().slice(from));
  const verifierFrom = world.verifier?.output().length ?? 0;
  let hit = true;
  switch (moment) {
    case "upload":
      hit = await waitFor(() => ctx.proxy.uploads > 0, 5_000);
      break;
    case "commit":
      hit = await waitFor(after(/INFO (round \d+, chunk|joined the queue|round \d+ started|dropped)/), 5_000);
      break;
    case "aggregation":
      hit = await waitFor(() => /contributor 3: ok\n/.test(world.verifier?.output().slice(verifierFrom) ?? ""), 8_000);
      if (hit) await sleep(rng.int(0, 150));
      break;
    case "backup":
      hit = await waitFor(after(/round \d+ aggregated|backup: pushed/), 8_000);
      break;
    case "finalization":
      await sleep(rng.int(0, 1500));
      break;
    case "any":
      break;
  }
  if (!hit) moment = "any";
  await world.killCoordinator();
  ctx.whileDown();
  await world.startCoordinator();
  return moment;
}

export async function inject(ctx: FaultContext, kind: FaultKind): Promise<string> {
  const { world, rng, proxy } = ctx;
  switch (kind) {
    case "kill-coordinator":
      throw new Error("coordinator kills go through killCoordinator");
    case "stop-contributor":
    case "kill-contributor": {
      const live = world.contributors.filter((c) => c.process.exitCode === null);
      if (live.length === 0) return `${kind}: none running`;
      const c = rng.pick(live);
      if (kind === "kill-contributor") {
        c.process.kill("SIGKILL");
        return "kill -9 of a contributor";
      }
      const ms = rng.int(300, 8_000);
      c.process.kill("SIGSTOP");
      await sleep(ms);
      c.process.kill("SIGCONT");
      return `SIGSTOP of a contributor for ${ms} ms`;
    }
    case "stop-verifier":
    case "kill-verifier": {
      const v = world.verifier;
      if (!v || v.process.exitCode !== null) return `${kind}: not running`;
      if (kind === "kill-verifier") {
        v.process.kill("SIGKILL");
        return "kill -9 of the verifier (restarted)";
      }
      const ms = rng.int(300, 6_000);
      world.verifierStopped = true;
      v.process.kill("SIGSTOP");
      await sleep(ms);
      v.process.kill("SIGCONT");
      world.verifierStopped = false;
      return `SIGSTOP of the verifier for ${ms} ms`;
    }
    case "stop-mirror":
    case "kill-mirror": {
      const live = world.mirrors.live();
      if (live.length === 0) return `${kind}: none running`;
      const m = rng.pick(live);
      if (kind === "kill-mirror") {
        world.mirrors.kill(m);
        return `kill -9 of ${m.name} (restarted)`;
      }
      const ms = rng.int(300, 6_000);
      const p = m.running?.process;
      m.stopped = true;
      p?.kill("SIGSTOP");
      await sleep(ms);
      p?.kill("SIGCONT");
      m.stopped = false;
      return `SIGSTOP of ${m.name} for ${ms} ms`;
    }
    case "cut": {
      const ms = rng.int(0, 3_000);
      const n = proxy.cut(ms);
      await sleep(ms);
      return `cut ${n} connection(s), refused new ones for ${ms} ms`;
    }
    case "slow": {
      const latency = rng.int(50, 400);
      const ms = rng.int(2_000, 8_000);
      proxy.slow(latency, ms);
      await sleep(ms);
      return `${latency} ms latency for ${ms} ms`;
    }
    case "clock-jump":
      return clockJump(ctx);
    case "disk-full":
      return diskFull(ctx);
  }
}

/** Steps the coordinator's wall clock 3 h one way, then back; the status must say so (an alert) and then clear. */
async function clockJump(ctx: FaultContext): Promise<string> {
  const sign = ctx.rng.pick([1, -1]);
  writeFileSync(ctx.offsetFile, `${sign * 3 * HOUR}\n`);
  const raised = await until(async () => (await ctx.alerts()).some((a) => a.includes("system clock was stepped")), 5_000);
  await sleep(ctx.rng.int(500, 4_000));
  writeFileSync(ctx.offsetFile, "0\n");
  const cleared = await until(async () => !(await ctx.alerts()).some((a) => a.includes("system clock was stepped")), 5_000);
  if (!raised) ctx.problem("clock jump: no alert in the status");
  if (!cleared) ctx.problem("clock jump: the alert stayed after the clock came back");
  return `wall clock ${sign > 0 ? "+" : "-"}3 h and back`;
}

/** Fills the data's filesystem for a while, then frees it; reads must go on meanwhile. */
async function diskFull(ctx: FaultContext): Promise<string> {
  const disk = ctx.disk;
  if (!disk) return "disk-full: no small filesystem";
  const ms = ctx.rng.int(1_000, 6_000);
  await disk.fill();
  try {
    await sleep(ms / 2);
    const phase = await ctx.phase().catch((err: unknown) => `unreadable: ${String(err)}`);
    if (phase.startsWith("unreadable")) ctx.problem(`disk full: the status was not served (${phase})`);
    await sleep(ms / 2);
  } finally {
    await disk.free();
  }
  return `disk full for ${ms} ms`;
}

async function until(ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (await ok().catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}
