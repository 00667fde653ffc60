/**
 * Start-up: replay the event log (or initialize a new ceremony: the generators' chunks and the first challenge),
 * register the coordinator's own verifier and replacement contributors, and open the transcript, committing what
 * it missed while the coordinator was down.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import { ensureKeyFile, type ParticipantKey } from "../auth/keys.ts";
import { parseEvent } from "../core/event-schema.ts";
import type { CeremonyEvent, CeremonyState, ImportedPtau, ParticipantId } from "../core/model.ts";
import { currentRound, initialState } from "../core/state.ts";
import { toHex } from "../crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../crypto/initial.ts";
import { numChunks, type CeremonyParams } from "../crypto/params.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import { EventLog, type LoggedEvent } from "../store/event-log.ts";
import { firstLineTime } from "../store/log-head.ts";
import { toLogger } from "../lib/log.ts";
import { resolveMoment, type Moment } from "../lib/moment.ts";
import { TranscriptService, type TranscriptObserver } from "../transcript/service.ts";
import { importPtau } from "./import.ts";
import { CommandHandler } from "./commands.ts";
import type { CoordinatorOptions } from "./coordinator.ts";

export interface Opened {
  commands: CommandHandler;
  transcript: TranscriptService | null;
  /** Public keys of the coordinator's replacement contributors. */
  replacementKeys: ParticipantId[];
  /** The current round's contributors: they get a fresh grace period for their heartbeats. */
  roundContributors: ParticipantId[];
  /** When the ceremony was initialized (its first logged event): scheduled cron expressions count from here. */
  initializedAt: number;
}

/** A start the configuration or the data folder does not allow, said in one line (serve exits non-zero with it). */
export class StartupRefusal extends Error {}

async function initialize(options: CoordinatorOptions, key: ParticipantKey, curve: Curve, artifacts: ArtifactStore, commands: CommandHandler, say: (line: string) => void): Promise<void> {
  const ceremonyId = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const params: CeremonyParams = { ceremonyId, power: options.settings.power, chunkSize: options.settings.chunkSize };
  const storage = { put: async (bytes: Uint8Array) => (await artifacts.put(bytes, { maxBytes: bytes.length, exactBytes: bytes.length })).hash, get: (h: string) => artifacts.get(h) };
  let start: { accumulator: string[]; challenge: string; imported?: ImportedPtau };
  if (options.importPtau) {
    say(`importing ${options.importPtau}: every chunk is checked like an upload`);
    start = await importPtau(options.ops, curve, storage, params, options.importPtau);
  } else {
    const accumulator: string[] = [];
    for (let k = 0; k < numChunks(params); k++) accumulator.push(await storage.put(initialChunk(curve, params, k)));
    start = { accumulator, challenge: toHex(firstChallengeHash(curve, params.power)) };
  }
  await commands.execute({
    type: "Initialize",
    now: (options.now ?? Date.now)(),
    settings: { ...options.settings, ceremonyId, numChunks: numChunks(params), coordinator: key.publicKey },
    ...start,
  });
  const from = start.imported ? `, from ${options.importPtau} (${start.imported.contributions} contribution(s), blake2b ${start.imported.file.slice(0, 16)}…)` : "";
  say(`initialized ceremony ${ceremonyId.slice(0, 16)}… (power ${params.power}, ${numChunks(params)} chunks of ${params.chunkSize}${from})`);
}

/** Where the coordinator keeps its event log and its snapshot (the state at clean shutdown, see commands.ts). */
export const eventLogPath = (dataDir: string): string => join(dataDir, "events.jsonl");
export const snapshotPath = (dataDir: string): string => join(dataDir, "snapshot.json");

/** The shell's projections of the log: what a snapshot gives them back, and each event after it. */
export interface Projections {
  /** The state and the shell's part of the snapshot the start-up resumed from (before any `follow`). */
  resume(state: CeremonyState, shell: unknown): void;
  /** Every logged event in order, replayed ones first (`replayed` true), then each as it is committed. */
  follow(entry: LoggedEvent<CeremonyEvent>, replayed: boolean): void;
}

