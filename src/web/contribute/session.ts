/**
 * One contribution from the browser: the CLI's protocol (client/contributor.ts over the typed HTTP client), with the
 * curve work in Web Workers (pool.ts) and the key made in this tab. It reports its stage, the queue's line, each
 * chunk's state (locked, computing, uploading, uploaded, then the verifier's verdict from the live feed) and how
 * long each chunk's computation took; it ends with the coordinator's signed receipts. Leaving (a button, or the tab
 * closing) sends the same signed leave request as the CLI's Ctrl-C.
 */
import type { CeremonyInfo, IdentityProof } from "../../api/schemas.ts";
import type { ParticipantKey } from "../../auth/keys.ts";
import { signRequest } from "../../auth/sign.ts";
import { Contributor, type Compute } from "../../client/contributor.ts";
import { CeremonyClient } from "../../client/http.ts";
import { LiveFollower, liveWaits } from "../../client/live.ts";
import { contributeChunk } from "../../crypto/contribute.ts";
import { getCurve } from "../../crypto/curve.ts";
import { queueLine } from "../../cli/progress.ts";
import type { Instruction } from "../../core/views.ts";
import { sleep } from "../../lib/retry.ts";
import { checkReceipt, type Receipt } from "../../transcript/receipt.ts";
import { eventOf } from "../events.ts";
import { BrowserPool } from "../pool.ts";

export type ChunkState = "waiting" | "locked" | "computing" | "uploading" | "uploaded" | "verified" | "rejected";

export interface SessionView {
  stage(line: string): void;
  queue(line: string): void;
  chunk(k: number, state: ChunkState, computeMs?: number): void;
}

const POLL_MS = 300;
/** The page's fetch, called on the window (a fetch kept in an object and called as its method throws in browsers). */
const pageFetch = ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init)) as typeof fetch;

/** The client, telling the view when a chunk is locked and uploaded. */
class TrackingClient extends CeremonyClient {
  constructor(
    url: string,
    key: ParticipantKey,
    private readonly view: SessionView,
  ) {
    const onRetry = (m: string): void => view.stage(`The coordinator did not answer (${m}).`);
    super(url, key, { giveUpAfterMs: 5 * 60_000, backoffMs: 250, maxBackoffMs: 5_000, onRetry }, pageFetch);
  }
  override async lock(chunk: number): Promise<Instruction> {
    const ins = await super.lock(chunk);
    if (ins.kind === "contribute" && ins.chunk === chunk) this.view.chunk(chunk, "locked");
    return ins;
  }
  override async upload(chunk: number, bytes: Uint8Array): ReturnType<CeremonyClient["upload"]> {
    this.view.chunk(chunk, "uploading");
    const r = await super.upload(chunk, bytes);
    this.view.chunk(chunk, "uploaded");
    return r;
  }
}

export class BrowserSession {
  readonly client: TrackingClient;
  private contributor: Contributor | null = null;
  private live: LiveFollower | null = null;
  private pool: BrowserPool | null = null;
  private mine: { round: number; position: number } | null = null;
  private left = false;
  /** Milliseconds each chunk's computation took, by chunk. */
  readonly computeMs = new Map<number, number>();

  constructor(
    private readonly origin: string,
    readonly info: CeremonyInfo,
    private readonly key: ParticipantKey,
    private readonly view: SessionView,
  ) {
    this.client = new TrackingClient(origin, key, view);
  }

  /** Where the participant stands: whether leaving now gives something up. */
  get holdsPlace(): boolean {
    const ins = this.contributor?.current;
    if (this.left || !ins) return false;
    return ins.kind === "lock" || ins.kind === "contribute" || (ins.kind === "wait" && (ins.stage === "queue" || ins.stage === "round"));
  }

