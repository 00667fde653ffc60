/**
 * Cloning a transcript from a URL, as people give it: the repository's own URL (`…/transcript.git`, a backup remote)
 * or simply the coordinator's (`https://ceremony.example`), whose transcript is at `/transcript.git`.
 */
import * as fs from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import git from "isomorphic-git";
import http from "isomorphic-git/http/node";

/** The URLs to try, in order: a URL naming a repository as given; otherwise the coordinator's transcript first. */
export function transcriptCloneUrls(url: string): string[] {
  const base = url.replace(/\/+$/, "");
  if (/\.git$/.test(base)) return [base];
  return [`${base}/transcript.git`, base];
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Clones the first URL that answers into `dir` (emptied between attempts); returns the URL cloned. */
export async function cloneTranscriptUrl(url: string, dir: string, options: { noCheckout?: boolean } = {}): Promise<string> {
  const failures: string[] = [];
  for (const candidate of transcriptCloneUrls(url)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await git.clone({ fs, http, dir, url: candidate, singleBranch: true, ref: "main", ...(options.noCheckout ? { noCheckout: true } : {}) });
      return candidate;
    } catch (err) {
      failures.push(`${candidate}: ${messageOf(err)}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`cannot clone a transcript from ${url} (${failures.join("; ")})`);
}
