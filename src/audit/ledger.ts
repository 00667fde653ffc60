/**
 * What a receipt is checked against: the contributions the transcript verified (with who made them and what they
 * built on), each round's chunks as they stood when it was aggregated, and the finalization. Collected while the
 * events are folded, by verify-transcript (alongside its crypto checks) and by verify-receipt (fold only).
 */
import { evolve } from "../core/evolve.ts";
import { parentOf } from "../core/rules.ts";
import { currentRound, initialState } from "../core/state.ts";
import type { CeremonyEvent, CeremonyState, ParticipantId, Round } from "../core/model.ts";
import { EpochTimeline } from "../certificates/certificate.ts";
import type { TranscriptEvent } from "./events.ts";
import { messageOf, StepFailure } from "./files.ts";

export interface VerifiedContribution {
  /** Seq of the ContributionVerified event. */
  seq: number;
  round: number;
  chunk: number;
  position: number;
  contributor: ParticipantId;
  hash: string;
  parentHash: string;
}

type ContributionKey = Pick<VerifiedContribution, "round" | "chunk" | "position" | "hash">;
const keyOf = (c: ContributionKey): string => `${c.round}/${c.chunk}/${c.position}/${c.hash}`;

export class Ledger {
  /** Verified contributions by round/chunk/position/hash (a restarted round reuses its number, not its hashes). */
  private readonly verified = new Map<string, VerifiedContribution[]>();
  /** Each aggregated round as it stood just before its RoundAggregated event. */
  readonly aggregated: Array<{ seq: number; round: Round }> = [];
  finalized: { seq: number; hash: string } | null = null;
  /** The mirror epochs, from the events that started them. */
  readonly epochs = new EpochTimeline();

  /** Records what `event` (at `seq`, applied to `before`) adds. */
  observe(before: CeremonyState, seq: number, event: CeremonyEvent): void {
    if (event.type === "ContributionVerified" && before.phase !== "setup") {
      const round = currentRound(before);
      const contribution = round?.chunks[event.chunk]?.contributions[event.position];
      const parentHash = round ? parentOf(before, round, event.chunk, event.position) : null;
      if (contribution && parentHash) {
        const { round, chunk: k, position, hash } = event;
        const v = { seq, round, chunk: k, position, hash, contributor: contribution.contributor, parentHash };
        this.verified.set(keyOf(v), [...(this.verified.get(keyOf(v)) ?? []), v]);
      }
    }
    if (event.type === "RoundAggregated") {
      const round = currentRound(before);
      if (round) this.aggregated.push({ seq, round });
    }
    if (event.type === "CeremonyFinalized") this.finalized = { seq, hash: event.hash };
    if (event.type === "EpochStarted") this.epochs.started(seq, { epoch: event.epoch, members: event.members, threshold: event.threshold });
  }

  /** The verified contribution a receipt names, if the transcript holds it. */
  find(r: Omit<VerifiedContribution, "seq" | "contributor"> & { participant: ParticipantId }): VerifiedContribution | null {
    return this.verified.get(keyOf(r))?.find((v) => v.parentHash === r.parentHash && v.contributor === r.participant) ?? null;
  }

  /** The aggregated round whose final chunks include `v` (its round, chunk, position and hash), if any. */
  aggregateHolding(v: ContributionKey): { seq: number; round: Round } | null {
    return this.aggregated.find((a) => a.round.number === v.round && a.round.chunks[v.chunk]?.contributions[v.position]?.hash === v.hash) ?? null;
  }
}

/** The ledger of already-read events, folded without crypto (verify-receipt; verify-transcript does its own replay). */
export function ledgerOf(events: TranscriptEvent[]): { ledger: Ledger; state: CeremonyState } {
  const ledger = new Ledger();
  let state = initialState();
  for (const e of events) {
    ledger.observe(state, e.seq, e.event);
    try {
      state = evolve(state, e.event);
    } catch (err) {
      throw new StepFailure(`event ${e.seq} (${e.event.type})`, `cannot be applied: ${messageOf(err)}`);
    }
  }
  return { ledger, state };
}
