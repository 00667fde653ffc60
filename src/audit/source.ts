/**
 * One version of the transcript's files, as the public verifier reads them: a checked-out clone (a folder), or a
 * commit's tree read straight from a repository (what a mirror checks before it serves or signs anything).
 */
import * as fs from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import git from "isomorphic-git";
import { isErrnoCode } from "../store/durable.ts";

export interface TranscriptSource {
  /** The file at `path` ("a/b/c"), or null when there is none. */
  read(path: string): Promise<Uint8Array | null>;
  /** Every file under `dir` (recursively), as paths from the root; none when `dir` does not exist. */
  list(dir: string): Promise<string[]>;
}

/** A checked-out clone. */
export class FolderSource implements TranscriptSource {
  constructor(readonly dir: string) {}

  async read(path: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(join(this.dir, path)));
    } catch (err) {
      if (isErrnoCode(err, "ENOENT") || isErrnoCode(err, "EISDIR") || isErrnoCode(err, "ENOTDIR")) return null;
      throw err;
    }
  }

  async list(dir: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(join(this.dir, dir), { withFileTypes: true });
    } catch (err) {
      if (isErrnoCode(err, "ENOENT") || isErrnoCode(err, "ENOTDIR")) return [];
      throw err;
    }
    const out: string[] = [];
    for (const e of entries) {
      const path = dir === "" ? e.name : `${dir}/${e.name}`;
      if (dir === "" && e.name === ".git") continue;
      if (e.isDirectory()) out.push(...(await this.list(path)));
      else out.push(path);
    }
    return out;
  }
}

export interface TreeEntry {
  path: string;
  oid: string;
  type: "blob" | "tree" | "commit";
}

/** Trees and blobs of a repository, read with isomorphic-git; parsed trees are kept (objects never change). */
export class GitObjects {
  private readonly cache = {};
  private readonly trees = new Map<string, Map<string, TreeEntry>>();

  constructor(readonly gitdir: string) {}

  async tree(oid: string): Promise<Map<string, TreeEntry>> {
    const known = this.trees.get(oid);
    if (known) return known;
    const { tree } = await git.readTree({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    const entries = new Map(tree.map((e) => [e.path, { path: e.path, oid: e.oid, type: e.type }]));
    if (this.trees.size > 5_000) this.trees.clear();
    this.trees.set(oid, entries);
    return entries;
  }

  async blob(oid: string): Promise<Uint8Array> {
    return (await git.readBlob({ fs, gitdir: this.gitdir, oid, cache: this.cache })).blob;
  }

  async commit(oid: string): Promise<{ tree: string; parents: string[] }> {
    const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache: this.cache });
    return { tree: commit.tree, parents: commit.parent };
  }

  /** The entry at `path` under the tree `root`, or null. */
  async find(root: string, path: string): Promise<TreeEntry | null> {
    let entries = await this.tree(root);
    const parts = path.split("/");
    for (const [i, part] of parts.entries()) {
      const e = entries.get(part);
      if (!e) return null;
      if (i === parts.length - 1) return e;
      if (e.type !== "tree") return null;
      entries = await this.tree(e.oid);
    }
    return null;
  }
}

/** A commit's tree in a repository. */
export class TreeSource implements TranscriptSource {
  constructor(
    readonly objects: GitObjects,
    readonly tree: string,
  ) {}

  async read(path: string): Promise<Uint8Array | null> {
    const e = await this.objects.find(this.tree, path);
    return e?.type === "blob" ? this.objects.blob(e.oid) : null;
  }

  async list(dir: string): Promise<string[]> {
    const root = dir === "" ? { type: "tree" as const, oid: this.tree } : await this.objects.find(this.tree, dir);
    if (root?.type !== "tree") return [];
    const out: string[] = [];
    const walk = async (oid: string, prefix: string): Promise<void> => {
      for (const e of (await this.objects.tree(oid)).values()) {
        const path = prefix === "" ? e.path : `${prefix}/${e.path}`;
        if (e.type === "tree") await walk(e.oid, path);
        else if (e.type === "blob") out.push(path);
      }
    };
    await walk(root.oid, dir);
    return out;
  }
}

export type ChangeKind = "added" | "modified" | "deleted";
export interface Change {
  path: string;
  kind: ChangeKind;
}

/** What differs between two trees (null: the empty tree), walking only the subtrees whose ids differ. */
export async function diffTrees(objects: GitObjects, before: string | null, after: string): Promise<Change[]> {
  const changes: Change[] = [];
  const all = async (oid: string, prefix: string, kind: ChangeKind): Promise<void> => {
    for (const e of (await objects.tree(oid)).values()) {
      const path = `${prefix}${e.path}`;
      if (e.type === "tree") await all(e.oid, `${path}/`, kind);
      else changes.push({ path, kind });
    }
  };
  const walk = async (a: string | null, b: string, prefix: string): Promise<void> => {
    if (a === b) return;
    if (a === null) return all(b, prefix, "added");
    const [ta, tb] = await Promise.all([objects.tree(a), objects.tree(b)]);
    for (const [name, eb] of tb) {
      const ea = ta.get(name);
      const path = `${prefix}${name}`;
      if (ea?.oid === eb.oid && ea.type === eb.type) continue;
      if (eb.type === "tree") {
        if (ea && ea.type !== "tree") changes.push({ path, kind: "deleted" });
        await walk(ea?.type === "tree" ? ea.oid : null, eb.oid, `${path}/`);
      } else {
        if (ea?.type === "tree") await all(ea.oid, `${path}/`, "deleted");
        changes.push({ path, kind: ea && ea.type !== "tree" ? "modified" : "added" });
      }
    }
    for (const [name, ea] of ta) {
      if (tb.has(name)) continue;
      if (ea.type === "tree") await all(ea.oid, `${prefix}${name}/`, "deleted");
      else changes.push({ path: `${prefix}${name}`, kind: "deleted" });
    }
  };
  await walk(before, after, "");
  return changes;
}