/**
 * Opens the ceremony: from the snapshot and the log's tail when the snapshot fits the log, else from the whole log.
 * The shell's projections (the queue index, the round pace) and the log's lines are built through `projections`.
 */
export async function openCeremony(
  options: CoordinatorOptions,
  curve: Curve,
  artifacts: ArtifactStore,
  onFatal: (err: unknown) => void,
  projections: Projections,
  observer?: TranscriptObserver,
): Promise<Opened> {
  const log = toLogger(options.log);
  const say = (line: string): void => log.info(line);
  const now = (): number => (options.now ?? Date.now)();
  const logPath = eventLogPath(options.dataDir);
  const { commands, repaired, events, resumed, snapshotIgnored } = await CommandHandler.open(logPath, onFatal, { snapshot: snapshotPath(options.dataDir) });
  if (snapshotIgnored !== null) log.warn(`snapshot ignored, the whole log replayed: ${snapshotIgnored}`, { reason: snapshotIgnored });
  if (resumed) projections.resume(resumed.state, resumed.shell);
  // Every append from here on is also kept for the transcript's catch-up, until the transcript takes them itself.
  const pending: LoggedEvent<CeremonyEvent>[] = [...events];
  for (const e of events) projections.follow(e, true);
  let transcript: TranscriptService | null = null;
  commands.onCommit((entries, state) => {
    for (const e of entries) projections.follow(e, false);
    if (transcript) transcript.committed(entries, state);
    else pending.push(...entries);
  });
  // A start that fails past this point closes what it opened (the log's file, the transcript) before it throws.
  let transcriptOpened: TranscriptService | null = null;
  let initializedAt: number;
  try {
    if (repaired) log.warn(`event log: dropped a torn tail of ${repaired.droppedBytes} bytes (an append cut short by a crash)`, { droppedBytes: repaired.droppedBytes });
    const existing = commands.state;
    if (existing.phase === "setup") {
      if (!options.coordinatorKey) throw new StartupRefusal("a new ceremony needs the coordinator's key");
      await initialize(options, options.coordinatorKey, curve, artifacts, commands, say);
    } else {
      // Before anything is written: a configuration that contradicts the recorded ceremony stops the start here.
      await options.checkExisting?.(existing);
      if (!options.coordinatorKey && existing.phase !== "finalized") {
        throw new StartupRefusal(`the coordinator's key is missing from ${options.dataDir} (coordinator.key): only a finalized ceremony is served without it`);
      }
      if (resumed) log.info(`restarted: resumed from the snapshot at seq ${resumed.seq} and ${events.length} events after it (phase ${existing.phase})`, { snapshotSeq: resumed.seq, events: events.length, phase: existing.phase });
      else log.info(`restarted: resumed from ${events.length} events (phase ${existing.phase})`, { events: events.length, phase: existing.phase });
    }
    // A system clock set back while the coordinator was down must not date new events before the old ones (the
    // events replayed after a snapshot; a start from a snapshot alone has none to go by).
    const last = events.at(-1);
    const behind = last ? (options.clock?.notBefore(Date.parse(last.time)) ?? 0) : 0;
    if (behind > 0) log.warn(`the system clock is ${Math.round(behind / 1000)} s behind the log's last event: event times continue from there`, { behindMs: behind });
    const first = resumed ? await firstLineTime(logPath) : events[0]?.time;
    initializedAt = first ? Date.parse(first) : now();

    await registerTrusted(options, commands, now);
    await applySchedule(options, commands, now, initializedAt, say);
    if (options.transcript) {
      const s = commands.state;
      if (s.phase === "setup") throw new Error("the transcript opens after initialization");
      const opened = await TranscriptService.open({
        dataDir: options.dataDir,
        state: s,
        coordinatorKey: options.coordinatorKey ?? null,
        artifacts,
        settings: options.transcript,
        log,
        ...(observer ? { observer } : {}),
      });
      transcriptOpened = opened;
      const caught = resumed && opened.committedSeq < resumed.seq
        ? await opened.catchUp([...(await eventsUpTo(logPath, resumed.seq)), ...pending]) // behind the snapshot (a transcript put back): the log once more
        : await opened.catchUp(pending, resumed?.state ?? initialState());
      if (caught > 0) say(`transcript: committed ${caught} event(s) it was missing`);
      transcript = opened;
      if (s.phase === "finalized") await opened.commitFinal(s.finalHash);
    }
  } catch (err) {
    await transcriptOpened?.close();
    await commands.close();
    throw err;
  }
  const finalized = commands.state.phase === "finalized";
  return {
    commands,
    transcript,
    // A finalized ceremony is only served: no replacement contributor (nor its key file) is needed.
    replacementKeys: finalized ? [] : await replacementKeys(options),
    roundContributors: currentRound(commands.state)?.contributors ?? [],
    initializedAt,
  };
}

