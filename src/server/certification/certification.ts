/**
 * The coordinator's side of certified mirrors: it registers mirrors (their proofs of possession checked here), takes
 * their signed statements, refuses what does not hold (recording, as events, what a mirror's own valid signature
 * proves against it), and once `threshold` members of an epoch signed one head it aggregates their signatures and
 * commits the certificate under certificates/. It knows which mirrors lag, and how long certification takes.
 */
import { hexToBytes } from "@noble/hashes/utils.js";
import * as v from "valibot";
import { blsVerify, popVerify } from "../../bls/bls.ts";
import { BatchVerifier } from "../../bls/batch.ts";
import { buildCertificate, certificatePath, certificateRefusal, certificateText, EpochTimeline, type EpochInfo } from "../../certificates/certificate.ts";
import { MirrorRefusal, type MirrorErrorCode } from "../../certificates/errors.ts";
import { parseStatement, registrationBytes, type Statement } from "../../certificates/statement.ts";
import { DomainError, refuse } from "../../core/errors.ts";
import { isMirrorFaulty, isMirrorMember, isMirrorRegistered } from "../../core/mirrors.ts";
import type { CeremonyEvent, CeremonyState, Command, SignedStatement } from "../../core/model.ts";
import { retry } from "../../lib/retry.ts";
import type { LoggedEvent } from "../../store/event-log.ts";
import type { PublishedCommit, TranscriptService } from "../../transcript/service.ts";
import type { PublishedIndex } from "./published.ts";
import type { MirrorsStatus } from "../../api/schemas.ts";
import { Lag } from "./lag.ts";

export interface CertificationPort {
  state(): CeremonyState;
  execute(command: Command): Promise<CeremonyEvent[]>;
  transcript(): TranscriptService | null;
  now(): number;
  say(line: string): void;
}

export interface CertificationSettings {
  /** Registration admits at once (the dev preset); otherwise an admin admits. */
  admitOnRegistration: boolean;
  /** Signatures a certificate needs (0: ⌈2n/3⌉ of the epoch's n members). */
  threshold: number;
}

/** Registrations waiting for an admin, at most. */
const MAX_WAITING = 64;
/** Statements remembered per mirror for equivocation, and accepted statements remembered against replays. */
const KEPT_PER_MIRROR = 256;

/** The epochs as a snapshot keeps them (EpochTimeline.list). */
const SavedEpochs = v.array(
  v.object({
    seq: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
    epoch: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
    members: v.array(v.string()),
    threshold: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  }),
);

type Pending = { statement: Statement; position: number; signatures: Map<string, string> };

export class Certification {
  private readonly epochs = new EpochTimeline();
  private readonly pending = new Map<string, Pending>();
  /** Per mirror: what it signed, by seq (tree and evidence), and the messages accepted (against replays). */
  private readonly signed = new Map<string, Map<number, SignedStatement & { tree: string }>>();
  private readonly accepted = new Map<string, Set<string>>();
  private latest: { seq: number; commit: string; position: number; epoch: number; signers: string[]; at: string | null } | null = null;
  private next: { path: string; text: string; message: string } | null = null;
  private committing: Promise<void> | null = null;
  /** Signable heads published and not yet covered by a certificate (a certificate covers its commit and all before). */
  private uncovered: Array<{ position: number; at: number }> = [];
  readonly lag: Lag;
  /** Mirrors sign the same head at about the same time: their signatures are checked together. */
  private readonly verifier = new BatchVerifier();
  /** Changes whenever what status shows does. */
  version = 0;

  constructor(
    private readonly port: CertificationPort,
    private readonly published: PublishedIndex,
    private readonly settings: CertificationSettings,
  ) {
    this.lag = new Lag(() => port.now());
  }

  /** Where certification stood at start-up: the commits read back and the latest certificate in the transcript. */
  async open(head: string | null): Promise<void> {
    await this.published.load(head);
    const latest = await this.published.latestCertificate(head);
    if (latest) this.latest = { ...latest, position: this.published.get(latest.commit)?.position ?? -1, at: null };
  }

