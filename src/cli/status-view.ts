/**
 * The public status as a person reads it: every number named, positions and chunks counted from 1, where to get the
 * transcript and the final file, and whether the backups work. A pure function of the status and the URL.
 */
import type { Status } from "../api/schemas.ts";
import { mirrorLines } from "./mirror-status.ts";

const PHASES: Record<Status["phase"], string> = {
  setup: "setting up",
  waiting: "open: waiting for enough contributors to start a round",
  running: "open: a round is in progress",
  finalizing: "finalizing: the queue is closed; the last round finishes, then the beacon is applied",
  finalized: "finalized: the final .ptau is published",
};

/** Chunk rows shown in full up to this many; above it, only the chunks still in progress. */
const MAX_CHUNK_ROWS = 24;

const short = (key: string): string => `${key.slice(0, 12)}…`;

function roundLines(round: NonNullable<Status["round"]>): string[] {
  const n = round.contributors.length;
  const lines = [
    `round ${round.number}: started ${round.startedAt}; ${round.percentDone}% of its ${n * round.chunks.length} contributions verified${round.complete ? " (complete: being aggregated)" : ""}`,
    `  contributors, in order: ${round.contributors.map((p, j) => `${j + 1}. ${short(p)}`).join("  ")}`,
    "  chunk  uploaded  verified  locked by",
  ];
  const busy = round.chunks.filter((c) => c.verified < n);
  const rows = round.chunks.length <= MAX_CHUNK_ROWS ? round.chunks : busy.slice(0, MAX_CHUNK_ROWS);
  for (const c of rows) {
    const holder = c.lockedBy ? `contributor ${round.contributors.indexOf(c.lockedBy) + 1} (${short(c.lockedBy)})` : "-";
    lines.push(`  ${String(c.chunk + 1).padStart(5)}  ${`${c.contributions}/${n}`.padStart(8)}  ${`${c.verified}/${n}`.padStart(8)}  ${holder}`);
  }
  if (rows.length < round.chunks.length) {
    const hidden = round.chunks.length - rows.length;
    lines.push(`  … ${hidden} more chunk(s) not shown (${round.chunks.length - busy.length} of ${round.chunks.length} fully verified)`);
  }
  return lines;
}

function transcriptLines(t: NonNullable<Status["transcript"]>, base: string): string[] {
  const lines = [
    `transcript: git clone ${base}${t.clone}  (head ${t.head?.slice(0, 12) ?? "none yet"}; ${t.lag === 0 ? "up to date" : `${t.lag} event(s) not yet committed`})`,
  ];
  if (t.lastError) lines.push(`  LAST COMMIT ERROR: ${t.lastError}`);
  if (t.backups.length === 0) lines.push("  backups: none configured");
  for (const b of t.backups) {
    const health = b.consecutiveFailures > 0 ? `FAILING (${b.consecutiveFailures} in a row): ${b.lastError ?? "?"}` : b.lastSuccess ? `ok, last push ${b.lastSuccess}` : "not pushed yet";
    lines.push(`  backup ${b.url}: ${health}`);
  }
  return lines;
}

/** The queue's schedule (serve --opens-at/--closes-at), when it has one. */
function queueWindow(q: Status["queue"]): string {
  if (q.status === "scheduled") return `; opens ${q.opensAt ?? "later"}${q.closesAt ? `, closes ${q.closesAt}` : ""}`;
  if (q.status === "closed") return "; closed to new joins";
  return q.closesAt ? `; closes ${q.closesAt}` : "";
}

export function renderStatus(s: Status, url: string): string {
  const base = url.replace(/\/+$/, "");
  if (s.phase === "setup" || s.ceremonyId === null) return `phase: ${PHASES[s.phase]}`;
  const lines = [
    `ceremony ${s.ceremonyId.slice(0, 16)}…: power ${s.power} (circuits of up to 2^${s.power} constraints), ${s.numChunks} chunks of ${s.chunkSize} points`,
    `phase: ${PHASES[s.phase]}`,
    `rounds aggregated: ${s.lastRound}`,
    `queue: ${s.queue.length} waiting${s.queue.head.length ? ` (next: ${s.queue.head.slice(0, 3).map(short).join(", ")})` : ""}${queueWindow(s.queue)}`,
    `verifiers: ${s.verifiers} trusted; replacement contributors: ${s.replacements}; banned: ${s.banned}; dropped at least once: ${s.dropped}`,
  ];
  if (s.round) lines.push(...roundLines(s.round));
  if (s.finalizeAt && !s.finalHash) lines.push(`finalization scheduled at ${s.finalizeAt}`);
  for (const a of s.alerts) lines.push(`ALERT: ${a}`);
  if (s.beacon) lines.push(`beacon: ${s.beacon.hash}, hashed 2^${s.beacon.numIterationsExp} times`);
  if (s.finalHash) lines.push(`final .ptau: ${base}/v1/ceremony/final.ptau (blake2b-512 ${s.finalHash})`);
  if (s.transcript) lines.push(...transcriptLines(s.transcript, base));
  lines.push(...mirrorLines(s));
  return lines.join("\n");
}
