/**
 * An exclusive lock on a data folder, so two coordinators never write one log: `<dir>/.lock` is created with
 * O_EXCL and names its holder. A lock left by a process that no longer runs (kill -9, a crash) is taken over; a
 * live holder on this machine is refused with FolderLocked.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { open, readFile, rm } from "node:fs/promises";
import { fsyncDir, isErrnoCode } from "./durable.ts";

export class FolderLocked extends Error {
  constructor(
    readonly dir: string,
    readonly holder: { pid: number; host: string; since: string },
  ) {
    super(`${dir} is in use by process ${holder.pid} on ${holder.host} (since ${holder.since}); stop it first`);
    this.name = "FolderLocked";
  }
}

export interface FolderLock {
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrnoCode(err, "EPERM");
  }
}

async function holderOf(path: string): Promise<{ pid: number; host: string; since: string } | null> {
  try {
    const json = JSON.parse(await readFile(path, "utf8")) as { pid?: unknown; host?: unknown; since?: unknown };
    return { pid: Number(json.pid), host: String(json.host), since: String(json.since) };
  } catch (err) {
    if (isErrnoCode(err, "ENOENT")) return null;
    // A lock file torn by a crash between create and write holds no live owner.
    return { pid: -1, host: hostname(), since: "unknown" };
  }
}

export async function lockFolder(dir: string): Promise<FolderLock> {
  const path = join(dir, ".lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, "wx");
      await fh.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
      await fh.sync();
      await fh.close();
      await fsyncDir(dir);
      return { release: () => rm(path, { force: true }) };
    } catch (err) {
      if (!isErrnoCode(err, "EEXIST")) throw err;
    }
    const holder = await holderOf(path);
    if (holder && holder.host === hostname() && holder.pid > 0 && holder.pid !== process.pid && alive(holder.pid)) throw new FolderLocked(dir, holder);
    if (holder && holder.host !== hostname()) throw new FolderLocked(dir, holder);
    await rm(path, { force: true }); // stale: its holder is gone
  }
  throw new Error(`could not lock ${dir}`);
}
