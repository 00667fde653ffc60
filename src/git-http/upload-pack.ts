/**
 * upload-pack over stateless HTTP, protocol v0/v1: the ref advertisement, and the answer to one request (wants,
 * haves, maybe "done"): ACK/NAK lines, then, once the client is done, the pack on side-band if it asked for one.
 */
import type { RepoReader } from "./objects.ts";
import { OID_PATTERN, SERVED_BRANCH } from "./objects.ts";
import { packfile, type PackStats } from "./pack.ts";
import type { CachedPack, PackCache } from "./pack-cache.ts";
import { FLUSH_PKT, MAX_PKT_LENGTH, PktLineError, SIDE_BAND, parsePktLines, pktLine, sideBandPkt } from "./pkt.ts";
import type { GitServerStats } from "./stats.ts";
import { commitsReachable, objectsToSend } from "./walk.ts";

const NO_COMMIT = "0".repeat(40);
const AGENT = "agent=ceremony-transcript/1";
/** How often a client waiting for a pack to be built hears from the server. */
const KEEPALIVE_MS = 5_000;

/** What this server does: no shallow clones, no filters, no tags, no ofs-delta (REF_DELTA needs none), one branch. */
const CAPABILITIES = ["multi_ack_detailed", "side-band-64k", "side-band", "thin-pack", "no-progress", `symref=HEAD:${SERVED_BRANCH}`, "object-format=sha1", AGENT].join(" ");

/** `# service=git-upload-pack`, then HEAD and the branch (or the empty-repository line), first line with capabilities. */
export function advertisement(tip: string | null): Uint8Array[] {
  const refs =
    tip === null
      ? [pktLine(`${NO_COMMIT} capabilities^{}\0${CAPABILITIES}\n`)]
      : [pktLine(`${tip} HEAD\0${CAPABILITIES}\n`), pktLine(`${tip} ${SERVED_BRANCH}\n`)];
  return [pktLine("# service=git-upload-pack\n"), FLUSH_PKT, ...refs, FLUSH_PKT];
}

export interface UploadPackRequest {
  wants: string[];
  haves: string[];
  capabilities: Set<string>;
  done: boolean;
}