  async run(entropy: string, proof?: () => Promise<IdentityProof>): Promise<Receipt[]> {
    this.view.stage("Starting the crypto workers…");
    this.pool = new BrowserPool(new URL("/web/worker.js", this.origin).href);
    const [curve] = await Promise.all([getCurve(), this.pool.started()]);
    const pool = this.pool;
    const live = (this.live = new LiveFollower(this.origin, pageFetch).start());
    const { pause, keepAliveMs } = liveWaits(live, POLL_MS, this.info.heartbeatTimeoutMs);
    const compute: Compute = async (parent, target, roundKey) => {
      this.mine = { round: target.round, position: target.contributor };
      this.view.stage(`In round ${target.round} (position ${target.contributor + 1}): contributing to chunk ${target.chunkIndex + 1} of ${this.info.numChunks}.`);
      this.view.queue("");
      this.view.chunk(target.chunkIndex, "computing");
      const t0 = performance.now();
      const out = await contributeChunk(pool, curve, parent, target, roundKey);
      this.computeMs.set(target.chunkIndex, performance.now() - t0);
      this.view.chunk(target.chunkIndex, "computing", performance.now() - t0);
      return out;
    };
    void this.followVerdicts(live);
    const contributor = (this.contributor = new Contributor(this.client, {
      ops: pool,
      curve,
      entropy,
      compute,
      ...(proof ? { proof } : {}),
      onWait: (ins) => (ins.kind === "wait" ? this.onWait(ins) : undefined),
      pause,
      keepAliveMs,
    }));
    // Joining only once the feed is open: the round that starts on this join wakes it.
    await live.ready(3_000);
    this.view.stage("Joining the queue…");
    const done = await contributor.run(POLL_MS);
    if (done.kind !== "done") throw new Error(`stopped on ${done.kind}`);
    if (done.outcome !== "contributed") throw new Error(`${done.outcome}: ${done.reason}`);
    this.view.stage("Every chunk is verified; waiting for the signed receipts…");
    return this.receipts();
  }

  private async onWait(ins: Extract<Instruction, { kind: "wait" }>): Promise<void> {
    if (ins.stage === "queue") {
      this.view.stage("Waiting in the queue for a round.");
      this.view.queue(queueLine(await this.client.queuePosition()));
    } else {
      this.view.queue("");
      this.view.stage(ins.stage === "uploaded" ? "Every chunk is uploaded; waiting for the verifiers." : `In the round: ${ins.reason}.`);
    }
  }

  /** Verdicts on this participant's uploads, from the live feed. */
  private async followVerdicts(live: LiveFollower): Promise<void> {
    let after = live.received;
    while (!this.left) {
      const m = await live.next(60_000, () => true, after);
      after = live.received;
      if (!m) continue;
      const e = eventOf(m);
      if (!e || !this.mine) continue;
      if ((e.type === "ContributionVerified" || e.type === "ContributionRejected") && e.round === this.mine.round && e.position === this.mine.position) {
        this.view.chunk(e.chunk, e.type === "ContributionVerified" ? "verified" : "rejected");
      }
    }
  }

  /** The receipts of this round's contributions, checked against the coordinator's key; signed once committed. */
  private async receipts(): Promise<Receipt[]> {
    const round = this.contributor?.uploads.at(-1)?.round;
    for (let i = 0; ; i++) {
      const ours = (await this.client.receipts()).filter((r) => round === undefined || r.round === round);
      if (ours.length >= this.info.numChunks || i >= 240) {
        for (const r of ours) {
          const check = checkReceipt(r, this.info.coordinatorKey);
          if (!check.ok) throw new Error(`receipt of chunk ${r.chunk + 1}: ${check.message}`);
        }
        return ours;
      }
      await sleep(1_000);
    }
  }

  /** Leaves the queue or gives up the position in the round (the CLI's Ctrl-C), and stops. */
  async leave(): Promise<void> {
    if (this.holdsPlace) await this.client.leave();
    this.close();
  }

  /**
   * The tab is closing: the same signed leave request, sent with keepalive so it outlives the page. Signed here,
   * synchronously: nothing else may run once the page is hidden for good.
   */
  leaveOnClose(): void {
    if (!this.holdsPlace) return;
    const url = new URL("/v1/queue/leave", this.origin).href;
    const headers = signRequest(this.key, { ceremony: this.info.ceremonyId, method: "POST", path: url, body: new Uint8Array(0) });
    // Nobody is left to tell if it fails: the coordinator then drops the silent participant at its heartbeat timeout.
    void fetch(url, { method: "POST", headers, keepalive: true }).catch(() => undefined);
    this.close();
  }

  close(): void {
    this.left = true;
    this.live?.close();
    this.contributor?.close();
    void this.pool?.close();
  }
}
