/**
 * The commits a transcript's receipts and certificates point at: which belong to the history being checked, with
 * what tree and up to which event, and what files they hold. A clone answers from its git history (GitHistory); a
 * mirror answers from the commits it has checked itself.
 */
import * as fs from "node:fs";
import git from "isomorphic-git";
import { seqOfEventFile } from "../transcript/layout.ts";
import { messageOf } from "./files.ts";
import { GitObjects } from "./source.ts";

export interface CommitFacts {
  tree: string;
  /** The last event the commit's tree holds (0: none). */
  seq: number;
}

export interface TranscriptHistory {
  /** Whether the commit is in the history being checked. */
  has(commit: string): Promise<boolean>;
  /** The commit's tree and last event when it is in the history being checked; null when it is not. */
  facts(commit: string): Promise<CommitFacts | null>;
  /** The file at `path` in a commit of the history, or null. */
  read(commit: string, path: string): Promise<Uint8Array | null>;
}

/** The last event seq a tree holds: the largest name at each shard level of events/ (transcript/README.md). */
export async function lastSeqInTree(objects: GitObjects, tree: string): Promise<number> {
  let oid = tree;
  for (const [name, pattern] of [["events", null], [null, /^\d{6}$/], [null, /^\d{3}$/]] as const) {
    const entries = [...(await objects.tree(oid)).values()].filter((e) => e.type === "tree");
    const next = name !== null ? entries.find((e) => e.path === name) : entries.filter((e) => pattern?.test(e.path)).sort((a, b) => a.path.localeCompare(b.path)).at(-1);
    if (!next) return 0;
    oid = next.oid;
  }
  const seqs = [...(await objects.tree(oid)).values()].map((e) => seqOfEventFile(e.path)).filter((s): s is number => s !== null);
  return seqs.length === 0 ? 0 : Math.max(...seqs);
}

/** The history of HEAD in a clone (or a bare repository), listed once on first use. */
export class GitHistory implements TranscriptHistory {
  private readonly objects: GitObjects;
  private commits: Promise<Map<string, string>> | null = null;

  constructor(gitdir: string) {
    this.objects = new GitObjects(gitdir);
  }

  /**
   * Every commit reachable from HEAD, with its tree: walked with the objects' shared pack cache (git.log without one
   * re-reads the pack index for each commit, 5 ms a commit).
   */
  private history(): Promise<Map<string, string>> {
    this.commits ??= (async () => {
      const found = new Map<string, string>();
      const todo = [await git.resolveRef({ fs, gitdir: this.objects.gitdir, ref: "HEAD" })];
      for (let oid = todo.pop(); oid !== undefined; oid = todo.pop()) {
        if (found.has(oid)) continue;
        const c = await this.objects.commit(oid);
        found.set(oid, c.tree);
        todo.push(...c.parents);
      }
      return found;
    })().catch((err: unknown) => {
      throw new Error(`cannot read the repository's history: ${messageOf(err)}`);
    });
    return this.commits;
  }

  async has(commit: string): Promise<boolean> {
    return (await this.history()).has(commit);
  }

  async facts(commit: string): Promise<CommitFacts | null> {
    const tree = (await this.history()).get(commit);
    return tree === undefined ? null : { tree, seq: await lastSeqInTree(this.objects, tree) };
  }

  async read(commit: string, path: string): Promise<Uint8Array | null> {
    const tree = (await this.history()).get(commit);
    if (tree === undefined) return null;
    const e = await this.objects.find(tree, path);
    return e?.type === "blob" ? this.objects.blob(e.oid) : null;
  }
}
