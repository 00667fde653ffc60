/**
 * The few filesystem moves that make a write survive a crash: write every byte, fsync the file, rename into place,
 * fsync the directory that names it. Everything in the store goes through these.
 */
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && "code" in error && error.code === code;
}

/** Writes all of `bytes` at `position`, looping over short writes (a single write call may write fewer bytes). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Makes a rename, creation or removal inside `dir` durable. Windows cannot open directories, so nothing is done there. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** mkdir -p, then fsyncs the parent of every directory it created so the new entries survive a crash too. */
export async function ensureDir(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  const created = relative(dirname(firstCreated), dir).split(sep);
  let parent = dirname(firstCreated);
  for (const name of created) {
    await fsyncDir(parent);
    parent = join(parent, name);
  }
}

/** Renames a fully written and fsynced temp file onto `finalPath` and fsyncs the directory. */
export async function renameDurably(tempPath: string, finalPath: string): Promise<void> {
  try {
    await rename(tempPath, finalPath);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  await fsyncDir(dirname(finalPath));
}

/**
 * Creates `tempPath` exclusively, lets `fill` write it, fsyncs and closes it; on any failure the temp file is removed
 * and the error propagates. The caller renames it into place.
 */
export async function writeTempFile<T>(tempPath: string, fill: (handle: FileHandle) => Promise<T>): Promise<T> {
  const handle = await open(tempPath, "wx");
  let result: T;
  try {
    result = await fill(handle);
    await handle.sync();
  } catch (error) {
    try {
      await handle.close();
    } finally {
      await rm(tempPath, { force: true });
    }
    throw error;
  }
  await handle.close();
  return result;
}