/** Parses the request body; throws PktLineError for anything outside what was advertised. */
export function parseUploadPackRequest(body: Uint8Array): UploadPackRequest {
  const request: UploadPackRequest = { wants: [], haves: [], capabilities: new Set(), done: false };
  let phase: "wants" | "haves" = "wants";
  for (const line of parsePktLines(body)) {
    if (request.done && line !== null) throw new PktLineError("data after done");
    if (line === null) {
      phase = "haves";
      continue;
    }
    const [verb, oid, ...caps] = line.split(" ");
    if (phase === "wants" && verb === "want" && oid !== undefined && OID_PATTERN.test(oid)) {
      if (request.wants.length === 0) caps.forEach((c) => request.capabilities.add(c));
      else if (caps.length > 0) throw new PktLineError("capabilities after the first want");
      request.wants.push(oid);
    } else if (phase === "haves" && verb === "have" && oid !== undefined && OID_PATTERN.test(oid) && caps.length === 0) {
      request.haves.push(oid);
    } else if (line === "done") {
      request.done = true;
    } else {
      throw new PktLineError(`unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return request;
}

export type UploadPackAnswer = { ok: true; body: AsyncGenerator<Uint8Array> } | { ok: false; error: string };

/** What answering needs; `signal` aborts when the client goes away, and then all work for it stops. */
export interface UploadPackContext {
  repo: RepoReader;
  cache: PackCache;
  stats: GitServerStats;
  log: (line: string) => void;
  signal: AbortSignal;
}

/**
 * Answers one request against the branch as it is now (read once). A want must be reachable from the tip, so a
 * client that saw an older advertisement still gets what it asked for. A have is common when it is in that history.
 */
export async function answerUploadPack(context: UploadPackContext, request: UploadPackRequest): Promise<UploadPackAnswer> {
  const tip = await context.repo.tip();
  const history = new Set(tip === null ? [] : await commitsReachable(context.repo, [tip], new Set(), context.signal));
  const notOurs = request.wants.find((oid) => !history.has(oid));
  if (notOurs !== undefined) return { ok: false, error: `upload-pack: not our ref ${notOurs}` };
  return { ok: true, body: respond(context, request, history) };
}

async function* respond(context: UploadPackContext, request: UploadPackRequest, history: ReadonlySet<string>): AsyncGenerator<Uint8Array> {
  if (request.wants.length === 0) return;
  const common = [...new Set(request.haves.filter((oid) => history.has(oid)))];
  yield* negotiation(request, common).map((line) => pktLine(`${line}\n`));
  if (!request.done) return;

  const caps = request.capabilities;
  const bandMax = caps.has("side-band-64k") ? MAX_PKT_LENGTH - 5 : caps.has("side-band") ? 1000 - 5 : 0;
  const progress = bandMax > 0 && !caps.has("no-progress");
  try {
    const pack = yield* choosePack(context, request, common, bandMax > 0);
    if (progress) yield sideBandPkt(SIDE_BAND.progress, `Enumerating objects: ${pack.objects}, done.\n`);
    if (bandMax === 0) {
      yield* pack.body;
      return;
    }
    const stats = yield* inSideBand(pack.body, bandMax);
    const [reused, reusedDeltas] = pack.cached ? [stats.objects, stats.deltas] : [0, 0];
    if (progress) yield sideBandPkt(SIDE_BAND.progress, `Total ${stats.objects} (delta ${stats.deltas}), reused ${reused} (delta ${reusedDeltas})\n`);
    yield FLUSH_PKT;
  } catch (error) {
    if (context.signal.aborted) {
      context.stats.abandoned++;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    context.log(`ceremony: git upload-pack failed: ${message}`);
    // Without side-band there is no way to tell the client: the broken stream has to do.
    if (bandMax === 0) throw error;
    yield sideBandPkt(SIDE_BAND.error, "upload-pack: internal error\n");
  }
}

interface ChosenPack {
  objects: number;
  /** Sent from the cache rather than compressed for this request. */
  cached: boolean;
  body: AsyncGenerator<Uint8Array, PackStats>;
}

/**
 * A clone (one want, nothing in common) gets the cached pack of everything reachable from that commit, with empty
 * side-band packets every few seconds while it is being built (as git's upload-pack keeps a connection alive); any
 * other fetch gets a pack made for it, which costs what it lacks.
 */
async function* choosePack(context: UploadPackContext, request: UploadPackRequest, common: readonly string[], sideBand: boolean): AsyncGenerator<Uint8Array, ChosenPack> {
  const { repo, signal, stats } = context;
  const wants = [...new Set(request.wants)];
  const want = wants[0];
  if (common.length === 0 && wants.length === 1 && want !== undefined) {
    const cached = yield* keepingAlive(context.cache.packFor(want, signal), sideBand);
    if (cached !== null) return { objects: cached.objects, cached: true, body: piecesOf(cached) };
  }
  stats.packsPerRequest++;
  const entries = await objectsToSend(repo, wants, common, signal);
  return { objects: entries.length, cached: false, body: packfile(repo, entries, { thin: request.capabilities.has("thin-pack"), signal, stats }) };
}

async function* piecesOf(pack: CachedPack): AsyncGenerator<Uint8Array, PackStats> {
  yield* pack.pieces;
  return { objects: pack.objects, deltas: pack.deltas };
}

/** `work`'s result; meanwhile, with side-band, an empty data packet every KEEPALIVE_MS. */
async function* keepingAlive<T>(work: Promise<T>, sideBand: boolean): AsyncGenerator<Uint8Array, T> {
  if (!sideBand) return await work;
  const settled = work.then((value) => ({ value }));
  for (;;) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), KEEPALIVE_MS)));
    const outcome = await Promise.race([settled, tick]).finally(() => clearTimeout(timer));
    if (outcome !== null) return outcome.value;
    yield sideBandPkt(SIDE_BAND.data, new Uint8Array(0));
  }
}

/**
 * ACK/NAK lines as git's upload-pack writes them in stateless mode. With multi_ack_detailed: "ACK <oid> common" per
 * common have, then "NAK" at the end of a round or "ACK <last>" after done. Without it: "ACK" once for the first common
 * have, and "NAK" only when there is none.
 */
function negotiation(request: UploadPackRequest, common: readonly string[]): string[] {
  const last = common.at(-1);
  if (request.capabilities.has("multi_ack_detailed")) {
    const acks = common.map((oid) => `ACK ${oid} common`);
    if (!request.done) return [...acks, "NAK"];
    return [...acks, last === undefined ? "NAK" : `ACK ${last}`];
  }
  const first = common[0];
  return [first === undefined ? "NAK" : `ACK ${first}`];
}

/** Cuts the pack into band-1 packets as large as the band allows, rather than one small packet per object. */
async function* inSideBand<R>(pack: AsyncGenerator<Uint8Array, R>, maxData: number): AsyncGenerator<Uint8Array, R> {
  const buffer = new Uint8Array(maxData);
  let filled = 0;
  for (let next = await pack.next(); ; next = await pack.next()) {
    if (next.done === true) {
      if (filled > 0) yield sideBandPkt(SIDE_BAND.data, buffer.subarray(0, filled));
      return next.value;
    }
    const piece = next.value;
    let at = 0;
    while (at < piece.length) {
      const take = Math.min(maxData - filled, piece.length - at);
      buffer.set(piece.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === maxData) {
        yield sideBandPkt(SIDE_BAND.data, buffer);
        filled = 0;
      }
    }
  }
}
