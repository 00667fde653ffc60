/**
 * Read access to the transcript repository for the git server: the branch tip, raw objects, and parsed commits.
 * Objects are immutable, so parsed commits are kept for the life of the server and recently read objects in a
 * bounded cache.
 */
import * as fs from "node:fs";
import { readFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { inflate, inflateSync } from "node:zlib";
import git from "isomorphic-git";

const inflateAsync = promisify(inflate);
/** Loose objects up to this size (compressed) are inflated in place: cheaper than a trip to the thread pool. */
const INFLATE_IN_PLACE = 64 * 1024;

export type ObjectType = "commit" | "tree" | "blob" | "tag";

export interface RawObject {
  type: ObjectType;
  content: Uint8Array;
}

export interface CommitLinks {
  tree: string;
  parents: string[];
}

export const OID_PATTERN = /^[0-9a-f]{40}$/;
export const SERVED_BRANCH = "refs/heads/main";

/**
 * Recently read objects up to this many bytes in all, each at most RECENT_MAX_OBJECT: a walk reads a parent's trees
 * right after its child's, and a pack's writer reads what the walk has just read.
 */
const RECENT_BYTES = 32 * 1024 * 1024;
const RECENT_MAX_OBJECT = 256 * 1024;

export class RepoReader {
  /** isomorphic-git's cache (pack indexes, if the repository has packs). */
  private readonly gitCache = {};
  private readonly commits = new Map<string, CommitLinks>();
  private readonly recent = new Map<string, RawObject>();
  private readonly reading = new Map<string, Promise<RawObject>>();
  private recentBytes = 0;

  constructor(readonly dir: string) {}

  get gitdir(): string {
    return `${this.dir}/.git`;
  }

  /**
   * The commit of the served branch, or null while it has none. Read once per request: the writer replaces the ref
   * whole (src/transcript/writer.ts writes by rename) after the objects it names, so any tip seen is complete.
   */
  async tip(): Promise<string | null> {
    let oid: string;
    try {
      oid = await git.resolveRef({ fs, dir: this.dir, ref: SERVED_BRANCH });
    } catch (error) {
      if (error instanceof git.Errors.NotFoundError) return null;
      throw error;
    }
    if (!OID_PATTERN.test(oid)) throw new Error(`${SERVED_BRANCH} holds ${JSON.stringify(oid)}, not an object id`);
    return oid;
  }

  /** The object's content, checked against its id; recently read ones come from memory. */
  async read(oid: string): Promise<RawObject> {
    const known = this.recent.get(oid);
    if (known !== undefined) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.recent.delete(oid);
      this.recent.set(oid, known);
      return known;
    }
    // Concurrent walks often want the same tree at once: one read serves them all.
    let reading = this.reading.get(oid);
    if (reading === undefined) {
      reading = this.readStored(oid).finally(() => this.reading.delete(oid));
      this.reading.set(oid, reading);
    }
    const object = await reading;
    if (object.content.length <= RECENT_MAX_OBJECT && !this.recent.has(oid)) {
      this.recent.set(oid, object);
      this.recentBytes += object.content.length;
      for (const [old, evicted] of this.recent) {
        if (this.recentBytes <= RECENT_BYTES) break;
        this.recent.delete(old);
        this.recentBytes -= evicted.content.length;
      }
    }
    return object;
  }

  async commit(oid: string): Promise<CommitLinks> {
    const known = this.commits.get(oid);
    if (known) return known;
    const parsed = parseCommit(oid, await this.readTyped(oid, "commit"));
    this.commits.set(oid, parsed);
    return parsed;
  }

  async readTyped(oid: string, type: ObjectType): Promise<Uint8Array> {
    const object = await this.read(oid);
    if (object.type !== type) throw new Error(`object ${oid} is a ${object.type}, not a ${type}`);
    return object.content;
  }

  /**
   * Loose objects (all that the transcript writer writes) are read directly; packed ones (a repository restored from
   * a clone) through isomorphic-git.
   */
  private async readStored(oid: string): Promise<RawObject> {
    if (!OID_PATTERN.test(oid)) throw new Error(`not an object id: ${JSON.stringify(oid)}`);
    const loose = await readFile(join(this.gitdir, "objects", oid.slice(0, 2), oid.slice(2))).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    if (loose !== null) return unwrapLoose(oid, loose.length <= INFLATE_IN_PLACE ? inflateSync(loose) : await inflateAsync(loose));
    const result = await git.readObject({ fs, dir: this.dir, oid, format: "content", cache: this.gitCache });
    if (result.format !== "content") throw new Error(`object ${oid}: unexpected format ${result.format}`);
    return { type: result.type, content: result.object };
  }
}

/** A loose object inflates to "<type> <size>\0<content>", whose SHA-1 is its id. */
function unwrapLoose(oid: string, wrapped: Buffer): RawObject {
  if (createHash("sha1").update(wrapped).digest("hex") !== oid) throw new Error(`object ${oid} is corrupt (hash mismatch)`);
  const nul = wrapped.indexOf(0);
  const [type, size] = wrapped.toString("latin1", 0, Math.max(nul, 0)).split(" ");
  if (type !== "commit" && type !== "tree" && type !== "blob" && type !== "tag") throw new Error(`object ${oid} has an unknown type`);
  if (Number(size) !== wrapped.length - nul - 1) throw new Error(`object ${oid} is corrupt (size mismatch)`);
  return { type, content: wrapped.subarray(nul + 1) };
}

function parseCommit(oid: string, content: Uint8Array): CommitLinks {
  const text = Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString("latin1");
  const headerEnd = text.indexOf("\n\n");
  const headers = (headerEnd < 0 ? text : text.slice(0, headerEnd)).split("\n");
  let tree: string | null = null;
  const parents: string[] = [];
  for (const line of headers) {
    if (line.startsWith("tree ") && tree === null) tree = line.slice(5);
    else if (line.startsWith("parent ")) parents.push(line.slice(7));
  }
  if (tree === null || !OID_PATTERN.test(tree) || !parents.every((p) => OID_PATTERN.test(p))) {
    throw new Error(`commit ${oid} is malformed`);
  }
  return { tree, parents };
}
