/**
 * The public verifier of a transcript (format `ceremony-transcript/1`, transcript/README.md): replays everything a
 * clone holds without trusting the coordinator, and names the first step that fails. In order: ceremony.json; the
 * event files (seq, checksum, canonical form, schema); the fold of the events with every check the coordinator
 * had to make, crypto included (verify-replay.ts); the published final .ptau; the receipts.
 */
import type { CurveOps } from "../crypto/ops.ts";
import { getCurve } from "../crypto/curve.ts";
import { initMcl } from "../crypto/mcl.ts";
import { listFiles, readEvents } from "./events.ts";
import { readCeremonyFile, StepFailure, TranscriptFiles, within } from "./files.ts";
import { ledgerOf } from "./ledger.ts";
import { checkReceiptFiles, checkReceiptInTranscript, History, inFinalResult } from "./receipts.ts";
import { Replay } from "./replay.ts";

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
  const summary: TranscriptSummary = { events: 0, rounds: 0, contributions: 0, verifications: 0, rejected: 0, finalized: false };
  await initMcl();
  const curve = await getCurve();
  const files = await TranscriptFiles.open(dir);
  try {
    const ceremony = await readCeremonyFile(dir);
    const { file } = ceremony;
    progress(`ceremony ${file.ceremonyId.slice(0, 16)}…: power ${file.power}, ${file.numChunks} chunks of ${file.chunkSize}`);
    const events = await within("events", () => readEvents(dir, progress));
    summary.events = events.length;

    const replay = new Replay(options.ops, curve, ceremony, files, progress);
    try {
      await replay.run(events);
    } finally {
      Object.assign(summary, replay.counts, { finalized: replay.state.phase === "finalized" });
    }
    replay.finish();
    if (!summary.finalized && (await listFiles(dir, "final")).length > 0) {
      throw new StepFailure("final .ptau", "a final .ptau is published, but the transcript has no CeremonyFinalized event");
    }
    if (!summary.finalized) progress("the ceremony is not finalized yet");

    await checkReceiptFiles(dir, { ceremony, ledger: replay.ledger, events, history: new History(dir) }, progress);
    return { ok: true, summary };
  } catch (err) {
    if (!(err instanceof StepFailure)) throw err;
    return { ok: false, failure: { step: err.step, message: err.message }, summary };
  } finally {
    await files.close();
  }
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
  const files = await TranscriptFiles.open(dir);
  try {
    const ceremony = await readCeremonyFile(dir);
    const events = await within("events", () => readEvents(dir, progress));
    const { ledger } = ledgerOf(events);
    const ctx = { ceremony, ledger, events, history: new History(dir) };
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
