/**
 * Receipts: the coordinator's signed statement that a contribution was verified and committed to the transcript.
 * Signed only after the commit that holds the contribution's verification exists, so a receipt always points at
 * durable, public history.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import * as v from "valibot";
import type { ParticipantKey } from "../auth/keys.ts";
import { verifyEd25519 } from "../auth/ed25519.ts";
import { fromHex, toHex } from "../crypto/hash.ts";
import { HashHex, hexSchema, KeyHex } from "../lib/hex.ts";

const int = v.pipe(v.number(), v.integer(), v.minValue(0));

export const ReceiptSchema = v.object({
  format: v.literal("ceremony-receipt/1"),
  ceremonyId: KeyHex,
  participant: KeyHex,
  round: int,
  chunk: int,
  position: int,
  /** blake2b-512 of the contribution's chunk file. */
  hash: HashHex,
  /** blake2b-512 of the chunk file it built on. */
  parentHash: HashHex,
  /** The transcript commit that holds the contribution's verification. */
  commit: hexSchema(20),
  /** ed25519 signature by the coordinator key over the canonical JSON of every other field. */
  signature: HashHex,
});
export type Receipt = v.InferOutput<typeof ReceiptSchema>;
export type UnsignedReceipt = Omit<Receipt, "signature">;

const FIELDS = ["format", "ceremonyId", "participant", "round", "chunk", "position", "hash", "parentHash", "commit"] as const;

function message(r: UnsignedReceipt): Uint8Array {
  const ordered = Object.fromEntries(FIELDS.map((f) => [f, r[f]]));
  return new TextEncoder().encode(JSON.stringify(ordered));
}

export function signReceipt(coordinator: ParticipantKey, r: UnsignedReceipt): Receipt {
  return { ...r, signature: toHex(ed25519.sign(message(r), fromHex(coordinator.secretKey))) };
}

export type ReceiptCheck = { ok: true; receipt: Receipt } | { ok: false; message: string };

/** Parses a receipt and checks its signature against the coordinator's public key. */
export function checkReceipt(input: unknown, coordinatorKey: string): ReceiptCheck {
  const r = v.safeParse(ReceiptSchema, input);
  if (!r.success) return { ok: false, message: `not a receipt: ${v.summarize(r.issues)}` };
  const { signature, ...unsigned } = r.output;
  const good = verifyEd25519(signature, message(unsigned), coordinatorKey);
  return good ? { ok: true, receipt: r.output } : { ok: false, message: "the receipt's signature is not the coordinator's" };
}
