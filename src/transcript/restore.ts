/**
 * `serve --restore-from`: rebuilds a coordinator's data folder from a transcript clone (a path or a URL), since the
 * transcript holds the whole event log and every chunk file. Then the coordinator resumes as after a restart.
 * The coordinator's signing key is not public: to resume a ceremony it must already be at <data>/coordinator.key;
 * a finalized ceremony is restored without it (and then served read-only).
 */
import * as fs from "node:fs";
import { access, cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import git from "isomorphic-git";
import { cloneTranscriptUrl } from "./clone.ts";
import * as v from "valibot";
import { readKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { toHex, hash } from "../crypto/hash.ts";
import { ArtifactStore } from "../store/artifact-store.ts";
import { decodeLine } from "../store/event-line.ts";
import { writeJsonAtomic } from "../store/json-file.ts";
import { HashHex, KeyHex } from "../lib/hex.ts";

const exists = (p: string) => access(p).then(() => true, () => false);

const CeremonyJson = v.object({ format: v.literal("ceremony-transcript/1"), coordinatorKey: KeyHex });
const RefJson = v.object({ hash: HashHex, size: v.number(), url: v.string() });

export class RestoreError extends Error {}

/** Copies or clones the transcript into <data>/transcript/.git. */
async function fetchRepository(source: string, target: string): Promise<void> {
  await mkdir(target, { recursive: true });
  const gitdir = join(target, ".git");
  if (/^https?:\/\//.test(source)) {
    const tmp = await mkdtemp(join(tmpdir(), "ceremony-restore-"));
    try {
      await cloneTranscriptUrl(source, tmp, { noCheckout: true }).catch((err: unknown) => {
        throw new RestoreError(err instanceof Error ? err.message : String(err));
      });
      await cp(join(tmp, ".git"), gitdir, { recursive: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } else if (await exists(join(source, ".git"))) {
    await cp(join(source, ".git"), gitdir, { recursive: true });
  } else if (await exists(join(source, "objects"))) {
    await cp(source, gitdir, { recursive: true });
  } else {
    throw new RestoreError(`${source} is neither a transcript clone nor a URL`);
  }
  await git.setConfig({ fs, gitdir, path: "core.bare", value: true });
  await rm(join(gitdir, "index"), { force: true });
}

export async function restoreFromTranscript(source: string, dataDir: string, log: (line: string) => void): Promise<{ finalized: boolean }> {
  if (await exists(join(dataDir, "events.jsonl"))) throw new RestoreError(`--restore-from needs a data folder without a ceremony; ${dataDir} has one`);
  const keyPath = join(dataDir, "coordinator.key");
  // The key signs receipts and is not in the transcript: a ceremony that goes on needs it; a finalized one does not.
  const key = (await exists(keyPath)) ? await readKeyFile(keyPath) : null;
  const transcriptDir = join(dataDir, "transcript");
  await fetchRepository(source, transcriptDir);
  try {
    return await restoreFetched(source, dataDir, key, log);
  } catch (err) {
    // The folder stays as it was: without events.jsonl nothing was restored, and a second try starts afresh.
    await rm(transcriptDir, { recursive: true, force: true });
    throw err;
  }
}

async function restoreFetched(source: string, dataDir: string, key: ParticipantKey | null, log: (line: string) => void): Promise<{ finalized: boolean }> {
  const keyPath = join(dataDir, "coordinator.key");
  const transcriptDir = join(dataDir, "transcript");
  const gitdir = join(transcriptDir, ".git");
  const head = await git.resolveRef({ fs, gitdir, ref: "main" });
  const read = async (filepath: string): Promise<Uint8Array> => (await git.readBlob({ fs, gitdir, oid: head, filepath })).blob;
  const ceremony = v.safeParse(CeremonyJson, JSON.parse(new TextDecoder().decode(await read("ceremony.json"))));
  if (!ceremony.success) throw new RestoreError(`the transcript's ceremony.json is invalid: ${v.summarize(ceremony.issues)}`);
  if (key && ceremony.output.coordinatorKey !== key.publicKey) throw new RestoreError(`${keyPath} is not the coordinator key this transcript names`);

  const files = await git.listFiles({ fs, gitdir, ref: head });
  const events = files.filter((f) => f.startsWith("events/")).sort();
  const lines: string[] = [];
  let finalized = false;
  for (const [i, path] of events.entries()) {
    const bytes = await read(path);
    const line = decodeLine(bytes.subarray(0, bytes.length - 1));
    if (!line.ok || line.line.seq !== i + 1) throw new RestoreError(`transcript event ${path} is invalid or out of order`);
    lines.push(new TextDecoder().decode(bytes));
    finalized = (line.line.event as { type?: unknown }).type === "CeremonyFinalized";
  }
  if (!key && !finalized) {
    throw new RestoreError(`--restore-from needs the coordinator's key at ${keyPath} to resume a ceremony that is not finalized (it signs receipts and is not in the transcript); a finalized one is served read-only without it`);
  }
  const artifacts = new ArtifactStore(join(dataDir, "artifacts"));
  let fetched = 0;
  for (const path of files.filter((f) => f.startsWith("artifacts/") || f.startsWith("final/"))) {
    let bytes = await read(path);
    if (path.endsWith(".ref.json")) {
      const ref = v.parse(RefJson, JSON.parse(new TextDecoder().decode(bytes)));
      const res = await fetch(ref.url);
      if (!res.ok) throw new RestoreError(`external artifact ${ref.hash.slice(0, 16)}… could not be fetched from ${ref.url}: ${res.status}`);
      bytes = new Uint8Array(await res.arrayBuffer());
      if (toHex(hash(bytes)) !== ref.hash) throw new RestoreError(`external artifact ${ref.url} does not match its hash`);
      fetched++;
    }
    await artifacts.put(bytes, { maxBytes: bytes.length, exactBytes: bytes.length });
    if (path.startsWith("final/")) await writeFile(join(dataDir, "final.ptau"), bytes);
  }
  for (const path of files.filter((f) => /^receipts\/\d+\/[0-9a-f]{64}\.json$/.test(f))) {
    await mkdir(join(dataDir, ...path.split("/").slice(0, -1)), { recursive: true });
    await writeJsonAtomic(join(dataDir, path), JSON.parse(new TextDecoder().decode(await read(path))));
  }
  // The log last: a data folder with events.jsonl is a ceremony, so it must exist only once everything else does.
  const tmp = join(dataDir, "events.jsonl.restore");
  await writeFile(tmp, lines.join(""));
  const fh = await fs.promises.open(tmp, "r+");
  await fh.sync();
  await fh.close();
  await fs.promises.rename(tmp, join(dataDir, "events.jsonl"));
  log(`restored ${lines.length} events and ${files.filter((f) => f.startsWith("artifacts/")).length} artifacts (${fetched} fetched) from ${source} at ${head.slice(0, 12)}`);
  return { finalized };
}
