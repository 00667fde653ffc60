/**
 * Certified mirrors in the core: registration, admission and retirement, the epoch each change starts, and the
 * evidence against a mirror. Pure like the rest: the BLS proofs are checked by the shell (and again by the public
 * verifier); the state decides who may join, who is a member, and what each epoch's members and threshold are.
 * Mirror events may follow finalization: a mirror can still join to certify and serve the finished transcript.
 */
import { refuse, type DomainError } from "./errors.ts";
import type { CeremonyEvent, CeremonyState, Command, MirrorKey, Mirrors, ParticipantId } from "./model.ts";
import { administers, isCoordinator, opened, type Open } from "./state.ts";

export const NO_MIRRORS: Mirrors = { registered: [], members: [], epoch: { number: 0, members: [], threshold: 0 }, faulty: [] };

const MIRROR_KEY = /^[0-9a-f]{96}$/;
const BLS_SIGNATURE = /^[0-9a-f]{192}$/;
/** Where a mirror serves its clone: an http(s) URL of printable ASCII. */
export const MIRROR_URL = /^https?:\/\/[!-~]{1,200}$/;

type MirrorEventType = "MirrorRegistered" | "MirrorAdmitted" | "MirrorRetired" | "EpochStarted" | "MirrorMisbehaved";
export type MirrorEvent = Extract<CeremonyEvent, { type: MirrorEventType }>;
export type MirrorCommand = Extract<Command, { type: "RegisterMirror" | "AdmitMirror" | "RetireMirror" | "RecordMirrorFault" }>;

const MIRROR_EVENTS: ReadonlySet<string> = new Set<MirrorEventType>(["MirrorRegistered", "MirrorAdmitted", "MirrorRetired", "EpochStarted", "MirrorMisbehaved"]);
export const isMirrorEvent = (e: CeremonyEvent): e is MirrorEvent => MIRROR_EVENTS.has(e.type);

/** The signatures a certificate needs of n members: the operator's setting capped at n, or by default ⌈2n/3⌉. */
export function mirrorThreshold(n: number, configured: number): number {
  if (n === 0) return 0;
  return configured > 0 ? Math.min(configured, n) : Math.ceil((2 * n) / 3);
}

export const isMirrorRegistered = (m: Mirrors, key: MirrorKey): boolean => m.registered.some((r) => r.key === key);
export const isMirrorMember = (m: Mirrors, key: MirrorKey): boolean => m.members.includes(key);
export const isMirrorFaulty = (m: Mirrors, key: MirrorKey): boolean => m.faulty.includes(key);

function byAdmin(state: Open, by: ParticipantId): DomainError | null {
  return administers(state, by) ? null : refuse("NOT_AN_ADMIN", "this key is not an admin key of the ceremony");
}

