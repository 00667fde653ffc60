/**
 * The public verifier's checks, run forward from a known-good point: each call to `advance` takes one new version of
 * the transcript and what changed since the version checked last (everything, the first time), and checks exactly
 * that against the state the earlier versions left. verify-transcript runs it once over a whole clone; a mirror runs
 * it for each commit it fetches, so it never re-checks what it already holds and never signs what it has not checked.
 * The transcript only grows: a changed or removed event, artifact, final .ptau or certificate fails.
 */
import type { Curve } from "ffjavascript";
import { getCurve } from "../crypto/curve.ts";
import { initPairing } from "../crypto/pairing.ts";
import type { CurveOps } from "../crypto/ops.ts";
import { refPathFor } from "../transcript/layout.ts";
import { checkCertificateFiles, noCertificates, type CertificateSummary } from "./certificates.ts";
import { eventSeqs, readEvents, type TranscriptEvent } from "./events.ts";
import { FINAL_PTAU, readCeremonyFile, StepFailure, TranscriptFiles, within, type CeremonyDeclaration } from "./files.ts";
import type { TranscriptHistory } from "./history.ts";
import { checkReceiptFiles } from "./receipts.ts";
import { Replay } from "./replay.ts";
import type { Change, TranscriptSource } from "./source.ts";

export interface AuditorOptions {
  /** Runs the curve work (a WorkerPool: every core; LocalOps: this thread). */
  ops: CurveOps;
  history: TranscriptHistory;
  progress?: (line: string) => void;
  /** Scratch folder kept across runs (a mirror's); default: a temporary one, removed by close. */
  scratch?: string;
}

/** Folders that only grow: nothing in them is ever changed or removed. */
const APPEND_ONLY = ["events", "artifacts", "final", "receipts", "certificates"];

export class Auditor {
  readonly events: TranscriptEvent[] = [];
  readonly certificates: CertificateSummary = noCertificates();
  receipts = 0;
  private checkedOnce = false;

  private constructor(
    readonly ceremony: CeremonyDeclaration,
    readonly files: TranscriptFiles,
    readonly replay: Replay,
    private readonly history: TranscriptHistory,
    private readonly progress: (line: string) => void,
  ) {}

  static async open(source: TranscriptSource, options: AuditorOptions): Promise<Auditor> {
    const progress = options.progress ?? (() => undefined);
    await initPairing();
    const curve: Curve = await getCurve();
    const ceremony = await readCeremonyFile(source);
    const { file } = ceremony;
    progress(`ceremony ${file.ceremonyId.slice(0, 16)}…: power ${file.power}, ${file.numChunks} chunks of ${file.chunkSize}`);
    const files = await TranscriptFiles.open(source, options.scratch);
    return new Auditor(ceremony, files, new Replay(options.ops, curve, ceremony, files, progress), options.history, progress);
  }

  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  /** Whether the version checked last would pass verify-transcript as it is: it has events and owes no final .ptau. */
  get complete(): boolean {
    return this.events.length > 0 && this.replay.finalPending === null;
  }

  /** Checks a new version given what changed since the last one; throws the StepFailure of the first check that fails. */
  async advance(source: TranscriptSource, changes: Change[]): Promise<void> {
    this.files.source = source;
    const under = (dir: string, kinds: Change["kind"][]): string[] =>
      changes.filter((c) => c.path.startsWith(`${dir}/`) && kinds.includes(c.kind)).map((c) => c.path);
    if (this.checkedOnce && changes.some((c) => c.path === "ceremony.json")) throw new StepFailure("ceremony.json", "changed after the transcript was opened");
    for (const dir of APPEND_ONLY) {
      const rewritten = changes.find((c) => c.path.startsWith(`${dir}/`) && c.kind !== "added" && !(dir === "receipts" && c.kind === "modified"));
      if (rewritten) throw new StepFailure(dir, `${rewritten.path} was ${rewritten.kind}: the transcript only grows`);
    }
    this.checkedOnce = true;

    const seqs = eventSeqs(under("events", ["added"]), this.lastSeq);
    const fresh = await within("events", () => readEvents(source, seqs, this.progress));
    await this.replay.run(fresh);
    this.events.push(...fresh);
    if (under("final", ["added"]).some((p) => p === FINAL_PTAU || p === refPathFor(FINAL_PTAU))) {
      await this.replay.checkFinal();
    }
    const ctx = { ceremony: this.ceremony, ledger: this.replay.ledger, events: this.events, history: this.history };
    this.receipts += await checkReceiptFiles(source, under("receipts", ["added", "modified"]), ctx);
    const certificates = under("certificates", ["added"]);
    await checkCertificateFiles(source, certificates, { ceremonyId: this.ceremony.file.ceremonyId, ledger: this.replay.ledger, history: this.history }, this.certificates);
  }

  /** The end of a whole clone: events there must be, and no final .ptau owed. */
  finish(): void {
    this.replay.finish();
    if (this.events.length === 0) throw new StepFailure("events", "the transcript has no events");
    if (this.replay.finalPending) throw new StepFailure(this.replay.finalPending.step, "the transcript has no final/final.ptau");
  }

  async close(): Promise<void> {
    await this.files.close();
  }
}
