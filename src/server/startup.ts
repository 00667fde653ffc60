/**
 * Start-up: replay the event log (or initialize a new ceremony: the generators' chunks and the first challenge),
 * register the coordinator's own verifier and replacement contributors, and open the transcript, committing what
 * it missed while the coordinator was down.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import { ensureKeyFile, type ParticipantKey } from "../auth/keys.ts";
import type { CeremonyEvent, ImportedPtau, ParticipantId } from "../core/model.ts";
import { currentRound } from "../core/state.ts";
import { toHex } from "../crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../crypto/initial.ts";
import { numChunks, type CeremonyParams } from "../crypto/params.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import type { LoggedEvent } from "../store/event-log.ts";
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

/**
 * Opens the ceremony. `follow` sees every logged event in order, replayed ones first (`replayed` true), then each as
 * it is committed: the shell's projections (the queue index, the round pace) and the log's lines are built from it.
 */
export async function openCeremony(
  options: CoordinatorOptions,
  curve: Curve,
  artifacts: ArtifactStore,
  onFatal: (err: unknown) => void,
  follow: (entry: LoggedEvent<CeremonyEvent>, replayed: boolean) => void,
  observer?: TranscriptObserver,
): Promise<Opened> {
  const log = toLogger(options.log);
  const say = (line: string): void => log.info(line);
  const now = (): number => (options.now ?? Date.now)();
  const { commands, repaired, events } = await CommandHandler.open(join(options.dataDir, "events.jsonl"), onFatal);
  // Every append from here on is also kept for the transcript's catch-up, until the transcript takes them itself.
  const pending: LoggedEvent<CeremonyEvent>[] = [...events];
  for (const e of events) follow(e, true);
  let transcript: TranscriptService | null = null;
  commands.onCommit((entries, state) => {
    for (const e of entries) follow(e, false);
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
      log.info(`restarted: resumed from ${events.length} events (phase ${existing.phase})`, { events: events.length, phase: existing.phase });
    }
    initializedAt = events[0] ? Date.parse(events[0].time) : now();

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
      const caught = await opened.catchUp(pending);
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
