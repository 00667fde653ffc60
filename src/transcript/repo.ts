/**
 * The transcript repository `<dir>/.git` as the writer sees it: git objects read and written through
 * isomorphic-git on a file system whose writes are atomic (temp file, fsync, rename), and the branch tip's tree,
 * edited lazily along the changed paths. Errors carry TranscriptError codes.
 */
import { randomUUID } from "node:crypto";
import { readdir, rename, rm } from "node:fs/promises";
import * as nodeFs from "node:fs/promises";
import { dirname, join } from "node:path";
import git, { Errors, type PromiseFsClient, type TreeEntry } from "isomorphic-git";
import { fsyncDir, isErrnoCode } from "../store/durable.ts";

export const BRANCH = "refs/heads/main";
export const TEMP_DIR = "ceremony-tmp";

export type TranscriptErrorCode =
  | "TRANSCRIPT_MISMATCH" // the repository belongs to another ceremony, or is not a transcript
  | "TRANSCRIPT_GAP" // events do not follow the last committed seq
  | "TRANSCRIPT_DIVERGED" // an already committed seq comes back with another checksum
  | "TRANSCRIPT_INVALID" // an event's checksum or an artifact's bytes do not match their claims
  | "TRANSCRIPT_CORRUPT"; // the repository cannot be read back as a transcript

export class TranscriptError extends Error {
  constructor(
    readonly code: TranscriptErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TranscriptError";
  }
}

/** A node of a tree being edited: its entries as stored, and the subtrees loaded so far. */
interface TreeNode {
  oid: string | null;
  entries: Map<string, TreeEntry>;
  children: Map<string, TreeNode>;
  dirty: boolean;
}

/**
 * The branch tip's tree, loaded lazily along the paths that are read or changed. `write` stores only the dirty
 * subtrees, so a commit touching a few paths writes a few trees whatever the tree's size.
 */
export class TreeOverlay {
  private constructor(
    private readonly repo: Repo,
    private readonly root: TreeNode,
  ) {}

  /** The tree `oid`, or a new empty one when null. */
  static async load(repo: Repo, oid: string | null): Promise<TreeOverlay> {
    const entries = oid === null ? new Map<string, TreeEntry>() : await repo.readTree(oid);
    return new TreeOverlay(repo, { oid, entries, children: new Map(), dirty: oid === null });
  }

  async find(path: string): Promise<TreeEntry | undefined> {
    const parts = path.split("/");
    const name = parts.pop()!;
    const parent = await this.walk(parts, false);
    return parent?.entries.get(name);
  }

  async names(dirParts: string[], type: TreeEntry["type"]): Promise<string[]> {
    const node = await this.walk(dirParts, false);
    return node === null ? [] : [...node.entries.values()].filter((e) => e.type === type).map((e) => e.path);
  }

  /** Sets the file at `path` to the blob `oid`, creating folders on the way. */
  async put(path: string, oid: string): Promise<void> {
    const parts = path.split("/");
    const name = parts.pop()!;
    const nodes = [this.root];
    for (const part of parts) nodes.push((await this.child(nodes.at(-1)!, part, true))!);
    const parent = nodes.at(-1)!;
    const existing = parent.entries.get(name);
    if (existing?.type === "tree") throw new TranscriptError("TRANSCRIPT_CORRUPT", `${path} is a folder`);
    if (existing?.oid === oid) return;
    parent.entries.set(name, { mode: "100644", path: name, oid, type: "blob" });
    for (const node of nodes) node.dirty = true;
  }

  /** Writes the dirty trees, deepest first; returns the root tree's oid. */
  async write(node: TreeNode = this.root): Promise<string> {
    if (!node.dirty && node.oid !== null) return node.oid;
    for (const [name, child] of node.children) {
      if (child.dirty) node.entries.set(name, { mode: "040000", path: name, oid: await this.write(child), type: "tree" });
    }
    node.oid = await this.repo.writeTree([...node.entries.values()]);
    node.dirty = false;
    return node.oid;
  }

