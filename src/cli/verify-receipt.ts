/** `ceremony verify-receipt FILE --transcript PATH|URL`: a receipt is the coordinator's, in the transcript, and in the final result. */
import { closeCurve } from "../crypto/curve.ts";
import { verifyReceipts } from "../audit/audit.ts";
import { localClone, messageOf } from "../audit/files.ts";
import { readReceiptItems } from "../audit/receipts.ts";
import { parseFlags, requireString } from "./args.ts";
import { CliError } from "./errors.ts";

export const usage = `ceremony verify-receipt FILE --transcript PATH|URL
  Checks a receipt (or a file of receipts) against a transcript clone, or clones <coordinator>/transcript.git
  first: the coordinator's signature (ceremony.json's coordinatorKey), the commit that holds the contribution's
  verification, and, once the ceremony is finalized, that the contribution is in the final .ptau. Prints one line
  per receipt; exits 1 if any fails. (verify-transcript replays the crypto; this does not.)`;

export async function verifyReceiptCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags("verify-receipt", argv, { transcript: { type: "string" } }, true);
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0) throw new CliError("verify-receipt: give one receipt file");
  const target = requireString("verify-receipt", values.transcript, "--transcript");
  const items = await readReceiptItems(file).catch((err: unknown) => {
    throw new CliError(`verify-receipt: ${file}: ${messageOf(err)}`, 1);
  });
  if (items.length === 0) throw new CliError(`verify-receipt: ${file} holds no receipt`, 1);
  const clone = await localClone(target).catch((err: unknown) => {
    throw new CliError(`verify-receipt: ${messageOf(err)}`, 1);
  });
  try {
    const verdicts = await verifyReceipts(items, clone.dir);
    const failed = verdicts.filter((v) => !v.ok);
    for (const v of verdicts.filter((x) => x.ok)) console.log(`verify-receipt: OK: ${v.message}`);
    if (failed.length > 0) throw new CliError(`verify-receipt: INVALID: ${failed.map((v) => v.message).join("; ")}`, 1);
  } finally {
    await closeCurve();
    await clone.cleanup();
  }
}
