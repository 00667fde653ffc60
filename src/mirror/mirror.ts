/**
 * A certified mirror: it follows the coordinator's transcript, checks every new commit with the public verifier's
 * checks (checker.ts), serves what it checked read-only over git's smart HTTP (`git clone <mirror>/transcript.git`),
 * registers its BLS key once it has caught up, and signs the latest head it checked, when it is a member of that
 * head's epoch. It signs nothing it has not checked, and once a commit fails it stops there for good.
 */
import * as fs from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Hono } from "hono";
import git from "isomorphic-git";
import { StepFailure } from "../audit/files.ts";
import { GitObjects } from "../audit/source.ts";
import { blsSign, popProve, type BlsKeyPair } from "../bls/bls.ts";
import { registrationBytes, statementBytes } from "../certificates/statement.ts";
import { ClientError } from "../client/errors.ts";
import { MirrorsClient } from "../client/mirrors.ts";
import type { CurveOps } from "../crypto/ops.ts";
import { isMirrorRegistered } from "../core/mirrors.ts";
import { createGitServer } from "../git-http/server.ts";
import { Checker, type CheckedCommit, type Refusal } from "./checker.ts";
import { Follower, Waker } from "./follower.ts";
import { bytesToHex } from "@noble/hashes/utils.js";

export interface MirrorOptions {
  /** The coordinator's base URL. */
  coordinator: string;
  dataDir: string;
  key: BlsKeyPair;
  /** Where this mirror serves its clone (named in its registration; asked when it registers). */
  publicUrl: () => string;
  ops: CurveOps;
  /** Longest wait between two looks at the coordinator's branch. */
  pollMs: number;
  log: (line: string) => void;
}

export interface MirrorState {
  mirror: string;
  coordinator: string;
  ceremonyId: string | null;
  /** The last commit checked (served), the last signed, and the coordinator's tip when last fetched. */
  checked: { commit: string; seq: number; height: number } | null;
  signed: { commit: string; seq: number; epoch: number } | null;
  fetched: string | null;
  registered: boolean;
  member: boolean;
  /** The commit that failed a check, if one did: nothing from it on is served or signed. */
  refused: Refusal | null;
  lastError: string | null;
}

/** Statement answers that mean "nothing more to do for this head". */
const DONE_CODES = new Set(["MIRROR_STALE", "MIRROR_REPLAYED"]);
/**
 * A signed head no certificate covers yet is signed again after this long, then twice as long each time (up to
 * RESEND_MAX_MS): a coordinator that restarted meanwhile forgot the statements it had not certified, and the last
 * head of a ceremony has no later head to sign instead.
 */
const RESEND_MS = 10_000;
const RESEND_MAX_MS = 300_000;

export class Mirror {
  readonly app: Hono;
  private readonly follower: Follower;
  private readonly waker = new Waker();
  private readonly client: MirrorsClient;
  private readonly abort = new AbortController();
  private signed: CheckedCommit | null = null;
  /** When the signed head is to be signed again if still uncovered, and the wait after that. */
  private resend = { at: 0, afterMs: RESEND_MS };
  private fetched: string | null = null;
  private registrationSent = false;
  private lastError: string | null = null;
  private stopped = false;

  private constructor(
    private readonly options: MirrorOptions,
    private readonly gitdir: string,
    private readonly checker: Checker,
  ) {
    const base = options.coordinator.replace(/\/+$/, "");
    this.follower = new Follower(gitdir, `${base}/transcript.git`);
    this.client = new MirrorsClient(base, null, { giveUpAfterMs: 10_000, backoffMs: 200, maxBackoffMs: 2_000 });
    this.app = new Hono().get("/status", (c) => c.json(this.state()));
    this.app.route("/", createGitServer({ repoDir: join(options.dataDir, "transcript"), log: options.log }));
  }

