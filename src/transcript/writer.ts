/**
 * The transcript writer: commits each accepted command's logged events, and the chunk files they name, to the git
 * repository `<dir>/.git` laid out as transcript/README.md specifies. It writes git objects directly (blobs, the trees
 * on the changed paths, the commit, the ref), so a commit costs O(depth of the changed paths) however long the history
 * is. Nothing is checked out: a work tree and its index would be rewritten whole at every commit (the index lists every
 * path) and would hold every chunk file a second time, so `.git` is marked `core.bare` and `git clone <dir>` gives the
 * files.
 */
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { CeremonyEvent } from "../core/model.ts";
import { checksumOf, decodeLine } from "../store/event-line.ts";
import {
  artifactPath,
  ceremonyFile,
  ceremonyFileDifferences,
  checkExtraPath,
  eventFileText,
  eventPath,
  jsonFileText,
  refFileText,
  refPathFor,
  seqOfEventFile,
  type CeremonyIdentity,
} from "./layout.ts";
import { messageFor } from "./messages.ts";
import { SerialQueue } from "../lib/serial.ts";
import { Repo, TEMP_DIR, TranscriptError, TreeOverlay } from "./repo.ts";

export { artifactPath, eventPath } from "./layout.ts";
export { messageFor } from "./messages.ts";
export { TranscriptError, type TranscriptErrorCode } from "./repo.ts";

export interface TranscriptOptions {
  /** The repository lives in `<dir>/.git` (nothing checked out; `git clone <dir>` gives the files). Created when missing or empty. */
  dir: string;
  /** README.md written at opening (transcript/README.md). */
  readme: string;
  ceremony: CeremonyIdentity;
  /** Where chunk files come from; `size`, when given, spares reading files that will only be referenced. */
  artifacts: { get(hash: string): Promise<Uint8Array>; size?(hash: string): Promise<number> };
  /** Artifacts larger than this are not committed; a `.ref.json` with `{hash,size,url}` is. */
  externalThresholdBytes: number;
  externalUrl: (hash: string) => string;
  author?: { name: string; email: string };
  /** Time of the opening commit (ISO); defaults to the Unix epoch so that the same log always gives the same commits. */
  openedAt?: string;
  /** fsync every object, the ref and new directories (survives power loss, costs a few disk flushes per commit). */
  fsync?: boolean;
  /** Pack the loose objects once this many were written (default 5,000): the repository stays near its packed size. */
  packEvery?: number;
}

export type LoggedCeremonyEvent = { seq: number; time: string; event: CeremonyEvent; checksum: string };

export type ExtraFile = { path: string; bytes: Uint8Array } | { path: string; artifactHash: string };

/** Loose objects written before they are packed: keeps the repository within about twice its packed size. */
const PACK_EVERY = 5_000;
const DEFAULT_AUTHOR = { name: "ceremony coordinator", email: "coordinator@ceremony.invalid" };
const utf8 = new TextEncoder();

/** What the writer knows about the branch tip; replaced whole after each commit, reloaded after any failure. */
interface Tip {
  head: string;
  tree: TreeOverlay;
  lastSeq: number;
  lastChecksum: string | null;
  /** Commit time of the tip (s); extra files are committed at it, so they too are reproducible. */
  timestamp: number;
}

export class TranscriptWriter {
  private readonly queue = new SerialQueue();
  private stale = false;

  private constructor(
    private readonly repo: Repo,
    private readonly options: TranscriptOptions,
    private readonly author: { name: string; email: string },
    private tip: Tip,
  ) {}

  static async open(options: TranscriptOptions): Promise<TranscriptWriter> {
    const author = options.author ?? DEFAULT_AUTHOR;
    if (/[<>\n]/.test(author.name + author.email)) throw new RangeError("author name and email cannot hold <, > or newlines");
    const repo = new Repo(options.dir, options.fsync ?? false);
    if (await repo.exists()) await rm(join(repo.gitdir, TEMP_DIR), { recursive: true, force: true }); // a crash's leftovers
    else await repo.init();
    let head = await repo.head();
    if (head === null) head = await openingCommit(repo, options, author);
    const tip = await readTip(repo, head);
    const stored = await repo.readJson(tip.tree, "ceremony.json");
    const differences = ceremonyFileDifferences(stored, ceremonyFile(options.ceremony));
    if (differences.length > 0) {
      throw new TranscriptError("TRANSCRIPT_MISMATCH", `${options.dir}: ceremony.json differs in ${differences.join(", ")}`);
    }
    return new TranscriptWriter(repo, options, author, tip);
  }

