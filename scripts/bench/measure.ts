/**
 * Measurement for the benchmarks: a phase's wall time, CPU time, hypervisor steal and peak memory of this
 * process (the pool's workers are threads of it, so they are covered). Peak memory is the larger of the RSS
 * polled every 50 ms and the kernel's exact peak (VmHWM of /proc/self/status, reset through /proc/self/clear_refs
 * before each phase): the main thread blocks during pairings, which polling cannot see.
 */
import { readFileSync, writeFileSync } from "node:fs";

export const SAMPLE_MS = 50;
export const MIB = 1024 * 1024;

export function readStatusKiB(path: string, field: "VmHWM" | "VmRSS"): number | null {
  try {
    const m = readFileSync(path, "utf8").match(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m"));
    return m?.[1] ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Resets the kernel's peak-RSS counter of this process; false where /proc/self/clear_refs is not writable. */
function resetPeakRss(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

export interface MemoryPeak {
  /** Largest process.memoryUsage().rss sampled every 50 ms. */
  polledBytes: number;
  samples: number;
  /** VmHWM after a reset at the start of the phase; null where unavailable. */
  kernelBytes: number | null;
  /** The figure reported: the larger of the two. */
  peakBytes: number;
}

class RssSampler {
  private max = 0;
  private samples = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private hwmReset = false;

  start(): void {
    this.hwmReset = resetPeakRss();
    this.max = 0;
    this.samples = 0;
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }

  private sample(): void {
    this.samples++;
    this.max = Math.max(this.max, process.memoryUsage().rss);
  }

  stop(): MemoryPeak {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const hwm = this.hwmReset ? readStatusKiB("/proc/self/status", "VmHWM") : null;
    const kernelBytes = hwm === null ? null : hwm * 1024;
    return { polledBytes: this.max, samples: this.samples, kernelBytes, peakBytes: Math.max(this.max, kernelBytes ?? 0) };
  }
}

export interface PhaseResult {
  seconds: number;
  cpuSeconds: number | null;
  memory: MemoryPeak;
  /** Share of the machine's CPU time stolen by the hypervisor during the phase (percent); null without /proc/stat. */
  stealPercent: number | null;
}

/** Aggregate CPU counters of /proc/stat: total jiffies and steal jiffies. */
export function cpuTimes(): { total: number; steal: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    if (f.length < 8 || f.some((x) => !Number.isFinite(x))) return null;
    // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user/nice]
    return { total: f.slice(0, 8).reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
  } catch {
    return null;
  }
}

export function stealSince(start: { total: number; steal: number } | null): number | null {
  const end = cpuTimes();
  if (!start || !end || end.total <= start.total) return null;
  return (100 * (end.steal - start.steal)) / (end.total - start.total);
}

export async function measure<T>(body: () => Promise<T>): Promise<{ value: T; result: PhaseResult }> {
  const sampler = new RssSampler();
  sampler.start();
  const cpu0 = process.cpuUsage();
  const stat0 = cpuTimes();
  const t0 = performance.now();
  try {
    const value = await body();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { value, result: { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, memory: sampler.stop(), stealPercent: stealSince(stat0) } };
  } catch (err) {
    sampler.stop();
    throw err;
  }
}

