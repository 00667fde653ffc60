/**
 * The transcript's files as the public verifier reads them: ceremony.json, chunk files (kept in the repository, or
 * fetched from a ref's URL), the final .ptau, and a scratch folder for what the verifier computes itself. Every
 * chunk is re-hashed on every read, so nothing here is trusted for more than its bytes.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import * as fs from "node:fs";
import * as v from "valibot";
import { chunkHash } from "../crypto/chunk.ts";
import { toHex } from "../crypto/hash.ts";
import { numChunks, parseParams, type CeremonyParams } from "../crypto/params.ts";
import type { ChunkStorage } from "../crypto/rounds.ts";
import { cloneTranscriptUrl } from "../transcript/clone.ts";
import { artifactPath, refPathFor, TRANSCRIPT_FORMAT, type CeremonyFile } from "../transcript/layout.ts";
import { HashHex, isHashHex, KeyHex } from "../lib/hex.ts";
import { FolderSource, type TranscriptSource } from "./source.ts";

/** Where the published .ptau lives in the transcript (or its ref, at refPathFor of it). */
export const FINAL_PTAU = "final/final.ptau";

/** A check that did not hold: the step that failed (an event, a receipt, ceremony.json…) and why. */
export class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
    this.name = "StepFailure";
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs `fn`, turning any error but an earlier StepFailure into a failure of `step`. */
export async function within<T>(step: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof StepFailure ? err : new StepFailure(step, messageOf(err));
  }
}

const int = v.pipe(v.number(), v.safeInteger(), v.minValue(1));

const CeremonyFileSchema = v.object({
  format: v.literal(TRANSCRIPT_FORMAT),
  ceremonyId: KeyHex,
  curve: v.literal("bn128"),
  power: int,
  chunkSize: int,
  numChunks: int,
  coordinatorKey: KeyHex,
});

const RefSchema = v.object({
  hash: HashHex,
  size: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  url: v.pipe(v.string(), v.regex(/^https?:\/\/\S+$/)),
});
type Ref = v.InferOutput<typeof RefSchema>;

export interface CeremonyDeclaration {
  file: CeremonyFile;
  params: CeremonyParams;
}

