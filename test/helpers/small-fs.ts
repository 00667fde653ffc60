// A real, small filesystem for full-disk tests: a size-limited tmpfs mounted on a temp folder (needs root and a
// kernel that allows it), and a filler file that takes every free byte of it and gives them back.
import { execFileSync } from "node:child_process";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallFs {
  dir: string;
  /** Writes a filler file until the filesystem refuses another byte (ENOSPC). */
  fill(): Promise<void>;
  /** Removes the filler: the space returns. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `mb` MiB, or says why it cannot (the caller skips the real-filesystem test, naming the reason). */
export async function mountSmallFs(mb: number): Promise<SmallFs | { skip: string }> {
  const dir = await mkdtemp(join(tmpdir(), "ceremony-smallfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mb}m`, "tmpfs", dir], { stdio: "pipe" });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `cannot mount a ${mb} MiB tmpfs here (${err instanceof Error ? err.message.split("\n")[0] : String(err)})` };
  }
  const filler = join(dir, "filler");
  return {
    dir,
    fill: () => fillUp(filler),
    free: () => rm(filler, { force: true }),
    unmount: async () => {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function fillUp(path: string): Promise<void> {
  const handle = await open(path, "a");
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const block = new Uint8Array(size);
      for (;;) {
        try {
          await handle.write(block);
        } catch (err) {
          if (err instanceof Error && "code" in err && err.code === "ENOSPC") break;
          throw err;
        }
      }
    }
  } finally {
    await handle.close();
  }
}