  /**
   * The epochs, for a snapshot: a start-up from it follows no event before it, and a statement on a head published
   * before it must still be judged under the epoch of its event (without them an honest mirror's statement would be
   * taken for a false one, and the mirror recorded faulty).
   */
  saveEpochs(): unknown {
    return this.epochs.list();
  }

  /** Takes back what saveEpochs gave (before any `follow`); false for anything else (an older snapshot: none kept). */
  restoreEpochs(saved: unknown): boolean {
    const parsed = v.safeParse(SavedEpochs, saved);
    if (!parsed.success) return false;
    for (const { seq, ...e } of parsed.output) this.epochs.started(seq, e);
    return true;
  }

  /** Follows the log: epochs. */
  follow(entry: LoggedEvent<CeremonyEvent>): void {
    const e = entry.event;
    if (e.type === "EpochStarted") this.epochs.started(entry.seq, { epoch: e.epoch, members: e.members, threshold: e.threshold });
  }

  /** Follows the transcript: every commit it publishes. */
  committed(commit: PublishedCommit): void {
    const at = this.port.now();
    this.published.add(commit, at);
    if (commit.kind !== "certificate") {
      this.lag.head(commit.seq);
      const entry = this.published.get(commit.oid);
      if (entry) this.uncovered.push({ position: entry.position, at });
      if (this.uncovered.length > 100_000) this.uncovered.shift();
    }
    this.version++;
  }

  private ceremonyId(): string {
    const s = this.port.state();
    if (s.phase === "setup") throw refuse("NOT_INITIALIZED", "the ceremony has not been initialized");
    return s.settings.ceremonyId;
  }

  /** A mirror registers: its key with a proof of possession, and its signature over the registration. */
  async register(mirror: string, url: string, pop: string, signature: string): Promise<CeremonyEvent[]> {
    const s = this.port.state();
    if (s.phase === "setup") throw refuse("NOT_INITIALIZED", "the ceremony has not been initialized");
    if (isMirrorRegistered(s.mirrors, mirror)) throw refuse("ALREADY_REGISTERED", "this mirror is already registered");
    if (!popVerify(mirror, pop)) throw new MirrorRefusal("MIRROR_BAD_REGISTRATION", "the proof of possession does not verify for this key");
    if (!blsVerify(mirror, registrationBytes({ ceremonyId: s.settings.ceremonyId, mirror, url }), signature)) {
      throw new MirrorRefusal("MIRROR_BAD_REGISTRATION", "the registration is not signed by this key for this ceremony and URL");
    }
    const waiting = s.mirrors.registered.filter((r) => !isMirrorMember(s.mirrors, r.key) && !isMirrorFaulty(s.mirrors, r.key)).length;
    if (!this.settings.admitOnRegistration && waiting >= MAX_WAITING) throw new MirrorRefusal("MIRROR_REGISTRATIONS_FULL", `${waiting} registrations already wait for an admin`);
    const { admitOnRegistration: admit, threshold } = this.settings;
    return this.port.execute({ type: "RegisterMirror", now: this.port.now(), mirror, url, pop, signature, admit, threshold });
  }

  /** An admin admits or retires a mirror; either starts a new epoch. */
  admin(actor: string, action: "admit" | "retire", mirror: string, reason: string): Promise<CeremonyEvent[]> {
    const { threshold } = this.settings;
    const now = this.port.now();
    if (action === "admit") return this.port.execute({ type: "AdmitMirror", now, actor, mirror, threshold });
    return this.port.execute({ type: "RetireMirror", now, actor, mirror, reason: reason || "retired by an admin", threshold });
  }

  private refuse(code: MirrorErrorCode, mirror: string | null, message: string): never {
    // A statement on a head already certified, or on a certificates-only commit, is late or confused, not a violation.
    if (code !== "MIRROR_STALE" && code !== "MIRROR_NOT_SIGNABLE") {
      this.lag.violation(code, mirror, message);
      this.version++;
    }
    throw new MirrorRefusal(code, message);
  }