/** Step 1: ceremony.json parses, has the format this verifier knows, and describes valid parameters. */
export async function readCeremonyFile(source: TranscriptSource): Promise<CeremonyDeclaration> {
  return within("ceremony.json", async () => {
    let json: unknown;
    try {
      const bytes = await source.read("ceremony.json");
      if (bytes === null) throw new Error("missing");
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch (err) {
      throw new Error(`unreadable: ${messageOf(err)}`);
    }
    const r = v.safeParse(CeremonyFileSchema, json);
    if (!r.success) throw new Error(`not a ${TRANSCRIPT_FORMAT} ceremony file: ${v.summarize(r.issues)}`);
    const file = r.output;
    let params: CeremonyParams;
    try {
      params = parseParams({ ceremonyId: file.ceremonyId, power: file.power, chunkSize: file.chunkSize });
    } catch (err) {
      throw new Error(`invalid parameters: ${messageOf(err)}`);
    }
    if (numChunks(params) !== file.numChunks) throw new Error(`numChunks is ${file.numChunks}, but power ${file.power} in chunks of ${file.chunkSize} makes ${numChunks(params)}`);
    return { file, params };
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export { fileHash } from "../lib/file-hash.ts";

async function readRef(source: TranscriptSource, path: string, expectedHash?: string): Promise<Ref> {
  let json: unknown;
  try {
    const bytes = await source.read(path);
    if (bytes === null) throw new Error("missing");
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${path}: unreadable ref: ${messageOf(err)}`);
  }
  const r = v.safeParse(RefSchema, json);
  if (!r.success) throw new Error(`${path}: not a ref {hash, size, url}: ${v.summarize(r.issues)}`);
  if (expectedHash !== undefined && r.output.hash !== expectedHash) throw new Error(`${path} names another hash (${r.output.hash.slice(0, 16)}…)`);
  return r.output;
}

/** Streams `ref.url` to `to`, refusing more bytes than announced and anything whose hash is not the ref's. */
async function download(ref: Ref, to: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(ref.url);
  } catch (err) {
    throw new Error(`cannot fetch ${ref.url}: ${messageOf(err)}`);
  }
  if (!res.ok || !res.body) throw new Error(`cannot fetch ${ref.url}: HTTP ${res.status}`);
  const part = `${to}.part`;
  const h = createHash("blake2b512");
  let size = 0;
  const fh = await open(part, "w");
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > ref.size) {
        await reader.cancel();
        throw new Error(`${ref.url} sent more than the ${ref.size} bytes its ref announces`);
      }
      h.update(value);
      await fh.write(value);
    }
  } finally {
    await fh.close();
  }
  const got = h.digest("hex");
  if (size !== ref.size || got !== ref.hash) {
    await rm(part, { force: true });
    throw new Error(`${ref.url} sent ${size} bytes hashing to ${got.slice(0, 16)}…, not the ${ref.size} bytes of ${ref.hash.slice(0, 16)}… its ref names`);
  }
  await rename(part, to);
}

/**
 * Chunk files of the transcript, by hash: first what the verifier made or downloaded itself (scratch), then
 * `artifacts/…/HASH.chunk`, then `artifacts/…/HASH.ref.json` (downloaded once into scratch). `put` keeps the
 * chunks the verifier computes (the initial accumulator, the beacon's) in scratch, so it is a ChunkStorage.
 */
export class TranscriptFiles implements ChunkStorage {
  private constructor(
    /** The version of the transcript read; a mirror moves it to each commit it checks (artifacts never change). */
    public source: TranscriptSource,
    readonly scratch: string,
  ) {}

  /** Scratch space in a temporary folder (removed by close), or in `scratch` (kept: a mirror's). */
  static async open(source: TranscriptSource, scratch?: string): Promise<TranscriptFiles> {
    if (scratch !== undefined) await mkdir(scratch, { recursive: true });
    return new TranscriptFiles(source, scratch ?? (await mkdtemp(join(tmpdir(), "ceremony-verify-"))));
  }

  private scratchPath(hash: string): string {
    return join(this.scratch, "chunks", `${hash}.chunk`);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const hash = toHex(chunkHash(bytes));
    await mkdir(dirname(this.scratchPath(hash)), { recursive: true });
    const fh = await open(this.scratchPath(hash), "w");
    try {
      await fh.writeFile(bytes);
    } finally {
      await fh.close();
    }
    return hash;
  }

  /** The chunk file named `hash`; throws naming the file when it is missing or its bytes do not hash to its name. */
  async get(hash: string): Promise<Uint8Array> {
    if (!isHashHex(hash)) throw new Error(`${JSON.stringify(hash)} is not an artifact hash`);
    const kept = this.scratchPath(hash);
    if (await exists(kept)) return checked(await readBytes(kept), hash, kept);
    const inline = artifactPath(hash, false);
    const bytes = await this.source.read(inline);
    if (bytes !== null) return checked(bytes, hash, inline);
    const ref = artifactPath(hash, true);
    const refBytes = await this.source.read(ref);
    if (refBytes === null) throw new Error(`artifact ${hash.slice(0, 16)}… is missing: neither ${inline} nor ${ref} is in the transcript`);
    await mkdir(dirname(kept), { recursive: true });
    await download(await readRef(this.source, ref, hash), kept);
    return checked(await readBytes(kept), hash, ref);
  }

  /**
   * Where the published final .ptau is (`final/final.ptau`, or the file its ref names, downloaded into scratch and
   * checked against the ref), or null when neither is in the transcript.
   */
  async finalPtau(): Promise<{ path: string; source: string } | null> {
    const inRepo = FINAL_PTAU;
    if (this.source instanceof FolderSource && (await exists(join(this.source.dir, inRepo)))) return { path: join(this.source.dir, inRepo), source: inRepo };
    const to = join(this.scratch, "published-final.ptau");
    const bytes = this.source instanceof FolderSource ? null : await this.source.read(inRepo);
    if (bytes !== null) {
      await writeFile(to, bytes);
      return { path: to, source: inRepo };
    }
    const refPath = refPathFor(inRepo);
    if ((await this.source.read(refPath)) === null) return null;
    if (!(await exists(to))) await download(await readRef(this.source, refPath), to);
    return { path: to, source: refPath };
  }

  async close(): Promise<void> {
    await rm(this.scratch, { recursive: true, force: true });
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path));
}

function checked(bytes: Uint8Array, hash: string, where: string): Uint8Array {
  if (toHex(chunkHash(bytes)) !== hash) throw new Error(`${where} does not match its hash`);
  return bytes;
}

/**
 * A local clone of the transcript: `target` itself when it is a path; an http(s) URL (a coordinator's, its
 * `/transcript.git`, or a backup remote) is cloned with isomorphic-git into a temporary folder that `cleanup` removes.
 */
export async function localClone(target: string, progress?: (line: string) => void): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  if (!/^https?:\/\//.test(target)) return { dir: target, cleanup: async () => undefined };
  const dir = await mkdtemp(join(tmpdir(), "ceremony-transcript-"));
  progress?.(`cloning ${target}`);
  const cloned = await cloneTranscriptUrl(target, dir);
  if (cloned !== target) progress?.(`cloned ${cloned}`);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
