/**
 * The transcript writer: commits each accepted command's logged events, and the chunk files they name, to the git
 * repository `<dir>/.git` laid out as transcript/README.md specifies. It writes git objects directly (blobs, the trees
 * on the changed paths, the commit, the ref), so a commit costs O(depth of the changed paths) however long the history
 * is. Nothing is checked out: a work tree and its index would be rewritten whole at every commit (the index lists every
 * path) and would hold every chunk file a second time, so `.git` is marked `core.bare` and `git clone <dir>` gives the
 * files.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdir, rename, rm } from "node:fs/promises";
import * as nodeFs from "node:fs/promises";
import { dirname, join } from "node:path";
import git, { Errors, type PromiseFsClient, type TreeEntry } from "isomorphic-git";
import type { CeremonyEvent } from "../core/model.ts";
import { fsyncDir, isErrnoCode } from "../store/durable.ts";
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
  type CeremonyInfo,
} from "./layout.ts";
import { messageFor } from "./messages.ts";

export { artifactPath, eventPath } from "./layout.ts";
export { messageFor } from "./messages.ts";

export interface TranscriptOptions {
  /** The repository lives in `<dir>/.git` (nothing checked out; `git clone <dir>` gives the files). Created when missing or empty. */
  dir: string;
  /** README.md written at opening (transcript/README.md). */
  readme: string;
  ceremony: CeremonyInfo;
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
}

export type LoggedCeremonyEvent = { seq: number; time: string; event: CeremonyEvent; checksum: string };

export type ExtraFile = { path: string; bytes: Uint8Array } | { path: string; artifactHash: string };

export type TranscriptErrorCode =
  | "TRANSCRIPT_MISMATCH" // the repository belongs to another ceremony, or is not a transcript
  | "TRANSCRIPT_GAP" // events do not follow the last committed seq
  | "TRANSCRIPT_DIVERGED" // an already committed seq comes back with another checksum
  | "TRANSCRIPT_INVALID" // an event's checksum or an artifact's bytes do not match their claims
  | "TRANSCRIPT_CORRUPT"; // the repository cannot be read back as a transcript

export class TranscriptError extends Error {
  constructor(
    readonly code: TranscriptErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "TranscriptError";
  }
}

