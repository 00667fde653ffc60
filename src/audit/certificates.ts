/**
 * Step 5 of verify-transcript: every certificate under certificates/ holds (certificates/certificate.ts) for a
 * commit of the history, under the epoch the events put in force at that commit; and what they cover, and by whom.
 */
import { certificateRefusal, parseCertificate, parseCertificatePath } from "../certificates/certificate.ts";
import { refPathFor } from "../transcript/layout.ts";
import { FINAL_PTAU, StepFailure, within } from "./files.ts";
import type { TranscriptHistory } from "./history.ts";
import type { Ledger } from "./ledger.ts";
import type { TranscriptSource } from "./source.ts";

export interface CertifiedHead {
  seq: number;
  commit: string;
  epoch: number;
  signers: string[];
}

export interface CertificateSummary {
  count: number;
  /** The certificate of the latest event (the last of its commits when several). */
  latest: CertifiedHead | null;
  /** Certificates each mirror signed, by public key. */
  bySigner: Record<string, number>;
  /** Whether a certificate names a commit that holds the final .ptau. */
  finalCertified: boolean;
}

export const noCertificates = (): CertificateSummary => ({ count: 0, latest: null, bySigner: {}, finalCertified: false });

export interface CertificateContext {
  ceremonyId: string;
  ledger: Ledger;
  history: TranscriptHistory;
}

/** Checks the certificate files at `paths`; adds them to `summary`. */
export async function checkCertificateFiles(source: TranscriptSource, paths: string[], ctx: CertificateContext, summary: CertificateSummary): Promise<void> {
  for (const path of paths) {
    await within(`certificate ${path}`, async () => {
      const named = parseCertificatePath(path);
      if (!named) throw new Error("not a certificate path (certificates/<D1>/<D2>/<SEQ>-<COMMIT>.json)");
      const bytes = await source.read(path);
      if (bytes === null) throw new Error("missing");
      const parsed = parseCertificate(new TextDecoder().decode(bytes));
      if (!parsed.ok) throw new Error(parsed.reason);
      const c = parsed.certificate;
      if (c.seq !== named.seq || c.commit !== named.commit) throw new Error(`the certificate is for event ${c.seq} at ${c.commit.slice(0, 12)}, not what its path names`);
      const facts = await ctx.history.facts(c.commit);
      if (!facts) throw new Error(`commit ${c.commit.slice(0, 12)} is not in the history of the transcript`);
      const why = certificateRefusal(c, { ceremonyId: ctx.ceremonyId, tree: facts.tree, seq: facts.seq, epoch: ctx.ledger.epochs.at(facts.seq) });
      if (why) throw new StepFailure(`certificate ${path}`, why);
      summary.count++;
      for (const k of c.signers) summary.bySigner[k] = (summary.bySigner[k] ?? 0) + 1;
      if (!summary.latest || c.seq >= summary.latest.seq) summary.latest = { seq: c.seq, commit: c.commit, epoch: c.epoch, signers: c.signers };
      if (!summary.finalCertified && ((await ctx.history.read(c.commit, FINAL_PTAU)) ?? (await ctx.history.read(c.commit, refPathFor(FINAL_PTAU)))) !== null) summary.finalCertified = true;
    });
  }
}
