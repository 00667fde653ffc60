/**
 * Certificates of availability: the aggregate BLS signature of at least `threshold` of an epoch's mirrors over one
 * statement, committed to the transcript as `certificates/<D1>/<D2>/<SEQ>-<COMMIT>.json`. Checking one needs the
 * epoch in force at the commit (from the events: its members, whose proofs of possession the registrations carry)
 * and the commit's tree and sequence number (from the repository); the rest is here.
 */
import * as v from "valibot";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { aggregateSignatures, BLS_PUBLIC_KEY_HEX, BLS_SIGNATURE_HEX, fastAggregateVerify } from "../bls/bls.ts";
import { eventPath } from "../transcript/layout.ts";
import { statementBytes, type Statement } from "./statement.ts";

export const CERTIFICATE_FORMAT = "ceremony-certificate/1";

const int = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
const oid = v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/));

export const CertificateSchema = v.strictObject({
  format: v.literal(CERTIFICATE_FORMAT),
  ceremonyId: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
  epoch: int,
  seq: int,
  commit: oid,
  tree: oid,
  /** Hex of the exact bytes every signer signed (certificates/statement.ts). */
  message: v.pipe(v.string(), v.regex(/^(?:[0-9a-f]{2})+$/), v.maxLength(1024)),
  /** The signers' BLS public keys, in the epoch's member order. */
  signers: v.array(v.pipe(v.string(), v.regex(BLS_PUBLIC_KEY_HEX))),
  signature: v.pipe(v.string(), v.regex(BLS_SIGNATURE_HEX)),
  /** The epoch's threshold and size, for the reader (the verifier takes both from the events). */
  threshold: int,
  members: int,
});
export type Certificate = v.InferOutput<typeof CertificateSchema>;

export interface EpochInfo {
  epoch: number;
  members: string[];
  threshold: number;
}

/** The mirror epochs of a transcript, each from the event that started it: which one was in force at an event. */
export class EpochTimeline {
  private readonly epochs: Array<EpochInfo & { seq: number }> = [{ seq: 0, epoch: 0, members: [], threshold: 0 }];

  /** Epoch `e` started at event `seq` (in order). */
  started(seq: number, e: EpochInfo): void {
    this.epochs.push({ seq, ...e });
  }

  /** Every epoch started, in order, with the event it started at (what a snapshot keeps). */
  list(): Array<EpochInfo & { seq: number }> {
    return this.epochs.slice(1).map((e) => ({ ...e, members: [...e.members] }));
  }

  /** The epoch in force at event `seq`: the last one started at or before it (epoch 0, no members, at first). */
  at(seq: number): EpochInfo {
    let lo = 0;
    let hi = this.epochs.length - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((this.epochs[mid]?.seq ?? Infinity) <= seq) lo = mid;
      else hi = mid - 1;
    }
    const { seq: _, ...found } = this.epochs[lo] ?? { seq: 0, epoch: 0, members: [], threshold: 0 };
    return found;
  }
}

/** Where a certificate of `commit` (whose last event is `seq`) lives. */
export function certificatePath(seq: number, commit: string): string {
  if (seq === 0) return `certificates/000000/000/000000000000-${commit}.json`;
  return eventPath(seq).replace(/^events\//, "certificates/").replace(/\.json$/, `-${commit}.json`);
}

/** The seq and commit a certificate path names, or null for any other path. */
export function parseCertificatePath(path: string): { seq: number; commit: string } | null {
  const m = /^certificates\/\d{6}\/\d{3}\/(\d{12})-([0-9a-f]{40})\.json$/.exec(path);
  if (!m?.[1] || !m[2]) return null;
  const seq = Number(m[1]);
  return certificatePath(seq, m[2]) === path ? { seq, commit: m[2] } : null;
}

export function certificateText(c: Certificate): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}

/** The certificate as its JSON text says, or why not. */
export function parseCertificate(text: string): { ok: true; certificate: Certificate } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  const r = v.safeParse(CertificateSchema, json);
  return r.success ? { ok: true, certificate: r.output } : { ok: false, reason: `not a ${CERTIFICATE_FORMAT}: ${v.summarize(r.issues)}` };
}

/** Aggregates the signatures of `signers` (a map key → signature) over `statement` into a certificate. */
export function buildCertificate(statement: Statement, epoch: EpochInfo, signatures: ReadonlyMap<string, string>): Certificate {
  const signers = epoch.members.filter((k) => signatures.has(k));
  return {
    format: CERTIFICATE_FORMAT,
    ceremonyId: statement.ceremonyId,
    epoch: statement.epoch,
    seq: statement.seq,
    commit: statement.commit,
    tree: statement.tree,
    message: bytesToHex(statementBytes(statement)),
    signers,
    signature: aggregateSignatures(signers.map((k) => signatures.get(k) ?? "")),
    threshold: epoch.threshold,
    members: epoch.members.length,
  };
}

/** What the transcript says of the certified commit: it is in the history, with this tree and last event. */
export interface CertifiedCommit {
  ceremonyId: string;
  tree: string;
  seq: number;
  /** The epoch in force at `seq`. */
  epoch: EpochInfo;
}

/**
 * Why a certificate does not hold, or null: the message must be exactly the statement of this ceremony, epoch, seq,
 * commit and tree; the signers members of that epoch, in its order, at least its threshold; the aggregate signature
 * theirs (their keys' proofs of possession are the caller's: the registrations in the events).
 */
export function certificateRefusal(c: Certificate, facts: CertifiedCommit): string | null {
  const expected = bytesToHex(statementBytes({ ceremonyId: c.ceremonyId, epoch: c.epoch, seq: c.seq, commit: c.commit, tree: c.tree }));
  if (c.message !== expected) return "the message is not the statement the certificate names";
  if (c.ceremonyId !== facts.ceremonyId) return `the certificate is for ceremony ${c.ceremonyId.slice(0, 16)}…, not this one`;
  if (c.tree !== facts.tree) return `commit ${c.commit.slice(0, 12)} has tree ${facts.tree.slice(0, 12)}, not ${c.tree.slice(0, 12)}`;
  if (c.seq !== facts.seq) return `commit ${c.commit.slice(0, 12)} holds events up to ${facts.seq}, not ${c.seq}`;
  if (c.epoch !== facts.epoch.epoch) return `epoch ${facts.epoch.epoch} was in force at event ${c.seq}, not epoch ${c.epoch}`;
  const order = c.signers.map((k) => facts.epoch.members.indexOf(k));
  if (order.some((i) => i < 0)) return `a signer is not a member of epoch ${c.epoch}`;
  if (order.some((i, n) => n > 0 && i <= (order[n - 1] ?? -1))) return "the signers are not distinct members in the epoch's order";
  if (c.signers.length < facts.epoch.threshold || c.signers.length === 0) return `${c.signers.length} signer(s), below epoch ${c.epoch}'s threshold of ${facts.epoch.threshold}`;
  if (c.threshold !== facts.epoch.threshold || c.members !== facts.epoch.members.length) return `epoch ${c.epoch} has ${facts.epoch.members.length} members and a threshold of ${facts.epoch.threshold}`;
  if (!fastAggregateVerify(c.signers, hexToBytes(c.message), c.signature)) return "the aggregate signature is not the signers' over the message";
  return null;
}

/** Whether a commit's changes only add certificates: such commits are never signed, or certificates would beget certificates. */
export function onlyCertificates(changes: ReadonlyArray<{ path: string }>): boolean {
  return changes.length > 0 && changes.every((c) => c.path.startsWith("certificates/"));
}
