/**
 * Start-up replay: how long the coordinator takes to read, check and fold an event log of N events (a lobby that
 * joined and left), and the memory it holds then.
 *
 *   bun scripts/bench-replay.ts [--events 1000000]
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_FAULT_SETTINGS, OPEN_ADMISSION, type CeremonyEvent } from "../src/core/model.ts";
import { CommandHandler } from "../src/server/commands.ts";
import { QueueIndex } from "../src/server/queue-index.ts";
import { EventLog } from "../src/store/event-log.ts";

const { values } = parseArgs({ options: { events: { type: "string" } } });
const total = Number(values.events ?? 1_000_000);
const dir = await mkdtemp(join(tmpdir(), "ceremony-bench-replay-"));
const path = join(dir, "events.jsonl");
const hex = (i: number, width = 64): string => i.toString(16).padStart(width, "0");

try {
  const { log } = await EventLog.open<CeremonyEvent>(path);
  const settings = { ceremonyId: hex(1), power: 20, chunkSize: 4096, numChunks: 512, contributorsPerRound: 5, lockLimit: 2, roundStartWaitMs: 60_000, ...DEFAULT_FAULT_SETTINGS, ...OPEN_ADMISSION, admins: [hex(2)], coordinator: hex(3) };
  await log.append([{ type: "CeremonyInitialized", settings, accumulator: Array.from({ length: 512 }, (_, k) => hex(k, 128)), challenge: hex(0, 128) }], 0);
  const t0 = performance.now();
  const BATCH = 2000;
  for (let written = 1; written < total; ) {
    const groups: Array<{ events: CeremonyEvent[] }> = [];
    for (let i = 0; i < BATCH && written < total; i++, written++) {
      // Nine joins for one leave: the lobby grows to about 80% of the events.
      const event: CeremonyEvent = written % 10 === 9 ? { type: "ParticipantLeftQueue", participant: hex(written - 5) } : { type: "ParticipantQueued", participant: hex(written), at: written };
      groups.push({ events: [event] });
    }
    await log.appendGroups(groups, log.lastSeq);
  }
  await log.close();
  const size = (await stat(path)).size;
  console.log(`wrote ${total} events (${(size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const rss0 = process.memoryUsage().rss;
  const t1 = performance.now();
  const { commands, events } = await CommandHandler.open(path, () => undefined);
  const index = new QueueIndex();
  for (const e of events) index.apply(e.event);
  const seconds = (performance.now() - t1) / 1000;
  const s = commands.state;
  const queued = s.phase === "setup" ? 0 : s.queue.size;
  console.log(`replayed ${events.length} events in ${seconds.toFixed(2)} s (${Math.round(events.length / seconds)} events/s); ${queued} queued, index ${index.length}; RSS +${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB`);
  await commands.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
