/**
 * Receipts against the transcript: signed by ceremony.json's coordinatorKey, naming a contribution the transcript
 * verified (same participant, round, chunk, position, hash and parent), and pointing at a commit of the
 * repository's history that holds that verification's event file. verify-receipt adds the final-result check.
 */
import { readFile } from "node:fs/promises";
import { decodeChunk, decodeChunkHeader, NO_CONTRIBUTOR } from "../crypto/chunk.ts";
import { bytesEqual, toHex } from "../crypto/hash.ts";
import type { CeremonyParams } from "../crypto/params.ts";
import { openPtau } from "../crypto/ptau.ts";
import { checkReceipt, type Receipt } from "../transcript/receipt.ts";
import type { TranscriptEvent } from "./events.ts";
import type { TranscriptHistory } from "./history.ts";
import type { TranscriptSource } from "./source.ts";
import { fileHash, messageOf, StepFailure, within, type CeremonyDeclaration, type TranscriptFiles } from "./files.ts";
import type { Ledger, VerifiedContribution } from "./ledger.ts";

/** A receipts file holds one receipt, a list of them, or `{"receipts": [...]}`. */
export function receiptItems(text: string): unknown[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`unreadable: ${messageOf(err)}`);
  }
  if (Array.isArray(json)) return json;
  if (typeof json === "object" && json !== null && "receipts" in json && Array.isArray(json.receipts)) return json.receipts as unknown[];
  return [json];
}

export async function readReceiptItems(path: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(`unreadable: ${messageOf(err)}`);
  }
  return receiptItems(text);
}

/** Throws unless `commit` is in the history and its tree holds `path` with exactly `text`. */
async function holds(history: TranscriptHistory, commit: string, path: string, text: string): Promise<void> {
  if (!(await history.has(commit))) throw new Error(`commit ${commit} is not in the history of the transcript`);
  const blob = await history.read(commit, path);
  if (blob === null) throw new Error(`commit ${commit.slice(0, 12)} does not hold ${path}, the contribution's verification`);
  if (new TextDecoder().decode(blob) !== text) throw new Error(`commit ${commit.slice(0, 12)} holds another ${path} than the transcript's`);
}

export interface ReceiptContext {
  ceremony: CeremonyDeclaration;
  ledger: Ledger;
  events: TranscriptEvent[];
  history: TranscriptHistory;
}

/** Checks one receipt against the transcript; the verified contribution it names. */
export async function checkReceiptInTranscript(item: unknown, ctx: ReceiptContext): Promise<{ receipt: Receipt; verified: VerifiedContribution }> {
  const checked = checkReceipt(item, ctx.ceremony.file.coordinatorKey);
  if (!checked.ok) throw new Error(checked.message);
  const { receipt } = checked;
  if (receipt.ceremonyId !== ctx.ceremony.file.ceremonyId) throw new Error(`the receipt is for ceremony ${receipt.ceremonyId.slice(0, 16)}…, not this one`);
  const verified = ctx.ledger.find(receipt);
  const what = `round ${receipt.round}, chunk ${receipt.chunk + 1}, contributor ${receipt.position + 1} (${receipt.hash.slice(0, 16)}…)`;
  if (!verified) throw new Error(`the transcript verified no contribution ${what} by ${receipt.participant.slice(0, 16)}… on ${receipt.parentHash.slice(0, 16)}…`);
  const event = ctx.events[verified.seq - 1];
  if (!event) throw new Error(`event ${verified.seq} is missing`);
  await holds(ctx.history, receipt.commit, event.path, event.text);
  return { receipt, verified };
}

