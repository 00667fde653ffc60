/**
 * Which objects a fetch needs: every commit reachable from the wants and not from the common haves, with the trees
 * and blobs those commits introduce. A commit's tree is compared with its parents' trees (tree-diff.ts), so the walk
 * costs what the commits changed, not the size of the repository.
 */
import type { ObjectType, RepoReader } from "./objects.ts";
import { changedEntries } from "./tree-diff.ts";

export interface PackEntry {
  oid: string;
  type: ObjectType;
  /** For a tree: its parent's version at the same path, a good delta base (sent in this pack, or the client's). */
  deltaBase?: string;
}

/**
 * Commits reachable from `from` (inclusive) that are not in `stop`, parents before children. Iterative, so a long
 * history cannot overflow the stack.
 */
export async function commitsReachable(repo: RepoReader, from: readonly string[], stop: ReadonlySet<string> = new Set(), signal?: AbortSignal): Promise<string[]> {
  const order: string[] = [];
  const visited = new Set<string>();
  const stack = from.map((oid) => ({ oid, expanded: false }));
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    signal?.throwIfAborted();
    if (top.expanded) {
      order.push(top.oid);
      continue;
    }
    if (visited.has(top.oid) || stop.has(top.oid)) continue;
    visited.add(top.oid);
    stack.push({ oid: top.oid, expanded: true });
    for (const parent of (await repo.commit(top.oid)).parents) {
      if (!visited.has(parent) && !stop.has(parent)) stack.push({ oid: parent, expanded: false });
    }
  }
  return order;
}

/** The commits to send for `wants` to a client that has `common` and everything reachable from it, parents first. */
export async function commitsToSend(repo: RepoReader, wants: readonly string[], common: readonly string[], signal?: AbortSignal): Promise<string[]> {
  const theirs = new Set(await commitsReachable(repo, common, new Set(), signal));
  return commitsReachable(repo, wants, theirs, signal);
}

/** Every object to send for `wants` to a client that has `common`: commitsToSend, then objectsOfCommits. */
export async function objectsToSend(repo: RepoReader, wants: readonly string[], common: readonly string[], signal?: AbortSignal): Promise<PackEntry[]> {
  const entries: PackEntry[] = [];
  for await (const entry of objectsOfCommits(repo, await commitsToSend(repo, wants, common, signal), signal)) entries.push(entry);
  return entries;
}

/**
 * Each commit (parents first, as commitsToSend lists them), followed by the trees and blobs it introduces. Correct
 * because of that order: an object a commit shares with a parent at the same path was either sent with that parent or
 * is the client's already, and a tree already listed had its own contents covered the same way. Stops with the
 * signal's reason once it aborts.
 */
export async function* objectsOfCommits(repo: RepoReader, commits: readonly string[], signal?: AbortSignal): AsyncGenerator<PackEntry> {
  const listed = new Set<string>(commits);
  for (const oid of commits) {
    signal?.throwIfAborted();
    const commit = await repo.commit(oid);
    const parentTrees = await Promise.all(commit.parents.map(async (parent) => (await repo.commit(parent)).tree));
    const found: PackEntry[] = [{ oid, type: "commit" }];
    await walkTree(repo, commit.tree, parentTrees, listed, found);
    yield* found;
  }
}

async function walkTree(repo: RepoReader, oid: string, bases: readonly string[], listed: Set<string>, found: PackEntry[]): Promise<void> {
  if (bases.includes(oid) || listed.has(oid)) return;
  listed.add(oid);
  const deltaBase = bases[0];
  found.push(deltaBase === undefined ? { oid, type: "tree" } : { oid, type: "tree", deltaBase });
  const [tree, ...baseTrees] = await Promise.all([oid, ...bases].map((t) => repo.readTyped(t, "tree")));
  if (tree === undefined) return;
  // Changed subtrees are walked concurrently: the walk waits on reads more than it computes.
  const subtrees: Promise<void>[] = [];
  for (const entry of changedEntries(tree, baseTrees)) {
    // A submodule link names a commit of another repository: nothing here to send.
    if (entry.type === "tree") subtrees.push(walkTree(repo, entry.oid, entry.baseTrees, listed, found));
    else if (entry.type === "blob" && !listed.has(entry.oid)) {
      listed.add(entry.oid);
      found.push({ oid: entry.oid, type: "blob" });
    }
  }
  await Promise.all(subtrees);
}
