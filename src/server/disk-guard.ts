/**
 * The coordinator's degraded mode for a full disk: the first write that fails with ENOSPC/EDQUOT raises an alert
 * (status and log), and from then on every command and upload is refused with DISK_FULL (503, Retry-After) while
 * reads go on. A probe writes (and fsyncs, then removes) a small file in the data folder every few seconds; once it
 * fits, the alert clears and writes resume by themselves.
 */
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { writeAll, writeTempFile } from "../store/durable.ts";
import { DiskFull, isDiskFull } from "../store/disk-full.ts";
import type { Alerts } from "./alerts.ts";

const TOPIC = "disk";

export interface DiskGuardOptions {
  /** Where the probe file is written: the data folder. */
  dir: string;
  alerts: Alerts;
  /** Space the probe asks for: writes resume once this much fits again. */
  probeBytes?: number;
  probeEveryMs?: number;
  /** Told when writes resume (the tick restarts its grace: nobody could upload meanwhile). */
  resumed?: () => void;
}

export class DiskGuard {
  private full: DiskFull | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly options: DiskGuardOptions) {}

  get isFull(): boolean {
    return this.full !== null;
  }

  /** Throws DiskFull while the disk is full: called before anything that would write. */
  assertRoom(): void {
    if (this.full) throw new DiskFull(`the coordinator's disk is full: writes are refused until space returns (${this.full.message})`);
  }

  /** Told of a failure: a full disk enters the degraded mode (once); anything else is ignored here. */
  report(error: unknown): void {
    if (!isDiskFull(error) || this.full || this.closed) return;
    this.full = error instanceof DiskFull ? error : new DiskFull(error instanceof Error ? error.message : String(error), { cause: error });
    this.options.alerts.raise(TOPIC, `the disk is full (${this.full.message}): uploads and other writes are refused with DISK_FULL until space returns; reads go on`);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.probe(), this.options.probeEveryMs ?? 2_000);
  }

  private async probe(): Promise<void> {
    const path = join(this.options.dir, `.space-probe-${randomUUID()}`);
    try {
      const bytes = new Uint8Array(this.options.probeBytes ?? 1 << 20);
      await writeTempFile(path, (handle) => writeAll(handle, bytes, 0));
      await rm(path, { force: true });
    } catch (error) {
      // Still full (writeTempFile removed its file); any other failure is said in the alert and probed again.
      if (!isDiskFull(error)) this.options.alerts.raise(TOPIC, `the disk is full, and probing for space failed: ${error instanceof Error ? error.message : String(error)}`);
      return this.schedule();
    }
    this.full = null;
    this.options.alerts.clear(TOPIC, "disk space returned: writes resume");
    this.options.resumed?.();
  }
}