/** Why a mirror event may not follow this state, or null. */
export function mirrorRefusal(state: Open, e: MirrorEvent): DomainError | null {
  const m = state.mirrors;
  switch (e.type) {
    case "MirrorRegistered":
      if (!MIRROR_KEY.test(e.mirror)) return refuse("INVALID_COMMAND", "a mirror is named by its 48-byte BLS public key (96 hex)");
      if (!MIRROR_URL.test(e.url)) return refuse("INVALID_COMMAND", "a mirror's URL is an http(s) URL of at most 200 printable characters");
      if (!BLS_SIGNATURE.test(e.pop) || !BLS_SIGNATURE.test(e.signature)) return refuse("INVALID_COMMAND", "a registration carries a proof of possession and a signature (96 bytes each)");
      return isMirrorRegistered(m, e.mirror) ? refuse("ALREADY_REGISTERED", "this mirror is already registered") : null;
    case "MirrorAdmitted": {
      const bad = byAdmin(state, e.by);
      if (bad) return bad;
      if (!isMirrorRegistered(m, e.mirror)) return refuse("NOT_REGISTERED", "no mirror registered this key");
      if (isMirrorFaulty(m, e.mirror)) return refuse("MIRROR_FAULTY", "this mirror was recorded signing falsely");
      return isMirrorMember(m, e.mirror) ? refuse("ALREADY_REGISTERED", "this mirror is already a member") : null;
    }
    case "MirrorRetired":
      return byAdmin(state, e.by) ?? (isMirrorMember(m, e.mirror) ? null : refuse("NOT_REGISTERED", "this mirror is not a member"));
    case "EpochStarted": {
      const same = e.members.length === m.members.length && e.members.every((k, i) => k === m.members[i]);
      if (!same || e.members.length === m.epoch.members.length && e.members.every((k, i) => k === m.epoch.members[i])) {
        return refuse("INVALID_COMMAND", "an epoch starts with a membership change and takes over the new membership");
      }
      if (e.epoch !== m.epoch.number + 1) return refuse("INVALID_COMMAND", `epoch ${e.epoch} does not follow epoch ${m.epoch.number}`);
      const n = e.members.length;
      const ok = n === 0 ? e.threshold === 0 : Number.isInteger(e.threshold) && e.threshold >= 1 && e.threshold <= n;
      return ok ? null : refuse("INVALID_COMMAND", `a threshold of ${e.threshold} does not fit ${n} member(s)`);
    }
    case "MirrorMisbehaved":
      if (!isCoordinator(state, e.by)) return refuse("NOT_AN_ADMIN", "only the coordinator records evidence against a mirror");
      if (!isMirrorRegistered(m, e.mirror)) return refuse("NOT_REGISTERED", "no mirror registered this key");
      if (isMirrorFaulty(m, e.mirror)) return refuse("MIRROR_FAULTY", "this mirror's misbehaviour is already recorded");
      return e.statements.length >= 1 && e.statements.length <= 2 ? null : refuse("INVALID_COMMAND", "evidence is one or two signed statements");
    default: {
      const never: never = e;
      return refuse("INVALID_COMMAND", `unknown event ${JSON.stringify(never)}`);
    }
  }
}

/** The epoch a membership change starts, right after it. */
function epochAfter(m: Mirrors, members: MirrorKey[], configured: number): CeremonyEvent {
  return { type: "EpochStarted", epoch: m.epoch.number + 1, members, threshold: mirrorThreshold(members.length, configured) };
}

/** What a mirror command means. */
export function mirrorEvents(command: MirrorCommand, state: CeremonyState): CeremonyEvent[] {
  const s = opened(state);
  const m = s.mirrors;
  switch (command.type) {
    case "RegisterMirror": {
      const { mirror, url, pop, signature, now } = command;
      const registered: CeremonyEvent = { type: "MirrorRegistered", mirror, url, pop, signature, at: now };
      if (!command.admit) return [registered];
      return [registered, { type: "MirrorAdmitted", mirror, by: s.settings.coordinator }, epochAfter(m, [...m.members, mirror], command.threshold)];
    }
    case "AdmitMirror":
      return [{ type: "MirrorAdmitted", mirror: command.mirror, by: command.actor }, epochAfter(m, [...m.members, command.mirror], command.threshold)];
    case "RetireMirror": {
      const members = m.members.filter((k) => k !== command.mirror);
      return [{ type: "MirrorRetired", mirror: command.mirror, reason: command.reason, by: command.actor }, epochAfter(m, members, command.threshold)];
    }
    case "RecordMirrorFault":
      return [{ type: "MirrorMisbehaved", mirror: command.mirror, code: command.code, statements: command.statements, by: s.settings.coordinator }];
    default: {
      const never: never = command;
      throw refuse("INVALID_COMMAND", `unknown command ${JSON.stringify(never)}`);
    }
  }
}

/** Applies one mirror event. */
export function evolveMirrors(m: Mirrors, e: MirrorEvent): Mirrors {
  switch (e.type) {
    case "MirrorRegistered":
      return { ...m, registered: [...m.registered, { key: e.mirror, url: e.url }] };
    case "MirrorAdmitted":
      return { ...m, members: [...m.members, e.mirror] };
    case "MirrorRetired":
      return { ...m, members: m.members.filter((k) => k !== e.mirror) };
    case "EpochStarted":
      return { ...m, epoch: { number: e.epoch, members: e.members, threshold: e.threshold } };
    case "MirrorMisbehaved":
      return { ...m, faulty: [...m.faulty, e.mirror] };
    default: {
      const never: never = e;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}