  /** A signed statement from a mirror; answers whether it completed a certificate. */
  async submit(mirror: string, messageHex: string, signature: string): Promise<{ certified: boolean }> {
    const message = hexToBytes(messageHex);
    const statement = parseStatement(message);
    if (!statement) return this.refuse("MIRROR_BAD_STATEMENT", mirror, "the message is not a canonical mirror statement");
    if (statement.ceremonyId !== this.ceremonyId()) return this.refuse("MIRROR_WRONG_CEREMONY", mirror, `the statement is for ceremony ${statement.ceremonyId.slice(0, 16)}…`);
    const s = this.port.state();
    if (s.phase === "setup" || !isMirrorRegistered(s.mirrors, mirror)) return this.refuse("MIRROR_UNKNOWN", null, "no mirror registered this key");
    if (isMirrorFaulty(s.mirrors, mirror)) throw refuse("MIRROR_FAULTY", "this mirror was recorded signing falsely; its statements no longer count");
    if (!(await this.verifier.verify(mirror, message, signature))) return this.refuse("MIRROR_BAD_SIGNATURE", mirror, "the signature is not this mirror's over the message");
    if (this.accepted.get(mirror)?.has(messageHex)) return this.refuse("MIRROR_REPLAYED", mirror, "this statement was already received from this mirror");

    const entry = this.published.get(statement.commit);
    if (!entry && (await this.published.exists(statement.commit))) return this.refuse("MIRROR_STALE", mirror, "the commit is older than the coordinator still tracks");
    const epoch = entry ? this.epochs.at(entry.seq) : null;
    const truthful = entry !== undefined && epoch !== null && (await this.published.tree(statement.commit, entry)) === statement.tree && entry.seq === statement.seq && epoch.epoch === statement.epoch;
    if (!truthful || !entry || !epoch) return this.falseStatement(mirror, statement, { message: messageHex, signature });

    if (!epoch.members.includes(mirror)) return this.refuse("MIRROR_NOT_MEMBER", mirror, `this mirror is not a member of epoch ${epoch.epoch}`);
    if (entry.kind === "certificate") return this.refuse("MIRROR_NOT_SIGNABLE", mirror, "a commit that only adds certificates is not signed");
    this.remember(mirror, statement, { message: messageHex, signature });
    this.lag.signed(mirror, statement.seq, statement.commit);
    this.version++;
    if (this.latest && entry.position <= this.latest.position) return this.refuse("MIRROR_STALE", mirror, `a later head (event ${this.latest.seq}) is already certified`);

    const p = this.pending.get(messageHex) ?? { statement, position: entry.position, signatures: new Map<string, string>() };
    p.signatures.set(mirror, signature);
    this.pending.set(messageHex, p);
    if (p.signatures.size < epoch.threshold || epoch.threshold === 0) return { certified: false };
    this.certify(p, epoch);
    return { certified: true };
  }

  /**
   * A valid signature over something this coordinator never published: evidence against the mirror, recorded in the
   * log and the transcript with the signature (and, when it signed another tree for the same seq, that one too).
   */
  private async falseStatement(mirror: string, statement: Statement, evidence: SignedStatement): Promise<never> {
    const earlier = this.signed.get(mirror)?.get(statement.seq);
    const equivocation = earlier !== undefined && earlier.tree !== statement.tree;
    const code = equivocation ? "EQUIVOCATION" : "FALSE_STATEMENT";
    const statements = equivocation ? [{ message: earlier.message, signature: earlier.signature }, evidence] : [evidence];
    try {
      await this.port.execute({ type: "RecordMirrorFault", now: this.port.now(), mirror, code, statements });
      this.port.say(`mirror ${mirror.slice(0, 12)}… recorded misbehaving: ${code} (event ${statement.seq}, commit ${statement.commit.slice(0, 12)})`);
    } catch (err) {
      // Two false statements racing: the first is the record.
      if (!(err instanceof DomainError && err.code === "MIRROR_FAULTY")) throw err;
    }
    const what = `event ${statement.seq}, commit ${statement.commit.slice(0, 12)}, tree ${statement.tree.slice(0, 12)}, epoch ${statement.epoch}`;
    if (equivocation) return this.refuse("MIRROR_EQUIVOCATION", mirror, `this mirror already signed another tree for event ${statement.seq}, and this one (${what}) was never published; recorded`);
    return this.refuse("MIRROR_NOT_PUBLISHED", mirror, `the coordinator never published ${what}; recorded`);
  }

