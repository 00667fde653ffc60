// The operator's log of committed events: a line per round, verdict, drop (with its reason) and restart; joins and
// leaves sampled so a flood of them gives a few lines and one summary a second.
import { describe, expect, it } from "vitest";
import type { CeremonyEvent } from "../../src/core/model.ts";
import { createLogger } from "../../src/lib/log.ts";
import { LOBBY_LINES_PER_SECOND, Narrator } from "../../src/server/narrator.ts";

type Line = { level: string; msg: string; [k: string]: unknown };

function narrator(queue = () => 0): { n: Narrator; lines: Line[] } {
  const lines: Line[] = [];
  const n = new Narrator(createLogger({ format: "json", write: (l) => lines.push(JSON.parse(l) as Line) }), queue);
  return { n, lines };
}

const key = (i: number): string => i.toString(16).padStart(64, "0");

describe("lines for what matters", () => {
  it("rounds, verdicts, drops with reasons, restarts, finalization", () => {
    const { n, lines } = narrator();
    const events: CeremonyEvent[] = [
      { type: "RoundStarted", round: 2, contributors: [key(1), key(2)], startedAt: 0 },
      { type: "ChunkLocked", round: 2, chunk: 0, participant: key(1), at: 0 },
      { type: "ContributionVerified", round: 2, chunk: 0, position: 0, verifier: key(9), hash: "aa", at: 0 },
      { type: "ContributionRejected", round: 2, chunk: 1, position: 1, verifier: key(9), hash: "bb", code: "POK_INVALID", at: 0 },
      { type: "ParticipantDropped", participant: key(2), reason: "silent for 60 s", by: key(9), discarded: [{ chunk: 1, position: 1, hash: "bb" }] },
      { type: "RoundRestarted", round: 2, reason: "no replacement", requeued: [key(1)], by: key(9) },
      { type: "RoundAggregated", round: 2, accumulator: [], challenge: "cc".repeat(64) },
      { type: "CeremonyFinalized", hash: "dd".repeat(64) },
    ];
    for (const e of events) n.committed(e);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ["info", "round 2 started with 2 contributor(s)"],
      ["info", "round 2, chunk 1: contributor 1's contribution verified"],
      ["warn", "round 2, chunk 2: contributor 2's contribution rejected (POK_INVALID)"],
      ["warn", `dropped ${key(2).slice(0, 12)}…: silent for 60 s`],
      ["warn", "round 2 restarted: no replacement"],
      ["info", "round 2 aggregated"],
      ["info", `ceremony finalized: final .ptau ${"dd".repeat(8)}…`],
    ]);
    expect(lines[3]).toMatchObject({ participant: key(2), reason: "silent for 60 s", discarded: 1 });
  });
});

describe("joins and leaves at scale", () => {
  it("a burst of 10,000 joins: the first few one by one, the rest in one summary with the queue's length", () => {
    const { n, lines } = narrator(() => 10_000);
    for (let i = 0; i < 10_000; i++) n.committed({ type: "ParticipantQueued", participant: key(i), at: 0 });
    for (let i = 0; i < 5; i++) n.committed({ type: "ParticipantLeftQueue", participant: key(i) });
    expect(lines).toHaveLength(LOBBY_LINES_PER_SECOND);
    n.flush();
    expect(lines).toHaveLength(LOBBY_LINES_PER_SECOND + 1);
    expect(lines.at(-1)).toMatchObject({ level: "info", joins: 10_000 - LOBBY_LINES_PER_SECOND, leaves: 5, queue: 10_000 });
  });
  it("the summary comes by itself at the end of the second", async () => {
    const { n, lines } = narrator(() => 12);
    for (let i = 0; i < 12; i++) n.committed({ type: "ParticipantQueued", participant: key(i), at: 0 });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(lines.map((l) => l.msg).at(-1)).toMatch(/^lobby: 2 more join\(s\) and 0 more leave\(s\) in the last second/);
    // A quiet second later, joins get their own lines again.
    n.committed({ type: "ParticipantQueued", participant: key(99), at: 0 });
    expect(lines.at(-1)).toMatchObject({ msg: `joined the queue: ${key(99).slice(0, 12)}…`, participant: key(99) });
    n.flush();
  });
});
