/**
 * Start-up: replay the event log (or initialize a new ceremony: the generators' chunks and the first challenge),
 * register the coordinator's own verifier and replacement contributors, and open the transcript, committing what
 * it missed while the coordinator was down.
 */
import type { Curve } from "ffjavascript";
import { join } from "node:path";
import { ensureKeyFile } from "../auth/keys.ts";
import type { CeremonyEvent, ParticipantId } from "../core/model.ts";
import { currentRound } from "../core/state.ts";
import { toHex } from "../crypto/hash.ts";
import { firstChallengeHash, initialChunk } from "../crypto/initial.ts";
import { numChunks, type CeremonyParams } from "../crypto/params.ts";
import type { ArtifactStore } from "../store/artifact-store.ts";
import type { LoggedEvent } from "../store/event-log.ts";
import { toLogger } from "../lib/log.ts";
import { TranscriptService, type TranscriptObserver } from "../transcript/service.ts";
import { CommandHandler } from "./commands.ts";
import type { CoordinatorOptions } from "./coordinator.ts";

export interface Opened {
  commands: CommandHandler;
  transcript: TranscriptService | null;
  /** Public keys of the coordinator's replacement contributors. */
  replacementKeys: ParticipantId[];
  /** The current round's contributors: they get a fresh grace period for their heartbeats. */
  roundContributors: ParticipantId[];
}

async function initialize(options: CoordinatorOptions, curve: Curve, artifacts: ArtifactStore, commands: CommandHandler, say: (line: string) => void): Promise<void> {
  const ceremonyId = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const params: CeremonyParams = { ceremonyId, power: options.settings.power, chunkSize: options.settings.chunkSize };
  const accumulator: string[] = [];
  for (let k = 0; k < numChunks(params); k++) {
    const bytes = initialChunk(curve, params, k);
    accumulator.push((await artifacts.put(bytes, { maxBytes: bytes.length, exactBytes: bytes.length })).hash);
  }
  await commands.execute({
    type: "Initialize",
    now: (options.now ?? Date.now)(),
    settings: { ...options.settings, ceremonyId, numChunks: numChunks(params), coordinator: options.coordinatorKey.publicKey },
    accumulator,
    challenge: toHex(firstChallengeHash(curve, params.power)),
  });
  say(`initialized ceremony ${ceremonyId.slice(0, 16)}… (power ${params.power}, ${numChunks(params)} chunks of ${params.chunkSize})`);
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
  if (repaired) log.warn(`event log: dropped a torn tail of ${repaired.droppedBytes} bytes (an append cut short by a crash)`, { droppedBytes: repaired.droppedBytes });
  if (commands.state.phase === "setup") await initialize(options, curve, artifacts, commands, say);
  else log.info(`restarted: resumed from ${events.length} events (phase ${commands.state.phase})`, { events: events.length, phase: commands.state.phase });

  await registerTrusted(options, commands, now);
  if (options.transcript) {
    const s = commands.state;
    if (s.phase === "setup") throw new Error("the transcript opens after initialization");
    const opened = await TranscriptService.open({
      dataDir: options.dataDir,
      state: s,
      coordinatorKey: options.coordinatorKey,
      artifacts,
      settings: options.transcript,
      log,
      ...(observer ? { observer } : {}),
    });
    const caught = await opened.catchUp(pending);
    if (caught > 0) say(`transcript: committed ${caught} event(s) it was missing`);
    transcript = opened;
    if (s.phase === "finalized") await opened.commitFinal(s.finalHash);
  }
  return { commands, transcript, replacementKeys: await replacementKeys(options), roundContributors: currentRound(commands.state)?.contributors ?? [] };
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
  const me = options.coordinatorKey.publicKey;
  const state = () => {
    const s = commands.state;
    if (s.phase === "setup") throw new Error("trust is registered after initialization");
    return s;
  };
  if (state().phase === "finalized") return;
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