const BRANCH = "refs/heads/main";
const TEMP_DIR = "ceremony-tmp";
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
  private queue: Promise<unknown> = Promise.resolve();
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
    const turn = this.queue.then(async () => {
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
    this.queue = turn.catch(() => undefined);
    return turn;
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
  if (event.type === "CeremonyInitialized") return event.accumulator;
  if (event.type === "ContributionRecorded") return [event.hash];
  return [];
}

function secondsOf(time: string): number {
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${time}`);
  return Math.floor(ms / 1000);
}

/** A node of a tree being edited: its entries as stored, and the subtrees loaded so far. */
interface TreeNode {
  oid: string | null;
  entries: Map<string, TreeEntry>;
  children: Map<string, TreeNode>;
  dirty: boolean;
}

/**
 * The branch tip's tree, loaded lazily along the paths that are read or changed. `write` stores only the dirty
 * subtrees, so a commit touching a few paths writes a few trees whatever the tree's size.
 */
class TreeOverlay {
  private constructor(
    private readonly repo: Repo,
    private readonly root: TreeNode,
  ) {}

  /** The tree `oid`, or a new empty one when null. */
  static async load(repo: Repo, oid: string | null): Promise<TreeOverlay> {
    const entries = oid === null ? new Map<string, TreeEntry>() : await repo.readTree(oid);
    return new TreeOverlay(repo, { oid, entries, children: new Map(), dirty: oid === null });
  }

  async find(path: string): Promise<TreeEntry | undefined> {
    const parts = path.split("/");
    const name = parts.pop()!;
    const parent = await this.walk(parts, false);
    return parent?.entries.get(name);
  }

  async names(dirParts: string[], type: TreeEntry["type"]): Promise<string[]> {
    const node = await this.walk(dirParts, false);
    return node === null ? [] : [...node.entries.values()].filter((e) => e.type === type).map((e) => e.path);
  }

  /** Sets the file at `path` to the blob `oid`, creating folders on the way. */
  async put(path: string, oid: string): Promise<void> {
    const parts = path.split("/");
    const name = parts.pop()!;
    const nodes = [this.root];
    for (const part of parts) nodes.push((await this.child(nodes.at(-1)!, part, true))!);
    const parent = nodes.at(-1)!;
    const existing = parent.entries.get(name);
    if (existing?.type === "tree") throw new TranscriptError("TRANSCRIPT_CORRUPT", `${path} is a folder`);
    if (existing?.oid === oid) return;
    parent.entries.set(name, { mode: "100644", path: name, oid, type: "blob" });
    for (const node of nodes) node.dirty = true;
  }

  /** Writes the dirty trees, deepest first; returns the root tree's oid. */
  async write(node: TreeNode = this.root): Promise<string> {
    if (!node.dirty && node.oid !== null) return node.oid;
    for (const [name, child] of node.children) {
      if (child.dirty) node.entries.set(name, { mode: "040000", path: name, oid: await this.write(child), type: "tree" });
    }
    node.oid = await this.repo.writeTree([...node.entries.values()]);
    node.dirty = false;
    return node.oid;
  }

  /** Forgets loaded trees below the second level except those on `path`, so memory stays bounded. */
  evictExcept(path: string): void {
    const keep = path.split("/");
    for (const [n1, level1] of this.root.children) {
      for (const [n2, level2] of level1.children) {
        for (const n3 of [...level2.children.keys()]) {
          if (n1 !== keep[0] || n2 !== keep[1] || n3 !== keep[2]) level2.children.delete(n3);
        }
      }
    }
  }

  private async walk(parts: string[], create: boolean): Promise<TreeNode | null> {
    let node: TreeNode | null = this.root;
    for (const part of parts) {
      node = await this.child(node, part, create);
      if (node === null) return null;
    }
    return node;
  }

  private async child(node: TreeNode, name: string, create: boolean): Promise<TreeNode | null> {
    const cached = node.children.get(name);
    if (cached !== undefined) return cached;
    const entry = node.entries.get(name);
    if (entry !== undefined && entry.type !== "tree") throw new TranscriptError("TRANSCRIPT_CORRUPT", `${name} is not a folder`);
    if (entry === undefined && !create) return null;
    const child: TreeNode = { oid: entry?.oid ?? null, entries: new Map(), children: new Map(), dirty: false };
    if (entry !== undefined) child.entries = await this.repo.readTree(entry.oid);
    node.children.set(name, child);
    return child;
  }
}

/** The repository `<dir>/.git`, through isomorphic-git with a file system whose writes are atomic (temp file, rename). */
class Repo {
  readonly gitdir: string;
  private readonly fs: PromiseFsClient;

  constructor(
    readonly dir: string,
    fsync: boolean,
  ) {
    this.gitdir = join(dir, ".git");
    this.fs = atomicFs(join(this.gitdir, TEMP_DIR), fsync);
  }

  /** True when `<dir>/.git` holds a repository; refuses a non-empty folder without one. */
  async exists(): Promise<boolean> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (isErrnoCode(error, "ENOENT")) return false;
      throw error;
    }
    if (names.includes(".git")) return (await readdir(this.gitdir)).includes("HEAD");
    if (names.length === 0) return false;
    throw new TranscriptError("TRANSCRIPT_MISMATCH", `${this.dir} is neither empty nor a git repository`);
  }

  /** `git init --bare <dir>/.git`: no work tree, so git commands run in `<dir>` never see checked-out files missing. */
  async init(): Promise<void> {
    await git.init({ fs: this.fs, dir: this.gitdir, bare: true, defaultBranch: "main" });
    // isomorphic-git skips an init that finds a config, as one cut short after writing it would leave.
    await git.writeRef({ fs: this.fs, gitdir: this.gitdir, ref: "HEAD", value: BRANCH, symbolic: true, force: true });
  }

  /** The branch tip, or null before the first commit. */
  async head(): Promise<string | null> {
    try {
      return await git.resolveRef({ fs: this.fs, gitdir: this.gitdir, ref: BRANCH });
    } catch (error) {
      if (error instanceof Errors.NotFoundError) return null;
      throw error;
    }
  }

  async headOrThrow(): Promise<string> {
    const head = await this.head();
    if (head === null) throw new TranscriptError("TRANSCRIPT_CORRUPT", `${this.gitdir} has no ${BRANCH}`);
    return head;
  }

  async readCommit(oid: string): Promise<{ tree: string; timestamp: number }> {
    const { commit } = await git.readCommit({ fs: this.fs, gitdir: this.gitdir, oid });
    return { tree: commit.tree, timestamp: commit.committer.timestamp };
  }

  async readTree(oid: string): Promise<Map<string, TreeEntry>> {
    const { tree } = await git.readTree({ fs: this.fs, gitdir: this.gitdir, oid });
    return new Map(tree.map((entry) => [entry.path, entry]));
  }

  async readBlob(oid: string): Promise<Uint8Array> {
    return (await git.readBlob({ fs: this.fs, gitdir: this.gitdir, oid })).blob;
  }

  async readJson(tree: TreeOverlay, path: string): Promise<unknown> {
    const entry = await tree.find(path);
    if (entry === undefined) throw new TranscriptError("TRANSCRIPT_MISMATCH", `${this.gitdir} has no ${path}`);
    try {
      return JSON.parse(new TextDecoder().decode(await this.readBlob(entry.oid)));
    } catch (error) {
      throw new TranscriptError("TRANSCRIPT_CORRUPT", `${path} is not JSON`, { cause: error });
    }
  }

  writeBlob(bytes: Uint8Array): Promise<string> {
    return git.writeBlob({ fs: this.fs, gitdir: this.gitdir, blob: bytes });
  }

  writeTree(entries: TreeEntry[]): Promise<string> {
    return git.writeTree({ fs: this.fs, gitdir: this.gitdir, tree: entries });
  }

  /** Writes the commit, then moves the branch to it (an atomic rename of the ref file). */
  async commit(tree: string, parent: string | null, message: string, who: { name: string; email: string; timestamp: number }): Promise<string> {
    const person = { ...who, timezoneOffset: 0 };
    const commit = { tree, parent: parent === null ? [] : [parent], message, author: person, committer: person };
    const oid = await git.writeCommit({ fs: this.fs, gitdir: this.gitdir, commit });
    await git.writeRef({ fs: this.fs, gitdir: this.gitdir, ref: BRANCH, value: oid, force: true });
    return oid;
  }
}

/**
 * node:fs for isomorphic-git, except that a file is written whole to a temp file and renamed into place: a crash
 * never leaves a truncated object (isomorphic-git skips writing objects that exist) or a half-written ref.
 */
function atomicFs(tempDir: string, fsync: boolean): PromiseFsClient {
  async function writeTemp(temp: string, data: string | Uint8Array): Promise<void> {
    if (!fsync) return nodeFs.writeFile(temp, data, { flag: "wx" });
    const handle = await nodeFs.open(temp, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  async function writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const temp = join(tempDir, randomUUID());
    try {
      try {
        await writeTemp(temp, data);
      } catch (error) {
        if (!isErrnoCode(error, "ENOENT")) throw error;
        await nodeFs.mkdir(tempDir, { recursive: true }); // made on first use, and again if it was cleaned up
        await writeTemp(temp, data);
      }
      await rename(temp, path); // ENOENT when the folder is missing: isomorphic-git then makes it and retries
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    if (fsync) await fsyncDir(dirname(path));
  }
  async function mkdir(path: string): Promise<void> {
    await nodeFs.mkdir(path);
    if (fsync) await fsyncDir(dirname(path));
  }
  const { readFile, unlink, readdir: list, rmdir, stat, lstat, readlink, symlink } = nodeFs;
  return { promises: { readFile, writeFile, unlink, readdir: list, mkdir, rmdir, stat, lstat, readlink, symlink } };
}
