/**
 * What the soak checks after every fault: the acknowledgements the clients printed (uploads, verdicts) against the
 * coordinator's event log and its git transcript, read from disk with independent code (JSON lines and the git CLI).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** "uploaded 123 ms (0123456789abcdef…)": contribute prints it once the coordinator answered the upload. */
const UPLOADED = /uploaded \d+ ms \(([0-9a-f]{16})…\)/g;
/** What verify-worker prints once its verdict was answered, unless it says it was not recorded. */
const VERDICT = /verify-worker: round (\d+), chunk (\d+), contributor (\d+): (\S+)(?! \(not recorded)\n/g;

export interface Acknowledged {
  uploads: Set<string>;
  verdicts: Set<string>;
}

export function acknowledgedIn(outputs: string[]): Acknowledged {
  const uploads = new Set<string>();
  const verdicts = new Set<string>();
  for (const out of outputs) {
    for (const m of out.matchAll(UPLOADED)) uploads.add(m[1] as string);
    for (const m of out.matchAll(VERDICT)) verdicts.add(`${m[1]}/${Number(m[2]) - 1}/${Number(m[3]) - 1}`);
  }
  return { uploads, verdicts };
}

interface Recorded {
  /** Upload hash prefix → seq of its ContributionRecorded. */
  uploads: Map<string, number>;
  /** round/chunk/position → seq of the verifier's verdict. */
  verdicts: Map<string, number>;
  lastSeq: number;
}

type Line = { seq: number; event: { type: string; hash?: string; round?: number; chunk?: number; position?: number; verifier?: string } };

function record(into: Recorded, line: Line, verifier: string): void {
  const e = line.event;
  into.lastSeq = Math.max(into.lastSeq, line.seq);
  if (e.type === "ContributionRecorded" && e.hash) into.uploads.set(e.hash.slice(0, 16), line.seq);
  if ((e.type === "ContributionVerified" || e.type === "ContributionRejected") && e.verifier === verifier) into.verdicts.set(`${e.round}/${e.chunk}/${e.position}`, line.seq);
}

/** The coordinator's event log as it is on disk (a torn last line, which the next start cuts off, is skipped). */
export function readEventLog(dataDir: string, verifier: string): Recorded {
  const out: Recorded = { uploads: new Map(), verdicts: new Map(), lastSeq: 0 };
  let text: string;
  try {
    text = readFileSync(join(dataDir, "events.jsonl"), "utf8");
  } catch {
    return out;
  }
  for (const raw of text.split("\n")) {
    if (raw === "") continue;
    try {
      record(out, JSON.parse(raw) as Line, verifier);
    } catch {
      // Only a torn tail can fail to parse; the coordinator's next start cuts it off.
    }
  }
  return out;
}

const gitEnv = { PATH: process.env.PATH ?? "", HOME: "/nonexistent", GIT_TERMINAL_PROMPT: "0" };

export function git(repo: string, ...args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args], { env: gitEnv, encoding: "utf8", maxBuffer: 1 << 28, stdio: ["pipe", "pipe", "pipe"] });
}

/** `git fsck --full` on the transcript repository; the problems it reports, or null when clean. */
export function fsck(repo: string): string | null {
  try {
    const out = execFileSync("git", ["-C", repo, "fsck", "--full", "--no-progress"], { env: gitEnv, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
    return /error|missing|corrupt|broken/i.test(out) ? out : null;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message;
  }
}

/** The transcript's committed events, read incrementally from its branch tip with the git CLI. */
export class TranscriptReader {
  private readonly seen = new Map<string, string>();
  readonly recorded: Recorded = { uploads: new Map(), verdicts: new Map(), lastSeq: 0 };

  constructor(
    private readonly repo: string,
    private readonly verifier: string,
  ) {}

  refresh(): void {
    let listing: string;
    try {
      listing = git(this.repo, "ls-tree", "-r", "refs/heads/main", "events");
    } catch {
      return; // no commit yet
    }
    const fresh: Array<{ path: string; oid: string }> = [];
    for (const row of listing.split("\n")) {
      const m = /^\d+ blob ([0-9a-f]{40})\t(.+)$/.exec(row);
      if (m && this.seen.get(m[2] as string) !== m[1]) fresh.push({ path: m[2] as string, oid: m[1] as string });
    }
    if (fresh.length === 0) return;
    const batch = execFileSync("git", ["-C", this.repo, "cat-file", "--batch"], { env: gitEnv, input: fresh.map((f) => f.oid).join("\n") + "\n", maxBuffer: 1 << 28 });
    let at = 0;
    for (const f of fresh) {
      const nl = batch.indexOf(10, at);
      const size = Number(batch.subarray(at, nl).toString().split(" ")[2]);
      const body = batch.subarray(nl + 1, nl + 1 + size).toString("utf8");
      at = nl + 1 + size + 1;
      record(this.recorded, JSON.parse(body) as Line, this.verifier);
      this.seen.set(f.path, f.oid);
    }
  }
}

export interface Missing {
  /** Acknowledged but absent from the event log: lost. */
  fromLog: string[];
  /** Acknowledged, in the log at a seq the transcript has committed, but absent from it: lost. */
  fromTranscript: string[];
}

/** What was acknowledged and is missing (transcript: only what its committed seq says it should hold). */
export function missing(ack: Acknowledged, log: Recorded, transcript: Recorded | null): Missing {
  const fromLog: string[] = [];
  const fromTranscript: string[] = [];
  const check = (kind: "uploads" | "verdicts", id: string): void => {
    const seq = log[kind].get(id);
    if (seq === undefined) return void fromLog.push(`${kind === "uploads" ? "upload" : "verdict"} ${id}`);
    if (transcript && seq <= transcript.lastSeq && !transcript[kind].has(id)) fromTranscript.push(`${kind === "uploads" ? "upload" : "verdict"} ${id} (seq ${seq})`);
  };
  for (const id of ack.uploads) check("uploads", id);
  for (const id of ack.verdicts) check("verdicts", id);
  return { fromLog, fromTranscript };
}
