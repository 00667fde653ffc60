/** `ceremony verify-transcript PATH|URL`: replays a transcript without trusting the coordinator; exit 0 only if all holds. */
import { closeCurve } from "../crypto/curve.ts";
import { WorkerPool } from "../crypto/pool.ts";
import { verifyTranscript, type TranscriptVerdict } from "../audit/audit.ts";
import { localClone, messageOf } from "../audit/files.ts";
import { parseFlags } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony verify-transcript PATH|URL [--threads N]
  Checks a transcript clone (or first clones a URL: a coordinator's, e.g. https://ceremony.example, whose
  transcript is at /transcript.git, or a repository's) without trusting the coordinator: every
  event's seq, checksum and schema; the initial accumulator; each upload's hash; each verdict, re-verified; each
  round's aggregate and challenge; the beacon and the final .ptau, recomputed; every receipt. Exits 0 only if every
  step holds; otherwise prints the first step that fails and exits 1.`;

export async function verifyTranscriptCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags("verify-transcript", argv, { threads: { type: "string" } }, true);
  const [target, ...extra] = positionals;
  if (!target || extra.length > 0) throw new CliError("verify-transcript: give one path of a transcript clone, or a coordinator's or repository's URL");
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new CliError("verify-transcript: --threads must be a positive integer");
  const say = (line: string): void => console.log(`verify-transcript: ${line}`);
  const clone = await localClone(target, say).catch((err: unknown) => {
    throw new CliError(`verify-transcript: ${messageOf(err)}`, 1);
  });
  const pool = new WorkerPool(threads);
  let verdict: TranscriptVerdict;
  try {
    verdict = await verifyTranscript(clone.dir, { ops: pool, progress: say });
  } finally {
    await pool.close();
    await closeCurve();
    await clone.cleanup();
  }
  const s = verdict.summary;
  if (!verdict.ok) throw new CliError(`verify-transcript: FAILED at ${verdict.failure?.step}: ${verdict.failure?.message}`, 1);
  say(
    `OK: ${s.events} events, ${s.rounds} rounds aggregated, ${s.contributions} uploads, ${s.verifications} verdicts re-checked (${s.rejected} rejections); ${s.finalized ? "finalized" : "not finalized yet"}`,
  );
}
