/**
 * Reading the state: who is where (queue, round, roles) and which round runs. Every rule asks through these, so the
 * state's shape can change (indexes for a large lobby) without touching a rule.
 */
import { refuse } from "./errors.ts";
import type { Base, CeremonyState, ParticipantId, Round } from "./model.ts";

/** Any state after CeremonyInitialized. */
export type Open = Exclude<CeremonyState, { phase: "setup" }>;

export function initialState(): CeremonyState {
  return { phase: "setup" };
}

export function currentRound(state: CeremonyState): Round | null {
  return state.phase === "running" || state.phase === "finalizing" ? state.round : null;
}

export function opened(state: CeremonyState): Open {
  if (state.phase === "setup") throw refuse("NOT_INITIALIZED", "the ceremony has not been initialized");
  return state;
}

export function notFinalized(state: CeremonyState): Open {
  const s = opened(state);
  if (s.phase === "finalized") throw refuse("CEREMONY_FINALIZED", "the ceremony is finalized");
  return s;
}

export function activeRound(state: CeremonyState): Round {
  const round = currentRound(notFinalized(state));
  if (!round) throw refuse("NO_ACTIVE_ROUND", "no round is running");
  return round;
}

export const isAdmin = (s: Base, p: ParticipantId): boolean => s.admins.includes(p);
export const isVerifier = (s: Base, p: ParticipantId): boolean => s.verifiers.includes(p);
export const isReplacement = (s: Base, p: ParticipantId): boolean => s.replacements.includes(p);
export const isBanned = (s: Base, p: ParticipantId): boolean => s.banned.has(p);
export const isQueued = (s: Base, p: ParticipantId): boolean => s.front.has(p) || s.queue.has(p);
export const queueLength = (s: Base): number => s.front.size + s.queue.size;
/** When a queued participant joined (ms since the epoch). */
export const queuedAt = (s: Base, p: ParticipantId): number | undefined => s.front.get(p) ?? s.queue.get(p);
/** The first `n` of the queue, in order. */
export function queueHead(s: Base, n: number): ParticipantId[] {
  const head = s.front.keySeq().take(n).toArray();
  return head.length >= n ? head : [...head, ...s.queue.keySeq().take(n - head.length).toArray()];
}
/** The whole queue in order: O(queue), for small ceremonies and tests; the shell keeps an index for positions. */
export const queueOrder = (s: Base): ParticipantId[] => [...s.front.keys(), ...s.queue.keys()];
/** The participant's position in the round, or −1. */
export const positionIn = (round: Round, p: ParticipantId): number => round.contributors.indexOf(p);
export const inRound = (state: CeremonyState, p: ParticipantId): boolean => (currentRound(state)?.contributors.includes(p) ?? false);

export const isCoordinator = (s: Base, p: ParticipantId): boolean => p === s.settings.coordinator;

/** Whether `p` may act for the coordinator: the coordinator itself, an admin, or a trusted verifier. */
export const actsForCoordinator = (s: Base, p: ParticipantId): boolean => isCoordinator(s, p) || isAdmin(s, p) || isVerifier(s, p);

/** Whether `p` may administer: an admin, or the coordinator carrying out the operator's configuration. */
export const administers = (s: Base, p: ParticipantId): boolean => isCoordinator(s, p) || isAdmin(s, p);

/** Whether `p` is known to the ceremony in any role (queued, in the round, verifier or replacement). */
export const isKnown = (state: Open, p: ParticipantId): boolean =>
  isQueued(state, p) || isVerifier(state, p) || isReplacement(state, p) || inRound(state, p);

export const keyIdentity = (p: ParticipantId): string => `key:${p}`;
/** The identity a participant joined with; in an open ceremony, or for the coordinator's own keys, its key. */
export const identityOf = (s: Base, p: ParticipantId): string => s.identityOf.get(p) ?? keyIdentity(p);
/** The participant (queued or in the round) now holding an identity, if any. */
export const holderOf = (s: Base, identity: string): ParticipantId | null => s.holders.get(identity) ?? null;
/** Accepted contributions counted against an identity (or a key's identity). */
export const contributionsOf = (s: Base, identity: string): number => s.contributions.get(identity) ?? 0;
/** How often `p` was dropped. */
export const dropsOf = (s: Base, p: ParticipantId): number => s.drops.get(p) ?? 0;

/** Whether `p` contributed to an aggregated round, was dropped or is banned. */
export const hasTakenPart = (s: Base, p: ParticipantId): boolean => s.contributedIn.has(p) || s.drops.has(p) || isBanned(s, p);