  /** Seq of the last committed event (0 if none). */
  get lastSeq(): number {
    return this.tip.lastSeq;
  }

  /**
   * Commits one accepted command's events, and every artifact they name, as one commit; returns its oid. Events at
   * or below lastSeq are skipped (the one at lastSeq must have the committed checksum); the rest must continue it.
   */
  commitEvents(entries: LoggedCeremonyEvent[], message?: string): Promise<string> {
    return this.serialized(async () => {
      const fresh = this.freshEntries(entries);
      const last = fresh.at(-1);
      if (last === undefined) return this.tip.head;
      const { tree } = this.tip;
      for (const entry of fresh) await tree.put(eventPath(entry.seq), await this.repo.writeBlob(utf8.encode(eventFileText(entry))));
      for (const hash of new Set(fresh.flatMap((e) => artifactsNamed(e.event)))) {
        if ((await tree.find(artifactPath(hash, false))) || (await tree.find(artifactPath(hash, true)))) continue;
        await this.putArtifact(hash, artifactPath(hash, false), artifactPath(hash, true));
      }
      const timestamp = secondsOf(last.time);
      const oid = await this.commit(message ?? messageFor(fresh.map((e) => e.event)), timestamp);
      this.tip = { ...this.tip, head: oid, lastSeq: last.seq, lastChecksum: last.checksum, timestamp };
      tree.evictExcept(eventPath(last.seq));
      if (this.repo.looseWritten >= (this.options.packEvery ?? PACK_EVERY)) await this.repo.packLoose();
      return oid;
    });
  }

  /** Commits extra files (receipts, the final .ptau or its ref) at the tip's time; no commit when nothing changes. */
  commitFiles(files: ExtraFile[], message: string): Promise<string> {
    return this.serialized(async () => {
      for (const file of files) checkExtraPath(file.path);
      const { tree } = this.tip;
      const before = await tree.write(); // clean: the tip's tree
      for (const file of files) {
        if ("bytes" in file) await tree.put(file.path, await this.repo.writeBlob(file.bytes));
        else await this.putArtifact(file.artifactHash, file.path, refPathFor(file.path));
      }
      if ((await tree.write()) === before) return this.tip.head;
      const oid = await this.commit(message, this.tip.timestamp);
      this.tip = { ...this.tip, head: oid };
      tree.evictExcept(this.tip.lastSeq > 0 ? eventPath(this.tip.lastSeq) : "");
      return oid;
    });
  }

  /** The oid of the branch tip once earlier commits are done. */
  head(): Promise<string> {
    return this.serialized(async () => this.tip.head);
  }