  static async open(options: MirrorOptions): Promise<Mirror> {
    const gitdir = join(options.dataDir, "transcript", ".git");
    const exists = await access(join(gitdir, "HEAD")).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await mkdir(gitdir, { recursive: true });
      await git.init({ fs, gitdir, bare: true, defaultBranch: "main" });
    }
    // The verifier's progress, less its count of events read (one line per commit here).
    const progress = (line: string): void => {
      if (!/^events \d+\/\d+$/.test(line)) options.log(line);
    };
    const checker = new Checker(new GitObjects(gitdir), { ops: options.ops, scratch: join(options.dataDir, "scratch"), progress });
    return new Mirror(options, gitdir, checker);
  }

  state(): MirrorState {
    const head = this.checker.head;
    const s = this.checker.auditState;
    const mirrors = s && s.phase !== "setup" ? s.mirrors : null;
    const key = this.options.key.publicKey;
    return {
      mirror: key,
      coordinator: this.options.coordinator,
      ceremonyId: this.checker.ceremonyId,
      checked: head && { commit: head.oid, seq: head.seq, height: head.height },
      signed: this.signed && { commit: this.signed.oid, seq: this.signed.seq, epoch: this.signed.epoch.epoch },
      fetched: this.fetched,
      registered: mirrors ? isMirrorRegistered(mirrors, key) : false,
      member: mirrors?.members.includes(key) ?? false,
      refused: this.checker.refused,
      lastError: this.lastError,
    };
  }

  /** Follows, checks, registers and signs until stop(). */
  async run(): Promise<void> {
    const base = this.options.coordinator.replace(/\/+$/, "");
    const listening = this.waker.listen(`${base}/v1/events`, this.abort.signal, (l) => this.options.log(l));
    // After a wake the tip may lag the event by a commit: look again soon, then less and less often.
    let interval = 50;
    while (!this.stopped) {
      let moved = false;
      try {
        moved = await this.step();
        this.lastError = null;
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.options.log(`coordinator: ${this.lastError}; retrying`);
      }
      interval = moved ? 50 : Math.min(interval * 2, this.options.pollMs);
      if (await this.waker.wait(interval)) interval = 50;
    }
    this.abort.abort();
    await listening;
  }

  stop(): void {
    this.stopped = true;
    this.waker.wake();
  }

  /** One look at the coordinator: fetch, check what is new, register once caught up, sign the latest signable head. */
  private async step(): Promise<boolean> {
    const tip = await this.follower.fetch();
    this.fetched = tip;
    if (tip === null) return false;
    let moved = false;
    if (!this.checker.refused && tip !== this.checker.head?.oid) {
      try {
        moved = (await this.checker.advanceTo(tip, (c) => this.serve(c))) > 0;
      } catch (err) {
        if (!(err instanceof StepFailure)) throw err;
        const at = (this.checker.refused as Refusal | null)?.commit.slice(0, 12) ?? "?";
        this.options.log(`REFUSED commit ${at}: ${err.step}: ${err.message}; serving and signing nothing from it on`);
      }
    }
    if (!this.checker.refused && this.checker.head?.oid === tip) await this.register();
    await this.sign();
    return moved;
  }

  /** The commit passed its checks: it is what this mirror serves now. */
  private async serve(c: CheckedCommit): Promise<void> {
    await git.writeRef({ fs, gitdir: this.gitdir, ref: "refs/heads/main", value: c.oid, force: true });
  }

  private async register(): Promise<void> {
    const s = this.checker.auditState;
    const ceremonyId = this.checker.ceremonyId;
    if (this.registrationSent || !s || s.phase === "setup" || !ceremonyId || isMirrorRegistered(s.mirrors, this.options.key.publicKey)) return;
    const { publicKey: mirror, secretKey } = this.options.key;
    const url = this.options.publicUrl();
    try {
      await this.client.register({ mirror, url, pop: popProve(secretKey), signature: blsSign(secretKey, registrationBytes({ ceremonyId, mirror, url })) });
      this.options.log(`registered ${mirror.slice(0, 16)}… serving ${url}`);
    } catch (err) {
      if (!(err instanceof ClientError && err.code === "ALREADY_REGISTERED")) throw err;
    }
    this.registrationSent = true;
  }

  /**
   * Signs the latest head it checked if it is a member of that head's epoch: once, or again while no certificate in
   * the transcript covers it (see RESEND_MS).
   */
  private async sign(): Promise<void> {
    const c = this.checker.latestSignable();
    const ceremonyId = this.checker.ceremonyId;
    const key = this.options.key;
    const uncovered = (this.checker.certifiedSeq ?? -1) < (c?.seq ?? -1);
    const again = this.signed !== null && c?.oid === this.signed.oid && uncovered && Date.now() >= this.resend.at;
    if (!c || !ceremonyId || (this.signed && c.height <= this.signed.height && !again) || !c.epoch.members.includes(key.publicKey)) return;
    const message = statementBytes({ ceremonyId, epoch: c.epoch.epoch, seq: c.seq, commit: c.oid, tree: c.tree });
    try {
      await this.client.submit({ mirror: key.publicKey, message: bytesToHex(message), signature: blsSign(key.secretKey, message) });
    } catch (err) {
      if (!(err instanceof ClientError) || err.code === "COORDINATOR_UNREACHABLE" || err.status >= 500) throw err;
      if (!DONE_CODES.has(err.code)) this.options.log(`statement on event ${c.seq} (${c.oid.slice(0, 12)}) refused: ${err.code}: ${err.message}`);
    }
    const afterMs = again ? Math.min(this.resend.afterMs * 2, RESEND_MAX_MS) : RESEND_MS;
    this.resend = { at: Date.now() + afterMs, afterMs };
    this.signed = c;
  }

  async close(): Promise<void> {
    this.stop();
    await this.checker.close();
  }
}