/** Step 4: the receipts/<ROUND>/<PARTICIPANT>.json files at `paths`, each receipt in it for that round and participant. */
export async function checkReceiptFiles(source: TranscriptSource, paths: string[], ctx: ReceiptContext): Promise<number> {
  let count = 0;
  for (const path of paths.filter((p) => p.endsWith(".json"))) {
    const [, roundDir, name] = path.split("/");
    await within(`receipt ${path}`, async () => {
      const bytes = await source.read(path);
      if (bytes === null) throw new Error("missing");
      for (const item of receiptItems(new TextDecoder().decode(bytes))) {
        const { receipt } = await checkReceiptInTranscript(item, ctx);
        if (Number(roundDir) !== receipt.round || name !== `${receipt.participant}.json`) {
          throw new Error(`a receipt of round ${receipt.round} for ${receipt.participant.slice(0, 16)}… is filed under ${path}`);
        }
        count++;
      }
    });
  }
  return count;
}

/**
 * Whether a contribution lies on the chain that leads to the last aggregated accumulator: starting from that
 * accumulator's chunk file and following the parent hash each chunk file binds in its own header, back to the
 * generators, the contribution's file must be met. The events are not trusted for this: a coordinator (or a
 * verifier) that let a later contribution skip an earlier one cannot make the files chain through it.
 */
export async function onChain(files: TranscriptFiles, ledger: Ledger, v: VerifiedContribution): Promise<number> {
  const last = ledger.aggregated.at(-1);
  if (!last) throw new Error("no round was aggregated");
  const contributors = last.round.contributors.length;
  let hash: string | undefined = last.round.chunks[v.chunk]?.contributions[contributors - 1]?.hash;
  for (let steps = 0; hash !== undefined; steps++) {
    if (hash === v.hash) return steps;
    const header = decodeChunkHeader(await files.get(hash));
    if (!header) throw new Error(`chunk file ${hash.slice(0, 16)}… on the chain of chunk ${v.chunk + 1} does not decode`);
    if (header.contributor === NO_CONTRIBUTOR) break; // the generators: the start of every chain
    hash = toHex(header.parentHash);
  }
  throw new Error(`the contribution was erased: the final accumulator's chunk ${v.chunk + 1} does not build on it (its chain of chunk files never meets ${v.hash.slice(0, 16)}…)`);
}

/**
 * Whether a verified contribution is in the final result: its round was aggregated with it, the final accumulator
 * builds on it (onChain), and the final .ptau (which must hash to CeremonyFinalized's hash) has a record with the
 * key of the contributor's chunk 0 in that round.
 */
export async function inFinalResult(files: TranscriptFiles, params: CeremonyParams, ledger: Ledger, v: VerifiedContribution): Promise<string> {
  if (!ledger.finalized) throw new Error("the ceremony is not finalized");
  await onChain(files, ledger, v);
  const aggregate = ledger.aggregateHolding(v);
  if (!aggregate) throw new Error(`round ${v.round} was not aggregated with this contribution (it was replaced or its round restarted)`);
  const chunk0 = aggregate.round.chunks[0]?.contributions[v.position];
  if (!chunk0 || chunk0.contributor !== v.contributor) throw new Error(`chunk 1 of contributor ${v.position + 1} in round ${v.round} is not this contributor's`);
  const decoded = decodeChunk(await files.get(chunk0.hash), params, 0);
  if (!decoded.ok || !decoded.chunk.publicKey) throw new Error(`the contributor's chunk 0 carries no public key`);
  const publicKey = decoded.chunk.publicKey;
  const final = await files.finalPtau();
  if (!final) throw new StepFailure("final .ptau", "the transcript has no final/final.ptau");
  if ((await fileHash(final.path)) !== ledger.finalized.hash) throw new Error(`${final.source} does not hash to the finalized hash`);
  const reader = await openPtau(final.path);
  try {
    const index = reader.records.findIndex((r) => bytesEqual(r.publicKey, publicKey));
    if (index < 0) throw new Error(`the final .ptau has no record with the contributor's public key`);
    return `record ${index + 1} of ${reader.records.length} in the final .ptau`;
  } finally {
    await reader.close();
  }
}