/**
 * The operator's queue schedule, recorded as an event by the coordinator when it differs from the one in the log
 * (cron expressions count from the ceremony's initialization, so a restart resolves them to the same moments).
 */
async function applySchedule(options: CoordinatorOptions, commands: CommandHandler, now: () => number, initializedAt: number, say: (line: string) => void): Promise<void> {
  const s = commands.state;
  if ((s.phase !== "waiting" && s.phase !== "running") || !options.coordinatorKey) return;
  const at = (m: Moment | undefined): number | null => (m ? resolveMoment(m, initializedAt) : null);
  const opensAt = at(options.schedule?.opensAt);
  const closesAt = at(options.schedule?.closesAt);
  if (opensAt !== null && closesAt !== null && opensAt >= closesAt) {
    throw new StartupRefusal(`the queue would open (${new Date(opensAt).toISOString()}) after it closes (${new Date(closesAt).toISOString()})`);
  }
  if (s.schedule.opensAt !== opensAt || s.schedule.closesAt !== closesAt) {
    await commands.execute({ type: "ScheduleQueue", now: now(), actor: options.coordinatorKey.publicKey, opensAt, closesAt });
  }
  const after = commands.state;
  if (after.phase === "setup" || (opensAt === null && closesAt === null)) return;
  const when = (ms: number | null): string => (ms === null ? "never" : new Date(ms).toISOString());
  say(`queue ${after.queueStatus}: opens ${opensAt === null ? "now" : when(opensAt)}, closes ${when(closesAt)}`);
}

/** The log's events up to `seq`, read again (the log is open and repaired already: this only reads). */
async function eventsUpTo(path: string, seq: number): Promise<LoggedEvent<CeremonyEvent>[]> {
  const { log, events } = await EventLog.open<CeremonyEvent>(path, { validate: parseEvent });
  await log.close();
  return events.filter((e) => e.seq <= seq);
}

async function replacementKeys(options: CoordinatorOptions): Promise<ParticipantId[]> {
  const keys: ParticipantId[] = [];
  for (let i = 0; i < (options.replacements ?? 0); i++) keys.push((await ensureKeyFile(join(options.dataDir, `replacement-${i + 1}.key`))).key.publicKey);
  return keys;
}

/**
 * The operator's configuration, recorded as events by the coordinator: its own verifier, the listed external
 * verifiers and admins (added when missing; removing them is an admin's act), and its replacement contributors.
 */
async function registerTrusted(options: CoordinatorOptions, commands: CommandHandler, now: () => number): Promise<void> {
  if (commands.state.phase === "finalized" || !options.coordinatorKey) return;
  const me = options.coordinatorKey.publicKey;
  const state = () => {
    const s = commands.state;
    if (s.phase === "setup") throw new Error("trust is registered after initialization");
    return s;
  };
  const verifiers = [...(options.verifiers > 0 ? [me] : []), ...(options.verifierKeys ?? [])];
  for (const participant of verifiers) {
    if (!state().verifiers.includes(participant)) await commands.execute({ type: "AddVerifier", now: now(), actor: me, participant });
  }
  for (const participant of options.settings.admins) {
    if (!state().admins.includes(participant)) await commands.execute({ type: "AddAdmin", now: now(), actor: me, participant });
  }
  for (const participant of await replacementKeys(options)) {
    const s = state();
    if (!s.replacements.includes(participant) && !s.banned.has(participant)) await commands.execute({ type: "RegisterReplacement", now: now(), actor: me, participant });
  }
}
