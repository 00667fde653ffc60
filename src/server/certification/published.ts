/**
 * The commits the transcript published, as the coordinator judges mirrors' statements by them: each commit's last
 * event, whether it only adds certificates (nobody signs those), when it was published, and its order. Filled as
 * the transcript commits; at start-up, the last commits of the branch are read back, so statements signed before a
 * restart still count.
 */
import { join } from "node:path";
import { lastSeqInTree } from "../../audit/history.ts";
import { diffTrees, GitObjects, TreeSource } from "../../audit/source.ts";
import { onlyCertificates, parseCertificate, parseCertificatePath } from "../../certificates/certificate.ts";
import type { PublishedCommit } from "../../transcript/service.ts";

export interface PublishedEntry {
  seq: number;
  kind: PublishedCommit["kind"];
  /** Its place on the branch: later commits have larger ones. */
  position: number;
  /** When this coordinator published it (ms); null for commits read back at start-up. */
  at: number | null;
  tree?: string;
}

/** Commits kept: a statement about an older one is stale. */
const KEPT = 20_000;
/** Commits read back at start-up. */
const READ_BACK = 512;

export class PublishedIndex {
  private readonly entries = new Map<string, PublishedEntry>();
  private readonly order: string[] = [];
  private position = 0;
  readonly objects: GitObjects;

  constructor(transcriptDir: string) {
    this.objects = new GitObjects(join(transcriptDir, ".git"));
  }

  /** Reads back the last commits of the branch from `head` (first parents), oldest first. */
  async load(head: string | null): Promise<void> {
    const chain: Array<{ oid: string; tree: string; parentTree: string | null }> = [];
    for (let oid = head; oid !== null && chain.length < READ_BACK; ) {
      const c = await this.objects.commit(oid);
      const parent = c.parents[0] ?? null;
      chain.push({ oid, tree: c.tree, parentTree: parent === null ? null : (await this.objects.commit(parent)).tree });
      oid = parent;
    }
    // Read back before any commit published since: they go first (negative places), and a commit known already stays.
    for (const [i, c] of chain.reverse().entries()) {
      if (this.entries.has(c.oid)) continue;
      const kind = c.parentTree !== null && onlyCertificates(await diffTrees(this.objects, c.parentTree, c.tree)) ? "certificate" : "events";
      this.put(c.oid, { seq: await lastSeqInTree(this.objects, c.tree), kind, position: i - chain.length, at: null, tree: c.tree });
    }
  }

  add(commit: PublishedCommit, at: number): void {
    this.put(commit.oid, { seq: commit.seq, kind: commit.kind, position: this.position++, at });
  }

  private put(oid: string, entry: PublishedEntry): void {
    this.entries.set(oid, entry);
    this.order.push(oid);
    while (this.order.length > KEPT) this.entries.delete(this.order.shift() ?? "");
  }

  get(oid: string): PublishedEntry | undefined {
    return this.entries.get(oid);
  }

  /** The entry's tree (read once). */
  async tree(oid: string, entry: PublishedEntry): Promise<string> {
    entry.tree ??= (await this.objects.commit(oid)).tree;
    return entry.tree;
  }

  /** Whether the repository holds this object at all (a commit it never published, or too old to be kept). */
  async exists(oid: string): Promise<boolean> {
    try {
      await this.objects.commit(oid);
      return true;
    } catch {
      return false;
    }
  }

  /** The latest signable commit (its last event), or null. */
  lastSignable(): { commit: string; seq: number } | null {
    let best: { commit: string; seq: number; position: number } | null = null;
    for (const [commit, e] of this.entries) if (e.kind !== "certificate" && (!best || e.position > best.position)) best = { commit, seq: e.seq, position: e.position };
    return best && { commit: best.commit, seq: best.seq };
  }

  /** The certificate of the latest event in the tree of `head`, if any: where certification stood before a restart. */
  async latestCertificate(head: string | null): Promise<{ seq: number; commit: string; epoch: number; signers: string[] } | null> {
    if (head === null) return null;
    const source = new TreeSource(this.objects, (await this.objects.commit(head)).tree);
    const paths = (await source.list("certificates")).filter((p) => parseCertificatePath(p) !== null).sort();
    for (const path of paths.reverse()) {
      const bytes = await source.read(path);
      const parsed = bytes === null ? null : parseCertificate(new TextDecoder().decode(bytes));
      if (parsed?.ok) return { seq: parsed.certificate.seq, commit: parsed.certificate.commit, epoch: parsed.certificate.epoch, signers: parsed.certificate.signers };
    }
    return null;
  }
}