  /** Runs commits one at a time; after a failure the next one first reloads the tip from the repository. */
  private serialized<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      if (this.stale) {
        this.tip = await readTip(this.repo, await this.repo.headOrThrow());
        this.stale = false;
      }
      try {
        return await work();
      } catch (error) {
        this.stale = true;
        throw error;
      }
    });
  }

  private freshEntries(entries: LoggedCeremonyEvent[]): LoggedCeremonyEvent[] {
    const { lastSeq, lastChecksum } = this.tip;
    const fresh: LoggedCeremonyEvent[] = [];
    for (const entry of entries) {
      if (checksumOf(entry) !== entry.checksum) throw new TranscriptError("TRANSCRIPT_INVALID", `event ${entry.seq}: checksum mismatch`);
      if (entry.seq === lastSeq && entry.checksum !== lastChecksum) {
        throw new TranscriptError("TRANSCRIPT_DIVERGED", `event ${entry.seq} differs from the committed one`);
      }
      if (entry.seq <= lastSeq) continue;
      const expected = lastSeq + fresh.length + 1;
      if (entry.seq !== expected) throw new TranscriptError("TRANSCRIPT_GAP", `expected event ${expected}, got ${entry.seq}`);
      fresh.push(entry);
    }
    return fresh;
  }

  /** Puts the artifact's bytes at `inline`, or a ref at `ref` when it is above the threshold; checks the bytes' hash. */
  private async putArtifact(hash: string, inline: string, ref: string): Promise<void> {
    const { artifacts, externalThresholdBytes, externalUrl } = this.options;
    let bytes: Uint8Array | null = null;
    let size: number;
    if (artifacts.size === undefined) {
      bytes = await artifacts.get(hash);
      size = bytes.length;
    } else size = await artifacts.size(hash);
    if (size > externalThresholdBytes) {
      await this.tip.tree.put(ref, await this.repo.writeBlob(utf8.encode(refFileText(hash, size, externalUrl(hash)))));
      return;
    }
    bytes ??= await artifacts.get(hash);
    const actual = createHash("blake2b512").update(bytes).digest("hex");
    if (actual !== hash) throw new TranscriptError("TRANSCRIPT_INVALID", `artifact ${hash} has bytes hashing to ${actual}`);
    await this.tip.tree.put(inline, await this.repo.writeBlob(bytes));
  }

  private async commit(message: string, timestamp: number): Promise<string> {
    const tree = await this.tip.tree.write();
    return this.repo.commit(tree, this.tip.head, message, { ...this.author, timestamp });
  }
}

/** The README, ceremony.json and the first commit of a new transcript. */
async function openingCommit(repo: Repo, options: TranscriptOptions, author: { name: string; email: string }): Promise<string> {
  const tree = await TreeOverlay.load(repo, null);
  await tree.put("README.md", await repo.writeBlob(utf8.encode(options.readme)));
  await tree.put("ceremony.json", await repo.writeBlob(utf8.encode(jsonFileText(ceremonyFile(options.ceremony)))));
  const message = `ceremony ${options.ceremony.ceremonyId}: transcript opened`;
  return repo.commit(await tree.write(), null, message, { ...author, timestamp: secondsOf(options.openedAt ?? "1970-01-01T00:00:00Z") });
}

/** Reads the tip back: its tree, and the last event file found by following the largest name at each shard level. */
async function readTip(repo: Repo, head: string): Promise<Tip> {
  const { tree: treeOid, timestamp } = await repo.readCommit(head);
  const tree = await TreeOverlay.load(repo, treeOid);
  const path: string[] = ["events"];
  for (const pattern of [/^\d{6}$/, /^\d{3}$/]) {
    const names = await tree.names(path, "tree");
    const last = names.filter((n) => pattern.test(n)).sort().at(-1);
    if (last === undefined) return { head, tree, lastSeq: 0, lastChecksum: null, timestamp };
    path.push(last);
  }
  const file = (await tree.names(path, "blob")).filter((n) => seqOfEventFile(n) !== null).sort().at(-1);
  if (file === undefined) throw new TranscriptError("TRANSCRIPT_CORRUPT", `${path.join("/")} holds no event file`);
  const entry = await tree.find([...path, file].join("/"));
  const bytes = await repo.readBlob(entry!.oid);
  const decoded = bytes.at(-1) === 0x0a ? decodeLine(bytes.subarray(0, -1)) : { ok: false as const, reason: "no final newline" };
  const seq = seqOfEventFile(file);
  if (!decoded.ok || decoded.line.seq !== seq || decoded.line.more) {
    throw new TranscriptError("TRANSCRIPT_CORRUPT", `${path.join("/")}/${file} is not event ${seq}${decoded.ok ? "" : `: ${decoded.reason}`}`);
  }
  return { head, tree, lastSeq: decoded.line.seq, lastChecksum: decoded.line.checksum, timestamp };
}

function artifactsNamed(event: CeremonyEvent): string[] {
  if (event.type === "CeremonyInitialized") return event.imported ? [...event.accumulator, event.imported.records] : event.accumulator;
  if (event.type === "ContributionRecorded") return [event.hash];
  return [];
}

function secondsOf(time: string): number {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${time}`);
  return Math.floor(ms / 1000);
}
