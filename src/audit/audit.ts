/**
 * The public verifier of a transcript (format `ceremony-transcript/1`, transcript/README.md): replays everything a
 * clone holds without trusting the coordinator, and names the first step that fails. In order: ceremony.json; the
 * event files (seq, checksum, canonical form, schema); the fold of the events with every check the coordinator
 * had to make, crypto included (verify-replay.ts); the published final .ptau; the receipts.
 */
import { join } from "node:path";
import type { CurveOps } from "../crypto/ops.ts";
import { Auditor } from "./auditor.ts";
import { noCertificates, type CertificateSummary } from "./certificates.ts";
import { readAllEvents } from "./events.ts";
import { readCeremonyFile, StepFailure, TranscriptFiles, within } from "./files.ts";
import { GitHistory } from "./history.ts";
import { ledgerOf } from "./ledger.ts";
import { checkReceiptInTranscript, inFinalResult } from "./receipts.ts";
import { FolderSource } from "./source.ts";

export interface TranscriptSummary {
  events: number;
  /** Aggregated rounds. */
  rounds: number;
  /** Uploads recorded (accepted or not). */
  contributions: number;
  /** Verdicts re-checked, rejections included. */
  verifications: number;
  rejected: number;
  finalized: boolean;
  receipts: number;
  certificates: CertificateSummary;
}

export interface TranscriptVerdict {
  ok: boolean;
  failure?: { step: string; message: string };
  summary: TranscriptSummary;
}

export interface VerifyOptions {
  /** Runs the curve work (a WorkerPool: every core). */
  ops: CurveOps;
  progress?: (line: string) => void;
}

export async function verifyTranscript(dir: string, options: VerifyOptions): Promise<TranscriptVerdict> {
  const progress = options.progress ?? (() => undefined);
  const summary: TranscriptSummary = { events: 0, rounds: 0, contributions: 0, verifications: 0, rejected: 0, finalized: false, receipts: 0, certificates: noCertificates() };
  const source = new FolderSource(dir);
  let auditor: Auditor | null = null;
  try {
    auditor = await Auditor.open(source, { ops: options.ops, progress, history: new GitHistory(await gitdirOf(dir)) });
    const everything = (await source.list("")).map((path) => ({ path, kind: "added" as const }));
    try {
      await auditor.advance(source, everything);
    } finally {
      const { replay } = auditor;
      Object.assign(summary, replay.counts, { events: auditor.events.length, finalized: replay.state.phase === "finalized", receipts: auditor.receipts, certificates: auditor.certificates });
    }
    auditor.finish();
    if (!summary.finalized) progress("the ceremony is not finalized yet");
    progress(`receipts: ${auditor.receipts} checked`);
    progress(certificateLine(summary));
    return { ok: true, summary };
  } catch (err) {
    if (!(err instanceof StepFailure)) throw err;
    return { ok: false, failure: { step: err.step, message: err.message }, summary };
  } finally {
    await auditor?.close();
  }
}

/** How much of the transcript certificates cover, and by whom, in one line. */
export function certificateLine(s: TranscriptSummary): string {
  const c = s.certificates;
  if (!c.latest) return "certificates: none";
  const signers = Object.entries(c.bySigner).map(([k, n]) => `${k.slice(0, 12)}… (${n})`).join(", ");
  const final = s.finalized ? `; the final .ptau is ${c.finalCertified ? "" : "NOT "}certified` : "";
  return `certificates: ${c.count} checked; certified up to event ${c.latest.seq} of ${s.events} (commit ${c.latest.commit.slice(0, 12)}, epoch ${c.latest.epoch}, ${c.latest.signers.length} signers)${final}; signers: ${signers}`;
}

/** The git directory of a clone (its .git), or the folder itself when it is a bare repository. */
async function gitdirOf(dir: string): Promise<string> {
  return (await new FolderSource(dir).read(".git/HEAD")) !== null ? join(dir, ".git") : dir;
}

export interface ReceiptVerdict {
  ok: boolean;
  /** One line: what the receipt proves, or the step that failed and why. */
  message: string;
}

/**
 * Checks receipts against a transcript clone: the coordinator's signature, the verified contribution they name,
 * the commit that holds its verification, and, once the ceremony is finalized, that the contribution is in the
 * final .ptau (its round aggregated with it; its contributor's chunk-0 key among the final records). The events
 * are checked and folded, but the crypto is not replayed: that is verifyTranscript's job.
 */
export async function verifyReceipts(items: unknown[], dir: string, progress: (line: string) => void = () => undefined): Promise<ReceiptVerdict[]> {
  const source = new FolderSource(dir);
  const files = await TranscriptFiles.open(source);
  try {
    const ceremony = await readCeremonyFile(source);
    const events = await within("events", () => readAllEvents(source, progress));
    const { ledger } = ledgerOf(events);
    const ctx = { ceremony, ledger, events, history: new GitHistory(await gitdirOf(dir)) };
    const verdicts: ReceiptVerdict[] = [];
    for (const item of items) {
      verdicts.push(
        await within("receipt", async () => {
          const { receipt: r, verified } = await checkReceiptInTranscript(item, ctx);
          const what = `round ${r.round}, chunk ${r.chunk + 1}, contributor ${r.position + 1} (${r.participant.slice(0, 16)}…) verified in commit ${r.commit.slice(0, 12)}`;
          if (!ledger.finalized) return { ok: true, message: `${what}; the ceremony is not finalized yet` };
          const where = await within("final result", () => inFinalResult(files, ceremony.params, ledger, verified));
          return { ok: true, message: `${what}, and in the final result (${where})` };
        }).catch(failed),
      );
    }
    return verdicts;
  } catch (err) {
    return items.map(() => failed(err));
  } finally {
    await files.close();
  }
}

function failed(err: unknown): ReceiptVerdict {
  if (!(err instanceof StepFailure)) throw err;
  return { ok: false, message: `${err.step}: ${err.message}` };
}
