/**
 * The status page's read model, pure (no DOM): the current round as a grid of chunks × contributors, each cell one of
 * waiting, locked, uploaded, verified or rejected; and the contributions the live feed has announced. The public
 * status gives counts per chunk (positions contribute to a chunk in order); rejections come from the feed's events.
 */
import type { LiveMessage, Status } from "../../api/schemas.ts";
import type { Receipt } from "../../transcript/receipt.ts";
import { eventOf } from "../events.ts";

export type CellState = "waiting" | "locked" | "uploaded" | "verified" | "rejected";

export interface Grid {
  round: number;
  contributors: string[];
  /** rows[chunk][position] */
  rows: CellState[][];
}

/** What the page keeps from the feed between status reads. */
export interface FeedMemory {
  /** `${round}:${chunk}:${position}` of rejected contributions. */
  rejected: Set<string>;
  /** Verified contributions, newest last. */
  contributions: Array<{ round: number; chunk: number; position: number; contributor: string | null; hash: string }>;
  /** Contributors of each round seen starting. */
  roundContributors: Map<number, string[]>;
}

export const newMemory = (): FeedMemory => ({ rejected: new Set(), contributions: [], roundContributors: new Map() });

export function roundGrid(status: Status, memory: FeedMemory): Grid | null {
  const round = status.round;
  if (!round) return null;
  const rows = round.chunks.map((c) =>
    round.contributors.map((who, j): CellState => {
      if (memory.rejected.has(`${round.number}:${c.chunk}:${j}`) && j >= c.contributions) return "rejected";
      if (j < c.verified) return "verified";
      if (j < c.contributions) return "uploaded";
      if (c.lockedBy === who && j === c.contributions) return "locked";
      return "waiting";
    }),
  );
  return { round: round.number, contributors: round.contributors, rows };
}

/** Takes one live message into the memory; true when the status should be read again. */
export function remember(memory: FeedMemory, m: LiveMessage): boolean {
  const e = eventOf(m);
  if (!e) return true;
  switch (e.type) {
    case "RoundStarted":
      memory.roundContributors.set(e.round, e.contributors);
      break;
    case "ContributorReplaced": {
      const who = memory.roundContributors.get(e.round);
      if (who) who[e.position] = e.replacement;
      break;
    }
    case "ContributionRejected":
      memory.rejected.add(`${e.round}:${e.chunk}:${e.position}`);
      break;
    case "ContributionVerified": {
      const contributor = memory.roundContributors.get(e.round)?.[e.position] ?? null;
      memory.contributions.push({ round: e.round, chunk: e.chunk, position: e.position, contributor, hash: e.hash });
      if (memory.contributions.length > 5_000) memory.contributions.shift();
      break;
    }
    case "ParticipantDropped":
      for (const d of e.discarded ?? []) {
        const i = memory.contributions.findIndex((c) => c.hash === d.hash);
        if (i >= 0) memory.contributions.splice(i, 1);
      }
      break;
    default:
      break;
  }
  return true;
}

/** The receipt of a contribution (its transcript commit), among a contributor's receipts. */
export function receiptOf(receipts: Receipt[] | undefined, c: { round: number; chunk: number; hash: string }): Receipt | undefined {
  return receipts?.find((r) => r.round === c.round && r.chunk === c.chunk && r.hash === c.hash);
}

/** One line per event for the page's log. */
export function describe(m: LiveMessage): string {
  if (m.kind === "lobby") return `${m.queued} waiting in the queue`;
  if (m.kind === "reset") return "the feed restarted: status re-read";
  const e = eventOf(m);
  if (!e) return m.event.type;
  const who = (p: string): string => `${p.slice(0, 8)}…`;
  switch (e.type) {
    case "RoundStarted":
      return `round ${e.round} started with ${e.contributors.length} contributor(s)`;
    case "ChunkLocked":
      return `round ${e.round}: ${who(e.participant)} locked chunk ${e.chunk + 1}`;
    case "ContributionRecorded":
      return `round ${e.round}: ${who(e.contributor)} uploaded chunk ${e.chunk + 1}`;
    case "ContributionVerified":
      return `round ${e.round}: chunk ${e.chunk + 1} of position ${e.position + 1} verified`;
    case "ContributionRejected":
      return `round ${e.round}: chunk ${e.chunk + 1} of position ${e.position + 1} rejected (${e.code})`;
    case "RoundAggregated":
      return `round ${e.round} complete`;
    case "ParticipantDropped":
      return `${who(e.participant)} dropped: ${e.reason}`;
    case "RoundRestarted":
      return `round ${e.round} restarted: ${e.reason}`;
    case "CeremonyFinalized":
      return "the ceremony is finalized";
    case "FinalizationRequested":
      return "finalization requested";
    default:
      return e.type;
  }
}