  private remember(mirror: string, statement: Statement, evidence: SignedStatement): void {
    const bySeq = this.signed.get(mirror) ?? new Map<number, SignedStatement & { tree: string }>();
    bySeq.set(statement.seq, { ...evidence, tree: statement.tree });
    if (bySeq.size > KEPT_PER_MIRROR) bySeq.delete(bySeq.keys().next().value as number);
    this.signed.set(mirror, bySeq);
    const seen = this.accepted.get(mirror) ?? new Set<string>();
    seen.add(evidence.message);
    if (seen.size > KEPT_PER_MIRROR) seen.delete(seen.values().next().value as string);
    this.accepted.set(mirror, seen);
  }

  /** Aggregates, checks the result as any verifier would, and queues its commit (a newer one replaces a queued one). */
  private certify(p: Pending, epoch: EpochInfo): void {
    const certificate = buildCertificate(p.statement, epoch, p.signatures);
    const why = certificateRefusal(certificate, { ceremonyId: p.statement.ceremonyId, tree: p.statement.tree, seq: p.statement.seq, epoch });
    if (why) throw new Error(`the aggregated certificate does not hold: ${why}`);
    const at = this.port.now();
    this.latest = { seq: certificate.seq, commit: certificate.commit, position: p.position, epoch: certificate.epoch, signers: certificate.signers, at: new Date(at).toISOString() };
    // Latency, head published → certified, of every head this certificate covers.
    while (this.uncovered.length > 0 && (this.uncovered[0]?.position ?? Infinity) <= p.position) this.lag.certified(at - (this.uncovered.shift()?.at ?? at));
    for (const [key, other] of this.pending) if (other.position <= p.position) this.pending.delete(key);
    this.version++;
    const message = `certificate: event ${certificate.seq} (commit ${certificate.commit.slice(0, 12)}) signed by ${certificate.signers.length} of ${certificate.members} mirrors, epoch ${certificate.epoch}`;
    this.next = { path: certificatePath(certificate.seq, certificate.commit), text: certificateText(certificate), message };
    this.committing ??= this.drain();
  }

  private async drain(): Promise<void> {
    const transcript = this.port.transcript();
    while (this.next && transcript) {
      const { path, text, message } = this.next;
      this.next = null;
      await retry(() => transcript.commitCertificate(path, new TextEncoder().encode(text), message), {
        initialMs: 400,
        maxMs: 30_000,
        onRetry: (err, attempt) => this.port.say(`certificate ${path}: commit failed (attempt ${attempt}): ${err instanceof Error ? err.message : String(err)}`),
      });
    }
    this.committing = null;
  }

  /** What status shows: the epoch, each member and how far behind it is, the latest certificate, refusals. */
  status(): MirrorsStatus {
    const s = this.port.state();
    const mirrors = s.phase === "setup" ? null : s.mirrors;
    const urls = new Map((mirrors?.registered ?? []).map((r) => [r.key, r.url]));
    const epoch = mirrors?.epoch ?? { number: 0, members: [], threshold: 0 };
    return this.lag.status({
      epoch: epoch.number,
      threshold: epoch.threshold,
      members: epoch.members.map((key) => ({ key, url: urls.get(key) ?? "", faulty: mirrors ? isMirrorFaulty(mirrors, key) : false })),
      waiting: (mirrors?.registered ?? []).filter((r) => mirrors && !isMirrorMember(mirrors, r.key) && !isMirrorFaulty(mirrors, r.key)).map((r) => r.key),
      certified: this.latest ? { seq: this.latest.seq, commit: this.latest.commit, epoch: this.latest.epoch, signers: this.latest.signers, at: this.latest.at } : null,
      head: this.published.lastSignable(),
    });
  }

  /** Waits for the certificate being committed. */
  async flush(): Promise<void> {
    while (this.committing) await this.committing;
  }
}
