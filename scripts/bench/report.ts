/** The tables bench-crypto prints: one per power and run, then the medians over the runs against the targets. */
import { MIB, type PhaseResult } from "./measure.ts";
import type { ChildRun, SnarkjsResult } from "./snarkjs.ts";

/** ours / snarkjs at most this, for contribution and verification (issue 14). */
export const TARGET_RATIO = 0.3;

export interface OursResult {
  chunks: number;
  chunkSize: number;
  setupSeconds: number;
  contribution: PhaseResult;
  verification: PhaseResult;
}

export interface PowerResult {
  power: number;
  run: number;
  ours: OursResult;
  snarkjs: SnarkjsResult;
}

export const ratios = (r: PowerResult): { contribution: number; verification: number } => ({
  contribution: r.ours.contribution.seconds / r.snarkjs.contribute.seconds,
  verification: r.ours.verification.seconds / r.snarkjs.verify.seconds,
});

/** ours / snarkjs in CPU seconds (both sides' every thread): the ratio least moved by other load on the machine. */
export const cpuRatios = (r: PowerResult): { contribution: number | null; verification: number | null } => {
  const of = (o: PhaseResult, s: ChildRun): number | null => (o.cpuSeconds === null || s.cpuSeconds === null ? null : o.cpuSeconds / s.cpuSeconds);
  return { contribution: of(r.ours.contribution, r.snarkjs.contribute), verification: of(r.ours.verification, r.snarkjs.verify) };
};

const fmtS = (s: number): string => s.toFixed(3);
const fmtMiB = (b: number | null): string => (b === null ? "n/a" : `${(b / MIB).toFixed(0)} MiB`);
const fmtPct = (p: number | null): string => (p === null ? "n/a" : `${p.toFixed(1)}%`);
const fmtCores = (cpu: number | null, wall: number): string => (cpu === null ? "n/a" : (cpu / wall).toFixed(2));

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`;
  const sep = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(rows[0] ?? []), sep, ...rows.slice(1).map(line)].join("\n");
}

export function report(r: PowerResult, oursCores: number, snarkjsCores: number): string {
  const { ours, snarkjs } = r;
  const row = (op: string, o: PhaseResult, s: ChildRun): string[] => [
    op,
    fmtS(o.seconds),
    fmtS(s.seconds),
    `${(o.seconds / s.seconds).toFixed(3)}×`,
    o.cpuSeconds === null || s.cpuSeconds === null ? "n/a" : `${(o.cpuSeconds / s.cpuSeconds).toFixed(3)}×`,
    fmtMiB(o.memory.peakBytes),
    fmtMiB(s.peakRssBytes),
    `${oursCores} (eff. ${fmtCores(o.cpuSeconds, o.seconds)})`,
    `${snarkjsCores} (eff. ${fmtCores(s.cpuSeconds, s.seconds)})`,
  ];
  const t = table([
    ["operation", "ours (s)", "snarkjs (s)", "ours/snarkjs", "CPU ours/snarkjs", "peak RSS ours", "peak RSS snarkjs", "cores ours", "cores snarkjs"],
    row("contribution", ours.contribution, snarkjs.contribute),
    row("verification", ours.verification, snarkjs.verify),
  ]);
  return [
    `power ${r.power}, run ${r.run}: ${ours.chunks} chunks of ${ours.chunkSize} points (setup ${fmtS(ours.setupSeconds)} s, not timed; snarkjs new ${fmtS(snarkjs.newSeconds)} s, not timed)`,
    t,
    `  memory ours: polled max ${fmtMiB(ours.contribution.memory.polledBytes)} / ${fmtMiB(ours.verification.memory.polledBytes)}, kernel VmHWM ${fmtMiB(ours.contribution.memory.kernelBytes)} / ${fmtMiB(ours.verification.memory.kernelBytes)} (contribution / verification)`,
    `  CPU steal (hypervisor) during the phases: ours ${fmtPct(ours.contribution.stealPercent)} / ${fmtPct(ours.verification.stealPercent)}, snarkjs ${fmtPct(snarkjs.contribute.stealPercent)} / ${fmtPct(snarkjs.verify.stealPercent)} (contribution / verification); figures with high steal are unreliable`,
  ].join("\n");
}

/** Ours alone (--ours-only): times, cores and memory of each phase. */
export function reportOurs(power: number, ours: OursResult, oursCores: number): string {
  const row = (op: string, o: PhaseResult): string[] => [op, fmtS(o.seconds), fmtMiB(o.memory.peakBytes), `${oursCores} (eff. ${fmtCores(o.cpuSeconds, o.seconds)})`];
  return [
    `power ${power}: ${ours.chunks} chunks of ${ours.chunkSize} points (ours only)`,
    table([["operation", "ours (s)", "peak RSS ours", "cores ours"], row("contribution", ours.contribution), row("verification", ours.verification)]),
  ].join("\n");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
}

/** Medians over the runs of each power (times, the ratios of each run, peak memory), with the targets. */
export function summary(results: PowerResult[]): string {
  const powers = [...new Set(results.map((r) => r.power))];
  const rows = [["power", "operation", "ours (s)", "snarkjs (s)", "ours/snarkjs", `≤ ${TARGET_RATIO}×`, "CPU ours/snarkjs", "peak RSS ours / snarkjs"]];
  for (const p of powers) {
    const rs = results.filter((r) => r.power === p);
    for (const op of ["contribution", "verification"] as const) {
      const ours = median(rs.map((r) => r.ours[op].seconds));
      const theirs = median(rs.map((r) => (op === "contribution" ? r.snarkjs.contribute : r.snarkjs.verify).seconds));
      const ratio = median(rs.map((r) => ratios(r)[op]));
      const mem = `${fmtMiB(Math.max(...rs.map((r) => r.ours[op].memory.peakBytes)))} / ${fmtMiB(Math.max(...rs.map((r) => (op === "contribution" ? r.snarkjs.contribute : r.snarkjs.verify).peakRssBytes ?? 0)))}`;
      const cpu = rs.map((r) => cpuRatios(r)[op]).filter((x): x is number => x !== null);
      const cpuCell = cpu.length === 0 ? "n/a" : `${median(cpu).toFixed(3)}×`;
      rows.push([String(p), op, fmtS(ours), fmtS(theirs), `${ratio.toFixed(3)}×`, ratio <= TARGET_RATIO ? "met" : "NOT MET", cpuCell, mem]);
    }
  }
  const runs = Math.max(...results.map((r) => r.run));
  return [`medians over ${runs} run${runs === 1 ? "" : "s"} (ratio: the median of each run's ratio):`, table(rows)].join("\n");
}
