/**
 * What a mirror has checked: the commits of the coordinator's branch, first parent by first parent, each one run
 * through the public verifier's checks against the state the commits before it left (audit/auditor.ts). A commit
 * is signable once it passes, would pass verify-transcript as it stands (no final .ptau owed), and adds more than
 * certificates. The first commit that fails stops the mirror for good: it never checks, serves or signs past it.
 */
import { Auditor } from "../audit/auditor.ts";
import { StepFailure } from "../audit/files.ts";
import type { CommitFacts, TranscriptHistory } from "../audit/history.ts";
import { diffTrees, type GitObjects, TreeSource } from "../audit/source.ts";
import { onlyCertificates, type EpochInfo } from "../certificates/certificate.ts";
import type { CurveOps } from "../crypto/ops.ts";

export interface CheckedCommit {
  oid: string;
  tree: string;
  /** The last event it holds. */
  seq: number;
  /** Its place on the branch (1: the opening commit). */
  height: number;
  /** Whether a mirror may sign it: it would pass verify-transcript as it is, and it is not a certificates-only commit. */
  signable: boolean;
  /** The mirror epoch in force at `seq`. */
  epoch: EpochInfo;
}

export interface Refusal {
  commit: string;
  step: string;
  message: string;
}

/** The chain from `tip` back to (not including) `stop`, oldest first; null when `stop` is not on it. */
async function chainTo(objects: GitObjects, tip: string, stop: string | null): Promise<Array<{ oid: string; tree: string; parent: string | null }> | null> {
  const chain: Array<{ oid: string; tree: string; parent: string | null }> = [];
  for (let oid: string | null = tip; oid !== stop; ) {
    if (oid === null) return null;
    const c = await objects.commit(oid);
    if (c.parents.length > 1) throw new StepFailure(`commit ${oid.slice(0, 12)}`, "a merge commit: the transcript's history is a single line");
    chain.push({ oid, tree: c.tree, parent: c.parents[0] ?? null });
    oid = c.parents[0] ?? null;
  }
  return chain.reverse();
}

export class Checker implements TranscriptHistory {
  private auditor: Auditor | null = null;
  private readonly checked = new Map<string, CheckedCommit>();
  private last: CheckedCommit | null = null;
  private signable: CheckedCommit | null = null;
  refused: Refusal | null = null;

  constructor(
    private readonly objects: GitObjects,
    private readonly options: { ops: CurveOps; scratch: string; progress: (line: string) => void },
  ) {}

  get head(): CheckedCommit | null {
    return this.last;
  }

  get ceremonyId(): string | null {
    return this.auditor?.ceremony.file.ceremonyId ?? null;
  }

  /** The last event a certificate in the checked commits covers (null: none yet). */
  get certifiedSeq(): number | null {
    return this.auditor?.certificates.latest?.seq ?? null;
  }

  /** The core state the checked commits leave (who is registered, the epoch…). */
  get auditState() {
    return this.auditor?.replay.state ?? null;
  }

  /**
   * Checks every commit from the last checked one up to `tip`, calling `checked` after each; stops at the first that
   * fails (recorded in `refused`, and thrown as its StepFailure). A tip whose history does not contain what was
   * checked is refused too: the transcript never rewrites history.
   */
  async advanceTo(tip: string, checked: (c: CheckedCommit) => Promise<void>): Promise<number> {
    if (this.refused) throw new StepFailure(this.refused.step, this.refused.message);
    let count = 0;
    let current = "";
    try {
      const chain = await chainTo(this.objects, tip, this.last?.oid ?? null);
      if (!chain) throw new StepFailure(`commit ${tip.slice(0, 12)}`, `its history no longer holds ${this.last?.oid.slice(0, 12)}, which was checked: the history was rewritten`);
      for (const c of chain) {
        current = c.oid;
        const before = this.last;
        if ((before?.oid ?? null) !== c.parent) throw new StepFailure(`commit ${c.oid.slice(0, 12)}`, "does not follow the last checked commit");
        const changes = await diffTrees(this.objects, before?.tree ?? null, c.tree);
        const source = new TreeSource(this.objects, c.tree);
        this.auditor ??= await Auditor.open(source, { ops: this.options.ops, history: this, scratch: this.options.scratch, progress: this.options.progress });
        await this.auditor.advance(source, changes);
        const seq = this.auditor.lastSeq;
        const commit: CheckedCommit = {
          oid: c.oid,
          tree: c.tree,
          seq,
          height: (before?.height ?? 0) + 1,
          signable: this.auditor.complete && !onlyCertificates(changes),
          epoch: this.auditor.replay.ledger.epochs.at(seq),
        };
        this.checked.set(c.oid, commit);
        this.last = commit;
        if (commit.signable) this.signable = commit;
        await checked(commit);
        count++;
      }
      return count;
    } catch (err) {
      if (err instanceof StepFailure) this.refused = { commit: current || tip, step: err.step, message: err.message };
      throw err;
    }
  }

  /** The latest checked commit a mirror may sign. */
  latestSignable(): CheckedCommit | null {
    return this.signable;
  }

  async has(commit: string): Promise<boolean> {
    return this.checked.has(commit);
  }

  async facts(commit: string): Promise<CommitFacts | null> {
    const c = this.checked.get(commit);
    return c ? { tree: c.tree, seq: c.seq } : null;
  }

  async read(commit: string, path: string): Promise<Uint8Array | null> {
    const c = this.checked.get(commit);
    return c ? new TreeSource(this.objects, c.tree).read(path) : null;
  }

  async close(): Promise<void> {
    await this.auditor?.close();
  }
}
