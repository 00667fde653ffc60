/**
 * A full disk (ENOSPC, or EDQUOT for a quota) is the one I/O failure the coordinator rides out instead of stopping:
 * the write is undone so nothing torn is left behind, and the caller gets DiskFull (a stable code) while reads go
 * on. Every other I/O error still propagates as it is.
 */
import type { FileHandle } from "node:fs/promises";
import { isErrnoCode } from "./durable.ts";
import { DiskFull } from "./errors.ts";

export { DiskFull } from "./errors.ts";

/** ENOSPC, EDQUOT, or DiskFull itself: by class, or by its stable code where a layer carries it on (the in-process client). */
export function isDiskFull(error: unknown): boolean {
  return error instanceof DiskFull || isErrnoCode(error, "DISK_FULL") || isErrnoCode(error, "ENOSPC") || isErrnoCode(error, "EDQUOT");
}

/** `error` as DiskFull when it is a full disk (already one, or ENOSPC/EDQUOT), else null. */
export function asDiskFull(error: unknown, what: string): DiskFull | null {
  if (error instanceof DiskFull) return error;
  if (!isErrnoCode(error, "ENOSPC") && !isErrnoCode(error, "EDQUOT")) return null;
  return new DiskFull(`${what}: the disk is full (${(error as { code: string }).code})`, { cause: error });
}

/**
 * After an append to `handle` failed with a full disk: cuts the file back to `size` (its length before the append)
 * and fsyncs it, so no part of the refused append stays behind and the next start finds no torn tail. Throws when
 * the rollback itself fails: only a reopen can then tell what is on disk.
 */
export async function rollBackAppend(handle: FileHandle, size: number): Promise<void> {
  await handle.truncate(size);
  await handle.sync();
}