  /** Forgets loaded trees below the second level except those on `path`, so memory stays bounded. */
  evictExcept(path: string): void {
    const keep = path.split("/");
    for (const [n1, level1] of this.root.children) {
      for (const [n2, level2] of level1.children) {
        for (const n3 of [...level2.children.keys()]) {
          if (n1 !== keep[0] || n2 !== keep[1] || n3 !== keep[2]) level2.children.delete(n3);
        }
      }
    }
  }

  private async walk(parts: string[], create: boolean): Promise<TreeNode | null> {
    let node: TreeNode | null = this.root;
    for (const part of parts) {
      node = await this.child(node, part, create);
      if (node === null) return null;
    }
    return node;
  }

  private async child(node: TreeNode, name: string, create: boolean): Promise<TreeNode | null> {
    const cached = node.children.get(name);
    if (cached !== undefined) return cached;
    const entry = node.entries.get(name);
    if (entry !== undefined && entry.type !== "tree") throw new TranscriptError("TRANSCRIPT_CORRUPT", `${name} is not a folder`);
    if (entry === undefined && !create) return null;
    const child: TreeNode = { oid: entry?.oid ?? null, entries: new Map(), children: new Map(), dirty: false };
    if (entry !== undefined) child.entries = await this.repo.readTree(entry.oid);
    node.children.set(name, child);
    return child;
  }
}

/** The repository `<dir>/.git`, through isomorphic-git with a file system whose writes are atomic (temp file, rename). */
export class Repo {
  readonly gitdir: string;
  private readonly fs: PromiseFsClient;

  constructor(
    readonly dir: string,
    fsync: boolean,
  ) {
    this.gitdir = join(dir, ".git");
    this.fs = atomicFs(join(this.gitdir, TEMP_DIR), fsync);
  }

  /** True when `<dir>/.git` holds a repository; refuses a non-empty folder without one. */
  async exists(): Promise<boolean> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) return false;
      throw error;
    }
    if (names.includes(".git")) return (await readdir(this.gitdir)).includes("HEAD");
    if (names.length === 0) return false;
    throw new TranscriptError("TRANSCRIPT_MISMATCH", `${this.dir} is neither empty nor a git repository`);
  }

  /** `git init --bare <dir>/.git`: no work tree, so git commands run in `<dir>` never see checked-out files missing. */
  async init(): Promise<void> {
    await git.init({ fs: this.fs, dir: this.gitdir, bare: true, defaultBranch: "main" });
    // isomorphic-git skips an init that finds a config, as one cut short after writing it would leave.
    await git.writeRef({ fs: this.fs, gitdir: this.gitdir, ref: "HEAD", value: BRANCH, symbolic: true, force: true });
  }

  /** The branch tip, or null before the first commit. */
  async head(): Promise<string | null> {
    try {
      return await git.resolveRef({ fs: this.fs, gitdir: this.gitdir, ref: BRANCH });
    } catch (error) {
      if (error instanceof Errors.NotFoundError) return null;
      throw error;
    }
  }

  async headOrThrow(): Promise<string> {
    const head = await this.head();
    if (head === null) throw new TranscriptError("TRANSCRIPT_CORRUPT", `${this.gitdir} has no ${BRANCH}`);
    return head;
  }

  async readCommit(oid: string): Promise<{ tree: string; timestamp: number }> {
    const { commit } = await git.readCommit({ fs: this.fs, gitdir: this.gitdir, oid });
    return { tree: commit.tree, timestamp: commit.committer.timestamp };
  }

  async readTree(oid: string): Promise<Map<string, TreeEntry>> {
    const { tree } = await git.readTree({ fs: this.fs, gitdir: this.gitdir, oid });
    return new Map(tree.map((entry) => [entry.path, entry]));
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return (await git.readBlob({ fs: this.fs, gitdir: this.gitdir, oid })).blob;
  }

  async readJson(tree: TreeOverlay, path: string): Promise<unknown> {
    const entry = await tree.find(path);
    if (entry === undefined) throw new TranscriptError("TRANSCRIPT_MISMATCH", `${this.gitdir} has no ${path}`);
    try {
      return JSON.parse(new TextDecoder().decode(await this.readBlob(entry.oid)));
    } catch (error) {
      throw new TranscriptError("TRANSCRIPT_CORRUPT", `${path} is not JSON`, { cause: error });
    }
  }

  /** Objects written loose since the last pack (approximately: an object written twice counts twice). */
  looseWritten = 0;

  writeBlob(bytes: Uint8Array): Promise<string> {
    this.looseWritten++;
    return git.writeBlob({ fs: this.fs, gitdir: this.gitdir, blob: bytes });
  }

  writeTree(entries: TreeEntry[]): Promise<string> {
    this.looseWritten++;
    return git.writeTree({ fs: this.fs, gitdir: this.gitdir, tree: entries });
  }

  /** The ids of the loose objects (objects/<2 hex>/<38 hex>). */
  async looseObjects(): Promise<string[]> {
    const root = join(this.gitdir, "objects");
    const oids: string[] = [];
    for (const dir of await readdir(root)) {
      if (!/^[0-9a-f]{2}$/.test(dir)) continue;
      for (const file of await readdir(join(root, dir))) if (/^[0-9a-f]{38}$/.test(file)) oids.push(dir + file);
    }
    return oids;
  }

  /**
   * Moves every loose object into one new pack (and its index), then removes them loose: the repository keeps
   * about the size of its packs instead of a file (and a disk block) per object. The pack and its index are
   * complete before any loose object goes, so a reader finds every object at every moment.
   */
  async packLoose(): Promise<number> {
    const oids = await this.looseObjects();
    if (oids.length === 0) return 0;
    const { filename } = await git.packObjects({ fs: this.fs, gitdir: this.gitdir, oids, write: true });
    await git.indexPack({ fs: this.fs, dir: this.dir, gitdir: this.gitdir, filepath: join(".git", "objects", "pack", filename) });
    await fsyncDir(join(this.gitdir, "objects", "pack"));
    for (const oid of oids) await rm(join(this.gitdir, "objects", oid.slice(0, 2), oid.slice(2)), { force: true });
    this.looseWritten = 0;
    return oids.length;
  }

  /** Writes the commit, then moves the branch to it (an atomic rename of the ref file). */
  async commit(tree: string, parent: string | null, message: string, who: { name: string; email: string; timestamp: number }): Promise<string> {
    const person = { ...who, timezoneOffset: 0 };
    const commit = { tree, parent: parent === null ? [] : [parent], message, author: person, committer: person };
    this.looseWritten++;
    const oid = await git.writeCommit({ fs: this.fs, gitdir: this.gitdir, commit });
    await git.writeRef({ fs: this.fs, gitdir: this.gitdir, ref: BRANCH, value: oid, force: true });
    return oid;
  }
}

/**
 * node:fs for isomorphic-git, except that a file is written whole to a temp file and renamed into place: a crash
 * never leaves a truncated object (isomorphic-git skips writing objects that exist) or a half-written ref.
 */
function atomicFs(tempDir: string, fsync: boolean): PromiseFsClient {
  async function writeTemp(temp: string, data: string | Uint8Array): Promise<void> {
    if (!fsync) return nodeFs.writeFile(temp, data, { flag: "wx" });
    const handle = await nodeFs.open(temp, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  async function writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const temp = join(tempDir, randomUUID());
    try {
      try {
        await writeTemp(temp, data);
      } catch (error) {
        if (!isErrnoCode(error, "ENOENT")) throw error;
        await nodeFs.mkdir(tempDir, { recursive: true }); // made on first use, and again if it was cleaned up
        await writeTemp(temp, data);
      }
      await rename(temp, path); // ENOENT when the folder is missing: isomorphic-git then makes it and retries
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    if (fsync) await fsyncDir(dirname(path));
  }
  async function mkdir(path: string): Promise<void> {
    await nodeFs.mkdir(path);
    if (fsync) await fsyncDir(dirname(path));
  }
  const { readFile, unlink, readdir: list, rmdir, stat, lstat, readlink, symlink } = nodeFs;
  return { promises: { readFile, writeFile, unlink, readdir: list, mkdir, rmdir, stat, lstat, readlink, symlink } };
}
